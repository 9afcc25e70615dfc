"""The GUI's single handle on the library: worker thread, watcher and rescans.

``LibraryBridge`` lives on the GUI thread.  It starts the ``LibraryWorker`` on
its own ``QThread``, forwards the window's requests to it through queued
signals, keeps a ``FolderWatcher`` on the library's folders (its debounced
callback asks the worker for a rescan of the folders that changed), and
rescans everything periodically to catch what watching misses (the app was
closed, network drives).  ``shutdown()`` stops all of it cleanly.

``open_early`` starts the worker before the window is built (it reads the
photos meanwhile and sends them once ``start`` says the window listens);
a window started with ``start(listing_wait_s=...)`` says when it has listed
the photos (``photos_listed``): only then does the worker load the model
(``StartGates``) and the folders are watched (the first scan, after both,
catches any change meanwhile).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from album.gui.inbox import Task
from album.gui.messages import WORDS_K, Folders, GroupRequest, Purpose, SimilarQuery
from album.gui.worker import LibraryWorker
from album.library.watcher import FolderWatcher
from album.paths import LibraryPaths

log = logging.getLogger(__name__)

RESCAN_INTERVAL_MS = 15 * 60 * 1000


class LibraryBridge(QObject):
    addFolderRequested = Signal(str)
    removeFolderRequested = Signal(str)
    closeRequested = Signal()
    watchingChanged = Signal(int, bool)   # how many folders are watched, polling or not
    notice = Signal(str)                  # plain-language messages from the watcher

    def __init__(self, paths: LibraryPaths, parent: QObject | None = None, *, opener=None,
                 debounce_s: float = 1.5, rescan_interval_ms: int = RESCAN_INTERVAL_MS, watch: bool = True):
        super().__init__(parent)
        self.paths = paths
        self.thread = QThread()
        self.thread.setObjectName("album-library")
        self.worker = LibraryWorker(paths, opener)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.start)
        self.addFolderRequested.connect(self.worker.add_folder)
        self.removeFolderRequested.connect(self.worker.remove_folder)
        self.closeRequested.connect(self.worker.close)
        self.worker.foldersChanged.connect(self._watch_folders)
        self.worker.opened.connect(self._on_opened)
        self._opened_folders: Folders | None = None
        self._listing = False
        self.watcher: FolderWatcher | None = None
        #: sets the watched folders in turn: adding a folder's inotify watches walks it (0.3 s for 500
        #: folders), never on the GUI thread
        self._watching = ThreadPoolExecutor(1, thread_name_prefix="album-watch")
        if watch:
            self.watcher = FolderWatcher(self.worker.request_scan, self.notice.emit, debounce_s=debounce_s,
                                         ignore=[paths.root, paths.cache, paths.logs])
        self.rescan_timer = QTimer(self)
        self.rescan_timer.setInterval(rescan_interval_ms)
        self.rescan_timer.timeout.connect(lambda: self.worker.request_scan(None))
        self._running = False

    def open_early(self) -> None:
        """Start the worker before the window connects: it opens the library and reads the photos, and
        sends them once ``start`` is called."""
        self._running = True
        self.worker.gates.hold_for_window()
        self.thread.start()

    def start(self, listing_wait_s: float = 0.0) -> None:
        """The window listens: start the worker (unless ``open_early`` did); with ``listing_wait_s``, it
        waits that long at most for ``photos_listed`` before loading the model, and the folders are
        watched from then on."""
        self._running = True
        self._listing = listing_wait_s > 0
        if self._listing:
            self.worker.gates.expect_listing(listing_wait_s)
        self.worker.gates.window_listens()
        if not self.thread.isRunning():
            self.thread.start()
        self.rescan_timer.start()

    def photos_listed(self) -> None:
        """The window has listed the library's photos: the worker goes on, and watching starts."""
        self.worker.gates.photos_listed()
        if self._listing:
            self._listing = False
            if self._opened_folders is not None:
                self._watch_folders(self._opened_folders)

    # -- requests ----------------------------------------------------------------------------------------
    def add_folder(self, path: str) -> None:
        self.addFolderRequested.emit(path)

    def remove_folder(self, path: str) -> None:
        self.removeFolderRequested.emit(path)

    def rescan(self, folders=None) -> None:
        self.worker.request_scan(folders)

    def find_similar_to_photo(self, photo_id: int, purpose: Purpose = Purpose.PANEL) -> None:
        self.worker.ask_similar(SimilarQuery(photo_id=photo_id, purpose=purpose))

    def find_similar_to_file(self, path: str, purpose: Purpose = Purpose.RESULTS) -> None:
        self.worker.ask_similar(SimilarQuery(path=str(path), purpose=purpose))

    def find_by_words(self, words: str) -> None:
        self.worker.ask_similar(SimilarQuery(words=words, purpose=Purpose.RESULTS, k=WORDS_K))

    def ask_groups(self, request: GroupRequest) -> None:
        self.worker.ask_groups(request)

    def run_task(self, task: Task) -> None:
        """Regroup, find duplicates or move photos to the trash (after the running scan, if any)."""
        self.worker.run_task(task)

    def cancel_task(self, name: str) -> None:
        """Stop the running task ``name`` (e.g. ``inbox.PERSONALIZE``); a scan goes on."""
        self.worker.cancel_task(name)

    def set_paused(self, paused: bool) -> None:
        self.worker.set_paused(paused)

    # -- watching ------------------------------------------------------------------------------------------
    def _on_opened(self, folders: Folders) -> None:
        self._opened_folders = folders
        if not self._listing:
            self._watch_folders(folders)

    def _watch_folders(self, folders: Folders) -> None:
        if self.watcher is not None and self._running:
            self._watching.submit(self._set_watched, [folder.path for folder in folders if folder.exists])

    def _set_watched(self, paths: list[str]) -> None:
        try:
            self.watcher.set_folders(paths)
        except Exception:  # a bug: logged, as on any thread (the periodic rescan still catches changes)
            log.exception("setting the watched folders failed")
            return
        self.watchingChanged.emit(len(self.watcher.folders), self.watcher.polling)

    # -- shutdown ------------------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Stop watching, cancel work, close the library in its thread and wait for the thread."""
        if not self._running:
            return
        self._running = False
        self.rescan_timer.stop()
        self._watching.shutdown(wait=True, cancel_futures=True)
        if self.watcher is not None:
            self.watcher.stop()
        self.worker.cancel()
        self.closeRequested.emit()
        if not self.thread.wait(timeout_ms):
            log.error("the library thread did not stop in time")
            self.thread.terminate()
            self.thread.wait()
