"""How one photo tile is painted: a rounded card, the thumbnail fitted inside,
a highlight when selected, an optional similarity badge (matches weaker than
the threshold faded) and an optional file name under the photo."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from album.gui.photo_model import FailureRole, ScoreRole

CARD = QColor("#2b2f36")
CARD_HOVER = QColor("#353a43")
PLACEHOLDER = QColor("#3a3f48")
ACCENT = QColor("#4c9aff")
BADGE = QColor(0, 0, 0, 170)
WEAKER_OPACITY = 0.45


class TileDelegate(QStyledItemDelegate):
    """Paints square photo tiles of ``tile_size`` pixels."""

    def __init__(self, tile_size: int = 160, show_scores: bool = False, parent=None):
        super().__init__(parent)
        self.tile_size = tile_size
        self.show_scores = show_scores
        self.show_names = False
        self.dim_below: float | None = None   # scores under this are drawn faded (weaker matches)

    def name_height(self) -> int:
        return QFontMetrics(QFont()).height() + 4 if self.show_names else 0

    def tile_hint(self) -> QSize:
        return QSize(self.tile_size, self.tile_size + self.name_height())

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return self.tile_hint()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        painter.save()
        score = index.data(ScoreRole) if self.dim_below is not None else None
        if score is not None and score < self.dim_below:
            painter.setOpacity(WEAKER_OPACITY)
        rect, selected = self.paint_card(painter, option)
        name_height = self.name_height()
        inner = rect.adjusted(5, 5, -5, -5 - name_height)
        if name_height:
            name_rect = QRectF(inner.left(), inner.bottom() + 2, inner.width(), name_height)
            painter.setPen(QColor("#c9ced6"))
            name = painter.fontMetrics().elidedText(str(index.data(Qt.DisplayRole) or ""), Qt.ElideMiddle,
                                                    int(name_rect.width()))
            painter.drawText(name_rect, Qt.AlignCenter, name)
        pixmap = index.data(Qt.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            size = QSize(pixmap.width(), pixmap.height()).scaled(inner.size().toSize(), Qt.KeepAspectRatio)
            target = QRectF(0, 0, size.width(), size.height())
            target.moveCenter(inner.center())
            clip = QPainterPath()
            clip.addRoundedRect(target, 3, 3)
            painter.setClipPath(clip)
            painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
            painter.setClipping(False)
        else:
            painter.fillRect(inner, PLACEHOLDER)
            if index.data(FailureRole):
                painter.setPen(QColor("#d9a441"))
                painter.drawText(inner, Qt.AlignCenter | Qt.TextWordWrap, "Cannot show\nthis photo")

        if self.show_scores:
            score = index.data(ScoreRole)
            if score is not None:
                self._paint_badge(painter, rect.adjusted(0, 0, 0, -name_height), f"{score:.0%}")
        self.paint_outline(painter, option, rect, selected)
        painter.restore()

    def paint_card(self, painter: QPainter, option: QStyleOptionViewItem) -> tuple[QRectF, bool]:
        """The tile's rounded card (lighter when hovered or selected): its rectangle, and whether it is selected."""
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        hint = self.tile_hint()
        rect = QRectF(0, 0, hint.width() - 6, hint.height() - 6)
        rect.moveCenter(QRectF(option.rect).center())
        selected = bool(option.state & QStyle.State_Selected)
        card = QPainterPath()
        card.addRoundedRect(rect, 6, 6)
        painter.fillPath(card, CARD_HOVER if selected or option.state & QStyle.State_MouseOver else CARD)
        return rect, selected

    @staticmethod
    def paint_outline(painter: QPainter, option: QStyleOptionViewItem, rect: QRectF, selected: bool) -> None:
        """The selection's accent frame, or the dashed focus frame."""
        if selected:
            painter.setPen(QPen(ACCENT, 3))
            painter.drawRoundedRect(rect.adjusted(1.5, 1.5, -1.5, -1.5), 6, 6)
        elif option.state & QStyle.State_HasFocus:
            painter.setPen(QPen(ACCENT.lighter(130), 1, Qt.DashLine))
            painter.drawRoundedRect(rect, 6, 6)

    @staticmethod
    def _paint_badge(painter: QPainter, rect: QRectF, text: str) -> None:
        font = QFont(painter.font())
        font.setBold(True)
        if font.pointSizeF() > 0:
            font.setPointSizeF(max(7.5, font.pointSizeF() * 0.9))
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(text) + 12
        height = painter.fontMetrics().height() + 4
        badge = QRectF(rect.right() - width - 8, rect.bottom() - height - 8, width, height)
        path = QPainterPath()
        path.addRoundedRect(badge, height / 2, height / 2)
        painter.fillPath(path, BADGE)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignCenter, text)
