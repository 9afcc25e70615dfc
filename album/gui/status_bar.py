"""The status bar: indexing progress with pause/resume, problems, watched folders."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar, QToolButton

from album.tasks import Progress

def describe_scan(summary) -> str:
    """``Up to date · 12 new, 3 moved`` (only what happened)."""
    if getattr(summary, "cancelled", False):
        return "Indexing stopped; it goes on at the next scan"
    counts = [(getattr(summary, name, 0), name) for name in ("new", "moved", "changed", "removed")]
    counts.append((len(getattr(summary, "failed", []) or []), "unreadable"))
    parts = [f"{count:,} {name}" for count, name in counts if count]
    return "Up to date" + (f" · {', '.join(parts)}" if parts else "")


class AlbumStatusBar(QStatusBar):
    pauseToggled = Signal(bool)
    problemsClicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.activity = QLabel("Opening the library…")
        self.activity.setObjectName("activityLabel")
        self.bar = QProgressBar()
        self.bar.setFixedWidth(220)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        self.bar.hide()
        self.pause_button = QToolButton()
        self.pause_button.setText("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Pause or resume indexing")
        self.pause_button.toggled.connect(self._on_pause)
        self.pause_button.hide()
        self.problems_button = QPushButton()
        self.problems_button.setFlat(True)
        self.problems_button.setCursor(Qt.PointingHandCursor)
        self.problems_button.setObjectName("problemsButton")
        self.problems_button.clicked.connect(self.problemsClicked)
        self.problems_button.hide()
        self.photo_count = QLabel("")
        self.watching = QLabel("")
        self.addWidget(self.activity, 1)
        self.addPermanentWidget(self.bar)
        self.addPermanentWidget(self.pause_button)
        self.addPermanentWidget(self.problems_button)
        self.addPermanentWidget(self.photo_count)
        self.addPermanentWidget(self.watching)
        self._busy = False

    def show_progress(self, progress: Progress) -> None:
        self.bar.show()
        self.pause_button.show()
        self.bar.setRange(0, max(progress.total, 1))
        self.bar.setValue(min(progress.done, max(progress.total, 1)))
        text = progress.describe()
        if self.pause_button.isChecked():
            text = f"Paused · {text}"
        self.activity.setText(text)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        if busy:
            self.bar.show()
            self.bar.setRange(0, 0)
            self.pause_button.show()
            if not self.pause_button.isChecked():
                self.activity.setText("Looking for new and changed photos…")
        else:
            self.bar.hide()
            self.pause_button.hide()
            self.activity.setText("Paused" if self.pause_button.isChecked() else "Up to date")

    def set_message(self, text: str) -> None:
        self.activity.setText(text)

    def set_photo_count(self, count: int) -> None:
        self.photo_count.setText(f"{count:,} photo{'s' if count != 1 else ''}")

    def set_problem_count(self, count: int) -> None:
        self.problems_button.setVisible(count > 0)
        self.problems_button.setText(f"⚠ {count:,} unreadable file{'s' if count != 1 else ''}")

    def set_watching(self, count: int, polling: bool) -> None:
        text = f"Watching {count} folder{'s' if count != 1 else ''}"
        if polling and count:
            text += " (checking every few seconds)"
        self.watching.setText(text)

    def _on_pause(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if self._busy:
            self.activity.setText("Paused" if paused else "Resuming…")
        self.pauseToggled.emit(paused)
