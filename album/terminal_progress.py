"""Terminal progress for long commands: one tqdm bar per phase (count, rate, ETA)."""

from __future__ import annotations

import sys

from tqdm import tqdm

from album.tasks import Progress


class TerminalProgress:
    def __init__(self) -> None:
        self._bar: tqdm | None = None
        self._phase: str | None = None

    def __call__(self, progress: Progress) -> None:
        if progress.phase != self._phase:
            self._close()
            self._phase = progress.phase
            self._bar = tqdm(total=progress.total, desc=progress.phase, unit="photo", file=sys.stderr,
                             dynamic_ncols=True, disable=None)
        self._bar.update(progress.done - self._bar.n)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "TerminalProgress":
        return self

    def __exit__(self, *exc) -> None:
        self._close()
