"""Progress reports and pause/resume/cancel for long-running work.

Core code calls ``control.checkpoint()`` between units of work and reports
``Progress`` through a plain callback; the CLI renders it with tqdm and the
GUI forwards it through a Qt signal.  Nothing here depends on a UI.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Callable


class Cancelled(Exception):
    """Raised by ``TaskControl.checkpoint`` once the user cancelled the task."""


@dataclass(frozen=True)
class Progress:
    phase: str
    done: int
    total: int
    rate: float
    eta_s: float | None
    current: str | None = None

    def describe(self) -> str:
        """``encoding 1,234 of 5,902 · 61/s · 1 min left``"""
        text = f"{self.phase} {self.done:,} of {self.total:,}"
        if self.rate > 0:
            text += f" · {self.rate:.0f}/s"
        if self.eta_s is not None and self.done < self.total:
            text += f" · {format_duration(self.eta_s)} left"
        return text


ProgressCallback = Callable[[Progress], None]


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


class TaskControl:
    """Thread-safe pause/resume/cancel flags shared by a task and its controller."""

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self._cancelled = threading.Event()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()  # wake a paused task so it can stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def checkpoint(self) -> None:
        """Block while paused; raise ``Cancelled`` if cancelled."""
        self._running.wait()
        if self._cancelled.is_set():
            raise Cancelled


class ProgressMeter:
    """Turns counts into ``Progress`` reports with a smoothed rate and an ETA."""

    def __init__(self, phase: str, total: int, callback: ProgressCallback | None, min_interval: float = 0.2):
        self.phase = phase
        self.total = total
        self.done = 0
        self._callback = callback
        self._min_interval = min_interval
        self._start = time.monotonic()
        self._last_emit = self._start  # start() announces the phase; counts follow every min_interval
        self._rate = 0.0

    def advance(self, count: int = 1, current: str | None = None) -> None:
        self.done += count
        now = time.monotonic()
        if self._callback and (now - self._last_emit >= self._min_interval or self.done >= self.total):
            self._last_emit = now
            elapsed = max(now - self._start, 1e-6)
            self._rate = self.done / elapsed
            self._callback(self.report(current))

    def report(self, current: str | None = None) -> Progress:
        eta = (self.total - self.done) / self._rate if self._rate > 0 else None
        return Progress(self.phase, self.done, self.total, self._rate, eta, current)

    def start(self) -> None:
        """Announce the phase (0 of total) so a UI can show it at once."""
        if self._callback:
            self._callback(self.report())


class SynchronousExecutor(Executor):
    """Runs each task at once in the caller's thread: makes core code deterministic in tests."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered through the future, like a thread pool would
            future.set_exception(exc)
        return future
