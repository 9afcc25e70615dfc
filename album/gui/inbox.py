"""What the GUI asked the library worker, waiting to be served: the worker's thread-safe queues.

Any thread may put into the ``Inbox``; the worker takes from it on its own
thread.  Similar-photo questions and group questions are served between
the steps of a running scan; group edits only when the catalogue allows
(``edits_allowed``: not while a scan writes it or a regrouping replaces the
groups).  Long tasks (regrouping, finding duplicates, moving to the trash)
run when the worker is free, before the next scan; scan requests are
coalesced, a burst of watcher events becoming one rescan of the folders
concerned.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from album.gui.messages import EDITS, GroupRequest, SimilarQuery

REGROUP = "regroup"
FIND_DUPLICATES = "duplicates"
TRASH = "trash"
PERSONALIZE = "personalize"        # train a personal model on the confirmed groups (``personal_serving``)
UNDO_PERSONAL = "undo_personal"    # back to the standard model
#: what the status bar says while a long task runs
TASK_TEXT = {REGROUP: "Grouping photos…", FIND_DUPLICATES: "Looking for duplicates…",
             TRASH: "Moving {count:,} photo{s} to the trash…",
             PERSONALIZE: "Learning from your groups…", UNDO_PERSONAL: "Going back to the standard model…"}


@dataclass(frozen=True)
class Task:
    """A long task: ``REGROUP``, ``FIND_DUPLICATES``, ``TRASH`` (of ``photo_ids``), ``PERSONALIZE`` or
    ``UNDO_PERSONAL``."""

    name: str
    photo_ids: tuple[int, ...] = ()

    def describe(self) -> str:
        count = len(self.photo_ids)
        return TASK_TEXT[self.name].format(count=count, s="s" if count != 1 else "")


class Inbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._questions: deque[SimilarQuery] = deque()
        self._group_requests: deque[GroupRequest] = deque()
        self._tasks: deque[Task] = deque()
        self._scan_all = False
        self._scan_folders: set[str] = set()

    # -- putting (any thread) ------------------------------------------------------------------------------
    def put_scan(self, folders=None) -> None:
        """Rescan these root folders (None: all)."""
        with self._lock:
            if folders is None:
                self._scan_all = True
            else:
                self._scan_folders.update(str(folder) for folder in folders)

    def put_question(self, query: SimilarQuery) -> None:
        with self._lock:
            self._questions.append(query)

    def put_group_request(self, request: GroupRequest) -> None:
        with self._lock:
            self._group_requests.append(request)

    def put_task(self, task: Task) -> None:
        """Queue a long task; the same task asked again before it starts runs once."""
        with self._lock:
            if task not in self._tasks:
                self._tasks.append(task)

    # -- taking (the worker's thread) ------------------------------------------------------------------------
    def question(self) -> SimilarQuery | None:
        with self._lock:
            return self._questions.popleft() if self._questions else None

    def group_request(self, edits_allowed: bool) -> GroupRequest | None:
        """The next group request, in order: an edit waits (and the requests after it) until edits are allowed."""
        with self._lock:
            if not self._group_requests or (self._group_requests[0].action in EDITS and not edits_allowed):
                return None
            return self._group_requests.popleft()

    def task(self) -> Task | None:
        with self._lock:
            return self._tasks.popleft() if self._tasks else None

    def scan_folders(self) -> list[str] | None:
        """The folders to rescan now (None: all; empty: nothing asked), forgetting the requests."""
        with self._lock:
            folders = None if self._scan_all else sorted(self._scan_folders)
            self._scan_all, self._scan_folders = False, set()
            return folders
