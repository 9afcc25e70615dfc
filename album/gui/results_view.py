"""The results of "Find similar" (the query photo, then its matches, best first) and of a word search.

The photos found by words come best first too, without score badges: their
scores are cosines in text space, not the similarity a percent means.
From here one can go on searching (right-click a result, "Find similar"),
open a result (double-click), or go back to the library.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from album.gui.grid_view import PhotoGridView
from album.gui.messages import ScoredPhoto
from album.gui.photo_model import MatchListModel, file_key
from album.gui.thumb_loader import ThumbnailLoader
from album.library.records import PhotoRecord
from album.library.thumbnails import photo_key

QUERY_SIZE = 112


class ResultsView(QWidget):
    backRequested = Signal()
    resultActivated = Signal(QModelIndex)
    resultMenuRequested = Signal(QModelIndex, QPoint)

    def __init__(self, loader: ThumbnailLoader, parent=None):
        super().__init__(parent)
        self.setObjectName("resultsView")
        self.loader = loader
        self._query_key: str | None = None
        self._query_path: str | None = None
        self._name = ""
        self._threshold = 0.5
        self._answered, self._error, self._outside = False, None, False
        self._words: str | None = None
        self._unindexed = 0  # photos of the library not indexed yet
        self._unsearched = 0  # of them, those the answer shown could not search
        loader.thumbnailReady.connect(self._on_thumbnail)

        self.back_button = QPushButton("← Library")
        self.back_button.setObjectName("backButton")
        self.back_button.setToolTip("Back to all photos (Esc)")
        self.back_button.setFocusPolicy(Qt.NoFocus)  # keys belong to the results grid
        self.back_button.clicked.connect(self.backRequested)
        self.query_image = QLabel()
        self.query_image.setFixedSize(QUERY_SIZE, QUERY_SIZE)
        self.query_image.setAlignment(Qt.AlignCenter)
        self.query_image.setObjectName("queryImage")
        self.title = QLabel()
        self.title.setObjectName("resultsTitle")
        self.subtitle = QLabel()
        self.subtitle.setObjectName("hint")
        self.subtitle.setWordWrap(True)
        text = QVBoxLayout()
        text.addStretch(1)
        text.addWidget(self.title)
        text.addWidget(self.subtitle)
        text.addStretch(1)
        header = QHBoxLayout()
        header.setContentsMargins(12, 10, 12, 6)
        header.setSpacing(14)
        header.addWidget(self.back_button, 0, Qt.AlignTop)
        header.addWidget(self.query_image)
        header.addLayout(text, 1)

        self.model = MatchListModel(loader=loader, parent=self)
        self.grid = PhotoGridView(show_scores=True)
        self.grid.setObjectName("resultsGrid")
        self.grid.setModel(self.model)
        self.grid.photoActivated.connect(self.resultActivated)
        self.grid.menuRequested.connect(self.resultMenuRequested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.grid, 1)

    def show_searching(self, query_record: PhotoRecord | None, query_path: str) -> None:
        self._set_words(None)
        self._name = os.path.basename(query_path)
        self.title.setText(f"Photos similar to {self._name}")
        self.subtitle.setText("Searching…")
        self._query_path = query_path
        self._query_key = photo_key(query_record) if query_record is not None else file_key(query_path)
        self._answered, self._error, self._outside = False, None, False
        self.model.set_matches([])
        self._update_query_image()

    def show_searching_words(self, words: str) -> None:
        self._set_words(words)
        self._name = f"“{words}”"
        self.title.setText(f"Photos of {self._name}")
        self.subtitle.setText("Searching…")
        self._query_key = self._query_path = None
        self._answered, self._error, self._outside = False, None, False
        self.model.set_matches([])

    def _set_words(self, words: str | None) -> None:
        self._words = words
        self.query_image.setVisible(words is None)
        self.grid.tile_delegate.show_scores = words is None
        self.set_threshold(self._threshold)

    def show_results(self, matches: list[ScoredPhoto], error: str | None = None, outside: bool = False) -> None:
        """The matches, best first (none are selected: the current photo stays the one searched from)."""
        self._answered, self._error, self._outside = True, error, outside
        self._unsearched = self._unindexed
        self.model.set_matches([] if error else matches)
        if error:
            self.title.setText(f"Cannot search for {self._name}" if self._words else f"Cannot search with {self._name}")
            self.query_image.setPixmap(QPixmap())
        self._describe()

    def set_threshold(self, threshold: float) -> None:
        """How similar a match must be to count as similar (the side panel's slider)."""
        self._threshold = threshold
        self.grid.tile_delegate.dim_below = threshold if self._words is None else None
        self.grid.viewport().update()
        self._describe()

    def set_unindexed(self, count: int) -> None:
        """How many of the library's photos are not indexed yet: an answer that comes says whether some photos
        could not be searched."""
        self._unindexed = count

    def _unsearched_note(self, otherwise: str) -> str:
        count = self._unsearched
        if not count:
            return otherwise
        return (f"{count:,} photo{'s were' if count != 1 else ' was'} still waiting to be indexed: search again "
                "once indexing has ended.")

    def _unsearched_after(self, text: str) -> str:
        """A found answer's text, followed by how many photos it could not search (none: as it is)."""
        count = self._unsearched
        if not count:
            return text
        return f"{text} {count:,} photo{'s' if count != 1 else ''} still waiting to be indexed were not searched."

    def _describe(self) -> None:
        if not self._answered:
            return
        matches = self.model.items()
        if self._error:
            text = self._error
        elif self._words is not None:
            text = (self._unsearched_after(f"{len(matches)} photo{'s' if len(matches) != 1 else ''} match "
                                           f"{self._name}, best first. Right-click one to find photos similar "
                                           "to it.") if matches else
                    "No photos match these words. " + self._unsearched_note("Try other words."))
        elif not matches:
            text = ("No similar photos found. " + self._unsearched_note("")).rstrip()
        else:
            similar = sum(1 for match in matches if match.score >= self._threshold)
            weaker = len(matches) - similar
            text = f"{similar} similar (at least {self._threshold:.0%})"
            if weaker:
                text += f", {weaker} weaker match{'es' if weaker != 1 else ''} after them"
            text = self._unsearched_after(text + ". Right-click one to search from it.")
            if self._outside:
                text = f"This image is not in your library; it was only compared. {text}"
        self.subtitle.setText(text)

    def _update_query_image(self) -> None:
        if self._query_key is None:
            return
        pixmap = self.loader.pixmap(self._query_key, self._query_path, QUERY_SIZE * 2)
        if pixmap is None:
            self.query_image.setPixmap(QPixmap())
            return
        self.query_image.setPixmap(pixmap.scaled(QUERY_SIZE, QUERY_SIZE, Qt.KeepAspectRatio, Qt.SmoothTransformation))

    def _on_thumbnail(self, key: str) -> None:
        if key == self._query_key:
            self._update_query_image()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if event.key() == Qt.Key_Escape:
            self.backRequested.emit()
            return
        super().keyPressEvent(event)
