"""The virtualised thumbnail grid used for the library and for search results.

A ``QListView`` in icon mode with uniform item sizes (its tiles painted by
a ``TileDelegate``, or another such as the Groups page's), so it lays out and
scrolls 100,000 photos without asking the model for more than the visible
rows.  Arrow keys, Home/End and Page Up/Down move the selection; Enter or a
double-click emits ``photoActivated``; right-click emits ``menuRequested``.
The columns are justified to the width, and resizing the tiles keeps the
current photo in view.  Laying 100,000 photos out takes a quarter of a
second, so the grid does it only when its cells change: they are computed as
if the scroll bar were shown, so the scroll bar appearing when the photos
arrive does not lay them out again.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QFrame, QListView

from album.gui.tile_delegate import TileDelegate

MIN_TILE, MAX_TILE, DEFAULT_TILE = 80, 320, 168
CELL_GAP = 4


class PhotoGridView(QListView):
    photoActivated = Signal(QModelIndex)
    menuRequested = Signal(QModelIndex, QPoint)

    def __init__(self, parent=None, *, show_scores: bool = False, tile_size: int = DEFAULT_TILE,
                 delegate: type[TileDelegate] = TileDelegate):
        super().__init__(parent)
        self.setObjectName("photoGrid")
        self.setViewMode(QListView.IconMode)
        self.setMovement(QListView.Static)
        self.setResizeMode(QListView.Fixed)  # laid out again when the cells change (``resizeEvent``)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.SinglePass)
        self.setWrapping(True)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.NoFrame)
        self.setMouseTracking(True)
        self.setDragEnabled(False)
        self.setContextMenuPolicy(Qt.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_context_menu)
        self.doubleClicked.connect(self.photoActivated)
        self.tile_delegate = delegate(tile_size, show_scores, self)
        self.setItemDelegate(self.tile_delegate)
        self.set_tile_size(tile_size)

    def tile_size(self) -> int:
        return self.tile_delegate.tile_size

    def set_tile_size(self, size: int) -> None:
        size = max(MIN_TILE, min(MAX_TILE, int(size)))
        self.tile_delegate.tile_size = size
        self.verticalScrollBar().setSingleStep(max(20, size // 4))
        model = self.model()
        if model is not None and hasattr(model, "set_thumb_size"):
            model.set_thumb_size(self._pixels(size))
        self._relayout()

    def set_show_names(self, shown: bool) -> None:
        self.tile_delegate.show_names = shown
        self._relayout()

    def _cell(self) -> QSize:
        """A grid cell per tile, widened so that the columns fill the width exactly."""
        hint = self.tile_delegate.tile_hint()
        # as if the scroll bar were shown; QListView wraps a row that fills the width exactly
        width = self.width() - 2 * self.frameWidth() - self.verticalScrollBar().sizeHint().width() - 2
        columns = max(1, width // (hint.width() + CELL_GAP))
        return QSize(max(hint.width() + CELL_GAP, width // columns), hint.height() + CELL_GAP)

    def _relayout(self) -> None:
        """New cells, then the current photo scrolled back into view."""
        self.setGridSize(self._cell())
        self.doItemsLayout()
        if self.currentIndex().isValid():
            self.scrollTo(self.currentIndex(), QAbstractItemView.PositionAtCenter)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        cell = self._cell()
        if cell != self.gridSize():
            self.setGridSize(cell)

    def setModel(self, model) -> None:  # noqa: N802 - Qt naming
        super().setModel(model)
        if model is not None and hasattr(model, "set_thumb_size"):
            model.set_thumb_size(self._pixels(self.tile_size()))

    def _pixels(self, size: int) -> int:
        screen = self.screen() or QGuiApplication.primaryScreen()
        ratio = screen.devicePixelRatio() if screen else 1.0
        return int((size - 16) * ratio)

    def current_record(self):
        from album.gui.photo_model import PhotoRole

        index = self.currentIndex()
        return index.data(PhotoRole) if index.isValid() else None

    def select_row(self, row: int) -> None:
        index = self.model().index(row, 0)
        self.setCurrentIndex(index)
        self.scrollTo(index, QAbstractItemView.PositionAtCenter)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and self.currentIndex().isValid():
            self.photoActivated.emit(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _on_context_menu(self, position: QPoint) -> None:
        index = self.indexAt(position)
        if index.isValid():
            if not self.selectionModel().isSelected(index):
                self.setCurrentIndex(index)
            self.menuRequested.emit(index, self.viewport().mapToGlobal(position))
