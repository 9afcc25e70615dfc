"""How a long scan keeps serving the window: questions answered and new files recorded between its steps.

``ServingControl`` is the scan's pause/cancel control; at every checkpoint
(in the worker's thread) it runs the worker's ``serve`` callback, and keeps
running it while the scan is paused, so similar-photo questions are never
stuck behind indexing.  Files that the watcher reports during the encoding
phase are synced into the catalogue at once (``INDEXING_PHASE``), and what
those syncs found is counted as part of the scan (``merge_summaries``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from album.tasks import TaskControl

if TYPE_CHECKING:  # the scanner imports the catalogue (SQLAlchemy): not while the window starts
    from album.library.scanner import ScanSummary

#: the phase of a scan during which new files may be synced into the catalogue (``Indexer``'s meter)
INDEXING_PHASE = "Indexing"


def merge_summaries(summary: ScanSummary, others: list[ScanSummary]) -> None:
    """Count what syncs during a scan found as part of that scan."""
    for other in others:
        for name in ("new", "duplicates", "moved", "changed", "removed"):
            setattr(summary, name, getattr(summary, name) + getattr(other, name))
        summary.failed.extend(other.failed)

class ServingControl(TaskControl):
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
