"""Feature extraction: cached per view, unreadable files masked, progress reported to a callback."""

from __future__ import annotations

import numpy as np
import pytest

from album.errors import UserFacingError
from album.tasks import Progress
from album.vision.features import extract
from album.vision.histogram import histogram_features


def test_extract_reports_progress_and_caches(encoder, photo_dir, tmp_path):
    paths = sorted(photo_dir.iterdir())
    (photo_dir / "broken.jpg").write_bytes(b"not a jpeg")
    paths.append(photo_dir / "broken.jpg")
    reports: list[Progress] = []
    features, ok = extract(encoder, paths, "aug0", cache=tmp_path, batch_size=4, desc="photos",
                           progress=reports.append)
    assert features.shape == (9, 1280) and ok.tolist() == [True] * 8 + [False]
    assert reports[0].phase == "photos [aug0]" and reports[0].done == 0 and reports[0].total == 9
    assert reports[-1].done == reports[-1].total == 9
    assert {r.phase for r in reports} == {"photos [aug0]"}
    assert [r.done for r in reports] == sorted(r.done for r in reports)

    again: list[Progress] = []
    cached, cached_ok = extract(encoder, paths, "aug0", cache=tmp_path, progress=again.append)
    assert again == []  # nothing left to compute
    assert np.array_equal(cached, features) and np.array_equal(cached_ok, ok)


def test_extract_refuses_unknown_views(encoder, photo_dir):
    with pytest.raises(UserFacingError, match="unknown view"):
        extract(encoder, sorted(photo_dir.iterdir()), "sideways")


def test_histograms_report_progress(photo_dir):
    reports: list[Progress] = []
    histograms, ok = histogram_features(sorted(photo_dir.iterdir()), progress=reports.append)
    assert histograms.shape == (8, 512) and ok.all()
    assert reports[0].phase == "histograms" and reports[0].done == 0
    assert reports[-1].done == reports[-1].total == 8
