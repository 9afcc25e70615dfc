"""The library worker: the one object that talks to the engine.

``LibraryWorker`` lives on its own ``QThread`` and owns the single ``Album``
(opened in that thread, model warmed there at start-up; word search's
sentence encoder then loads on a thread of its own).  At start-up it opens
the library and reads its photos, possibly while the window is still being
built, and sends them once the window listens; groups, the model and the
first scan follow once the window has listed them (``StartGates``).  The
GUI never calls the engine: it asks the worker through queued signals, or
through its thread-safe entry points (``request_scan``, ``ask_similar``,
``ask_groups``, ``run_task``), and gets answers back as signals carrying
the typed records of ``messages.py`` (built by ``answers.py``).

Scans can take minutes, so questions must not wait behind them: what the
GUI asks waits in the ``Inbox``, which the worker also serves from inside a
running scan (from its progress callback, and while the scan is paused).
Long tasks (regrouping, finding duplicates, moving photos to the trash) run
when no scan does, with the same progress and pause as a scan.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot

from album.errors import UserFacingError
from album.gui import answers
from album.gui.inbox import Inbox, Task
from album.gui.messages import (Duplicates, Folders, GroupEdited, GroupPhotos, GroupRequest, Groups, PersonalState,
                                Photos, PhotoGroups, ScanReport, SimilarAnswer, SimilarQuery, TrashReport)
from album.gui.serving import INDEXING_PHASE, ServingControl, merge_summaries
from album.gui.start_gates import StartGates
from album.gui.task_serving import TaskServing
from album.paths import LibraryPaths
from album.tasks import Progress, TaskControl
from album.vision.calibration import SIMILAR_AT

if TYPE_CHECKING:  # the scanner imports the catalogue (SQLAlchemy): not while the window starts
    from album.library.scanner import ScanSummary

log = logging.getLogger(__name__)


class LibraryWorker(TaskServing, QObject):
    """Owns the ``Album`` on the library thread; every signal carries a typed record."""

    opened = Signal(Folders)          # right after the library opens
    ready = Signal(float)             # the model is loaded (the starting threshold, calibrated 0-1); questions are fast now
    photosChanged = Signal(Photos)    # readable photos, newest first
    foldersChanged = Signal(Folders)
    failuresChanged = Signal(Photos)  # photos that could not be read
    progress = Signal(Progress)
    indexProgress = Signal(Progress)  # a search index being rebuilt (while opening, after a crash): no pause
    busyChanged = Signal(bool)        # a scan or a long task started / ended
    scanFinished = Signal(ScanReport)
    similarReady = Signal(SimilarAnswer)
    groupsChanged = Signal(Groups)    # after opening, each scan, each edit, each regrouping and trash
    groupOpened = Signal(GroupPhotos)
    photoGroupsReady = Signal(PhotoGroups)
    groupEdited = Signal(GroupEdited)
    duplicatesReady = Signal(Duplicates)
    duplicatesFailed = Signal()       # a duplicates check ended without an answer (stopped, or a problem)
    trashed = Signal(TrashReport)
    personalChanged = Signal(PersonalState)  # the model in use, after opening and after training or undoing
    taskStarted = Signal(str)         # a long task (regrouping, duplicates, trash) began: what it does
    taskFinished = Signal(str)        # what it did, for the status bar
    problem = Signal(str)             # plain words for the user
    closed = Signal()
    _wake = Signal()

    def __init__(self, paths: LibraryPaths, opener=None, *, refresh_interval_s: float = 2.0):
        super().__init__()
        self.paths = paths
        self._opener = opener
        self.album = None
        self.control: TaskControl | None = None
        self._inbox = Inbox()
        self._task: Task | None = None
        self._working = False
        self._paused = False
        self._refresh_interval_s = refresh_interval_s
        self._last_refresh = 0.0
        self._missing_reported: set[str] = set()
        self._owner_thread: threading.Thread | None = None
        self._closing = False
        self._read_only = False
        self._phase: str | None = None
        self._synced_meanwhile: list[ScanSummary] = []
        self.gates = StartGates()
        self._wake.connect(self._drain, Qt.QueuedConnection)

    # -- thread-safe entry points (any thread) ---------------------------------------------------------
    def request_scan(self, folders=None) -> None:
        """Rescan these root folders (None: all) as soon as the worker is free."""
        self._inbox.put_scan(folders)
        self._wake.emit()

    def ask_similar(self, query: SimilarQuery) -> None:
        self._inbox.put_question(query)
        self._wake.emit()

    def ask_groups(self, request: GroupRequest) -> None:
        """A group question or edit, served between the steps of a running scan when it allows."""
        self._inbox.put_group_request(request)
        self._wake.emit()

    def run_task(self, task: Task) -> None:
        """Regroup, find duplicates or move photos to the trash, once no scan runs."""
        self._inbox.put_task(task)
        self._wake.emit()

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        control = self.control
        if control is not None:
            control.pause() if paused else control.resume()

    def cancel(self) -> None:
        """Stop the running scan and start no new one (used when the app closes)."""
        self._closing = True
        self.gates.open_all()
        control = self.control
        if control is not None:
            control.cancel()

    # -- slots (run on the worker thread) ----------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        self._owner_thread = threading.current_thread()
        try:
            folders, photos = self._open()
            self.gates.wait_for_window()
            if self._closing:
                return
            self._read_only = bool(getattr(self.album, "read_only", False))
            if self._read_only:
                self.problem.emit("Another album process (a second window or an `album scan`) is changing "
                                  "this library, so this window can show and search it but not update it. "
                                  "Close the other one and restart album to watch and index again.")
            self.opened.emit(folders)
            self._last_refresh = time.monotonic()
            self.photosChanged.emit(photos)
            self.gates.wait_for_listing()
            if self._closing:
                return
            self._emit_groups()
            self._emit_personal()
            self.album.warm_up()
            # the same starting threshold for every model: the calibrated start of "similar"
            self.ready.emit(SIMILAR_AT)
            self._load_text_model_in_background()
        except UserFacingError as exc:
            self.gates.wait_for_window()
            self.problem.emit(str(exc))
        except Exception as exc:
            log.exception("cannot open the library")
            self.gates.wait_for_window()
            self.problem.emit(f"The library could not be opened: {exc}")
        self.request_scan(None)

    def _open(self) -> tuple[Folders, Photos]:
        """Open the library; its folders and photos (read before the window may be ready for them)."""
        if self._opener is not None:
            self.album = self._opener(self.paths)
        else:
            from album.engine import Album

            self.album = Album.open(self.paths)
        self.album.indexes.progress = self.indexProgress.emit
        return Folders(self.album.folders()), Photos(self.album.photos())

    @Slot(str)
    def add_folder(self, path: str) -> None:
        if self._guard(lambda: self.album.add_folder(path)) is not None:
            self.foldersChanged.emit(Folders(self.album.folders()))
            self.request_scan([self._resolved(path)])

    @Slot(str)
    def remove_folder(self, path: str) -> None:
        if self._guard(lambda: self.album.remove_folder(path)) is not None:
            self.foldersChanged.emit(Folders(self.album.folders()))
            self._emit_photos()
            self.failuresChanged.emit(Photos(self.album.failures()))

    @Slot()
    def close(self) -> None:
        self.cancel()
        if self.album is not None:
            try:
                self.album.close()
            except Exception:
                log.exception("closing the library failed")
            self.album = None
        self.closed.emit()
        self.thread().quit()

    # -- internals ------------------------------------------------------------------------------------------
    def _load_text_model_in_background(self) -> None:
        """Word search's sentence encoder takes seconds to load: it loads beside the first scan, once
        the window is up and the similarity model warm, so that the first word query need not wait.
        Loading touches no catalogue; a library without word search (an encoder given in-process)
        skips it."""
        from album.indexing.active import TEXT

        encoders = getattr(self.album, "encoders", None)
        if encoders is not None and TEXT in encoders.roles:
            threading.Thread(target=_load_quietly, args=(self.album.text_search,), name="album-text-model",
                             daemon=True).start()

    @staticmethod
    def _resolved(path: str) -> str:
        from pathlib import Path

        return str(Path(path).expanduser().resolve())

    def _guard(self, action):
        if self.album is None:
            return None
        try:
            return action()
        except UserFacingError as exc:
            self.problem.emit(str(exc))
        except Exception as exc:
            log.exception("library action failed")
            self.problem.emit(f"Something went wrong: {exc}. Details are in the log file.")
        return None

    @Slot()
    def _drain(self) -> None:
        self._serve_questions()
        while self.album is not None and not self._closing:
            task = self._inbox.task()
            if task is not None:
                self._run_task(task)
            else:
                folders = self._inbox.scan_folders()
                if folders == [] or self._read_only:
                    return
                self._scan(folders)
            self._serve_questions()

    def _start_work(self) -> ServingControl:
        """The control of a scan or task beginning now (paused if the user paused)."""
        control = ServingControl(self._serve_between_steps, threading.current_thread())
        self._phase = None
        if self._paused:
            control.pause()
        self.control = control
        self._working = True
        self.busyChanged.emit(True)
        return control

    def _end_work(self) -> None:
        self.control = None
        self._phase = None
        self._task = None
        self._working = False
        self.busyChanged.emit(False)

    def _scan(self, folders: list[str] | None) -> None:
        self._synced_meanwhile = []
        control = self._start_work()
        try:
            summary = self._guard(lambda: self.album.scan(folders=folders, progress=self._on_progress,
                                                          control=control))
        finally:
            self._end_work()
        if self.album is None:
            return
        if summary is not None:
            merge_summaries(summary, self._synced_meanwhile)
        self._emit_photos()
        folders_now = self._guard(self.album.folders) or []
        self.foldersChanged.emit(Folders(folders_now))
        self.failuresChanged.emit(Photos(self._guard(self.album.failures) or []))
        for folder in folders_now:
            if not folder.exists and folder.path not in self._missing_reported:
                self._missing_reported.add(folder.path)
                self.problem.emit(f"The folder {folder.path} is not available (deleted, renamed or on a "
                                  "disconnected drive). Its photos stay in the library until you remove it.")
            elif folder.exists:
                self._missing_reported.discard(folder.path)
        self._emit_groups()
        if summary is not None:
            self.scanFinished.emit(ScanReport.of(summary))

    def _on_progress(self, progress: Progress) -> None:
        self.progress.emit(progress)
        if threading.current_thread() is not self._owner_thread:
            return
        self._phase = progress.phase
        self._serve_between_steps()
        now = time.monotonic()
        if now - self._last_refresh >= self._refresh_interval_s:
            self._emit_photos()
            self._refresh_interval_s = max(self._refresh_interval_s, 5 * (time.monotonic() - now))

    def _emit_photos(self) -> None:
        self._last_refresh = time.monotonic()
        photos = self._guard(self.album.photos) if self.album is not None else None
        if photos is not None:
            self.photosChanged.emit(Photos(photos))

    def _serve_between_steps(self) -> None:
        """Between two steps of a scan: answer questions, and record files that appeared or vanished
        meanwhile (a watcher event) at once, instead of after the whole indexing backlog."""
        self._serve_questions()
        self._sync_meanwhile()

    def _sync_meanwhile(self) -> None:
        # Only while encoding: the catalogue part of the running scan is over, so a sync cannot race it.
        if self.album is None or self._phase != INDEXING_PHASE or self._task is not None:
            return
        folders = self._inbox.scan_folders()
        if folders == []:
            return
        summary = self._guard(lambda: self.album.sync(folders=folders))
        if summary is not None:
            self._synced_meanwhile.append(summary)
            self._emit_photos()
            self.failuresChanged.emit(Photos(self._guard(self.album.failures) or []))

    def _serve_questions(self) -> None:
        """Similar photos, then group requests (``TaskServing``)."""
        while self.album is not None:
            query = self._inbox.question()
            if query is None:
                break
            self.similarReady.emit(answers.similar_answer(self.album, query))
        self._serve_group_requests()


def _load_quietly(text_search) -> None:
    try:
        text_search.load()
    except UserFacingError as exc:  # said again, in plain words, when words are searched
        log.info("searching by words is not available: %s", exc)
    except Exception:
        log.exception("the text search model could not be loaded")
