"""Start-up relay between the worker and the window: read early, send once heard, load the model after the listing."""

from __future__ import annotations

import threading

import pytest

from album.gui.bridge import LibraryBridge
from album.library.records import FolderInfo
from tests.gui.conftest import StubAlbum, record

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

TIMEOUT_MS = 10_000


class CountingAlbum(StubAlbum):
    """A stub library that says when it was opened and when its model was loaded."""

    def __init__(self):
        super().__init__([FolderInfo(1, "/stub", 2, True)])
        self.opened = threading.Event()
        self.warmed = threading.Event()

    def photos(self):
        return [record(1), record(2)]

    def warm_up(self):
        self.warmed.set()


@pytest.fixture
def early(qtbot, library_paths):
    """A bridge whose worker is started before anything listens, with what it sends recorded."""
    stub = CountingAlbum()

    def opener(_paths):
        stub.opened.set()
        return stub

    bridge = LibraryBridge(library_paths.ensure(), opener=opener, watch=False)
    sent = []
    bridge.worker.opened.connect(lambda folders: sent.append(("opened", len(folders))))
    bridge.worker.photosChanged.connect(lambda photos: sent.append(("photos", len(photos))))
    bridge.open_early()
    assert stub.opened.wait(TIMEOUT_MS / 1000)
    yield bridge, stub, sent
    bridge.shutdown()


def test_the_worker_reads_early_and_sends_once_the_window_listens(qtbot, early):
    bridge, stub, sent = early
    qtbot.wait(200)
    assert sent == [], "nothing is sent before the window listens"
    bridge.start(listing_wait_s=TIMEOUT_MS / 1000)
    qtbot.waitUntil(lambda: len(sent) == 2, timeout=TIMEOUT_MS)
    assert sent == [("opened", 1), ("photos", 2)]
    qtbot.wait(200)
    assert not stub.warmed.is_set(), "the model waits for the window to list the photos"
    bridge.photos_listed()
    assert stub.warmed.wait(TIMEOUT_MS / 1000)


def test_closing_before_the_window_listens_lets_the_worker_go_without_loading_the_model(qtbot, early):
    bridge, stub, sent = early
    bridge.shutdown()
    assert not bridge.thread.isRunning()
    assert sent == [] and not stub.warmed.is_set()


def test_a_worker_alone_starts_straight_through(qtbot, library_paths):
    stub = CountingAlbum()
    bridge = LibraryBridge(library_paths.ensure(), opener=lambda _paths: stub, watch=False)
    bridge.start()
    try:
        assert stub.warmed.wait(TIMEOUT_MS / 1000)
    finally:
        bridge.shutdown()
