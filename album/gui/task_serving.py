"""The library worker's share for groups and duplicates: group requests and long tasks.

``TaskServing`` is a part of ``LibraryWorker`` (its base class), kept apart
so that each file holds one concept; it runs on the worker's thread only.
Group questions (a group's photos, a photo's groups) are answered at once,
even between the steps of a scan; group edits wait while anything else
writes the catalogue (the catalogue part of a scan, a regrouping, a task),
and are made between the steps of a scan's encoding.  After each edit,
each regrouping and each move to the trash the worker sends the groups
again (``groupsChanged``).  Training a personal model (``PERSONALIZE``,
``personal_serving``) and going back to the standard one are long tasks
too; the worker then says which model is in use (``personalChanged``), as it
does after opening.  ``cancel_task`` stops a running task, never a scan.
"""

from __future__ import annotations

from album.gui import answers, personal_serving
from album.gui.inbox import FIND_DUPLICATES, PERSONALIZE, REGROUP, UNDO_PERSONAL, Task
from album.gui.messages import Folders, GroupAction
from album.gui.serving import INDEXING_PHASE


class TaskServing:
    """Mixed into ``LibraryWorker``: uses its signals, inbox, guard and scan state."""

    def cancel_task(self, name: str) -> None:
        """Stop the running task called ``name`` (thread-safe; a scan or another task goes on)."""
        task, control = self._task, self.control
        if task is not None and task.name == name and control is not None:
            control.cancel()

    def _edits_allowed(self) -> bool:
        return not self._working or (self._task is None and self._phase == INDEXING_PHASE)

    def _serve_group_requests(self) -> None:
        edits_allowed = self._edits_allowed()
        while self.album is not None:
            request = self._inbox.group_request(edits_allowed)
            if request is None:
                return
            if request.action == GroupAction.OPEN:
                self._emit_guarded(self.groupOpened, lambda: answers.group_photos(self.album, request.group_id))
            elif request.action == GroupAction.OF_PHOTO:
                self._emit_guarded(self.photoGroupsReady,
                                   lambda: answers.photo_groups(self.album, request.photo_ids[0]))
            else:
                self._emit_guarded(self.groupEdited, lambda: answers.apply_edit(self.album, request))
                self._emit_groups()

    def _emit_guarded(self, signal, answer) -> None:
        result = self._guard(answer)
        if result is not None:
            signal.emit(result)

    def _emit_groups(self) -> None:
        if self.album is not None:
            self._emit_guarded(self.groupsChanged, lambda: answers.group_list(self.album))

    def _emit_personal(self) -> None:
        if self.album is not None:
            self._emit_guarded(self.personalChanged, lambda: personal_serving.state(self.album))

    def _run_task(self, task: Task) -> None:
        if self._read_only:
            self.problem.emit("Another album process is changing this library: close it and restart album "
                              "to regroup, find duplicates, move photos to the trash or learn from your groups.")
            return
        control = self._start_work()
        self._task = task
        self.taskStarted.emit(task.describe())
        summary = stacks = report = personal = None
        try:
            if task.name == PERSONALIZE:
                personal = self._guard(lambda: personal_serving.personalize(self.album, self._on_progress, control))
            elif task.name == UNDO_PERSONAL:
                personal = self._guard(lambda: personal_serving.undo(self.album))
            elif task.name == REGROUP:
                summary = self._guard(lambda: self.album.regroup(self._on_progress, control))
            elif task.name == FIND_DUPLICATES:
                stacks = self._guard(lambda: answers.duplicate_stacks(
                    self.album, self.album.duplicates(self._on_progress, control)))
            else:
                report = self._guard(lambda: answers.trash(self.album, task.photo_ids))
        finally:
            self._end_work()
        if self.album is None:
            return
        # the answers come after the end of the work (which says "Up to date"), so that they are what shows
        if summary is not None:
            self.taskFinished.emit(f"Regrouped · {summary.describe()}")
        if stacks is not None:
            self.duplicatesReady.emit(stacks)
        elif task.name == FIND_DUPLICATES:
            self.duplicatesFailed.emit()
        if report is not None:
            self.trashed.emit(report)
        if personal is not None:
            self.taskFinished.emit(personal_serving.finished_text(personal))
            self.personalChanged.emit(personal)
        elif task.name in (PERSONALIZE, UNDO_PERSONAL):
            self._emit_personal()
        if task.name != FIND_DUPLICATES:
            self._emit_groups()
        if task.photo_ids:
            self._emit_photos()
            self.foldersChanged.emit(Folders(self._guard(self.album.folders) or []))
