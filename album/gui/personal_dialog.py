"""What the window shows of the personal model: the report after training, and the line saying it is in use.

``PersonalReportDialog`` opens once a personal model is made: the
similar-photo accuracy on the user's groups before and after (measured on
photos of those groups held out while training), how many groups and
photos it learned from and how long it took, with Undo (back to the
standard model) and Close.  ``PersonalLine`` sits on the Groups page while a
personal model is in use ("Using your personal model (made 3 May 2025 from
3 groups) · Go back to the standard model") so that undoing stays one
click away later.  Both only emit ``undoRequested``; ``PersonalController``
does the rest.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from album.gui.messages import PersonalState
from album.gui.personal_serving import percent
from album.tasks import format_duration

UNDO = "Undo"


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


def accuracy_text(report) -> str:
    """``Similar-photo accuracy on your groups: 62 % → 81 %`` (what the engine measured, in its words)."""
    measure = report.measure.strip() or "similar-photo accuracy on your groups"
    return f"{measure[0].upper()}{measure[1:]}: {percent(report.before)} → {percent(report.after)}"


def made_text(state: PersonalState) -> str:
    """``made 3 May 2025 from 3 groups``"""
    when = state.made_at
    day = f" {when.day} {when:%b %Y}" if isinstance(when, datetime) else ""
    return f"made{day} from {plural(state.active.groups, 'group')}"


class PersonalReportDialog(QDialog):
    """The report of a personal model just made, with Undo and Close."""

    undoRequested = Signal()

    def __init__(self, state: PersonalState, parent: QWidget | None = None):
        super().__init__(parent)
        report = state.active
        self.setObjectName("personalReport")
        self.setWindowTitle("Results improved with your groups" if report.after > report.before
                            else "Your personal model")
        self.headline = QLabel(accuracy_text(report))
        self.headline.setObjectName("resultsTitle")
        self.headline.setWordWrap(True)
        if report.after > report.before:
            verdict = "Similar photos now follow your groups more closely. Album uses your personal model from now on."
        else:
            verdict = ("Your groups did not make the similar photos better this time. "
                       "Undo goes back to the standard model.")
        self.verdict = QLabel(verdict)
        self.verdict.setWordWrap(True)
        self.details = QLabel(
            f"Learned from {plural(report.groups, 'group')} ({plural(report.photos, 'photo')}) in "
            f"{format_duration(report.seconds)}. Measured on photos of your groups that were kept out of "
            "the learning.")
        self.details.setObjectName("hint")
        self.details.setWordWrap(True)
        self.later = QLabel("You can go back to the standard model at any time, from the Groups page or "
                            "File ▸ Go back to the standard model.")
        self.later.setObjectName("hint")
        self.later.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.undo_button = self.buttons.addButton(UNDO, QDialogButtonBox.DestructiveRole)
        self.undo_button.setToolTip("Go back to the standard model now")
        self.close_button = self.buttons.addButton(QDialogButtonBox.Close)
        self.close_button.setDefault(True)
        self.undo_button.clicked.connect(self._undo)
        self.close_button.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 14)
        layout.setSpacing(10)
        for label in (self.headline, self.verdict, self.details, self.later):
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            layout.addWidget(label)
        layout.addStretch(1)
        layout.addSpacing(6)
        layout.addWidget(self.buttons)
        self.setFixedWidth(520)   # and as tall as the wrapped text needs at that width
        self.setFixedHeight(max(layout.heightForWidth(520), 160))

    def _undo(self) -> None:
        self.undoRequested.emit()
        self.accept()


class PersonalLine(QLabel):
    """On the Groups page, while a personal model is in use: what it is, and a link back to the standard one."""

    undoRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("personalLine")
        self.setContentsMargins(14, 0, 14, 6)
        self.setTextFormat(Qt.RichText)
        self.setTextInteractionFlags(Qt.LinksAccessibleByMouse)
        self.linkActivated.connect(lambda _link: self.undoRequested.emit())
        self.hide()

    def set_state(self, state: PersonalState | None) -> None:
        if state is None or state.active is None:
            self.hide()
            return
        self.setText(f"✓ Using your personal model ({made_text(state)}; "
                     f"{percent(state.active.before)} → {percent(state.active.after)} on your groups) · "
                     f"<a href=\"undo\">Go back to the standard model</a>")
        self.setToolTip(accuracy_text(state.active))
        self.show()
