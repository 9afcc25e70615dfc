"""Watcher storms: afterwards the catalogue equals what a fresh scan finds.

Two watched folders; the first holds 8 encoded photos.  Then, while a
``FolderWatcher`` reports changes and each report is answered with
``Album.sync`` of the folders it names (what the app does): 5,000 tiny
photos are copied in at once, the encoded sub-folder is renamed and then
moved to the other watched folder, a sub-folder of 500 is deleted and one
file is rewritten 50 times.  The catalogue must then hold exactly the rows
a fresh library's sync of the same folders holds (same paths, hashes and
readability), no path twice, and the encoded photos must have kept their ids and
vectors (a move costs no re-encoding).  The fall-back to polling near the
inotify limit is tested in tests/library/test_watcher.py.
"""

from __future__ import annotations

import io
import queue
import shutil
import time

import numpy as np
from PIL import Image

from album.engine import Album
from album.library.watcher import FolderWatcher
from album.paths import LibraryPaths
from album.tasks import SynchronousExecutor

BURST = 5000
QUIET_S = 1.5


def _tiny_pngs(count: int, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    files = []
    for pixels in rng.integers(0, 255, (count, 6, 8, 3), dtype=np.uint8):
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "PNG")
        files.append(buffer.getvalue())
    return files


def _follow(album: Album, reports: queue.Queue, until_quiet_s: float = QUIET_S) -> int:
    """Answer the watcher's reports with syncs until it has been quiet for a while; returns the syncs."""
    syncs = 0
    while True:
        try:
            roots = reports.get(timeout=until_quiet_s)
        except queue.Empty:
            return syncs
        while not reports.empty():
            roots |= reports.get_nowait()
        album.sync(sorted(roots))
        syncs += 1


def _rows(album: Album) -> set[tuple]:
    """(path, content hash, unreadable?) of every row: what a sync decides (encoding comes later)."""
    return {(p.path, p.content_hash, p.failure is not None) for p in album.photos() + album.failures()}


def test_a_storm_of_changes_leaves_the_catalogue_a_fresh_scan_would_make(album, photo_dir, tmp_path, encoder):
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "burst").mkdir(parents=True)
    second.mkdir()
    shutil.move(photo_dir, first / "sub")
    album.add_folder(first)
    album.add_folder(second)
    assert album.scan().new == 8
    encoded = {p.path.replace(str(first / "sub"), str(second / "sub")): p.id for p in album.photos()}
    vectors = dict(zip(*album.catalogue.embeddings(album.encoder.model_id)))

    reports: queue.Queue = queue.Queue()
    watcher = FolderWatcher(reports.put, debounce_s=0.3, max_delay_s=2.0)
    started = time.monotonic()
    try:
        watcher.set_folders([first, second])
        for number, data in enumerate(_tiny_pngs(BURST, 1)):  # the copy: 10 folders of 500
            folder = first / "burst" / f"part{number // 500}"
            if number % 500 == 0:
                folder.mkdir()
            (folder / f"img_{number:04d}.png").write_bytes(data)
        (first / "sub").rename(first / "sub renamed")
        shutil.move(first / "sub renamed", second / "sub")
        shutil.rmtree(first / "burst" / "part9")
        for data in _tiny_pngs(50, 2):
            (first / "rewritten.png").write_bytes(data)
        syncs = _follow(album, reports)
    finally:
        watcher.stop()
    elapsed = time.monotonic() - started

    on_disk = sorted(str(p) for root in (first, second) for p in root.rglob("*") if p.suffix in (".png", ".jpg"))
    rows = _rows(album)
    assert sorted(path for path, _, _ in rows) == on_disk and len(on_disk) == BURST - 500 + 8 + 1
    with Album.open(LibraryPaths.at(tmp_path / "fresh"), model=encoder, executor=SynchronousExecutor()) as fresh:
        fresh.add_folder(first)
        fresh.add_folder(second)
        fresh.sync()
        assert _rows(fresh) == rows

    after = {p.path: p.id for p in album.photos()}
    assert {path: after[path] for path in encoded} == encoded  # moved photos kept their ids ...
    kept = dict(zip(*album.catalogue.embeddings(album.encoder.model_id)))
    assert all(np.array_equal(kept[i], vectors[i]) for i in encoded.values())  # ... and their vectors
    status = album.status()
    assert (status.indexed, status.pending) == (8, len(on_disk) - 8)
    print(f"storm: {len(on_disk)} files, {syncs} syncs, {elapsed:.1f} s from the first copy to quiet")
