"""The grid's model and view without the engine: model contract, incremental updates, 100,000 photos."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtTest import QAbstractItemModelTester
from PIL import Image

from album.library.records import PhotoRecord
from album.gui.drop import can_search_with, local_image_paths
from album.gui.grid_view import PhotoGridView
from album.gui.photo_model import MatchListModel, PhotoListModel, PhotoRole, ScoredPhoto, _runs
from album.gui.thumb_loader import ThumbnailLoader
from album.library.thumbnails import ThumbnailCache
from album.tasks import Progress

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def record(photo_id: int, path: str = "", folder_id: int = 1) -> PhotoRecord:
    return PhotoRecord(photo_id, path or f"/nowhere/{photo_id}.jpg", folder_id, 1000, photo_id, f"hash{photo_id:08d}",
                       640, 480, datetime(2024, 1, 1), "Camera", "ok", None)


@pytest.fixture
def loader(qtbot, tmp_path):
    thumbnails = ThumbnailLoader(ThumbnailCache(tmp_path / "thumbs"))
    yield thumbnails
    thumbnails.shutdown()


def test_photo_model_passes_the_model_tester_through_every_kind_of_update(qtbot, loader):
    model = PhotoListModel(loader)
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    model.set_photos([record(i) for i in (1, 2, 3)])
    model.set_photos([record(i) for i in (0, 1, 5, 6, 2, 3, 4)])      # inserted only
    assert [model.index(r).data(PhotoRole).id for r in range(7)] == [0, 1, 5, 6, 2, 3, 4]
    model.set_photos([record(i) for i in (1, 6, 3)])                  # removed only
    assert [model.item(r).id for r in range(3)] == [1, 6, 3]
    model.set_photos([record(i) for i in (3, 1, 6)])                  # reordered: reset
    model.set_photos([record(i) for i in (3, 1, 6)])                  # same: data changed
    model.set_photos([])
    assert model.rowCount() == 0
    del tester


def test_match_model_passes_the_model_tester(qtbot, loader):
    model = MatchListModel(loader)
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    model.set_matches([ScoredPhoto(record(1), "/nowhere/1.jpg", 0.9), ScoredPhoto(None, "/elsewhere/x.png", 0.5)])
    assert model.rowCount() == 2
    assert model.index(1).data(PhotoRole) is None
    assert "50%" in model.index(1).data(Qt.ToolTipRole)
    del tester


def test_insertions_keep_the_selection(qtbot, loader):
    model = PhotoListModel(loader)
    view = PhotoGridView()
    qtbot.addWidget(view)
    view.setModel(model)
    model.set_photos([record(i) for i in (10, 20, 30)])
    view.setCurrentIndex(model.index(1))
    model.set_photos([record(i) for i in (5, 10, 15, 20, 30)])
    assert view.currentIndex().data(PhotoRole).id == 20


def test_incremental_runs():
    assert _runs([1, 2, 3], [0, 1, 9, 2, 3, 4]) == [(0, 1), (2, 1), (5, 1)]
    assert _runs([1, 2, 3], [2, 1, 3]) is None
    assert _runs([1, 2], [1]) is None


def test_thumbnails_load_off_the_gui_thread_and_fill_the_model(qtbot, loader, tmp_path):
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (1200, 800), (30, 120, 200)).save(photo)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"nope")
    model = PhotoListModel(loader)
    model.set_photos([record(1, str(photo)), record(2, str(broken))])
    assert model.index(0).data(Qt.DecorationRole) is None  # queued, not decoded here
    with qtbot.waitSignals([loader.thumbnailReady, loader.thumbnailReady], timeout=10_000):
        model.index(1).data(Qt.DecorationRole)
    pixmap = model.index(0).data(Qt.DecorationRole)
    assert pixmap is not None and max(pixmap.width(), pixmap.height()) <= 256
    assert model.index(1).data(Qt.DecorationRole) is None
    assert "image" in loader.failure(model.key_at(1))


def test_grid_stays_fast_with_100000_photos(qtbot, loader):
    photos = [record(i) for i in range(100_000)]
    model = PhotoListModel(loader)
    view = PhotoGridView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.setModel(model)
    view.show()
    started = time.perf_counter()
    model.set_photos(photos)
    qtbot.wait(10)
    view.scrollToBottom()
    view.repaint()
    view.select_row(50_000)
    view.repaint()
    elapsed = time.perf_counter() - started
    loader.forget_queued()
    assert elapsed < 3.0, f"showing and scrolling 100,000 photos took {elapsed:.2f} s"


def test_scrolling_never_makes_a_thumbnail_on_the_gui_thread(qtbot, loader, tmp_path, monkeypatch):
    """Tiles without a thumbnail paint a placeholder at once; thumbnails are made in the pool and arrive."""
    import threading

    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (1600, 1200), (200, 80, 30)).save(photo)
    threads = []
    make = ThumbnailCache.image

    def recording(cache, *args):
        threads.append(threading.current_thread())
        return make(cache, *args)

    monkeypatch.setattr(ThumbnailCache, "image", recording)
    model = PhotoListModel(loader)
    view = PhotoGridView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.setModel(model)
    view.show()
    model.set_photos([record(i, str(photo)) for i in range(3000)])  # each its own key: never made before
    bar = view.verticalScrollBar()
    for _ in range(40):
        bar.setValue(bar.value() + bar.pageStep())
        view.viewport().repaint()
        qtbot.wait(5)
    qtbot.waitUntil(lambda: len(threads) > 20, timeout=10_000)
    loader.forget_queued()
    assert threading.main_thread() not in threads


def test_drop_accepts_local_photos_only(qtbot, tmp_path):
    photo = tmp_path / "a.png"
    Image.new("RGB", (10, 10)).save(photo)
    text = tmp_path / "notes.txt"
    text.write_text("x")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(text)), QUrl.fromLocalFile(str(photo)), QUrl("https://example.com/b.jpg")])
    assert local_image_paths(mime) == [str(photo)]
    plain = QMimeData()
    plain.setText(f"file://{photo}\n")
    assert can_search_with(plain)
    assert not can_search_with(QMimeData())


def test_progress_text():
    text = Progress("Indexing", 1234, 5902, 61.2, 75.0).describe()
    assert text == "Indexing 1,234 of 5,902 · 61/s · 1 min left"
