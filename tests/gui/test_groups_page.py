"""Subject groups in the app: the Groups page, a group's page, the side panel's Groups row, the edits."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QInputDialog

from album.gui import group_dialogs
from album.gui.folder_list import GROUPS
from album.gui.group_dialogs import GroupChoice
from album.gui.group_model import GroupListModel, GroupRole
from album.gui.groups_page import NO_GROUPS
from album.gui.messages import GroupEntry, Groups, Photos
from album.gui.pages import Page
from album.library.records import GroupInfo
from tests.gui.conftest import TIMEOUT_MS, record

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def library_with_groups(qtbot, stub_window):
    """A stub library of 10 photos: "dog" (1-5), "cat" (6-8, confirmed); 9 and 10 in no group."""
    window = stub_window()
    photos = [record(i, mtime_s=1000 - i) for i in range(1, 11)]
    window.stub.records = {p.id: p for p in photos}
    window.stub.groups.groups = {1: ("cat", True, [6, 7, 8]), 2: ("dog", False, [1, 2, 3, 4, 5])}
    window.bridge.worker.request_scan(None)   # a finished scan sends the groups again
    qtbot.waitUntil(lambda: len(window.groups.groups) == 2 and not window.status.bar.isVisible(), timeout=TIMEOUT_MS)
    window.bridge.worker.photosChanged.emit(Photos(photos))
    return window


def shown_groups(window) -> list[tuple[str, int, bool]]:
    proxy = window.groups_page.proxy
    return [(e.info.name, e.info.size, e.info.confirmed) for e in
            (proxy.index(row, 0).data(GroupRole) for row in range(proxy.rowCount()))]


def test_the_group_model_passes_the_model_tester(qtbot, stub_window):
    window = stub_window()
    model = GroupListModel(window.loader)
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_groups([GroupEntry(GroupInfo(i, f"g{i}", i % 2 == 0, 10 - i, None), None) for i in range(5)])
    assert model.index(2).data(Qt.DisplayRole) == "g2" and "✓ confirmed" in model.index(2).data(Qt.ToolTipRole)
    model.set_groups([])


def test_the_groups_page_lists_groups_largest_first_and_marks_confirmed_ones(qtbot, stub_window):
    window = stub_window()
    assert window.groups_page.stack.message.text() == NO_GROUPS, "a library without groups says when they come"
    window = library_with_groups(qtbot, stub_window)
    window.folder_list.pageChosen.emit(GROUPS)
    assert window.pages.page() == Page.GROUPS
    assert shown_groups(window) == [("dog", 5, False), ("cat", 3, True)]
    assert window.groups_page.summary.text() == "2 groups · 1 confirmed"
    assert window.folder_list.pages.item(0).text() == "Groups  ·  2"
    window.groups_page.filter.setText("CA")
    assert shown_groups(window) == [("cat", 3, True)]
    window.groups_page.filter.setText("zebra")
    assert window.groups_page.stack.message.text() == "No group is called “zebra”."


def test_clicking_a_photo_lists_its_groups_and_a_group_opens_with_its_photos(qtbot, stub_window):
    window = library_with_groups(qtbot, stub_window)
    window.grid.setCurrentIndex(window.photo_model.index(window.photo_model.row_of(7)))
    qtbot.waitUntil(lambda: ">cat</a> ✓" in window.side_panel.groups_label.text(), timeout=TIMEOUT_MS)
    window.side_panel.groups_label.linkActivated.emit("1")
    assert window.pages.page() == Page.GROUP
    qtbot.waitUntil(lambda: window.group_page.model.rowCount() == 3, timeout=TIMEOUT_MS)
    assert window.group_page.title.text() == "cat" and "Confirmed" in window.group_page.state.text()
    window.grid.setCurrentIndex(window.photo_model.index(window.photo_model.row_of(10)))
    qtbot.waitUntil(lambda: "none" in window.side_panel.groups_label.text(), timeout=TIMEOUT_MS)
    qtbot.keyClick(window.group_page.grid, Qt.Key_Escape)
    assert window.pages.page() == Page.GROUPS, "Esc from a group goes back to the groups"


def test_back_from_a_search_begun_on_a_group_returns_to_the_group(qtbot, stub_window):
    window = library_with_groups(qtbot, stub_window)
    window.groups.open_group(1)
    qtbot.waitUntil(lambda: window.group_page.model.rowCount() == 3, timeout=TIMEOUT_MS)
    window.search.find_similar(window.stub.records[7])
    assert window.pages.page() == Page.RESULTS
    window.go_back()
    assert window.pages.page() == Page.GROUP and window.group_page.title.text() == "cat"
    window.go_forward()
    assert window.pages.page() == Page.RESULTS
    window.go_back()
    window.go_back()   # from the group to the groups, as before
    assert window.pages.page() == Page.GROUPS
    window.search.find_similar(window.stub.records[7])
    window.go_back()
    assert window.pages.page() == Page.GROUPS


def test_renaming_confirms_the_group_and_shows_its_new_name(qtbot, stub_window, monkeypatch):
    window = library_with_groups(qtbot, stub_window)
    monkeypatch.setattr(group_dialogs, "ask_name", lambda parent, title, label, text="": f"{text} Rex")
    window.show_page(GROUPS)
    window.groups_page.select_group(2)
    qtbot.keyClick(window.groups_page.grid, Qt.Key_F2)
    qtbot.waitUntil(lambda: ("dog Rex", 5, True) in shown_groups(window), timeout=TIMEOUT_MS)
    assert window.stub.groups.edits == [("rename", 2, "dog Rex")]
    assert window.status.activity.full_text() == "Renamed the group to “dog Rex”"
    assert window.groups_page.current_group().info.id == 2, "the renamed group stays current"


def test_merging_the_selected_groups_keeps_the_chosen_name(qtbot, stub_window, monkeypatch):
    window = library_with_groups(qtbot, stub_window)
    window.show_page(GROUPS)
    window.groups_page.grid.selectAll()
    asked = []

    def choose(parent, title, label, items, current, editable):
        asked.append(items)
        return items[1], True

    monkeypatch.setattr(QInputDialog, "getItem", choose)
    window.groups.merge_selected_groups()
    qtbot.waitUntil(lambda: shown_groups(window) == [("cat", 8, True)], timeout=TIMEOUT_MS)
    assert asked == [["dog (5)", "cat (3)"]]
    assert window.stub.groups.edits == [("merge", 1, (2,))]


def test_removing_photos_from_a_group_on_its_page(qtbot, stub_window):
    window = library_with_groups(qtbot, stub_window)
    window.groups.open_group(2)
    qtbot.waitUntil(lambda: window.group_page.model.rowCount() == 5, timeout=TIMEOUT_MS)
    assert not window.group_page.remove_button.isEnabled()
    grid = window.group_page.grid
    grid.setCurrentIndex(window.group_page.model.index(0))
    assert window.side_panel.record.id == 1, "a photo of the group becomes the current photo"
    menu = window.groups.photo_menu(grid, grid.currentIndex())
    assert "Remove from “dog”" in [action.text() for action in menu.actions()]
    qtbot.keyClick(grid, Qt.Key_Delete)
    qtbot.waitUntil(lambda: window.group_page.model.rowCount() == 4, timeout=TIMEOUT_MS)
    assert window.stub.groups.edits == [("remove", 2, (1,))]
    assert "Confirmed" in window.group_page.state.text()


def test_adding_the_selected_photos_to_a_group_or_a_new_one(qtbot, stub_window, monkeypatch):
    window = library_with_groups(qtbot, stub_window)
    model = window.photo_model
    window.grid.setCurrentIndex(model.index(model.row_of(9)))
    window.grid.selectionModel().select(model.index(model.row_of(10)), QItemSelectionModel.Select)
    menu = window.groups.photo_menu(window.grid, window.grid.currentIndex())
    texts = [action.text() for action in menu.actions()]
    assert "Add to group…" in texts and "New group from selection…" in texts
    monkeypatch.setattr(group_dialogs, "choose_group", lambda *args, **kwargs: GroupChoice(1))
    next(a for a in menu.actions() if a.text() == "Add to group…").trigger()
    qtbot.waitUntil(lambda: ("cat", 5, True) in shown_groups(window), timeout=TIMEOUT_MS)
    monkeypatch.setattr(group_dialogs, "ask_name", lambda *args, **kwargs: "Garden")
    window.groups.new_group([window.stub.records[9]])
    qtbot.waitUntil(lambda: ("Garden", 1, True) in shown_groups(window), timeout=TIMEOUT_MS)
    assert window.stub.groups.edits == [("add", 1, (9, 10)), ("create", "Garden", (9,))]


def test_regroup_from_the_menu_reports_in_the_status_bar(qtbot, stub_window):
    window = library_with_groups(qtbot, stub_window)
    window.menus.regroup_action.trigger()
    qtbot.waitUntil(lambda: window.status.activity.full_text().startswith("Regrouped · 2 groups"),
                    timeout=TIMEOUT_MS)
    assert window.stub.groups.regrouped == 1


def test_the_group_menu_and_keys_on_the_groups_page(qtbot, stub_window):
    window = library_with_groups(qtbot, stub_window)
    window.show_page(GROUPS)
    window.groups_page.select_group(1)
    menu = window.groups.group_menu(window.groups_page.grid.currentIndex())
    assert [a.text() for a in menu.actions()] == ["Open", "Rename…", "Merge with…"]
    qtbot.keyClick(window.groups_page.grid, Qt.Key_Return)
    assert window.pages.page() == Page.GROUP and window.group_page.group_id() == 1
    window.go_back()
    assert window.pages.page() == Page.GROUPS


def test_five_thousand_groups_show_at_once(qtbot, stub_window):
    window = stub_window()
    groups = Groups(GroupEntry(GroupInfo(i, f"group {i}", i % 7 == 0, 5000 - i, i), record(i)) for i in range(5000))
    window.show_page(GROUPS)
    started = time.perf_counter()
    window.bridge.worker.groupsChanged.emit(groups)
    qtbot.wait(1)
    assert time.perf_counter() - started < 1.0
    assert window.groups_page.proxy.rowCount() == 5000
    started = time.perf_counter()
    window.groups_page.filter.setText("group 49")
    assert time.perf_counter() - started < 0.5
    assert window.groups_page.proxy.rowCount() == 111  # 49, 490-499, 4900-4999
    window.groups_page.grid.viewport().grab()
    assert window.groups_page.grid.indexAt(QPoint(60, 60)).isValid()
