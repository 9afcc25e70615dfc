"""The status bar: progress over working time, a quiet paused state, describing scans."""

from __future__ import annotations

import pytest

from album.gui.messages import ScanReport
from album.gui.status_bar import AlbumStatusBar, describe_scan
from album.library.scanner import ScanSummary
from album.gui.working_rate import WorkingRate
from album.tasks import Progress

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def engine_progress(done: int, elapsed_s: float, total: int = 1000) -> Progress:
    """What the engine reports: a rate over all the time since the phase began, pauses included."""
    rate = done / elapsed_s if elapsed_s else 0.0
    return Progress("encoding", done, total, rate, (total - done) / rate if rate else None)


def test_paused_shows_paused_and_the_rate_leaves_out_the_pause(qtbot):
    """Issue 14, bug 10."""
    bar = AlbumStatusBar()
    qtbot.addWidget(bar)
    clock = Clock()
    bar.rate = WorkingRate(clock)
    bar.set_busy(True)
    bar.show_progress(engine_progress(0, 0))
    clock.now = 10
    bar.show_progress(engine_progress(100, 10))
    assert bar.activity.full_text() == "encoding 100 of 1,000 · 10/s · 2 min left"
    bar.pause_button.setChecked(True)
    assert bar.activity.full_text() == "Paused · encoding 100 of 1,000"
    clock.now = 70
    bar.show_progress(engine_progress(100, 70))   # a report that arrives while paused
    assert bar.activity.full_text() == "Paused · encoding 100 of 1,000"
    bar.pause_button.setChecked(False)
    clock.now = 71
    bar.show_progress(engine_progress(110, 71))
    assert bar.activity.full_text() == "encoding 110 of 1,000 · 10/s · 1 min left"


def test_a_new_phase_starts_a_new_rate():
    clock = Clock()
    rate = WorkingRate(clock)
    rate.update(Progress("scanning", 0, 50, 0.0, None))
    clock.now = 5
    assert rate.update(Progress("scanning", 50, 50, 10.0, 0.0)).rate == pytest.approx(10)
    assert rate.update(Progress("encoding", 0, 50, 0.0, None)).rate == 0
    clock.now = 10
    assert rate.update(Progress("encoding", 25, 50, 5.0, None)).rate == pytest.approx(5)


def test_scan_summary_in_plain_words():
    summary = ScanSummary(new=1200, moved=3, failed=[("a", "b")])
    assert describe_scan(ScanReport.of(summary)) == "Up to date · 1,200 new, 3 moved, 1 unreadable"
    assert describe_scan(ScanReport(cancelled=True)) == "Indexing stopped; it goes on at the next scan"


def test_a_step_that_cannot_be_paused_shows_its_counts_and_no_pause_button(qtbot):
    bar = AlbumStatusBar()
    qtbot.addWidget(bar)
    bar.show()
    bar.show_step(Progress("rebuilding the search index", 40_000, 100_000, 4000.0, 15.0))
    assert bar.activity.full_text() == "Rebuilding the search index 40,000 of 100,000 · 4000/s · 15 s left"
    assert bar.bar.isVisible() and not bar.pause_button.isVisible()
    bar.show_step(Progress("rebuilding the search index", 100_000, 100_000, 4000.0, 0.0))
    assert not bar.bar.isVisible()
    bar.set_busy(True)  # a scan runs: its progress has the bar
    bar.show_step(Progress("rebuilding the search index", 5, 10, 1.0, 5.0))
    assert bar.activity.full_text() == "Looking for new and changed photos…"
