"""Personal models: trained on the confirmed groups from kept features, made active, undone at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from album.engine import Album
from album.errors import UserFacingError
from album.indexing import decoding
from album.tasks import SynchronousExecutor
from album.vision.modelfile import open_encoder
from tests.conftest import subject


def test_personalize_refuses_without_two_confirmed_groups_of_three(grouped):
    paths, folder = grouped
    with Album.open(paths, executor=SynchronousExecutor()) as album:
        album.groups.create("one", subject(album, folder, 0))
        album.groups.create("small", subject(album, folder, 1)[:2])
        with pytest.raises(UserFacingError, match="at least 2 groups"):
            album.personalize()
        assert album.personal_model() is None


def test_personalize_trains_from_kept_features_and_undo_restores_the_default(grouped, monkeypatch):
    paths, folder = grouped
    decoded = []
    monkeypatch.setattr(decoding, "load_image", lambda *a, **k: decoded.append(a))
    default_id = open_encoder("default").model_id
    with Album.open(paths, executor=SynchronousExecutor()) as album:
        names = {album.groups.create(f"subject {n}", subject(album, folder, n)): n for n in range(3)}
        report = album.personalize()
        assert (report.groups, report.photos) == (3, 9)
        assert 0 <= report.before <= 1 and 0 <= report.after <= 1 and report.seconds >= 0
        assert Path(report.path).parent == paths.models and Path(report.path).is_file()
        card = json.loads(Path(report.path).with_suffix(".json").read_text())
        assert card["personal"]["groups"] == 3 and card["head"]["type"] == "personal"
        assert album.encoder.model_id != default_id and album.status().indexed == 18
        assert not decoded  # re-encoded from the kept features
        for gid, n in names.items():  # regrouping under the new model kept the confirmed groups
            assert set(subject(album, folder, n)) <= set(album.groups.members(gid))
        assert album.personal_model() == report
    with Album.open(paths, executor=SynchronousExecutor()) as album:  # it stays the library's model
        assert album.personal_model() == report and album.encoder.model_id != default_id
        album.undo_personalize()
        assert album.encoder.model_id == default_id and album.personal_model() is None
        assert album.status().indexed == 18 and not decoded
    with Album.open(paths, executor=SynchronousExecutor()) as album:
        assert album.personal_model() is None
