"""The library worker: the one object that talks to the engine.

``LibraryWorker`` lives on its own ``QThread`` and owns the single ``Album``
(opened in that thread, model warmed there at start-up).  The GUI never calls
the engine: it asks the worker through queued signals, or through the two
thread-safe entry points ``request_scan`` and ``ask_similar``, and gets
answers back as signals carrying plain Python objects.

Scans can take minutes, so similarity questions must not wait behind them:
questions go into a thread-safe queue that the worker also serves from
inside a running scan (from its progress callback, and while the scan is
paused).  Scan requests are coalesced: a burst of watcher events becomes one
rescan of the folders concerned.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, Signal, Slot

from album.errors import UserFacingError
from album.gui.photo_model import ScoredPhoto
from album.paths import LibraryPaths
from album.tasks import Progress, TaskControl

log = logging.getLogger(__name__)

#: Matches fetched per question; the threshold slider filters them in the UI.
SIMILAR_K = 50
NOT_INDEXED_YET = "This photo is not indexed yet. Its similar photos appear as soon as indexing reaches it."


@dataclass(frozen=True)
class SimilarQuery:
    """A question: photos similar to a library photo (``photo_id``) or to any file (``path``)."""

    photo_id: int | None = None
    path: str | None = None
    purpose: str = "panel"            # "panel" (side panel) or "results" (results view)
    k: int = SIMILAR_K


@dataclass(frozen=True)
class SimilarAnswer:
    query: SimilarQuery
    query_record: object | None       # the PhotoRecord asked about, None for an outside file
    matches: list[ScoredPhoto] = field(default_factory=list)
    error: str | None = None


class _ServingControl(TaskControl):
    """Pause/cancel for a scan that keeps answering questions while it is paused."""

    def __init__(self, serve, owner: threading.Thread):
        super().__init__()
        self._serve, self._owner = serve, owner

    def checkpoint(self) -> None:
        if threading.current_thread() is self._owner:
            self._serve()
            while self.paused and not self.cancelled:
                self._running.wait(0.1)
                self._serve()
        super().checkpoint()


class LibraryWorker(QObject):
    opened = Signal(object)           # list[FolderInfo], right after the library opens
    ready = Signal(float)             # the model is loaded (its default similarity threshold); questions are fast now
    photosChanged = Signal(object)    # list[PhotoRecord], newest first
    foldersChanged = Signal(object)   # list[FolderInfo]
    failuresChanged = Signal(object)  # list[PhotoRecord] that could not be read
    progress = Signal(object)         # Progress
    busyChanged = Signal(bool)        # a scan started / ended
    scanFinished = Signal(object)     # ScanSummary
    similarReady = Signal(object)     # SimilarAnswer
    problem = Signal(str)             # plain words for the user
    closed = Signal()
    _wake = Signal()

    def __init__(self, paths: LibraryPaths, opener=None, *, refresh_interval_s: float = 2.0):
        super().__init__()
        self.paths = paths
        self._opener = opener
        self.album = None
        self.control: TaskControl | None = None
        self._lock = threading.Lock()
        self._questions: deque[SimilarQuery] = deque()
        self._scan_all = False
        self._scan_folders: set[str] = set()
        self._paused = False
        self._refresh_interval_s = refresh_interval_s
        self._last_refresh = 0.0
        self._missing_reported: set[str] = set()
        self._owner_thread: threading.Thread | None = None
        self._closing = False
        self._read_only = False
        self._wake.connect(self._drain, Qt.QueuedConnection)

    # -- thread-safe entry points (any thread) ---------------------------------------------------------
    def request_scan(self, folders=None) -> None:
        """Rescan these root folders (None: all) as soon as the worker is free."""
        with self._lock:
            if folders is None:
                self._scan_all = True
            else:
                self._scan_folders.update(str(folder) for folder in folders)
        self._wake.emit()

    def ask_similar(self, query: SimilarQuery) -> None:
        with self._lock:
            self._questions.append(query)
        self._wake.emit()

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        control = self.control
        if control is not None:
            control.pause() if paused else control.resume()

    def cancel(self) -> None:
        """Stop the running scan and start no new one (used when the app closes)."""
        self._closing = True
        control = self.control
        if control is not None:
            control.cancel()

    # -- slots (run on the worker thread) ----------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        self._owner_thread = threading.current_thread()
        try:
            if self._opener is not None:
                self.album = self._opener(self.paths)
            else:
                from album.engine import Album

                self.album = Album.open(self.paths)
            self._read_only = bool(getattr(self.album, "read_only", False))
            if self._read_only:
                self.problem.emit("Another album process (a second window or an `album scan`) is changing "
                                  "this library, so this window can show and search it but not update it. "
                                  "Close the other one and restart album to watch and index again.")
            self.opened.emit(self.album.folders())
            self._emit_photos()
            self.album.warm_up()
            self.ready.emit(self.album.default_min_score)
        except UserFacingError as exc:
            self.problem.emit(str(exc))
        except Exception as exc:
            log.exception("cannot open the library")
            self.problem.emit(f"The library could not be opened: {exc}")
        self.request_scan(None)

    @Slot(str)
    def add_folder(self, path: str) -> None:
        if self._guard(lambda: self.album.add_folder(path)) is not None:
            self.foldersChanged.emit(self.album.folders())
            self.request_scan([self._resolved(path)])

    @Slot(str)
    def remove_folder(self, path: str) -> None:
        if self._guard(lambda: self.album.remove_folder(path)) is not None:
            self.foldersChanged.emit(self.album.folders())
            self._emit_photos()
            self.failuresChanged.emit(self.album.failures())

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
            with self._lock:
                folders = None if self._scan_all else sorted(self._scan_folders)
                self._scan_all, self._scan_folders = False, set()
            if folders == [] or self._read_only:
                return
            self._scan(folders)
            self._serve_questions()

    def _scan(self, folders: list[str] | None) -> None:
        control = _ServingControl(self._serve_questions, threading.current_thread())
        if self._paused:
            control.pause()
        self.control = control
        self.busyChanged.emit(True)
        try:
            summary = self._guard(lambda: self.album.scan(folders=folders, progress=self._on_progress,
                                                          control=control))
        finally:
            self.control = None
            self.busyChanged.emit(False)
        if self.album is None:
            return
        self._emit_photos()
        folders_now = self._guard(self.album.folders) or []
        self.foldersChanged.emit(folders_now)
        self.failuresChanged.emit(self._guard(self.album.failures) or [])
        for folder in folders_now:
            if not folder.exists and folder.path not in self._missing_reported:
                self._missing_reported.add(folder.path)
                self.problem.emit(f"The folder {folder.path} is not available (deleted, renamed or on a "
                                  "disconnected drive). Its photos stay in the library until you remove it.")
            elif folder.exists:
                self._missing_reported.discard(folder.path)
        if summary is not None:
            self.scanFinished.emit(summary)

    def _on_progress(self, progress: Progress) -> None:
        self.progress.emit(progress)
        if threading.current_thread() is not self._owner_thread:
            return
        self._serve_questions()
        now = time.monotonic()
        if now - self._last_refresh >= self._refresh_interval_s:
            self._emit_photos()
            self._refresh_interval_s = max(self._refresh_interval_s, 5 * (time.monotonic() - now))

    def _emit_photos(self) -> None:
        self._last_refresh = time.monotonic()
        photos = self._guard(self.album.photos) if self.album is not None else None
        if photos is not None:
            self.photosChanged.emit(photos)

    def _serve_questions(self) -> None:
        while self.album is not None:
            with self._lock:
                if not self._questions:
                    return
                query = self._questions.popleft()
            self.similarReady.emit(self._answer(query))

    def _answer(self, query: SimilarQuery) -> SimilarAnswer:
        album = self.album
        try:
            if query.photo_id is not None:
                record = album.photo(query.photo_id)
                if record is None:
                    return SimilarAnswer(query, None, error="This photo is no longer in the library.")
                if record.status == "pending":
                    return SimilarAnswer(query, record, error=NOT_INDEXED_YET)
                matches = album.similar_to_photo(query.photo_id, k=query.k, min_score=0.0)
            else:
                record = None
                matches = album.similar_to_file(query.path, k=query.k, min_score=0.0)
            records = album.photos_by_ids(m.photo_id for m in matches if m.photo_id is not None)
            scored = [ScoredPhoto(records.get(m.photo_id), m.path, float(m.score)) for m in matches]
            return SimilarAnswer(query, record, scored)
        except UserFacingError as exc:
            return SimilarAnswer(query, None, error=str(exc))
        except Exception as exc:
            log.exception("similarity search failed")
            return SimilarAnswer(query, None, error=f"The search failed: {exc}")
