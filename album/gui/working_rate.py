"""Indexing speed over working time only, for the status bar.

The engine's ``Progress`` rate is work done over time since the phase began,
pauses included, so after a long pause it reads "1/s · 3 h left".  The
status bar measures its own rate instead: the photos done since the phase
began over the seconds it was not paused.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

from album.tasks import Progress


class WorkingRate:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._phase: str | None = None
        self._start_done = 0
        self._worked_s = 0.0
        self._since: float | None = None      # running since (None while paused)
        self._paused = False

    def pause(self) -> None:
        self._settle()
        self._paused = True
        self._since = None

    def resume(self) -> None:
        self._paused = False
        self._since = self._clock()

    def update(self, progress: Progress) -> Progress:
        """``progress`` with its rate and time left over working time."""
        if progress.phase != self._phase or progress.done < self._start_done:
            self._phase, self._start_done, self._worked_s = progress.phase, progress.done, 0.0
            self._since = None if self._paused else self._clock()
        self._settle()
        done = progress.done - self._start_done
        rate = done / self._worked_s if self._worked_s > 0.5 and done > 0 else 0.0
        eta = (progress.total - progress.done) / rate if rate > 0 else None
        return dataclasses.replace(progress, rate=rate, eta_s=eta)

    def _settle(self) -> None:
        if self._since is not None:
            now = self._clock()
            self._worked_s += now - self._since
            self._since = now
