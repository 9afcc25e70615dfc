"""A full disk while writing the index, the catalogue or thumbnails.

Each write is made to fail with ENOSPC (injected: an ``fsync`` or image
write that raises, an hnswlib file cut short, SQLite's own "database or
disk is full" from a page-count limit).  The state saved before stays
usable, no temporary file is left behind, and the problem is reported in
plain words; once there is room again the work completes.
"""

from __future__ import annotations

import errno
import logging

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import event

from album.errors import LibraryError, UserFacingError
from album.library.thumbnails import ThumbnailCache, cache_key
from album.search import index_files
from album.search.index import VectorIndex
from tests.conftest import make_photo


def _vectors(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, 16)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


class _CutShort:
    """An hnswlib index whose file writer stops half-way, as it does silently on a full disk."""

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    def save_index(self, path):
        self._real.save_index(path)
        with open(path, "r+b") as handle:
            handle.truncate(handle.seek(0, 2) // 2)


@pytest.mark.parametrize("failure", ["fsync", "cut short"])
def test_a_full_disk_while_saving_the_index_keeps_the_saved_one(tmp_path, monkeypatch, caplog, failure):
    index = VectorIndex(tmp_path, "model@1", 16)
    index.add(np.arange(50), _vectors(50, 1))
    assert index.save(generation=1)
    saved = {path.name: path.read_bytes() for path in tmp_path.iterdir()}

    index.add(np.arange(50, 100), _vectors(50, 2))
    if failure == "fsync":
        monkeypatch.setattr(index_files.os, "fsync", _no_space)
    else:
        index._searcher._graph = _CutShort(index._searcher._graph)
    with caplog.at_level(logging.WARNING, logger="album.search.index_files"):
        assert not index.save(generation=2)
    monkeypatch.undo()

    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == saved  # no temporary file either
    assert "the disk is full" in caplog.text and "rebuilt from the catalogue" in caplog.text
    reopened = VectorIndex(tmp_path, "model@1", 16)
    assert reopened.load(generation=1) and reopened.live == 50
    assert not reopened.load(generation=2)  # the catalogue moved on: the saved index is stale, so rebuilt


def _limit_pages(engine, extra_pages: int | None) -> None:
    """Cap the catalogue's size a few pages above its current one (None: lift the cap)."""
    def cap(connection, _record):
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages + extra_pages}")

    if event.contains(engine, "connect", _limit_pages.cap):
        event.remove(engine, "connect", _limit_pages.cap)
    if extra_pages is not None:
        _limit_pages.cap = cap
        event.listen(engine, "connect", cap)
    engine.dispose()  # pooled connections reopen with (or without) the cap


_limit_pages.cap = None


def test_a_full_disk_while_recording_a_scan_keeps_the_catalogue(album, photo_dir, library_paths):
    album.add_folder(photo_dir)
    assert album.scan().new == 8
    for seed in range(300):
        make_photo(9000 + seed, (48, 32)).save(photo_dir / f"more_{seed:03d}.png")

    _limit_pages(album.catalogue.engine, 2)
    with pytest.raises(LibraryError, match="is full. Nothing was lost"):
        album.sync()
    _limit_pages(album.catalogue.engine, None)

    status = album.status()
    assert (status.photos, status.indexed) == (8, 8)
    assert album.similar_to_photo(album.photos()[0].id, k=3)
    assert album.sync().new == 300
    import sqlite3

    with sqlite3.connect(library_paths.catalogue) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_a_full_disk_while_making_thumbnails_keeps_the_cache_and_still_shows_them(tmp_path, monkeypatch, caplog):
    photos = []
    for seed in range(3):
        photos.append(tmp_path / f"p{seed}.jpg")
        make_photo(seed).save(photos[-1])
    cache = ThumbnailCache(tmp_path / "thumbs")
    first = cache.get(photos[0], cache_key(None, photos[0]), 256)
    kept = first.read_bytes()

    real_save = Image.Image.save
    monkeypatch.setattr(Image.Image, "save", lambda self, fp, *a, **k: _no_space() if fp is not None else None)
    with pytest.raises(UserFacingError, match="thumbnail cache .* is full"):
        cache.get(photos[1], cache_key(None, photos[1]), 256)
    with caplog.at_level(logging.WARNING, logger="album.library.thumbnails"):
        for photo in photos[1:]:
            shown = cache.image(photo, cache_key(None, photo), 256)  # made in memory, not saved
            assert max(shown.size) == 256
    assert caplog.text.count("is full") == 1  # said once, not for every photo
    monkeypatch.setattr(Image.Image, "save", real_save)

    assert first.read_bytes() == kept
    assert sorted(p.name for p in (tmp_path / "thumbs").rglob("*") if p.is_file()) == [first.name]
    assert cache.get(photos[1], cache_key(None, photos[1]), 256).is_file()  # room again: cached as usual
