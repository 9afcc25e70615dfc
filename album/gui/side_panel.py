"""The side panel for the selected photo: preview, details, its groups and similar photos.

The similar list arrives once per selection (the worker fetches the top 50
matches with no minimum score); the threshold slider only filters that list
here, so moving it is instant.  Clicking a match selects it in the library;
double-clicking opens it in the viewer.  The Groups row names the subject
groups the photo is in (✓ for a confirmed one); clicking one opens it.
"""

from __future__ import annotations

import os
from datetime import datetime
from html import escape

from PySide6.QtCore import QEvent, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QSizePolicy, QSlider, QStackedWidget, QVBoxLayout,
                               QWidget)

from album.gui.elided_label import ElidedLabel
from album.gui.grid_view import PhotoGridView
from album.gui.messages import ScoredPhoto
from album.gui.photo_model import MatchListModel, PhotoRole, describe_date
from album.gui.thumb_loader import ThumbnailLoader
from album.gui.theme import ACCENT
from album.library.records import GroupInfo, PhotoRecord
from album.library.thumbnails import photo_key

PREVIEW_SIZE = 512
DEFAULT_THRESHOLD = 0.5


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


class SidePanel(QWidget):
    matchClicked = Signal(object)                 # PhotoRecord, or ScoredPhoto for a file outside the library
    matchActivated = Signal(QModelIndex)
    matchMenuRequested = Signal(QModelIndex, QPoint)
    groupClicked = Signal(int)                    # open this group

    def __init__(self, loader: ThumbnailLoader, parent=None):
        super().__init__(parent)
        self.setObjectName("sidePanel")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.setMinimumWidth(300)
        self.loader = loader
        self.record = None
        self._matches: list[ScoredPhoto] = []
        self._waiting = False
        loader.thumbnailReady.connect(self._on_thumbnail)

        self.stack = QStackedWidget()
        empty = QLabel("Select a photo to see its details\nand the photos that look like it.")
        empty.setAlignment(Qt.AlignCenter)
        empty.setObjectName("hint")
        self.stack.addWidget(empty)
        self.stack.addWidget(self._build_details())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def _build_details(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.setSpacing(8)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignCenter)
        self.preview.setMinimumHeight(200)
        self.preview.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
        self.preview.setObjectName("preview")
        self.title = QLabel()
        self.title.setObjectName("photoTitle")
        self.title.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(3)
        self.date_label, self.camera_label, self.size_label = (QLabel() for _ in range(3))
        self.path_label = ElidedLabel()
        for label in (self.date_label, self.camera_label, self.size_label, self.path_label):
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            label.setObjectName("meta")
        form.addRow("Taken", self.date_label)
        form.addRow("Camera", self.camera_label)
        form.addRow("Size", self.size_label)
        form.addRow("File", self.path_label)
        self.groups_label = QLabel()
        self.groups_label.setObjectName("meta")
        self.groups_label.setWordWrap(True)
        self.groups_label.setTextFormat(Qt.RichText)
        self.groups_label.setTextInteractionFlags(Qt.TextBrowserInteraction)
        self.groups_label.linkActivated.connect(lambda link: self.groupClicked.emit(int(link)))
        form.addRow("Groups", self.groups_label)

        header = QHBoxLayout()
        similar_title = QLabel("Similar photos")
        similar_title.setObjectName("sectionTitle")
        self.similar_count = QLabel()
        self.similar_count.setObjectName("hint")
        header.addWidget(similar_title)
        header.addStretch(1)
        header.addWidget(self.similar_count)
        threshold_row = QHBoxLayout()
        self.threshold = QSlider(Qt.Horizontal)
        self.threshold.setObjectName("thresholdSlider")
        self.threshold.setRange(0, 100)
        self.threshold.setValue(int(DEFAULT_THRESHOLD * 100))
        self.threshold.setToolTip("Only show photos at least this similar")
        self.threshold.setFocusPolicy(Qt.NoFocus)  # keys belong to the grid
        self.threshold.valueChanged.connect(self._apply_threshold)
        self.threshold_label = QLabel()
        self.threshold_label.setMinimumWidth(64)
        threshold_row.addWidget(QLabel("At least"))
        threshold_row.addWidget(self.threshold, 1)
        threshold_row.addWidget(self.threshold_label)

        self.similar_model = MatchListModel(loader=self.loader, parent=self)
        self.similar_view = PhotoGridView(show_scores=True, tile_size=118)
        self.similar_view.setObjectName("similarView")
        self.similar_view.setModel(self.similar_model)
        self.similar_view.setSelectionMode(PhotoGridView.SingleSelection)
        self.similar_view.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOn)  # a stable width for the tiles
        self.similar_view.viewport().installEventFilter(self)
        self.similar_view.clicked.connect(self._on_match_clicked)
        self.similar_view.photoActivated.connect(self.matchActivated)
        self.similar_view.menuRequested.connect(self.matchMenuRequested)
        self.similar_status = QLabel()
        self.similar_status.setObjectName("hint")
        self.similar_status.setWordWrap(True)

        layout.addWidget(self.preview, 2)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addLayout(header)
        layout.addLayout(threshold_row)
        layout.addWidget(self.similar_status)
        layout.addWidget(self.similar_view, 5)
        self._apply_threshold()
        return page

    # -- content ---------------------------------------------------------------------------------------------
    def set_photo(self, record: PhotoRecord | None) -> None:
        """Show this photo's details and wait for its similar photos (None clears the panel)."""
        self.record = record
        if record is None:
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentIndex(1)
        self._show_details(record)
        self.set_groups(None)
        self._matches = []
        self._waiting = True
        self.similar_model.set_matches([])
        self.similar_status.setText("Finding similar photos…")
        self.similar_status.show()
        self.similar_count.setText("")

    def set_groups(self, groups: list[GroupInfo] | None) -> None:
        """The groups the photo is in, as links (None: not known yet)."""
        if groups is None:
            self.groups_label.setText("…")
            return
        links = [f'<a href="{group.id}" style="color: {ACCENT}; text-decoration: none;">{escape(group.name)}</a>'
                 + (" ✓" if group.confirmed else "") for group in groups]
        self.groups_label.setText(", ".join(links) if links else "<span style='color: #9aa3ad;'>none</span>")
        self.groups_label.setToolTip("Click a group to see its photos" if links else
                                     "This photo is in no group. Right-click it to add it to one.")

    def update_record(self, record: PhotoRecord) -> None:
        """The same photo with fresher details (read by indexing); its similar photos stay until new ones come."""
        if self.record is not None and record.id == self.record.id:
            self.record = record
            self._show_details(record)

    def _show_details(self, record: PhotoRecord) -> None:
        self.title.setText(os.path.basename(record.path))
        self.date_label.setText(describe_date(record) or self._file_date(record))
        self.camera_label.setText(record.camera or "unknown")
        dimensions = f"{record.width} × {record.height} · " if record.width and record.height else ""
        self.size_label.setText(f"{dimensions}{human_size(record.size)}")
        self.path_label.set_full_text(record.path)
        self._update_preview()

    @staticmethod
    def _file_date(record) -> str:
        if not record.mtime_ns:
            return "unknown"
        modified = datetime.fromtimestamp(record.mtime_ns / 1e9)
        return f"unknown (file saved {modified.strftime('%d %b %Y')})"

    def show_similar(self, matches: list[ScoredPhoto], error: str | None = None) -> None:
        self._waiting = False
        self._matches = list(matches)
        if error:
            self.similar_model.set_matches([])
            self.similar_status.setText(error)
            self.similar_status.show()
            return
        self._apply_threshold()

    def set_default_threshold(self, value: float) -> None:
        self.threshold.setValue(round(value * 100))

    def visible_matches(self) -> list[ScoredPhoto]:
        return self.similar_model.items()

    def _apply_threshold(self) -> None:
        minimum = self.threshold.value() / 100
        self.threshold_label.setText(f"{minimum:.0%} similar")
        if self._waiting:
            return
        shown = [match for match in self._matches if match.score >= minimum]
        self.similar_model.set_matches(shown)
        hidden = len(self._matches) - len(shown)
        self.similar_count.setText(f"{len(shown)} shown, {hidden} weaker hidden" if hidden else
                                   f"{len(shown)} shown" if shown else "")
        self.similar_count.setToolTip(f"The {len(self._matches)} closest photos were compared; "
                                      f"{len(shown)} are at least {minimum:.0%} similar." if self._matches else "")
        if not self._matches:
            self.similar_status.setText("No similar photos yet. Photos are compared once they are indexed.")
        elif not shown:
            self.similar_status.setText("No photo is this similar. Move the slider left to see more.")
        self.similar_status.setVisible(not shown and self.record is not None)

    def _update_preview(self) -> None:
        if self.record is None:
            return
        pixmap = self.loader.pixmap(photo_key(self.record), self.record.path, PREVIEW_SIZE)
        if pixmap is None:
            self.preview.setPixmap(QPixmap())
            self.preview.setText(self.loader.failure(photo_key(self.record)) or "Loading…")
            return
        area = self.preview.size()
        self.preview.setPixmap(pixmap.scaled(area.width(), area.height(), Qt.KeepAspectRatio,
                                             Qt.SmoothTransformation))

    def _on_thumbnail(self, key: str) -> None:
        if self.record is not None and key == photo_key(self.record):
            self._update_preview()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._update_preview()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Resize and watched is self.similar_view.viewport():
            self._fit_similar_tiles()
        return super().eventFilter(watched, event)

    def _fit_similar_tiles(self) -> None:
        """Tiles that fill the strip's width exactly (2 to 5 columns)."""
        width = self.similar_view.viewport().width() - 4
        if width <= 0:
            return
        columns = max(2, min(5, width // 100))
        self.similar_view.set_tile_size(width // columns - 4)

    def _on_match_clicked(self, index: QModelIndex) -> None:
        record = index.data(PhotoRole)
        self.matchClicked.emit(record if record is not None else self.similar_model.item(index.row()))
