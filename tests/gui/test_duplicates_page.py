"""The Duplicates page: copies and similar shots apart, a keeper per stack, the trash only after confirming."""

from __future__ import annotations

import os
import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from album.duplicates.stacks import Stack
from album.gui import trash_dialog
from album.errors import UserFacingError
from album.gui.duplicates_page import EMPTY, UNFINISHED
from album.gui.folder_list import DUPLICATES
from album.gui.messages import DuplicateStack, Photos
from album.gui.pages import Page
from album.gui.stack_model import StackListModel, StackRole
from tests.conftest import make_photo
from tests.gui.conftest import TIMEOUT_MS, indexed_window, record

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def library_with_stacks(qtbot, stub_window):
    """Photos 1-3 are copies (1 kept), 4-5 another pair (5 kept); 6-8 a burst."""
    window = stub_window()
    window.stub.records = {i: record(i, mtime_s=1000 - i) for i in range(1, 10)}
    window.stub.stacks = [Stack("copy", (1, 2, 3), 1), Stack("burst", (7, 6, 8), 7), Stack("copy", (5, 4), 5)]
    window.bridge.worker.photosChanged.emit(Photos(window.stub.records.values()))
    window.folder_list.pageChosen.emit(DUPLICATES)
    qtbot.waitUntil(lambda: window.duplicates_page.model.rowCount() == 2, timeout=TIMEOUT_MS)
    return window


def shown(window) -> list[tuple[int, ...]]:
    model = window.duplicates_page.model
    return [tuple(p.id for p in model.index(row).data(StackRole).photos) for row in range(model.rowCount())]


def test_the_stack_model_passes_the_model_tester(qtbot, stub_window):
    window = stub_window()
    model = StackListModel(window.loader)
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_stacks([DuplicateStack("copy", (record(1), record(2)), 1)])
    model.set_keep(0, 2)
    assert model.keep_of(model.stacks()[0]) == 2
    model.set_stacks([])


def test_copies_and_similar_shots_are_shown_apart(qtbot, stub_window):
    window = library_with_stacks(qtbot, stub_window)
    page = window.duplicates_page
    assert window.pages.page() == Page.DUPLICATES
    assert shown(window) == [(1, 2, 3), (5, 4)]
    assert page.copies_button.text() == "Copies (2)" and page.bursts_button.text() == "Similar shots (1)"
    assert page.summary.text().startswith("3 photos could go")
    page.bursts_button.click()
    assert shown(window) == [(7, 6, 8)]
    page.view.viewport().grab()  # paints the rows


def test_a_stack_longer_than_its_row_ends_in_a_plus_n_tile_and_keeps_the_keeper_in_sight(qtbot, stub_window):
    window = stub_window()
    window.stub.records = {i: record(i) for i in range(1, 13)}
    window.stub.stacks = [Stack("burst", tuple(range(1, 13)), 12)]   # the keeper last
    window.bridge.worker.photosChanged.emit(Photos(window.stub.records.values()))
    window.folder_list.pageChosen.emit(DUPLICATES)
    page = window.duplicates_page
    qtbot.waitUntil(lambda: page.bursts_button.text() == "Similar shots (1)", timeout=TIMEOUT_MS)
    page.bursts_button.click()
    view = page.view
    rect = view.visualRect(page.model.index(0))
    stack = page.model.stacks()[0]
    slots = view.stack_delegate.slots(rect, stack, 12)
    assert 1 < len(slots) < 12 and all(slot.cell.right() <= rect.right() for slot in slots)
    shown = [slot.photo.id for slot in slots[:-1]]
    assert shown[-1] == 12 and shown[:-1] == list(range(1, len(shown)))   # the keeper takes the cell before
    assert slots[-1].photo.id == len(shown) and slots[-1].more == 12 - len(shown)
    assert [slot.more for slot in slots[:-1]] == [0] * len(shown)
    assert view.photo_at(slots[-1].cell.center())[1].id == len(shown)
    opened = []
    window.duplicates.open_paths = lambda paths, row: opened.append((len(paths), row))
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=slots[-1].cell.center())
    assert opened == [(12, len(shown) - 1)]   # the viewer opens there, among all twelve
    page.model.set_keep(0, 2)   # a keeper already in sight: the stack's order
    assert [slot.photo.id for slot in view.stack_delegate.slots(rect, stack, 2)[:-1]] == list(range(1, len(shown) + 1))
    view.viewport().grab()  # paints the tile
    wide = rect.adjusted(0, 0, 13 * 142, 0)
    assert [(slot.photo.id, slot.more) for slot in view.stack_delegate.slots(wide, stack, 12)] == [
        (i, 0) for i in range(1, 13)]


