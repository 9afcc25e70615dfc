"""The pages of the window's centre, in one place: ``Page`` names them, ``PageStack`` shows one.

The window opens on ``LOADING`` (never on the first-run page: a library with
folders must not look empty while it opens), then shows ``WELCOME`` for a
library without folders, ``LIBRARY`` (the grid) or ``RESULTS`` (a search),
``GROUPS`` (every subject group), ``GROUP`` (one group's photos) or
``DUPLICATES`` (stacks of copies and similar shots).
"""

from __future__ import annotations

import enum

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget


class Page(enum.IntEnum):
    LOADING = 0
    WELCOME = 1
    LIBRARY = 2
    RESULTS = 3
    GROUPS = 4
    GROUP = 5
    DUPLICATES = 6


class LoadingView(QLabel):
    """What the window shows while the library opens."""

    def __init__(self, parent=None):
        super().__init__("Opening your library…", parent)
        self.setObjectName("emptyState")
        self.setAlignment(Qt.AlignCenter)


class PageStack(QStackedWidget):
    """A stacked widget addressed by ``Page``; ``pageChanged`` says which page is shown now."""

    pageChanged = Signal(Page)

    def __init__(self, widgets: dict[Page, QWidget], parent=None):
        super().__init__(parent)
        for page in Page:
            self.addWidget(widgets[page])
        self.currentChanged.connect(lambda index: self.pageChanged.emit(Page(index)))

    def page(self) -> Page:
        return Page(self.currentIndex())

    def set_page(self, page: Page) -> None:
        self.setCurrentIndex(int(page))
