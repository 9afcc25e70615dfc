"""Progress reports and pause/resume/cancel, independent of any UI."""

from __future__ import annotations

import threading
import time

import pytest

from album.tasks import Cancelled, Progress, ProgressMeter, SynchronousExecutor, TaskControl, format_duration


def test_progress_describes_counts_rate_and_time_left():
    assert Progress("Indexing", 1234, 5902, 61.0, 76.0).describe() == "Indexing 1,234 of 5,902 · 61/s · 1 min left"
    assert Progress("Checking", 5, 5, 0.0, None).describe() == "Checking 5 of 5"
    assert [format_duration(s) for s in (0.2, 59, 125, 7200)] == ["1 s", "59 s", "2 min", "2.0 h"]


def test_the_meter_announces_the_phase_and_always_reports_the_end():
    reports: list[Progress] = []
    meter = ProgressMeter("Indexing", 3, reports.append, min_interval=3600)
    meter.start()
    meter.advance(1)
    meter.advance(2, "/photos/last.jpg")
    assert [(r.done, r.total) for r in reports] == [(0, 3), (3, 3)]
    assert reports[-1].current == "/photos/last.jpg" and reports[-1].rate > 0


def test_pause_blocks_the_task_until_resumed_and_cancel_wakes_it():
    control = TaskControl()
    control.pause()
    passed = threading.Event()

    def task():
        try:
            control.checkpoint()
            passed.set()
        except Cancelled:
            pass

    worker = threading.Thread(target=task)
    worker.start()
    time.sleep(0.05)
    assert control.paused and not passed.is_set()
    control.resume()
    worker.join(5)
    assert passed.is_set()
    control.pause()
    control.cancel()
    assert not control.paused and control.cancelled
    with pytest.raises(Cancelled):
        control.checkpoint()


def test_the_synchronous_executor_runs_at_once_and_delivers_errors_through_the_future():
    executor = SynchronousExecutor()
    assert executor.submit(lambda x: x * 2, 21).result() == 42
    assert list(executor.map(len, ["ab", "c"])) == [2, 1]
    with pytest.raises(ZeroDivisionError):
        executor.submit(lambda: 1 / 0).result()
