"""The Duplicates page's model and rows: one row per stack, its photos side by side, the keeper marked.

``StackListModel`` holds the stacks of one kind (copies, or similar shots)
and which photo of each is kept: the engine's suggestion (largest
resolution, original format, sharpest) until the user picks another.
``StackDelegate`` paints a row: how many photos and the space the others
take, then each photo with its resolution, format and size, the keeper
outlined with a "KEEP" badge; ``photo_at`` tells which photo a point is on.
A stack longer than its row is wide ends in a "+N" tile (the first photo not
shown, dimmed: clicked, it is the current photo; double-clicked, the viewer
opens there and pages through the rest); the keeper is always shown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from album.gui.group_model import CONFIRMED
from album.gui.messages import DuplicateStack
from album.gui.side_panel import human_size
from album.gui.thumb_loader import ThumbnailLoader
from album.gui.tile_delegate import ACCENT, CARD, CARD_HOVER, PLACEHOLDER
from album.library.records import PhotoRecord
from album.library.thumbnails import photo_key

StackRole = Qt.UserRole + 20     # the DuplicateStack
KeepRole = Qt.UserRole + 21      # the id of the photo kept
THUMB, LEFT, GAP, CAPTION = 132, 150, 10, 36


def extras_size(stack: DuplicateStack, keep: int) -> int:
    return sum(photo.size for photo in stack.others(keep))


class StackListModel(QAbstractListModel):
    def __init__(self, loader: ThumbnailLoader, parent=None):
        super().__init__(parent)
        self.loader = loader
        self._stacks: list[DuplicateStack] = []
        self._keep: dict[int, int] = {}           # the stack's first photo id -> the photo the user keeps
        self._rows_of_key: dict[str, set[int]] = {}
        loader.thumbnailReady.connect(self._on_thumbnail)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._stacks)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._stacks) or index.column() != 0:
            return None
        stack = self._stacks[index.row()]
        if role == StackRole:
            return stack
        if role == KeepRole:
            return self.keep_of(stack)
        if role == Qt.DisplayRole:
            return ", ".join(os.path.basename(photo.path) for photo in stack.photos)
        if role == Qt.ToolTipRole:
            return "\n".join(("keep  " if photo.id == self.keep_of(stack) else "      ") + photo.path
                             for photo in stack.photos)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.NoItemFlags
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemNeverHasChildren

    def set_stacks(self, stacks: list[DuplicateStack]) -> None:
        self.beginResetModel()
        self._stacks = list(stacks)
        present = {stack.photos[0].id for stack in self._stacks}
        self._keep = {first: keep for first, keep in self._keep.items() if first in present}
        self._rows_of_key.clear()
        self.endResetModel()

    def stacks(self) -> list[DuplicateStack]:
        return list(self._stacks)

    def keep_of(self, stack: DuplicateStack) -> int:
        keep = self._keep.get(stack.photos[0].id, stack.keep)
        return keep if any(photo.id == keep for photo in stack.photos) else stack.keep

    def set_keep(self, row: int, photo_id: int) -> None:
        """Keep this photo of the stack at ``row`` instead of the suggested one."""
        self._keep[self._stacks[row].photos[0].id] = photo_id
        index = self.index(row)
        self.dataChanged.emit(index, index, [KeepRole])

    def thumbnail(self, row: int, photo: PhotoRecord) -> QPixmap | None:
        key = photo_key(photo)
        self._rows_of_key.setdefault(key, set()).add(row)
        return self.loader.pixmap(key, photo.path, 2 * THUMB)

    def _on_thumbnail(self, key: str) -> None:
        for row in self._rows_of_key.pop(key, ()):
            if row < len(self._stacks):
                index = self.index(row)
                self.dataChanged.emit(index, index, [Qt.DecorationRole])


@dataclass(frozen=True)
class Slot:
    """A photo a row shows, where; ``more`` > 0 on a "+N" tile: it stands for itself and ``more`` - 1 others."""

    cell: QRect
    photo: PhotoRecord
    more: int = 0


class StackDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return QSize(LEFT + 4 * (THUMB + GAP), THUMB + CAPTION + 2 * GAP)

    @staticmethod
    def cell(rect: QRect, position: int) -> QRect:
        """Where the photo at ``position`` of a row is painted (its thumbnail and caption)."""
        return QRect(rect.left() + LEFT + position * (THUMB + GAP), rect.top() + GAP, THUMB, THUMB + CAPTION)

    @classmethod
    def slots(cls, rect: QRect, stack: DuplicateStack, keep: int) -> list[Slot]:
        """The photos a row of width ``rect`` shows, in stack order; when they do not all fit, the last
        cell is a "+N" tile for the rest, and the keeper, if it would be among them, takes the cell before."""
        fits = max(1, (rect.width() - LEFT + GAP) // (THUMB + GAP))
        photos = list(stack.photos)
        if len(photos) <= fits:
            return [Slot(cls.cell(rect, position), photo) for position, photo in enumerate(photos)]
        shown = photos[:fits - 1]
        if shown and all(photo.id != keep for photo in shown):
            shown[-1] = next((photo for photo in photos if photo.id == keep), shown[-1])
        rest = sorted((photo for photo in photos if photo not in shown), key=lambda photo: photo.id != keep)
        return ([Slot(cls.cell(rect, position), photo) for position, photo in enumerate(shown)]
                + [Slot(cls.cell(rect, len(shown)), rest[0], len(rest))])

    def photo_at(self, rect: QRect, stack: DuplicateStack, keep: int, point: QPoint) -> PhotoRecord | None:
        return next((slot.photo for slot in self.slots(rect, stack, keep) if slot.cell.contains(point)), None)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        stack: DuplicateStack = index.data(StackRole)
        keep: int = index.data(KeepRole)
        model: StackListModel = index.model()
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing)
        rect = option.rect.adjusted(4, 3, -4, -3)
        selected = bool(option.state & QStyle.State_Selected)
        card = QPainterPath()
        card.addRoundedRect(rect, 6, 6)
        painter.fillPath(card, CARD_HOVER if selected else CARD)
        if selected:
            painter.setPen(QPen(ACCENT, 2))
            painter.drawPath(card)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor("white"))
        count = len(stack.photos)
        label = f"{count} copies" if stack.kind == "copy" else f"{count} similar shots"
        text = QRect(rect.left() + 12, rect.top() + 10, LEFT - 24, rect.height() - 20)
        painter.drawText(text, Qt.AlignLeft | Qt.AlignTop, label)
        painter.setFont(option.font)
        painter.setPen(QColor("#9aa3ad"))
        painter.drawText(text.adjusted(0, 24, 0, 0), Qt.AlignLeft | Qt.AlignTop | Qt.TextWordWrap,
                         f"the others take {human_size(extras_size(stack, keep))}")
        for slot in self.slots(option.rect, stack, keep):
            pixmap = model.thumbnail(index.row(), slot.photo)
            if slot.more:
                self._paint_more(painter, option, pixmap, slot)
            else:
                self._paint_photo(painter, option, pixmap, slot.photo, slot.cell, slot.photo.id == keep)
        painter.restore()

    @staticmethod
    def _paint_thumbnail(painter: QPainter, pixmap: QPixmap | None, square: QRect) -> None:
        if pixmap is not None and not pixmap.isNull():
            size = pixmap.size().scaled(square.size(), Qt.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(square.center())
            painter.drawPixmap(target, pixmap)
        else:
            painter.fillRect(square, PLACEHOLDER)

    def _paint_more(self, painter: QPainter, option, pixmap: QPixmap | None, slot: Slot) -> None:
        """The "+N" tile: the first photo not shown, dimmed, with how many are not shown."""
        square = QRect(slot.cell.left(), slot.cell.top(), THUMB, THUMB)
        self._paint_thumbnail(painter, pixmap, square)
        painter.fillRect(square, QColor(0, 0, 0, 150))
        big = QFont(option.font)
        big.setBold(True)
        big.setPointSizeF(big.pointSizeF() * 2)
        painter.setFont(big)
        painter.setPen(QColor("white"))
        painter.drawText(square, Qt.AlignCenter, f"+{slot.more}")
        painter.setFont(option.font)
        painter.setPen(QColor("#9aa3ad"))
        caption = QRect(slot.cell.left(), square.bottom() + 4, THUMB, CAPTION - 4)
        painter.drawText(caption, Qt.AlignHCenter | Qt.AlignTop, f"{slot.more} more\ndouble-click to see all")

    def _paint_photo(self, painter: QPainter, option, pixmap: QPixmap | None, photo: PhotoRecord, cell: QRect,
                     kept: bool) -> None:
        square = QRect(cell.left(), cell.top(), THUMB, THUMB)
        self._paint_thumbnail(painter, pixmap, square)
        if kept:
            painter.setPen(QPen(CONFIRMED, 3))
            painter.drawRoundedRect(square.adjusted(1, 1, -1, -1), 4, 4)
            badge = QRect(square.left() + 6, square.top() + 6, 44, 18)
            path = QPainterPath()
            path.addRoundedRect(badge, 9, 9)
            painter.fillPath(path, CONFIRMED)
            painter.setPen(QColor("#10261a"))
            small = QFont(option.font)
            small.setBold(True)
            small.setPointSizeF(max(7.0, small.pointSizeF() * 0.8))
            painter.setFont(small)
            painter.drawText(badge, Qt.AlignCenter, "KEEP")
            painter.setFont(option.font)
        dimensions = f"{photo.width} × {photo.height}" if photo.width and photo.height else "?"
        kind = os.path.splitext(photo.path)[1].lstrip(".").upper() or "file"
        caption = QRect(cell.left(), square.bottom() + 4, THUMB, CAPTION - 4)
        painter.setPen(QColor("#e6e8eb") if kept else QColor("#9aa3ad"))
        painter.drawText(caption, Qt.AlignHCenter | Qt.AlignTop,
                         f"{dimensions} · {kind}\n{human_size(photo.size)}")
