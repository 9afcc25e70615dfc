"""The worker's start-up relay with the window: two gates it waits at, opened from the GUI thread.

With 100,000 photos, opening the library and reading its photos takes
longer than building the window, so ``run_app`` starts the worker first
(``hold_for_window``): it reads while the window is built, and waits at the
first gate until the window has connected to its signals
(``window_listens``), so that nothing it sends is lost.  At the second gate
it waits, up to ``expect_listing``'s limit, for the window to have listed
the photos (``photos_listed``) before it loads the model: the two threads
share one interpreter, and a listing beside the model loading took three
times as long.  Both gates stand open unless held: a worker alone (tests)
starts straight through.  ``open_all`` (closing) lets a waiting worker go.
"""

from __future__ import annotations

import threading


class StartGates:
    def __init__(self) -> None:
        self._window = threading.Event()
        self._listed = threading.Event()
        self._window.set()
        self._listed.set()
        self._listing_wait_s = 0.0

    # -- the GUI thread -------------------------------------------------------------------------------
    def hold_for_window(self) -> None:
        """The worker starts before the window listens: it keeps what it read until ``window_listens``."""
        self._window.clear()

    def expect_listing(self, wait_s: float) -> None:
        """A window will say when it has listed the photos; the worker waits at most ``wait_s`` for it."""
        self._listing_wait_s = wait_s
        self._listed.clear()

    def window_listens(self) -> None:
        self._window.set()

    def photos_listed(self) -> None:
        self._listed.set()

    def open_all(self) -> None:
        self._window.set()
        self._listed.set()

    # -- the worker thread ----------------------------------------------------------------------------
    def wait_for_window(self) -> None:
        self._window.wait()

    def wait_for_listing(self) -> None:
        self._listed.wait(self._listing_wait_s)
