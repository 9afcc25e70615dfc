"""The Groups page's model and tiles: one row per subject group, largest first.

``GroupListModel`` holds the worker's ``GroupEntry``s (a group and its cover
photo's record); its thumbnails come from the shared ``ThumbnailLoader`` like
the photo grid's.  ``GroupTileDelegate`` paints a group as a card: the cover,
the name, the number of photos and, for a group the user has edited, a
check mark ("confirmed": regrouping keeps it as it is).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QStyleOptionViewItem

from album.gui.messages import GroupEntry
from album.gui.photo_model import ThumbnailListModel
from album.gui.tile_delegate import PLACEHOLDER, TileDelegate
from album.library.thumbnails import photo_key

GroupRole = Qt.UserRole + 10     # the GroupEntry
CONFIRMED = QColor("#5cc98b")


def describe_group(entry: GroupEntry) -> str:
    count = entry.info.size
    text = f"{count:,} photo{'s' if count != 1 else ''}"
    return f"{text} · ✓ confirmed" if entry.info.confirmed else text


class GroupListModel(ThumbnailListModel):
    def _key(self, item: GroupEntry) -> str:
        return photo_key(item.cover) if item.cover is not None else f"group-{item.info.id}"

    @staticmethod
    def _path(item: GroupEntry) -> str:
        return item.cover.path if item.cover is not None else ""

    @staticmethod
    def _record(item: GroupEntry):
        return item.cover

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items) or index.column() != 0:
            return None
        entry = self._items[index.row()]
        if role == Qt.DisplayRole:
            return entry.info.name
        if role == GroupRole:
            return entry
        if role == Qt.DecorationRole and entry.cover is None:
            return None
        return super().data(index, role)

    def _tooltip(self, item: GroupEntry) -> str:
        hint = ("You edited this group: regrouping keeps it." if item.info.confirmed
                else "Made automatically: rename or edit it to keep it as it is.")
        return f"{item.info.name}\n{describe_group(item)}\n{hint}"

    def set_groups(self, groups: list[GroupEntry]) -> None:
        if list(groups) != self._items:
            self._reset(groups)

    def row_of(self, group_id: int) -> int | None:
        return next((row for row, entry in enumerate(self._items) if entry.info.id == group_id), None)


class GroupTileDelegate(TileDelegate):
    """A card: the cover photo, then the group's name and its count (with ✓ once confirmed)."""

    def name_height(self) -> int:
        return 2 * QFontMetrics(QFont()).height() + 8

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return self.tile_hint()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        entry: GroupEntry = index.data(GroupRole)
        painter.save()
        rect, selected = self.paint_card(painter, option)
        text_height = self.name_height()
        inner = rect.adjusted(6, 6, -6, -6 - text_height)
        pixmap = index.data(Qt.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            # the cover fills the square, cropped to it: a group reads as one subject, not a letterbox
            source = QRectF(pixmap.rect())
            side = min(source.width(), source.height() * inner.width() / max(inner.height(), 1))
            height = side * inner.height() / max(inner.width(), 1)
            source = QRectF(source.center().x() - side / 2, source.center().y() - height / 2, side, height)
            clip = QPainterPath()
            clip.addRoundedRect(inner, 4, 4)
            painter.setClipPath(clip)
            painter.drawPixmap(inner, pixmap, source)
            painter.setClipping(False)
        else:
            painter.fillRect(inner, PLACEHOLDER)
        line = QFontMetrics(painter.font()).height()
        name_rect = QRectF(inner.left(), inner.bottom() + 5, inner.width(), line)
        bold = QFont(painter.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor("white"))
        painter.drawText(name_rect, Qt.AlignLeft | Qt.AlignVCenter,
                         painter.fontMetrics().elidedText(entry.info.name, Qt.ElideRight, int(name_rect.width())))
        painter.setFont(QFont(option.font))
        count_rect = name_rect.translated(0, line + 1)
        painter.setPen(CONFIRMED if entry.info.confirmed else QColor("#9aa3ad"))
        painter.drawText(count_rect, Qt.AlignLeft | Qt.AlignVCenter, describe_group(entry))
        self.paint_outline(painter, option, rect, selected)
        painter.restore()
