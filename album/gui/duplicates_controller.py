"""The Duplicates page, wired for the main window: checks and trash through the worker, the current photo.

``DuplicatesController`` sends the page's requests to the worker (a check
for duplicates, moving confirmed photos to the trash), hands its answers
back, says what the trash did (and which files it could not move) and marks
the page stale when a scan changed the library.  A photo clicked in a stack
becomes the current photo (the side panel shows it); a double-click opens
its stack in the viewer.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject

from album.gui.bridge import LibraryBridge
from album.gui.duplicates_page import DuplicatesPage
from album.gui.inbox import FIND_DUPLICATES, TRASH, Task
from album.gui.messages import ScanReport, TrashReport
from album.gui.search_controller import SearchController
from album.library.records import PhotoRecord


class DuplicatesController(QObject):
    def __init__(self, bridge: LibraryBridge, page: DuplicatesPage, search: SearchController, say, notify,
                 open_paths, parent: QObject | None = None):
        """``say(text)`` writes in the status bar, ``notify(text)`` in the banner, ``open_paths(paths, row)``
        opens the viewer."""
        super().__init__(parent)
        self.bridge, self.page, self.search = bridge, page, search
        self.say, self.notify, self.open_paths = say, notify, open_paths
        page.checkRequested.connect(lambda: bridge.run_task(Task(FIND_DUPLICATES)))
        page.trashRequested.connect(lambda ids: bridge.run_task(Task(TRASH, tuple(ids))))
        page.photoClicked.connect(search.select)
        page.photoActivated.connect(self._open)
        bridge.worker.duplicatesReady.connect(page.set_duplicates)
        bridge.worker.duplicatesFailed.connect(page.check_failed)
        bridge.worker.trashed.connect(self._on_trashed)
        bridge.worker.scanFinished.connect(self._on_scan_finished)

    def _open(self, photo: PhotoRecord) -> None:
        stack = next((stack for stack in self.page.model.stacks() if photo in stack.photos), None)
        photos = list(stack.photos) if stack is not None else [photo]
        self.open_paths([p.path for p in photos], photos.index(photo))

    def _on_trashed(self, report: TrashReport) -> None:
        self.page.on_trashed(report)
        count = len(report.trashed)
        self.say(f"Moved {count:,} photo{'s' if count != 1 else ''} to the trash")
        if report.failed:
            names = ", ".join(f"{os.path.basename(path)} ({reason})" for path, reason in report.failed[:3])
            more = f" and {len(report.failed) - 3} more" if len(report.failed) > 3 else ""
            self.notify(f"{len(report.failed):,} file{'s' if len(report.failed) != 1 else ''} could not be moved "
                        f"to the trash and stay where they are: {names}{more}.")

    def _on_scan_finished(self, report: ScanReport) -> None:
        if report.new or report.moved or report.changed or report.removed:
            self.page.mark_stale()
