"""The menu bar (File, View, Help) and the window's keyboard shortcuts.

File: add a folder, search with a file, regroup the photos, improve the
results with the user's groups (and go back to the standard model), quit
(Ctrl+Q).
View: the library (Esc; from a group, the Groups page), Groups (Ctrl+G),
Duplicates (Ctrl+D), Back/Forward through searches (Alt+Left/Right),
thumbnail size (Ctrl++ / Ctrl+-), file names on tiles.  Help: About, the
log folder.
"""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from album.gui.folder_list import DUPLICATES, GROUPS
from album.gui.search_history import SearchHistory

ABOUT = ("<h3>Album</h3><p>An offline smart photo album: it finds the photos that look alike with a "
         "neural network running on this computer. Nothing is uploaded.</p><p>Library: {root}</p>")


class MainMenus:
    """Builds the menus of ``window`` (a ``MainWindow``) from its toolbar actions and slots."""

    def __init__(self, window: QMainWindow):
        self.window = window
        bar, toolbar = window.menuBar(), window.toolbar
        file_menu = bar.addMenu("&File")
        file_menu.setToolTipsVisible(True)   # why "Improve results with my groups…" is not available yet
        file_menu.addAction(toolbar.add_action)
        file_menu.addAction(toolbar.remove_action)
        file_menu.addSeparator()
        file_menu.addAction(toolbar.find_file_action)
        file_menu.addAction(toolbar.find_action)
        self._add(file_menu, "Search by &words", lambda: window.word_search.start_typing(), "Ctrl+K")
        file_menu.addSeparator()
        self.regroup_action = self._add(file_menu, "&Regroup photos", window.groups.regroup)
        self.regroup_action.setToolTip("Group the photos again; groups you edited keep their photos")
        file_menu.addAction(window.personal.improve_action)
        file_menu.addAction(window.personal.undo_action)
        file_menu.addSeparator()
        self.quit_action = self._add(file_menu, "&Quit", window.close, QKeySequence.Quit, "Ctrl+Q")
        view_menu = bar.addMenu("&View")
        self._add(view_menu, "&Library", window.go_up, "Esc")
        self._add(view_menu, "&Groups", lambda: window.show_page(GROUPS), "Ctrl+G")
        self._add(view_menu, "&Duplicates", lambda: window.show_page(DUPLICATES), "Ctrl+D")
        self.back_action = self._add(view_menu, "&Back", window.go_back, "Alt+Left")
        self.forward_action = self._add(view_menu, "&Forward", window.go_forward, "Alt+Right")
        view_menu.addSeparator()
        self._add(view_menu, "&Bigger thumbnails", lambda: toolbar.grow(24), "Ctrl++", "Ctrl+=")
        self._add(view_menu, "&Smaller thumbnails", lambda: toolbar.grow(-24), "Ctrl+-")
        self.names_action = self._add(view_menu, "File &names on tiles", window.set_show_names)
        self.names_action.setCheckable(True)
        view_menu.addSeparator()
        view_menu.addAction(toolbar.problems_action)
        help_menu = bar.addMenu("&Help")
        self._add(help_menu, "Open the &log folder", self.open_log_folder)
        self._add(help_menu, "&About Album", self.about)

    def _add(self, menu: QMenu, text: str, slot, *shortcuts) -> QAction:
        action = QAction(text, self.window)
        keys = [QKeySequence(key) for key in shortcuts]
        keys = [key for index, key in enumerate(keys) if not key.isEmpty() and key not in keys[:index]]
        if keys:
            action.setShortcuts(keys)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def update(self, history: SearchHistory) -> None:
        self.back_action.setEnabled(history.can_go_back())
        self.forward_action.setEnabled(history.can_go_forward() or history.current() is not None)

    def open_log_folder(self) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.window.paths.logs)))

    def about(self) -> None:
        box = QMessageBox(QMessageBox.Information, "About Album", ABOUT.format(root=self.window.paths.root),
                          QMessageBox.Close, self.window)
        box.setIconPixmap(self.window.windowIcon().pixmap(64, 64))
        box.open()
