"""The main toolbar: folder actions, searching, pause, problems, and the thumbnail size slider.

The slider never takes the keyboard focus: arrow keys and Home/End belong to the grid.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QSizePolicy, QSlider, QToolBar, QWidget

from album.gui.grid_view import DEFAULT_TILE, MAX_TILE, MIN_TILE


class MainToolBar(QToolBar):
    """Text-only actions on the left, the size slider on the right; the window connects them."""

    def __init__(self, parent=None):
        super().__init__("Main", parent)
        self.setObjectName("mainToolBar")
        self.setMovable(False)
        self.setIconSize(QSize(18, 18))
        self.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.add_action = self._action("Add folder…", QKeySequence.Open, "Add a folder of photos to the library")
        self.remove_action = self._action("Remove folder", None,
                                          "Forget the folder chosen on the left (files stay on disk)")
        self.addSeparator()
        self.find_file_action = self._action("Find similar to a file…", "Ctrl+Shift+F", "Search with any image file")
        self.find_action = self._action("Find similar", "Ctrl+F", "Find photos similar to the selected one")
        self.addSeparator()
        self.pause_action = self._action("Pause indexing", None, "Pause or resume indexing")
        self.pause_action.setCheckable(True)
        self.problems_action = self._action("Problems", None, "Files that could not be read, and recent messages")
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.addWidget(spacer)
        self.addWidget(QLabel("Size "))
        self.size_slider = QSlider(Qt.Horizontal)
        self.size_slider.setObjectName("sizeSlider")
        self.size_slider.setRange(MIN_TILE, MAX_TILE)
        self.size_slider.setValue(DEFAULT_TILE)
        self.size_slider.setFixedWidth(140)
        self.size_slider.setFocusPolicy(Qt.NoFocus)  # keys belong to the grid; Ctrl++ / Ctrl+- resize
        self.size_slider.setToolTip("Thumbnail size (Ctrl++ / Ctrl+-)")
        self.addWidget(self.size_slider)

    def _action(self, text: str, shortcut, tip: str) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        self.addAction(action)
        return action

    def set_paused(self, paused: bool) -> None:
        self.pause_action.setChecked(paused)
        self.pause_action.setText("Resume indexing" if paused else "Pause indexing")

    def grow(self, step: int) -> None:
        """Make thumbnails bigger (or smaller, for a negative step)."""
        self.size_slider.setValue(self.size_slider.value() + step)
