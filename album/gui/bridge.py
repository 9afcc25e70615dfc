"""The GUI's single handle on the library: worker thread, watcher and rescans.

``LibraryBridge`` lives on the GUI thread.  It starts the ``LibraryWorker`` on
its own ``QThread``, forwards the window's requests to it through queued
signals, keeps a ``FolderWatcher`` on the library's folders (its debounced
callback asks the worker for a rescan of the folders that changed), and
rescans everything periodically to catch what watching misses (the app was
closed, network drives).  ``shutdown()`` stops all of it cleanly.
"""

from __future__ import annotations

import logging

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
        self.worker.opened.connect(self._watch_folders)
        self.watcher: FolderWatcher | None = None
        if watch:
            self.watcher = FolderWatcher(self.worker.request_scan, self.notice.emit, debounce_s=debounce_s,
                                         ignore=[paths.root, paths.cache, paths.logs])
        self.rescan_timer = QTimer(self)
        self.rescan_timer.setInterval(rescan_interval_ms)
        self.rescan_timer.timeout.connect(lambda: self.worker.request_scan(None))
        self._running = False

    def start(self) -> None:
        self._running = True
        self.thread.start()
        self.rescan_timer.start()

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
    def _watch_folders(self, folders: Folders) -> None:
        if self.watcher is None:
            return
        self.watcher.set_folders([folder.path for folder in folders if folder.exists])
        self.watchingChanged.emit(len(self.watcher.folders), self.watcher.polling)

    # -- shutdown ------------------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Stop watching, cancel work, close the library in its thread and wait for the thread."""
        if not self._running:
            return
        self._running = False
        self.rescan_timer.stop()
        if self.watcher is not None:
            self.watcher.stop()
        self.worker.cancel()
        self.closeRequested.emit()
        if not self.thread.wait(timeout_ms):
            log.error("the library thread did not stop in time")
            self.thread.terminate()
            self.thread.wait()
