"""Security: no pickle, no network, a private library.

* A malicious pickle where a model is expected (a ``.safetensors`` file, a
  ``.pt`` file with a card, the bundled backbone's weights file) is refused
  and its payload never runs; no module of album calls ``pickle`` or
  ``torch.load`` without ``weights_only=True``.
* Opening the default model, adding, scanning and searching with every
  socket connection and name look-up made to fail: nothing tries.
* The catalogue (and its WAL), index, thumbnails, logs and lock are created
  readable by the user only (folders 0700, files 0600), whatever the umask.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import socket
import stat
from pathlib import Path

import pytest
import torch

from album.engine import Album
from album.errors import ModelUnavailable
from album.library.thumbnails import ThumbnailCache, cache_key
from album.logs import setup_logging
from album.paths import LibraryPaths
from album.tasks import SynchronousExecutor

PACKAGE = Path(__file__).resolve().parents[2] / "album"


class Payload:
    """Unpickling this creates the marker file: proof that the pickle ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "pwned"


def _card(weights: Path) -> None:
    weights.with_suffix(".json").write_text(json.dumps({"backbone": "efficientnet_lite0", "head": {}}))


def _disguised_pickles(tmp_path: Path, marker: Path) -> list[Path]:
    disguised = tmp_path / "evil.safetensors"
    disguised.write_bytes(pickle.dumps(Payload(marker)))
    torch_file = tmp_path / "evil.pt"
    torch.save({"weights": Payload(marker)}, torch_file)
    for path in (disguised, torch_file):
        _card(path)
    return [disguised, torch_file]


def test_a_pickle_disguised_as_a_model_file_never_runs(tmp_path, marker):
    from album.vision.modelfile import open_encoder

    for path in _disguised_pickles(tmp_path, marker):
        with pytest.raises(Exception):  # noqa: B017 - which error is the next test's business
            open_encoder(str(path), device="cpu")
    assert not marker.exists()


def test_a_pickle_disguised_as_a_model_file_is_refused_in_plain_words(tmp_path, marker):
    from album.vision.modelfile import open_encoder

    for path in _disguised_pickles(tmp_path, marker):
        with pytest.raises(ModelUnavailable, match="not a valid album model"):
            open_encoder(str(path), device="cpu")


def test_a_pickle_in_place_of_the_bundled_backbone_weights_is_refused(tmp_path, marker, monkeypatch):
    from album.vision import networks

    evil = tmp_path / "lite0.pth"
    torch.save({"conv.weight": Payload(marker)}, evil)
    monkeypatch.setattr(networks, "bundled_weights_file", lambda: evil)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        networks.build_lite0()
    assert not marker.exists()


def test_no_module_unpickles():
    offenders = []
    for source in PACKAGE.rglob("*.py"):
        text = source.read_text()
        if re.search(r"^\s*(import pickle|from pickle import)|\bpickle\.loads?\(|\bjoblib\b", text, re.M):
            offenders.append(f"{source}: pickle")
        for call in re.finditer(r"torch\.load\(", text):
            depth, end = 1, call.end()
            while depth:  # to the call's own closing parenthesis
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            if "weights_only=True" not in text[call.end():end]:
                offenders.append(f"{source}: {text[call.start():end]}")
    assert offenders == []


@pytest.fixture
def no_network(monkeypatch):
    attempts: list[str] = []

    def refuse(name):
        def refused(*args, **kwargs):
            attempts.append(f"{name}{args[1:2]}")
            raise OSError(f"network access attempted: {name}")
        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def test_the_default_model_add_scan_and_search_need_no_network(no_network, library_paths, photo_dir):
    from album.vision.modelfile import open_encoder

    encoder = open_encoder("default", device="cpu")
    with Album.open(library_paths, model=encoder, executor=SynchronousExecutor()) as album:
        album.add_folder(photo_dir)
        assert album.scan().new == 8
        photo = album.photos()[0]
        assert album.similar_to_photo(photo.id, k=3)
        assert album.similar_to_file(photo_dir / "photo_3.jpg", k=3)[0].path == str(photo_dir / "photo_3.jpg")
        assert album.status().indexed == 8
    assert no_network == []


def _loose(path: Path) -> str | None:
    mode = stat.S_IMODE(os.lstat(path).st_mode)
    wanted = 0o700 if path.is_dir() else 0o600
    return None if mode & 0o077 == 0 and mode & wanted == wanted else f"{path}: {oct(mode)}"


def test_everything_album_creates_is_private(tmp_path, photo_dir, encoder):
    previous = os.umask(0o022)  # the common default: files 0644 and folders 0755 unless album says otherwise
    paths = LibraryPaths.at(tmp_path / "library")
    level = logging.getLogger().level
    try:
        setup_logging(paths)
        with Album.open(paths, model=encoder, executor=SynchronousExecutor()) as album:
            album.add_folder(photo_dir)
            album.scan()
            cache = ThumbnailCache(paths.thumbnails)
            for photo in album.photos():
                cache.get(photo.path, cache_key(photo.content_hash, photo.path), 200)
            logging.getLogger("album.test").warning("a line in the log")
            created = sorted(paths.root.rglob("*"))
            names = {path.name for path in created}
            assert {"catalogue.sqlite3", "catalogue.sqlite3-wal", "album.lock", "album.log"} <= names
            assert any(name.endswith(".hnsw") for name in names) and any(name.endswith("-256.jpg") for name in names)
            assert [loose for loose in map(_loose, [paths.root, *created]) if loose] == []
    finally:
        os.umask(previous)
        root = logging.getLogger()
        root.setLevel(level)
        for handler in list(root.handlers):
            if getattr(handler, "album", False):
                root.removeHandler(handler)
                handler.close()


def test_rotated_logs_and_an_existing_loose_library_are_made_private(tmp_path):
    from album.logs import PrivateRotatingFileHandler

    previous = os.umask(0o022)
    try:
        paths = LibraryPaths.at(tmp_path / "old library")
        paths.root.mkdir(mode=0o755)
        paths.catalogue.write_bytes(b"")
        paths.catalogue.chmod(0o644)
        paths.ensure()
        assert _loose(paths.root) is None and _loose(paths.catalogue) is None

        handler = PrivateRotatingFileHandler(paths.log_file, maxBytes=200, backupCount=2, encoding="utf-8")
        try:
            for number in range(20):
                handler.emit(logging.makeLogRecord({"msg": f"line {number} " + "x" * 40}))
        finally:
            handler.close()
        logs = sorted(paths.logs.iterdir())
        assert [log.name for log in logs] == ["album.log", "album.log.1", "album.log.2"]
        assert [loose for loose in map(_loose, logs) if loose] == []
    finally:
        os.umask(previous)
