"""The window's states and feedback: loading, disabled actions, messages, focus, menus, memory."""

from __future__ import annotations

import logging
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from album.gui import photo_actions
from album.gui.messages import Photos
from album.gui.pages import Page
from album.gui.photo_actions import COPY_PATH, OPEN_DEFAULT, SHOW_IN_FOLDER
from album.gui.theme import STYLESHEET
from tests.gui.conftest import TIMEOUT_MS, indexed_window, record

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_a_library_with_folders_opens_on_a_loading_page_never_the_welcome(qtbot, stub_window):
    """Issue 14, bug 4."""
    gate = threading.Event()
    window = stub_window(folders=2, gate=gate, wait=False)
    qtbot.wait(200)
    assert window.pages.page() == Page.LOADING
    assert not window.welcome.isVisible() and not window.side_panel.isVisible()
    gate.set()
    qtbot.waitUntil(lambda: window.pages.page() == Page.LIBRARY, timeout=TIMEOUT_MS)


def brightest_text(widget) -> int:
    image = widget.grab().toImage()
    return max(QColor(image.pixel(x, y)).lightness() for x in range(image.width()) for y in range(image.height()))


def test_disabled_toolbar_buttons_look_disabled(qtbot, stub_window):
    """Issue 14, bug 5: with an empty library, Find similar is drawn dimmed."""
    QApplication.instance().setStyleSheet(STYLESHEET)
    try:
        window = stub_window(folders=1)
        find = window.toolbar.widgetForAction(window.find_action)
        add = window.toolbar.widgetForAction(window.add_action)
        assert not find.isEnabled() and add.isEnabled()
        assert brightest_text(find) < brightest_text(add) - 60
    finally:
        QApplication.instance().setStyleSheet("")


def test_unreadable_files_are_logged_as_the_problems_dialog_says(qtbot, stub_window, caplog):
    """Issue 14, bug 6."""
    window = stub_window()
    broken = record(5)._replace(path="/stub/broken.jpg", failure="damaged or truncated image")
    with caplog.at_level(logging.WARNING, logger="album.gui"):
        window.bridge.worker.failuresChanged.emit(Photos([broken]))
        window.bridge.worker.failuresChanged.emit(Photos([broken]))
    lines = [r.getMessage() for r in caplog.records if "broken.jpg" in r.getMessage()]
    assert lines == ["cannot read /stub/broken.jpg: damaged or truncated image"], "logged once, with the reason"


def test_open_with_default_application_says_so_when_nothing_can_open_it(qtbot, stub_window, monkeypatch):
    """Issue 14, bug 7: no silent failure; Show in folder and Copy path are offered."""
    window = stub_window()
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: False))
    shown = []
    monkeypatch.setattr(photo_actions, "show_in_folder", shown.append)
    window.bridge.worker.photosChanged.emit(Photos([record(1)]))
    menu = window.search.context_menu_for(window.photo_model.index(0))
    next(a for a in menu.actions() if a.text() == OPEN_DEFAULT).trigger()
    box = window.findChild(QMessageBox, "noApplication")
    assert box is not None and box.isVisible()
    assert "No application" in box.text()
    buttons = {button.text(): button for button in box.buttons()}
    buttons[COPY_PATH].click()
    assert QGuiApplication.clipboard().text() == "/stub/photo_0001.jpg"
    assert SHOW_IN_FOLDER in buttons


def test_removing_the_folder_replaces_the_last_scans_summary(qtbot, make_window, album_dir):
    """Issue 14, bug 9: no "Up to date · 9 new" once the folder is gone."""
    window = indexed_window(qtbot, make_window, album_dir)
    qtbot.waitUntil(lambda: "new" in window.status.activity.full_text(), timeout=TIMEOUT_MS)
    window.folder_actions.remove_folder(str(album_dir))
    qtbot.waitUntil(lambda: window.pages.page() == Page.WELCOME, timeout=TIMEOUT_MS)
    assert "new" not in window.status.activity.full_text()
    assert "Removed photos" in window.status.activity.full_text()


def focus_window(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=TIMEOUT_MS)


def test_navigation_keys_belong_to_the_grid_after_using_the_sliders(qtbot, stub_window):
    """Issue 14, bug 11: Home after the Size slider, arrows after Esc from the results."""
    window = stub_window()
    window.bridge.worker.photosChanged.emit(Photos([record(i, mtime_s=1000 - i) for i in range(1, 30)]))
    focus_window(qtbot, window)
    window.grid.select_row(5)
    window.grid.setFocus()
    qtbot.mouseClick(window.size_slider, Qt.LeftButton)
    size = window.size_slider.value()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Home)
    assert window.size_slider.value() == size
    assert window.grid.currentIndex().row() == 0
    window.search.find_similar(window.photo_model.item(0))
    qtbot.keyClick(window.results, Qt.Key_Escape)
    assert window.pages.page() == Page.LIBRARY
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Right)
    assert window.size_slider.value() == size
    assert window.grid.currentIndex().row() == 1
    window.status.set_problem_count(1)
    window.status.problems_button.setFocus()
    qtbot.keyClick(window.status.problems_button, Qt.Key_Right)
    assert window.grid.currentIndex().row() == 2, "even from a button, arrows move through the photos"


def test_ctrl_q_quits_and_the_window_remembers_its_state(qtbot, stub_window):
    photos = Photos([record(i, mtime_s=1000 - i) for i in range(1, 60)])
    window = stub_window()
    window.bridge.worker.photosChanged.emit(photos)
    window.bridge.worker.ready.emit(0.5)
    window.side_panel.threshold.setValue(73)
    window.grid.select_row(40)
    window.menus.names_action.trigger()
    window.search.find_similar(window.photo_model.item(3))
    focus_window(qtbot, window)
    qtbot.keyClick(window, Qt.Key_Q, Qt.ControlModifier)
    assert not window.isVisible()

    again = stub_window(paths=window.paths)
    again.bridge.worker.photosChanged.emit(photos)
    again.bridge.worker.ready.emit(0.5)
    assert again.side_panel.threshold.value() == 73
    assert again.search.current.id == 41 and again.side_panel.record.id == 41
    assert again.menus.names_action.isChecked() and again.grid.tile_delegate.show_names
    assert again.pages.page() == Page.RESULTS and "photo_0004.jpg" in again.results.title.text()
    again.show_library()
    assert again.grid.currentIndex().row() == 40
