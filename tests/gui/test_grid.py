"""The library grid holds still: stable order while indexing, the current photo kept in view."""

from __future__ import annotations

from datetime import datetime

import pytest

from album.gui.grid_view import PhotoGridView
from album.gui.messages import Photos
from album.gui.photo_model import PhotoListModel
from album.gui.thumb_loader import ThumbnailLoader
from album.library.records import PhotoStatus
from album.library.thumbnails import ThumbnailCache
from tests.gui.conftest import record

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def shown_ids(window) -> list[int]:
    return [window.photo_model.item(row).id for row in range(window.photo_model.rowCount())]


def test_the_grid_keeps_its_order_while_indexing_reads_dates_then_sorts_once(qtbot, stub_window):
    """Issue 14, bug 2: photos do not move under the pointer while their dates are read."""
    window = stub_window()
    worker = window.bridge.worker
    # file times: 1 newest ... 4 oldest; dates taken (read by indexing): the other way round
    pending = [record(i, mtime_s=2_000_000_000 - i, status=PhotoStatus.PENDING) for i in (1, 2, 3, 4)]
    dated = [p._replace(status=PhotoStatus.OK, taken_at=datetime(2000 + p.id, 1, 1)) for p in pending]
    worker.busyChanged.emit(True)
    worker.photosChanged.emit(Photos(pending))
    assert shown_ids(window) == [1, 2, 3, 4]
    window.grid.setCurrentIndex(window.photo_model.index(1))
    worker.photosChanged.emit(Photos([dated[3], dated[2], pending[0], dated[1]]))   # the engine's order
    assert shown_ids(window) == [1, 2, 3, 4], "nothing moves while indexing"
    worker.photosChanged.emit(Photos([dated[3], dated[2], dated[1], dated[0]]))
    assert shown_ids(window) == [1, 2, 3, 4]
    worker.busyChanged.emit(False)
    worker.photosChanged.emit(Photos([dated[3], dated[2], dated[1], dated[0]]))
    assert shown_ids(window) == [4, 3, 2, 1], "sorted by date once indexing is done"
    assert window.grid.current_record().id == 2, "the selected photo stays selected"
    assert window.side_panel.record.id == 2


def test_photos_found_by_a_later_scan_take_their_place_without_moving_the_others(qtbot, stub_window):
    window = stub_window()
    worker = window.bridge.worker
    known = [record(i, mtime_s=1_000, taken=datetime(2020, 1, i)) for i in (1, 2, 3)]
    worker.photosChanged.emit(Photos(known))
    assert shown_ids(window) == [3, 2, 1]
    worker.busyChanged.emit(True)
    new = record(9, mtime_s=1_577_923_200, status=PhotoStatus.PENDING)   # its file time: 2 Jan 2020
    worker.photosChanged.emit(Photos([known[2], known[1], new, known[0]]))
    assert shown_ids(window) == [3, 2, 9, 1]


@pytest.fixture
def grid(qtbot, tmp_path):
    loader = ThumbnailLoader(ThumbnailCache(tmp_path / "thumbs"))
    model = PhotoListModel(loader)
    model.set_photos([record(i) for i in range(300)])
    view = PhotoGridView()
    view.setModel(model)
    view.resize(700, 500)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    yield view
    loader.shutdown()


def visible(view, row: int) -> bool:
    return view.viewport().rect().intersects(view.visualRect(view.model().index(row)))


def test_changing_the_thumbnail_size_keeps_the_current_photo_in_view(qtbot, grid):
    """Issue 14, bug 8."""
    grid.select_row(150)
    assert visible(grid, 150)
    for size in (80, 320, 120, 250):
        grid.set_tile_size(size)
        assert visible(grid, 150), f"photo 150 scrolled out of view at size {size}"


def test_columns_fill_the_width_and_file_names_can_be_shown(qtbot, grid):
    width = grid.viewport().width()
    columns = width // grid.gridSize().width()
    assert width - columns * grid.gridSize().width() <= columns + 2, "no band of unused width on the right"
    square = grid.visualRect(grid.model().index(0)).height()
    grid.set_show_names(True)
    assert grid.visualRect(grid.model().index(0)).height() > square
    grid.set_show_names(False)
    assert grid.visualRect(grid.model().index(0)).height() == square


def test_the_scroll_bar_appearing_does_not_lay_the_photos_out_again(qtbot, tmp_path):
    """Cells are computed as if the scroll bar were shown, so the grid is laid out once, not again when the
    scroll bar appears (with 100,000 photos a layout takes a quarter of a second)."""
    loader = ThumbnailLoader(ThumbnailCache(tmp_path / "thumbs"))
    model = PhotoListModel(loader)
    view = PhotoGridView()
    view.setModel(model)
    view.resize(700, 500)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    model.set_photos([record(i) for i in range(3)])
    qtbot.wait(10)
    cell = view.gridSize()
    model.set_photos([record(i) for i in range(3, 3000)])
    qtbot.waitUntil(view.verticalScrollBar().isVisible, timeout=5_000)
    qtbot.wait(200)  # QListView lays out again 100 ms after a resize it cares about
    assert view.gridSize() == cell
    loader.shutdown()
