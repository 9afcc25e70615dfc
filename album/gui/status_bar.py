"""The status bar: indexing progress with pause/resume, problems, watched folders.

The progress text shows the rate and time left over working time only
(``WorkingRate``); while paused it says "Paused" and the count, nothing that
would go stale.  The progress area has a fixed width so the Pause button
never shifts as the text changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar, QToolButton, QWidget

from album.gui.elided_label import ElidedLabel
from album.gui.messages import ScanReport
from album.gui.working_rate import WorkingRate
from album.tasks import Progress

ACTIVITY_WIDTH = 380

def describe_scan(report: ScanReport) -> str:
    """``Up to date · 12 new, 3 moved`` (only what happened)."""
    if report.cancelled:
        return "Indexing stopped; it goes on at the next scan"
    counts = [(getattr(report, name), name) for name in ("new", "moved", "changed", "removed", "unreadable")]
    parts = [f"{count:,} {name}" for count, name in counts if count]
    return "Up to date" + (f" · {', '.join(parts)}" if parts else "")


class AlbumStatusBar(QStatusBar):
    pauseToggled = Signal(bool)
    problemsClicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.activity = ElidedLabel("Opening the library…", mode=Qt.ElideRight)
        self.activity.setObjectName("activityLabel")
        self.activity.setFixedWidth(ACTIVITY_WIDTH)
        self.rate = WorkingRate()
        self._last_progress: Progress | None = None
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
        self.addWidget(self.activity)
        self.addWidget(self.bar)
        self.addWidget(self.pause_button)
        self.addWidget(QWidget(), 1)
        self.addPermanentWidget(self.problems_button)
        self.addPermanentWidget(self.photo_count)
        self.addPermanentWidget(self.watching)
        self._busy = False

    def show_progress(self, progress: Progress) -> None:
        self.bar.show()
        self.pause_button.show()
        self._fill(progress)
        self._last_progress = progress
        working = self.rate.update(progress)
        if self.pause_button.isChecked():
            self.activity.set_full_text(f"Paused · {progress.phase} {progress.done:,} of {progress.total:,}")
        else:
            self.activity.set_full_text(working.describe())

    def show_step(self, progress: Progress) -> None:
        """Work that cannot be paused, outside a scan (a search index rebuilt while the library opens): its
        counts, rate and time left, and the bar until it is done."""
        if self._busy:
            return  # a scan's own progress has the bar
        self.pause_button.hide()
        self.bar.setVisible(progress.done < progress.total)
        self._fill(progress)
        self.activity.set_full_text(progress.describe().capitalize())

    def _fill(self, progress: Progress) -> None:
        self.bar.setRange(0, max(progress.total, 1))
        self.bar.setValue(min(progress.done, max(progress.total, 1)))

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        if busy:
            self._last_progress = None
            self.bar.show()
            self.bar.setRange(0, 0)
            self.pause_button.show()
            if not self.pause_button.isChecked():
                self.activity.set_full_text("Looking for new and changed photos…")
        else:
            self.bar.hide()
            self.pause_button.hide()
            self.activity.set_full_text("Paused" if self.pause_button.isChecked() else "Up to date")

    def set_message(self, text: str) -> None:
        self.activity.set_full_text(text)

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
        self.rate.pause() if paused else self.rate.resume()
        if self._busy:
            progress = self._last_progress
            if paused and progress is not None:
                self.activity.set_full_text(f"Paused · {progress.phase} {progress.done:,} of {progress.total:,}")
            else:
                self.activity.set_full_text("Paused" if paused else "Resuming…")
        self.pauseToggled.emit(paused)
