"""One current photo everywhere, a side panel that stays fresh, and Back/Forward through searches."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt

from album.gui.messages import NOT_INDEXED_YET, Photos, ScanReport
from album.gui.pages import Page
from album.gui.photo_model import PhotoRole
from album.library.records import PhotoStatus
from tests.gui.conftest import TIMEOUT_MS, indexed_window, record

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def row_of(window, name: str) -> int:
    return next(r for r in range(window.photo_model.rowCount())
                if window.photo_model.index(r).data(PhotoRole).path.endswith(name))


def test_leaving_results_keeps_one_current_photo_in_grid_panel_and_actions(qtbot, make_window, album_dir):
    """Issue 14, bug 1: find similar to A, pick B in the results, go back: B is current everywhere."""
    window = indexed_window(qtbot, make_window, album_dir)
    photo_a = window.photo_model.item(row_of(window, "photo_3.jpg"))
    window.grid.setCurrentIndex(window.photo_model.index(row_of(window, "photo_3.jpg")))
    window.search.find_similar(photo_a)
    qtbot.waitUntil(lambda: window.results.model.rowCount() > 0, timeout=TIMEOUT_MS)
    assert window.side_panel.record.id == photo_a.id, "the results page alone does not change the current photo"
    window.results.grid.setCurrentIndex(window.results.model.index(1))
    photo_b = window.results.model.item(1).record
    assert window.side_panel.record.id == photo_b.id
    qtbot.keyClick(window.results, Qt.Key_Escape)
    assert window.pages.page() == Page.LIBRARY
    assert window.grid.current_record().id == photo_b.id, "the grid highlights the photo the panel shows"
    assert [r.id for r in (index.data(PhotoRole) for index in window.grid.selectedIndexes())] == [photo_b.id]
    window.find_action.trigger()
    assert window.results.title.text() == f"Photos similar to {photo_b.path.rsplit('/', 1)[-1]}"


def test_the_side_panel_follows_the_selected_photos_record_while_indexing(qtbot, stub_window):
    """Issue 14, bug 3: a photo selected while pending shows its date, camera and size once indexed."""
    window = stub_window()
    worker = window.bridge.worker
    pending = record(7, mtime_s=1_700_000_000, status=PhotoStatus.PENDING)
    window.stub.records = {1: record(1), 7: pending}
    worker.photosChanged.emit(Photos([record(1, mtime_s=1_600_000_000), pending]))
    window.grid.setCurrentIndex(window.photo_model.index(window.photo_model.row_of(7)))
    assert "unknown" in window.side_panel.camera_label.text()
    qtbot.waitUntil(lambda: window.side_panel.similar_status.text() == NOT_INDEXED_YET, timeout=TIMEOUT_MS)
    indexed = pending._replace(status=PhotoStatus.OK, width=4000, height=3000, camera="Canon EOS 5D",
                               taken_at=datetime(2021, 6, 5, 14, 30))
    window.stub.records[7] = indexed
    worker.photosChanged.emit(Photos([record(1, mtime_s=1_600_000_000), indexed]))
    assert window.side_panel.camera_label.text() == "Canon EOS 5D"
    assert window.side_panel.date_label.text() == "05 Jun 2021, 14:30"
    assert window.side_panel.size_label.text().startswith("4000 × 3000")
    qtbot.waitUntil(lambda: window.stub.similar_asked == [7], timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.side_panel.similar_model.rowCount() == 1, timeout=TIMEOUT_MS)
    window.bridge.worker.scanFinished.emit(ScanReport())
    qtbot.waitUntil(lambda: window.stub.similar_asked == [7, 7], timeout=TIMEOUT_MS)
    assert window.side_panel.record == indexed


def test_back_and_forward_through_searches(qtbot, make_window, album_dir):
    window = indexed_window(qtbot, make_window, album_dir)
    first, second = (window.photo_model.item(row_of(window, name)) for name in ("photo_1.jpg", "photo_2.jpg"))
    window.search.find_similar(first)
    window.search.find_similar(second)
    assert "photo_2.jpg" in window.results.title.text()
    qtbot.keyClick(window, Qt.Key_Left, Qt.AltModifier)
    assert "photo_1.jpg" in window.results.title.text()
    qtbot.waitUntil(lambda: window.results.model.rowCount() > 0, timeout=TIMEOUT_MS)
    assert "similar (at least" in window.results.subtitle.text()
    qtbot.keyClick(window, Qt.Key_Right, Qt.AltModifier)
    assert "photo_2.jpg" in window.results.title.text()
    window.go_back()
    window.go_back()
    assert window.pages.page() == Page.LIBRARY
    window.go_forward()
    assert window.pages.page() == Page.RESULTS and "photo_1.jpg" in window.results.title.text()
    qtbot.mouseClick(window.results.grid.viewport(), Qt.BackButton)
    assert window.pages.page() == Page.LIBRARY


def test_results_say_how_many_are_above_the_threshold(qtbot, stub_window):
    window = stub_window()
    photos = [record(i, mtime_s=1000 - i) for i in range(1, 12)]
    window.stub.records = {p.id: p for p in photos}
    window.bridge.worker.photosChanged.emit(Photos(photos))
    window.bridge.worker.ready.emit(0.85)
    window.search.find_similar(photos[0])       # scores 0.895, 0.885, ... 0.805 for the 10 others
    qtbot.waitUntil(lambda: window.results.model.rowCount() == 10, timeout=TIMEOUT_MS)
    assert window.results.subtitle.text().startswith("5 similar (at least 85%), 5 weaker matches after them")
    window.side_panel.threshold.setValue(88)
    assert window.results.subtitle.text().startswith("2 similar (at least 88%), 8 weaker matches")


def test_an_unreadable_outside_file_gets_an_error_page_not_a_results_title(qtbot, stub_window, tmp_path):
    from album.errors import UserFacingError

    window = stub_window()

    def unreadable(path, k=50, min_score=None):
        raise UserFacingError(f"cannot read {path}: damaged or truncated image")

    window.stub.similar_to_file = unreadable
    window.search.find_similar_to_file(str(tmp_path / "broken.jpg"))
    qtbot.waitUntil(lambda: "damaged" in window.results.subtitle.text(), timeout=TIMEOUT_MS)
    assert window.results.title.text() == "Cannot search with broken.jpg"
    assert window.results.model.rowCount() == 0


def test_a_photo_that_leaves_the_library_is_current_no_more(qtbot, stub_window):
    window = stub_window()
    photos = [record(i, mtime_s=1000 - i) for i in (1, 2, 3)]
    window.bridge.worker.photosChanged.emit(Photos(photos))
    window.grid.select_row(1)
    assert window.side_panel.record.id == 2 and window.find_action.isEnabled()
    window.bridge.worker.photosChanged.emit(Photos([photos[0], photos[2]]))
    current = window.search.current
    assert current is None or (current.id != 2 and window.grid.current_record() == current)
    assert window.side_panel.record == current
    window.bridge.worker.photosChanged.emit(Photos([]))
    assert window.search.current is None and window.side_panel.record is None
    assert not window.find_action.isEnabled()
