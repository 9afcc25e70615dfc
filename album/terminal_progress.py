"""Terminal progress for long commands: one tqdm bar per phase (count, rate, ETA).

tqdm is imported with the first report, so a command that may never report
(a search whose index needs no rebuild) does not pay for it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from album.tasks import Progress

if TYPE_CHECKING:
    from tqdm import tqdm


class TerminalProgress:
    def __init__(self) -> None:
        self._bar: tqdm | None = None
        self._phase: str | None = None

    def __call__(self, progress: Progress) -> None:
        from tqdm import tqdm

        if progress.phase != self._phase or self._bar is None:
            self._close()
            self._phase = progress.phase
            self._bar = tqdm(total=progress.total, desc=progress.phase, unit="photo", file=sys.stderr,
                             dynamic_ncols=True, disable=None)
        self._bar.update(progress.done - self._bar.n)
        if progress.total and progress.done >= progress.total:
            self._close()  # done: the line stays as it is, and a later bar starts below it

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "TerminalProgress":
        return self

    def __exit__(self, *exc) -> None:
        self._close()
