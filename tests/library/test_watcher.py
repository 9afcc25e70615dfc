"""The folder watcher: debounced per-root callbacks, ignored files, polling fallback."""

import errno
import shutil
import threading
import time

import pytest
from PIL import Image

from album.library import watcher as watcher_module
from album.library.watcher import FolderWatcher


class Recorder:
    def __init__(self):
        self.calls: list[set[str]] = []
        self.notices: list[str] = []
        self.event = threading.Event()

    def on_changes(self, roots):
        self.calls.append(set(roots))
        self.event.set()

    def wait(self, timeout=10.0):
        assert self.event.wait(timeout), "no change reported"
        self.event.clear()
        return self.calls[-1]


@pytest.fixture
def recorder():
    return Recorder()


def photo(path):
    Image.new("RGB", (40, 30), (10, 200, 30)).save(path)
    return path


def test_burst_of_new_photos_is_reported_once_per_root(tmp_path, recorder):
    root = tmp_path / "photos"
    root.mkdir()
    watcher = FolderWatcher(recorder.on_changes, recorder.notices.append, debounce_s=0.4)
    try:
        watcher.set_folders([root])
        assert watcher.folders == [str(root)]
        for index in range(5):
            photo(root / f"p{index}.jpg")
        assert recorder.wait() == {str(root)}
        time.sleep(0.8)
        assert len(recorder.calls) == 1
    finally:
        watcher.stop()


def test_photos_only_read_cost_the_watcher_nothing(tmp_path, recorder, monkeypatch):
    # album reads every photo it indexes or makes a thumbnail of: the kernel is not even asked for those events
    root = tmp_path / "photos"
    root.mkdir()
    kept = photo(root / "kept.jpg")
    seen = []
    handle = watcher_module._RootHandler.on_any_event
    monkeypatch.setattr(watcher_module._RootHandler, "on_any_event",
                        lambda self, event: (seen.append(event.event_type), handle(self, event)))
    watcher = FolderWatcher(recorder.on_changes, debounce_s=0.2)
    try:
        watcher.set_folders([root])
        for _ in range(20):
            kept.read_bytes()
            Image.open(kept).load()
        photo(root / "new.jpg")  # then one change, reported after everything before it was handled
        assert recorder.wait() == {str(root)}
        assert seen and set(seen) <= {"created", "modified", "closed"}
    finally:
        watcher.stop()


def test_moves_deletes_and_subfolders_are_reported(tmp_path, recorder):
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    source = photo(root / "sub" / "a.png")
    watcher = FolderWatcher(recorder.on_changes, debounce_s=0.2)
    try:
        watcher.watch(root)
        source.rename(root / "b.png")
        assert recorder.wait() == {str(root)}
        shutil.rmtree(root / "sub")
        assert recorder.wait() == {str(root)}
        (root / "b.png").unlink()
        assert recorder.wait() == {str(root)}
    finally:
        watcher.stop()


def test_non_photo_hidden_and_ignored_files_are_ignored(tmp_path, recorder):
    root = tmp_path / "photos"
    library = root / "library"
    library.mkdir(parents=True)
    watcher = FolderWatcher(recorder.on_changes, debounce_s=0.2, ignore=[library])
    try:
        watcher.watch(root)
        (root / "notes.txt").write_text("hello")
        photo(root / ".hidden.jpg")
        photo(library / "thumb.jpg")
        time.sleep(0.8)
        assert recorder.calls == []
    finally:
        watcher.stop()


def test_unwatch_stops_reports(tmp_path, recorder):
    root = tmp_path / "photos"
    root.mkdir()
    watcher = FolderWatcher(recorder.on_changes, debounce_s=0.2)
    try:
        watcher.watch(root)
        watcher.unwatch(root)
        assert watcher.folders == []
        photo(root / "a.jpg")
        time.sleep(0.6)
        assert recorder.calls == []
    finally:
        watcher.stop()


def test_missing_folder_gives_a_plain_notice(tmp_path, recorder):
    watcher = FolderWatcher(recorder.on_changes, recorder.notices.append)
    try:
        assert watcher.watch(tmp_path / "gone") is False
        assert "not available" in recorder.notices[0]
    finally:
        watcher.stop()


def test_inotify_limit_switches_to_polling(tmp_path, recorder, monkeypatch):
    root = tmp_path / "photos"
    root.mkdir()
    watcher = FolderWatcher(recorder.on_changes, recorder.notices.append, debounce_s=0.2)
    original = type(watcher._observer).schedule

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    try:
        monkeypatch.setattr(type(watcher._observer), "schedule", full)
        monkeypatch.setattr("album.library.watcher.POLL_INTERVAL_S", 0.2)
        watcher.watch(root)
        monkeypatch.setattr(type(watcher._observer), "schedule", original, raising=False)
        assert watcher.polling and watcher.folders == [str(root)]
        assert "limit" in recorder.notices[0]
        photo(root / "new.jpg")
        assert recorder.wait() == {str(root)}
    finally:
        watcher.stop()
