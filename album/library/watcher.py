"""Watch the library's folders and report, debounced, which of them changed.

A watchdog observer watches every added folder recursively.  Events about
photos (created, modified, moved, deleted) and about sub-folders (created,
moved, deleted) mark their *root* folder as dirty; once no new event has
arrived for ``debounce_s`` seconds (or ``max_delay_s`` after the first one,
for endless bursts such as a long copy), ``on_changes`` is called once with
the set of dirty roots.  The engine then rescans those roots, which detects
new, changed, moved and deleted photos by itself.  Only those kinds of event
are asked of the kernel (``WATCHED_EVENTS``): a photo merely opened and read,
as album itself reads every photo it indexes or makes a thumbnail of, costs
the watcher nothing.

Non-photo files, hidden files and anything under ``ignore`` (the library's
own folders) never trigger a rescan.  If the kernel's inotify limits are
reached the watcher switches to watchdog's polling observer and says so in
plain words through ``on_notice``; ``polling=True`` asks for polling from the
start (network drives).  Callbacks run on the watcher's own thread.  Nothing
here imports Qt.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

from watchdog.events import (DirCreatedEvent, DirDeletedEvent, DirMovedEvent, FileClosedEvent, FileCreatedEvent,
                             FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileSystemEvent,
                             FileSystemEventHandler)
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from album.media.imageio import is_photo_path

log = logging.getLogger(__name__)

LIMIT_ERRNOS = (errno.ENOSPC, errno.EMFILE)
POLL_INTERVAL_S = 5.0
#: the events a watch delivers (a folder's own "modified", which every file event in it causes, is left out)
WATCHED_EVENTS = [FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent, FileDeletedEvent,
                  DirCreatedEvent, DirMovedEvent, DirDeletedEvent]


class _RootHandler(FileSystemEventHandler):
    def __init__(self, watcher: "FolderWatcher", root: str):
        self.watcher = watcher
        self.root = root

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [os.fsdecode(event.src_path)]
        if getattr(event, "dest_path", ""):
            paths.append(os.fsdecode(event.dest_path))
        if any(self.watcher.is_relevant(path, event.is_directory) for path in paths):
            self.watcher.mark_dirty(self.root)


class FolderWatcher:
    """Recursive watches on root folders, coalesced into ``on_changes(set_of_roots)``."""

    def __init__(self, on_changes: Callable[[set[str]], None], on_notice: Callable[[str], None] | None = None,
                 *, debounce_s: float = 1.0, max_delay_s: float = 10.0, ignore: Iterable[str | os.PathLike] = (),
                 polling: bool = False):
        self.on_changes = on_changes
        self.on_notice = on_notice or (lambda message: None)
        self.debounce_s = debounce_s
        self.max_delay_s = max_delay_s
        self.ignore = [os.path.abspath(os.fspath(path)) for path in ignore]
        self.polling = polling
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._watches: dict[str, object] = {}
        self._pending: set[str] = set()
        self._first_event = 0.0
        self._last_event = 0.0
        self._stopped = False
        self._observer = self._new_observer()
        self._observer.start()
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="album-watch-debounce", daemon=True)
        self._dispatcher.start()

    def _new_observer(self):
        observer = PollingObserver(timeout=POLL_INTERVAL_S) if self.polling else Observer()
        observer.daemon = True
        return observer

    # -- which folders -------------------------------------------------------------------------------
    @property
    def folders(self) -> list[str]:
        with self._lock:
            return sorted(self._watches)

    def set_folders(self, folders: Iterable[str | os.PathLike]) -> None:
        """Watch exactly these root folders."""
        wanted = {os.path.abspath(os.fspath(folder)) for folder in folders}
        with self._lock:
            for root in set(self._watches) - wanted:
                self.unwatch(root)
            for root in sorted(wanted - set(self._watches)):
                self.watch(root)

    def watch(self, folder: str | os.PathLike) -> bool:
        """Start watching one root folder; False (with a notice) when it cannot be watched."""
        root = os.path.abspath(os.fspath(folder))
        with self._lock:
            if self._stopped or root in self._watches:
                return root in self._watches
            if not os.path.isdir(root):
                self.on_notice(f"The folder {root} is not available right now; it will be checked again later.")
                return False
            try:
                self._watches[root] = self._observer.schedule(_RootHandler(self, root), root, recursive=True,
                                                             event_filter=WATCHED_EVENTS)
            except OSError as exc:
                if exc.errno in LIMIT_ERRNOS and not self.polling:
                    self._switch_to_polling()
                    return root in self._watches or self.watch(root)
                log.warning("cannot watch %s: %s", root, exc)
                self.on_notice(f"Changes in {root} cannot be watched ({exc.strerror or exc}); "
                               "it will be rescanned periodically instead.")
                return False
            return True

    def unwatch(self, folder: str | os.PathLike) -> None:
        root = os.path.abspath(os.fspath(folder))
        with self._lock:
            watch = self._watches.pop(root, None)
            self._pending.discard(root)
            if watch is not None:
                try:
                    self._observer.unschedule(watch)
                except (KeyError, OSError):  # the folder may already be gone
                    pass

    def _switch_to_polling(self) -> None:
        log.warning("inotify limit reached; switching to polling")
        roots = list(self._watches)
        self._observer.unschedule_all()
        self._observer.stop()
        self.polling = True
        self._observer = self._new_observer()
        self._observer.start()
        self._watches.clear()
        self.on_notice("The system's limit on watched folders was reached, so album now checks your folders "
                       f"for changes every {POLL_INTERVAL_S:.0f} seconds instead of instantly.")
        for root in roots:
            self.watch(root)

    # -- events ----------------------------------------------------------------------------------------
    def is_relevant(self, path: str, is_directory: bool) -> bool:
        """True if an event about ``path`` may change the library."""
        absolute = os.path.abspath(path)
        if any(absolute == ignored or absolute.startswith(ignored + os.sep) for ignored in self.ignore):
            return False
        if os.path.basename(absolute).startswith("."):
            return False
        return is_directory or is_photo_path(absolute)

    def mark_dirty(self, root: str) -> None:
        with self._wake:
            now = time.monotonic()
            if not self._pending:
                self._first_event = now
            self._pending.add(root)
            self._last_event = now
            self._wake.notify()

    def _dispatch_loop(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and not self._pending:
                    self._wake.wait()
                if self._stopped:
                    return
                now = time.monotonic()
                due = min(self._last_event + self.debounce_s, self._first_event + self.max_delay_s)
                if now < due:
                    self._wake.wait(due - now)
                    continue
                roots, self._pending = self._pending, set()
            try:
                self.on_changes(roots)
            except Exception:  # a broken callback must not kill the watcher
                log.exception("change callback failed")

    def stop(self) -> None:
        """Stop watching and wait for the watcher's threads (pending changes are dropped)."""
        with self._wake:
            if self._stopped:
                return
            self._stopped = True
            self._wake.notify_all()
        self._observer.stop()
        self._observer.join(timeout=5)
        self._dispatcher.join(timeout=5)
