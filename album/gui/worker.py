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
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot

from album.errors import UserFacingError
from album.gui.messages import (NOT_INDEXED_YET, Folders, Photos, ScanReport, ScoredPhoto, SimilarAnswer,
                                 SimilarQuery)
from album.gui.serving import INDEXING_PHASE, ServingControl, merge_summaries
from album.library.records import PhotoStatus
from album.paths import LibraryPaths
from album.tasks import Progress, TaskControl
from album.vision.calibration import SIMILAR_AT

if TYPE_CHECKING:  # the scanner imports the catalogue (SQLAlchemy): not while the window starts
    from album.library.scanner import ScanSummary

log = logging.getLogger(__name__)


class LibraryWorker(QObject):
    """Owns the ``Album`` on the library thread; every signal carries a typed record."""

    opened = Signal(Folders)          # right after the library opens
    ready = Signal(float)             # the model is loaded (the starting threshold, calibrated 0-1); questions are fast now
    photosChanged = Signal(Photos)    # readable photos, newest first
    foldersChanged = Signal(Folders)
    failuresChanged = Signal(Photos)  # photos that could not be read
    progress = Signal(Progress)
    busyChanged = Signal(bool)        # a scan started / ended
    scanFinished = Signal(ScanReport)
    similarReady = Signal(SimilarAnswer)
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
        self._phase: str | None = None
        self._synced_meanwhile: list[ScanSummary] = []
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
            self.opened.emit(Folders(self.album.folders()))
            self._emit_photos()
            self.album.warm_up()
            # the same starting threshold for every model: the calibrated start of "similar"
            self.ready.emit(SIMILAR_AT)
        except UserFacingError as exc:
            self.problem.emit(str(exc))
        except Exception as exc:
            log.exception("cannot open the library")
            self.problem.emit(f"The library could not be opened: {exc}")
        self.request_scan(None)

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
        control = ServingControl(self._serve_between_steps, threading.current_thread())
        self._phase = None
        self._synced_meanwhile = []
        if self._paused:
            control.pause()
        self.control = control
        self.busyChanged.emit(True)
        try:
            summary = self._guard(lambda: self.album.scan(folders=folders, progress=self._on_progress,
                                                          control=control))
        finally:
            self.control = None
            self._phase = None
            self.busyChanged.emit(False)
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
        if self.album is None or self._phase != INDEXING_PHASE:
            return
        with self._lock:
            folders = None if self._scan_all else sorted(self._scan_folders)
            self._scan_all, self._scan_folders = False, set()
        if folders == []:
            return
        summary = self._guard(lambda: self.album.sync(folders=folders))
        if summary is not None:
            self._synced_meanwhile.append(summary)
            self._emit_photos()
            self.failuresChanged.emit(Photos(self._guard(self.album.failures) or []))

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
                if record.status == PhotoStatus.PENDING:
                    return SimilarAnswer(query, record, error=NOT_INDEXED_YET)
                matches = album.similar_to_photo(query.photo_id, k=query.k, min_score=0.0)
            else:
                record = None
                matches = album.similar_to_file(query.path, k=query.k, min_score=0.0)
            records = album.photos_by_ids(m.photo_id for m in matches if m.photo_id is not None)
            scale = album.score_scale
            scored = [ScoredPhoto(records.get(m.photo_id), m.path, scale.percent(m.score) / 100, scale.band(m.score),
                                  float(m.score)) for m in matches]
            return SimilarAnswer(query, record, scored)
        except UserFacingError as exc:
            return SimilarAnswer(query, None, error=str(exc))
        except Exception as exc:
            log.exception("similarity search failed")
            return SimilarAnswer(query, None, error=f"The search failed: {exc}")
