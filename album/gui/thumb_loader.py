"""Thumbnails for the views, made and read off the GUI thread.

``ThumbnailLoader.pixmap(key, path, size)`` answers at once from a small
in-memory LRU of pixmaps, or returns None and queues a job on its own
``QThreadPool``: the job makes the thumbnail file if needed (through the
Qt-free disk cache, which decodes the photo in draft mode) and reads that
small file into a ``QImage`` (through Pillow: Qt's image plugins are not
loaded from pool threads).  When it is ready the
loader emits ``thumbnailReady(key)`` on the GUI thread; models turn that into
``dataChanged`` for their rows.  Newer requests run first (LIFO priorities),
so fast scrolling shows what is on screen now, not what was on screen before.
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap

from album.errors import UserFacingError
from album.library.thumbnails import ThumbnailCache, size_step

log = logging.getLogger(__name__)


class _Signals(QObject):
    done = Signal(str, int, QImage)
    failed = Signal(str, int, str)


class _ThumbnailJob(QRunnable):
    def __init__(self, cache: ThumbnailCache, key: str, path: str, step: int, signals: _Signals):
        super().__init__()
        self.cache, self.key, self.path, self.step, self.signals = cache, key, path, step, signals

    def run(self) -> None:
        try:
            thumbnail = self.cache.image(self.path, self.key, self.step)
            data = thumbnail.tobytes("raw", "RGB")
            image = QImage(data, thumbnail.width, thumbnail.height, 3 * thumbnail.width,
                           QImage.Format_RGB888).copy()
        except UserFacingError as exc:
            self.signals.failed.emit(self.key, self.step, str(exc))
        except Exception as exc:  # never let a thumbnail kill a pool thread
            log.exception("thumbnail of %s failed", self.path)
            self.signals.failed.emit(self.key, self.step, str(exc))
        else:
            self.signals.done.emit(self.key, self.step, image)


class ThumbnailLoader(QObject):
    """Shared thumbnail source for every view of one library."""

    thumbnailReady = Signal(str)

    def __init__(self, cache: ThumbnailCache, parent: QObject | None = None, *, capacity: int = 1500,
                 threads: int = 2):
        super().__init__(parent)
        self.cache = cache
        self.capacity = capacity
        self._pixmaps: OrderedDict[tuple[str, int], QPixmap] = OrderedDict()
        self._pending: set[tuple[str, int]] = set()
        self._failed: dict[str, str] = {}
        self._priority = itertools.count()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)

    def pixmap(self, key: str, path: str, size: int) -> QPixmap | None:
        """The cached pixmap for ``key`` at ``size`` (rounded up to a step), or None while it loads."""
        step = size_step(size)
        wanted = (key, step)
        pixmap = self._pixmaps.get(wanted)
        if pixmap is not None:
            self._pixmaps.move_to_end(wanted)
            return pixmap
        if key in self._failed or wanted in self._pending:
            return None
        self._pending.add(wanted)
        self.pool.start(_ThumbnailJob(self.cache, key, path, step, self._signals), next(self._priority) % 2**30)
        return None

    def failure(self, key: str) -> str | None:
        """Why this photo has no thumbnail (None if it has one or is still loading)."""
        return self._failed.get(key)

    def forget_queued(self) -> None:
        """Drop queued (not yet running) jobs, e.g. when the whole grid changes."""
        self.pool.clear()
        self._pending.clear()

    def _on_done(self, key: str, step: int, image: QImage) -> None:
        self._pending.discard((key, step))
        self._pixmaps[(key, step)] = QPixmap.fromImage(image)
        while len(self._pixmaps) > self.capacity:
            self._pixmaps.popitem(last=False)
        self.thumbnailReady.emit(key)

    def _on_failed(self, key: str, step: int, reason: str) -> None:
        self._pending.discard((key, step))
        self._failed[key] = reason
        self.thumbnailReady.emit(key)

    def shutdown(self) -> None:
        """Cancel queued jobs and wait for running ones (call before the app quits)."""
        self.pool.clear()
        self.pool.waitForDone(5000)
