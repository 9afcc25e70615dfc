"""The personal model, wired for the main window: "Improve results with my groups", its report, Undo, offers.

``PersonalController`` owns the two actions (File menu; the Groups page has
a button for the first): *Improve results with my groups…*, enabled once
the library has two confirmed groups of three or more photos, runs
``Task(PERSONALIZE)`` on the worker (its progress shows in the status bar
like indexing, with Pause and a Stop button; group edits wait meanwhile),
then shows ``PersonalReportDialog`` (accuracy before → after, Undo);
*Go back to the standard model*, enabled while a personal model is in use,
runs ``Task(UNDO_PERSONAL)``.  The Groups page says which model is in use
(``PersonalLine``).  After a group edit the banner offers to train (or
retrain) with the groups, and a click on its button is the only thing that
starts it: nothing retrains by itself.  It never touches the engine.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPushButton, QToolButton, QWidget

from album.gui.banner import Banner
from album.gui.bridge import LibraryBridge
from album.gui.groups_page import GroupsPage
from album.gui.inbox import PERSONALIZE, TASK_TEXT, UNDO_PERSONAL, Task
from album.gui.messages import GroupEdited, Groups, PersonalState
from album.gui.personal_dialog import PersonalLine, PersonalReportDialog
from album.gui.search_controller import SearchController
from album.gui.status_bar import AlbumStatusBar
from album.vision.onnx_runtime import installed

IMPROVE = "Improve results with my groups…"
UNDO_TEXT = "Go back to the standard model"
#: what a personal model learns from: confirmed groups of at least this many photos, at least two of them
MIN_GROUP_SIZE, MIN_GROUPS = 3, 2
CANNOT_TRAIN = ("Learning from your groups needs PyTorch, which this build of album leaves out; album "
                "installed with pip can do it")
NOT_YET = ("Confirm at least two groups of three or more photos first: rename a group, or add or remove "
           "photos (confirmed groups are marked ✓)")
OFFER_RETRAIN = ("Your groups changed since your personal model was made. Retrain it so that similar photos "
                 "follow your edits? Nothing changes until you do.")
OFFER_FIRST = ("You have {count} confirmed groups: album can learn from them which photos you call similar. "
               "It takes a minute or two, and you can undo it.")


def can_train() -> bool:
    """Whether this installation can train a personal model (a slim bundle leaves PyTorch out)."""
    return installed("torch")


def learnable(groups: Groups) -> int:
    """How many groups a personal model would learn from (confirmed, three photos or more)."""
    return sum(1 for entry in groups if entry.info.confirmed and entry.info.size >= MIN_GROUP_SIZE)


class PersonalController(QObject):
    def __init__(self, bridge: LibraryBridge, groups_page: GroupsPage, status: AlbumStatusBar, banner: Banner,
                 search: SearchController, dialog_parent: QWidget):
        super().__init__(dialog_parent)
        self.bridge, self.groups_page, self.status, self.banner = bridge, groups_page, status, banner
        self.search, self.dialog_parent = search, dialog_parent
        self.state: PersonalState | None = None
        self.dialog: PersonalReportDialog | None = None
        self._learnable = 0
        self._pending = False      # asked for, and not answered yet: the buttons wait
        self._edited = False       # a group edit, whose groups come next
        self._offered_first = False
        self._trains = can_train()
        self.improve_action = QAction(IMPROVE, dialog_parent)
        self.improve_action.triggered.connect(self.improve)
        self.undo_action = QAction(UNDO_TEXT, dialog_parent)
        self.undo_action.triggered.connect(self.undo)
        self.improve_button = QPushButton(IMPROVE)
        self.improve_button.setObjectName("improveButton")
        self.improve_button.clicked.connect(self.improve)
        groups_page.header.insertWidget(groups_page.header.indexOf(groups_page.regroup_button), self.improve_button)
        self.line = PersonalLine()
        self.line.undoRequested.connect(self.undo)
        groups_page.layout().insertWidget(1, self.line)
        self.stop_button = QToolButton()
        self.stop_button.setText("Stop")
        self.stop_button.setToolTip("Stop learning from your groups; the results stay as they were")
        self.stop_button.clicked.connect(lambda: bridge.cancel_task(PERSONALIZE))
        self.stop_button.hide()
        status.insertWidget(3, self.stop_button)   # after the progress text, bar and Pause button
        worker = bridge.worker
        worker.groupsChanged.connect(self._on_groups)
        worker.groupEdited.connect(self._on_edited)
        worker.personalChanged.connect(self._on_personal)
        worker.taskStarted.connect(self._on_task_started)
        worker.busyChanged.connect(lambda busy: busy or self.stop_button.hide())
        worker.problem.connect(self._on_problem)
        self._update()

    # -- the user's requests ----------------------------------------------------------------------------------
    def improve(self) -> None:
        """Train a personal model on the confirmed groups (once the worker is free)."""
        if self._learnable < MIN_GROUPS or self._pending or not self._trains:
            return
        if self.banner.offering():
            self.banner.hide()
        self._pending = True
        self._update()
        self.bridge.run_task(Task(PERSONALIZE))

    def undo(self) -> None:
        """Back to the standard model."""
        if self.dialog is not None:
            self.dialog.close()
        self._pending = True
        self._update()
        self.bridge.run_task(Task(UNDO_PERSONAL))

    # -- the worker's answers ---------------------------------------------------------------------------------
    def _on_groups(self, groups: Groups) -> None:
        self._learnable = learnable(groups)
        self._update()
        if self._edited:
            self._edited = False
            self._offer()

    def _on_edited(self, _edited: GroupEdited) -> None:
        self._edited = True

    def _offer(self) -> None:
        """After an edit: offer to learn from the groups (never start it)."""
        if self._pending or self._learnable < MIN_GROUPS or not self._trains:
            return
        if self.state is not None and self.state.active is not None:
            self.banner.show_offer(OFFER_RETRAIN, "Retrain with your edited groups", self.improve)
        elif not self._offered_first:
            self._offered_first = True
            self.banner.show_offer(OFFER_FIRST.format(count=self._learnable), "Improve results with your groups",
                                   self.improve)

    def _on_personal(self, state: PersonalState) -> None:
        self.state = state
        self._pending = False
        self._update()
        if state.trained or state.undone:
            self.search.on_index_changed()   # the similar photos shown come from the other model now
        if state.trained and state.active is not None:
            self.dialog = PersonalReportDialog(state, self.dialog_parent)
            self.dialog.undoRequested.connect(self.undo)
            self.dialog.finished.connect(self.dialog.deleteLater)
            self.dialog.destroyed.connect(lambda: setattr(self, "dialog", None))
            self.dialog.open()

    def _on_task_started(self, text: str) -> None:
        self.stop_button.setVisible(text == TASK_TEXT[PERSONALIZE])

    def _on_problem(self, _text: str) -> None:
        # a refusal (too few groups, a read-only library) or a failure: the buttons are usable again
        if self._pending:
            self._pending = False
            self._update()

    def _update(self) -> None:
        can = self._learnable >= MIN_GROUPS and not self._pending and self._trains
        active = self.state is not None and self.state.active is not None
        if not self._trains:
            tip = CANNOT_TRAIN
        elif self._learnable >= MIN_GROUPS:
            tip = (f"Teach album which photos you call similar, from your {self._learnable} confirmed groups "
                   "(a minute or two; you can undo it)")
        else:
            tip = NOT_YET
        for widget in (self.improve_action, self.improve_button):
            widget.setEnabled(can)
            widget.setToolTip(tip)
        self.undo_action.setEnabled(active and not self._pending)
        self.undo_action.setToolTip("Stop using your personal model" if active else "Album uses its standard model")
        self.line.set_state(self.state)
