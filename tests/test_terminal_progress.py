"""The terminal's progress bars."""

from __future__ import annotations

import io
import sys

from album.tasks import Progress
from album.terminal_progress import TerminalProgress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_one_bar_per_phase_each_closed_once_done(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    progress = TerminalProgress()
    for done in (0, 150, 300):
        progress(Progress("rebuilding the search index", done, 300, 100.0, None))
    assert progress._bar is None  # done: closed, its last line left as it is
    progress(Progress("encoding", 5, 10, 1.0, 5.0))
    assert progress._bar is not None
    with progress:
        pass
    assert progress._bar is None
    shown = terminal.getvalue()
    assert "rebuilding the search index" in shown and "300/300" in shown and "encoding" in shown
