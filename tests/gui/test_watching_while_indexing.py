"""A photo copied into a watched folder during a long indexing run shows up within seconds."""

from __future__ import annotations

import time

import pytest

from album.gui.bridge import LibraryBridge
from album.indexing import indexer
from album.tasks import SynchronousExecutor
from tests.conftest import make_photo

TIMEOUT_MS = 30_000


@pytest.fixture
def slow_bridge(qtbot, library_paths, encoder, photo_dir, monkeypatch):
    """A bridge (real watcher, real engine) whose indexing takes about 6 s for 24 photos."""
    from album.engine import Album

    for seed in range(8, 24):
        make_photo(seed).save(photo_dir / f"photo_{seed}.jpg", quality=92)
    monkeypatch.setattr(indexer, "BATCH_SIZE", 2)
    original = indexer.Indexer._encode_batch

    def slow(self, batch, on_vectors):
        time.sleep(0.5)
        return original(self, batch, on_vectors)

    monkeypatch.setattr(indexer.Indexer, "_encode_batch", slow)
    bridge = LibraryBridge(library_paths, opener=lambda paths: Album.open(paths, model=encoder,
                                                                          executor=SynchronousExecutor()),
                           debounce_s=0.2)
    seen = {"photos": [], "finished": [], "busy": False}
    bridge.worker.photosChanged.connect(lambda photos: seen["photos"].append({p.path for p in photos}))
    bridge.worker.scanFinished.connect(seen["finished"].append)
    bridge.worker.busyChanged.connect(lambda busy: seen.__setitem__("busy", busy))
    bridge.start()
    yield bridge, seen
    bridge.shutdown()


def test_new_and_deleted_files_reach_the_grid_while_the_backlog_is_encoded(qtbot, slow_bridge, photo_dir):
    bridge, seen = slow_bridge
    indexing = []
    bridge.worker.progress.connect(lambda p: indexing.append(p) if p.phase == "Indexing" and p.done else None)
    bridge.add_folder(str(photo_dir))
    qtbot.waitUntil(lambda: len(indexing) > 0, timeout=TIMEOUT_MS)
    late = photo_dir / "late.jpg"
    make_photo(99).save(late, quality=90)
    (photo_dir / "photo_5.jpg").unlink()
    copied_at = time.monotonic()
    qtbot.waitUntil(lambda: seen["photos"] and str(late) in seen["photos"][-1], timeout=TIMEOUT_MS)
    assert time.monotonic() - copied_at < 4, "the new photo took too long to appear"
    assert seen["busy"] and not seen["finished"], "it appeared while the backlog was still being indexed"
    assert str(photo_dir / "photo_5.jpg") not in seen["photos"][-1], "the deleted photo left as quickly"
    qtbot.waitUntil(lambda: bool(seen["finished"]), timeout=TIMEOUT_MS)
    summary = seen["finished"][-1]
    assert summary.new == 24 and summary.removed == 0 or summary.new == 25 and summary.removed == 1
    assert not bridge.worker.album.status().pending, "the late photo was encoded before the run ended"