def test_nothing_found_says_so(qtbot, stub_window):
    window = stub_window()
    window.show_page(DUPLICATES)
    qtbot.waitUntil(lambda: window.duplicates_page.pages.message.text() == EMPTY["copy"], timeout=TIMEOUT_MS)
    window.duplicates_page.bursts_button.click()
    assert window.duplicates_page.pages.message.text() == EMPTY["burst"]


def test_a_check_that_does_not_finish_says_so_and_check_again_starts_over(qtbot, stub_window):
    window = stub_window()
    stacks = [Stack("copy", (1, 2), 1)]
    window.stub.records = {i: record(i) for i in (1, 2)}

    def refuse(progress=None, control=None):
        raise UserFacingError("the disk went away")

    window.stub.duplicates = refuse
    window.show_page(DUPLICATES)
    page = window.duplicates_page
    qtbot.waitUntil(lambda: page.pages.message.text() == UNFINISHED, timeout=TIMEOUT_MS)
    assert page.copies_button.text() == "Copies" and page.check_button.isEnabled()
    window.stub.duplicates = lambda progress=None, control=None: list(stacks)
    page.check_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=TIMEOUT_MS)
    window.stub.duplicates = refuse  # a later check that fails keeps what was found
    page.check_button.click()
    qtbot.waitUntil(lambda: page.copies_button.text() == "Copies (1)" and page.model.rowCount() == 1,
                    timeout=TIMEOUT_MS)
    qtbot.wait(200)
    assert page.model.rowCount() == 1 and page.summary.text().startswith("1 photo could go")


def test_the_trash_asks_first_and_keeps_the_chosen_photo(qtbot, stub_window, monkeypatch):
    window = library_with_stacks(qtbot, stub_window)
    page = window.duplicates_page
    asked = []
    monkeypatch.setattr(trash_dialog, "confirm_trash", lambda parent, going, kept: asked.append(
        ([p.id for p in going], [p.id for p in kept])) or len(asked) > 1)
    page.view.setCurrentIndex(page.model.index(0))
    qtbot.keyClick(page.view, Qt.Key_Delete)
    assert asked == [([2, 3], [1])] and window.stub.trashed == [], "cancelled: nothing moves"
    page.model.set_keep(0, 3)   # "Keep this one instead"
    qtbot.keyClick(page.view, Qt.Key_Delete)
    assert asked[1] == ([1, 2], [3])
    qtbot.waitUntil(lambda: shown(window) == [(5, 4)], timeout=TIMEOUT_MS)
    assert window.stub.trashed == [1, 2]
    assert window.status.activity.full_text() == "Moved 2 photos to the trash"


def test_the_confirmation_lists_what_is_kept_and_defaults_to_cancel(qtbot, stub_window):
    window = stub_window()
    box = trash_dialog.trash_box(window, [record(2), record(3), record(4)], [record(1)])
    assert box.text() == "Move 3 photos to the trash?"
    assert box.informativeText().startswith("Kept: photo_0001.jpg.")
    assert box.defaultButton() == box.button(box.StandardButton.Cancel)
    assert "stays: /stub/photo_0001.jpg" in box.detailedText()


def test_edited_copies_yield_exactly_their_stacks_and_go_to_the_trash(qtbot, make_window, photo_dir, monkeypatch):
    """The real engine: a folder with edited copies of two photos; the trash is a folder of the test."""
    with make_photo(0).copy() as original:
        original.resize((240, 180)).save(photo_dir / "photo_0_small.jpg", quality=85)
        original.save(photo_dir / "photo_0.png")
    with make_photo(1).copy() as original:
        original.save(photo_dir / "photo_1_recompressed.jpg", quality=60)
    trash = photo_dir.parent / "trash"
    trash.mkdir()

    def send2trash(path):  # never the real trash: a folder of the test
        shutil.move(path, trash / os.path.basename(path))

    monkeypatch.setattr("send2trash.send2trash", send2trash)
    window = indexed_window(qtbot, make_window, photo_dir, count=11)
    window.show_page(DUPLICATES)
    page = window.duplicates_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=TIMEOUT_MS)
    names = sorted(sorted(p.path.rsplit("/", 1)[-1] for p in stack.photos) for stack in page.model.stacks())
    assert names == [["photo_0.jpg", "photo_0.png", "photo_0_small.jpg"], ["photo_1.jpg", "photo_1_recompressed.jpg"]]
    monkeypatch.setattr(trash_dialog, "confirm_trash", lambda parent, going, kept: True)
    page.trash_extras()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0 and window.photo_model.rowCount() == 8, timeout=TIMEOUT_MS)
    assert len(list(trash.iterdir())) == 3 and len(list(photo_dir.iterdir())) == 8
    assert page.pages.message.text() == EMPTY["copy"]
