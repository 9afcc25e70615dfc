"""GUI fixtures: a main window on the real engine, and one on a stub library the test drives by hand."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

import pytest

from album.gui.bridge import LibraryBridge
from album.gui.main_window import MainWindow
from album.duplicates.stacks import Stack
from album.groups.subject_groups import GroupingSummary
from album.library.records import FolderInfo, GroupInfo, PhotoRecord, PhotoStatus, TrashResult
from album.library.scanner import ScanSummary
from album.paths import LibraryPaths
from album.search.similar import Match
from album.tasks import Progress, SynchronousExecutor
from album.vision.calibration import ScoreScale
from tests.conftest import make_photo, near_copy

TIMEOUT_MS = 30_000


@pytest.fixture
def make_window(qtbot, library_paths, encoder):
    """``make()`` opens a main window on the real engine (the session's encoder, no thread pool)."""
    windows = []

    def make(debounce_s: float = 0.3) -> MainWindow:
        from album.engine import Album

        def opener(paths):
            return Album.open(paths, model=encoder, executor=SynchronousExecutor())

        bridge = LibraryBridge(library_paths, opener=opener, debounce_s=debounce_s)
        window = MainWindow(library_paths, bridge=bridge)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        assert not window.bridge.thread.isRunning()


@pytest.fixture
def album_dir(photo_dir):
    """Eight distinct photos plus a near copy of photo 0 (the same subject)."""
    with make_photo(0).copy() as original:
        near_copy(original).save(photo_dir / "photo_0_copy.jpg", quality=80)
    return photo_dir


def wait_until_indexed(qtbot, window, count):
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == count and not window.status.bar.isVisible(),
                    timeout=TIMEOUT_MS)


def indexed_window(qtbot, make_window, folder, count: int = 9):
    window = make_window()
    qtbot.waitUntil(lambda: window._opened, timeout=TIMEOUT_MS)
    window.folder_actions.add_folder(str(folder))
    wait_until_indexed(qtbot, window, count)
    return window


def record(photo_id: int, *, folder_id: int = 1, mtime_s: int = 0, taken: datetime | None = None,
           camera: str | None = None, status: PhotoStatus = PhotoStatus.OK, folder: str = "/stub") -> PhotoRecord:
    """A photo record for a stub library (its file does not exist: the thumbnail fails quietly)."""
    return PhotoRecord(photo_id, f"{folder}/photo_{photo_id:04d}.jpg", folder_id, 1000, mtime_s * 10**9,
                       f"hash{photo_id:08d}", 640 if status == PhotoStatus.OK else None,
                       480 if status == PhotoStatus.OK else None, taken, camera, status, None)


class StubGroups:
    """Just enough of ``SubjectGroups``: groups of photo ids, every edit recorded in ``edits``."""

    def __init__(self):
        self.groups: dict[int, tuple[str, bool, list[int]]] = {}
        self.edits: list[tuple] = []
        self.regrouped = 0

    def _info(self, group_id: int) -> GroupInfo:
        name, confirmed, members = self.groups[group_id]
        return GroupInfo(group_id, name, confirmed, len(members), members[0] if members else None)

    def list(self):
        return sorted((self._info(g) for g, (_, _, m) in self.groups.items() if m), key=lambda g: (-g.size, g.id))

    def get(self, group_id):
        return self._info(group_id) if self.groups.get(group_id, ("", False, []))[2] else None

    def members(self, group_id):
        return list(self.groups[group_id][2]) if group_id in self.groups else []

    def of_photo(self, photo_id):
        return [info for info in self.list() if photo_id in self.groups[info.id][2]]

    def rename(self, group_id, name):
        self.edits.append(("rename", group_id, name))
        self.groups[group_id] = (name, True, self.groups[group_id][2])

    def merge(self, into_id, other_ids):
        self.edits.append(("merge", into_id, tuple(other_ids)))
        name, _, members = self.groups[into_id]
        for other in other_ids:
            members = members + self.groups.pop(other)[2]
        self.groups[into_id] = (name, True, members)

    def add(self, group_id, photo_ids):
        self.edits.append(("add", group_id, tuple(photo_ids)))
        name, _, members = self.groups[group_id]
        self.groups[group_id] = (name, True, members + [p for p in photo_ids if p not in members])

    def create(self, name, photo_ids):
        self.edits.append(("create", name, tuple(photo_ids)))
        group_id = max(self.groups, default=0) + 1
        self.groups[group_id] = (name, True, list(photo_ids))
        return group_id

    def remove(self, group_id, photo_ids):
        self.edits.append(("remove", group_id, tuple(photo_ids)))
        name, _, members = self.groups[group_id]
        self.groups[group_id] = (name, True, [p for p in members if p not in photo_ids])


@dataclass
class StubAlbum:
    """Just enough of ``Album`` for the worker; the test emits the worker's signals itself."""

    folder_infos: list[FolderInfo] = field(default_factory=list)
    similar_asked: list[int] = field(default_factory=list)
    records: dict[int, PhotoRecord] = field(default_factory=dict)
    default_min_score: float = 0.5
    read_only: bool = False
    #: scores read as they are: cosine 0.9 shows as 90 %
    score_scale: ScoreScale = ScoreScale((0.0, 1.0), (0.0, 1.0), 1.0)
    groups: StubGroups = field(default_factory=StubGroups)
    stacks: list[Stack] = field(default_factory=list)
    trashed: list[int] = field(default_factory=list)
    #: the personal model in use; ``personalize`` makes ``personal_made`` (a ``PersonalReport``) the one in
    #: use, after reporting progress until ``personal_gate`` is set (when there is one); every call is recorded
    personal: object | None = None
    personal_made: object | None = None
    personal_gate: threading.Event | None = None
    personal_calls: list[str] = field(default_factory=list)
    #: where a rebuild of a search index would report (the worker sets it)
    indexes: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(progress=None))

    def folders(self):
        return list(self.folder_infos)

    def photos(self):
        return []

    def failures(self):
        return []

    def warm_up(self):
        pass

    def scan(self, folders=None, progress=None, control=None):
        return ScanSummary()

    def sync(self, folders=None):
        return ScanSummary()

    def photo(self, photo_id):
        return self.records.get(photo_id)

    def photos_by_ids(self, ids):
        return {i: self.records[i] for i in ids if i in self.records}

    def similar_to_photo(self, photo_id, k=50, min_score=None):
        self.similar_asked.append(photo_id)
        return [Match(i, r.path, 0.905 - 0.01 * n) for n, (i, r) in enumerate(self.records.items()) if i != photo_id]

    def similar_to_file(self, path, k=50, min_score=None):
        return []

    def regroup(self, progress=None, control=None):
        self.groups.regrouped += 1
        return GroupingSummary(len(self.records), len(self.groups.list()), 0, 0.1)

    def duplicates(self, progress=None, control=None):
        return list(self.stacks)

    def trash(self, photo_ids):
        self.trashed.extend(photo_ids)
        for photo_id in photo_ids:
            self.records.pop(photo_id, None)
        return TrashResult(list(photo_ids), [])

    def personal_model(self):
        return self.personal

    def personalize(self, progress=None, control=None):
        self.personal_calls.append("personalize")
        done = 0
        while True:
            progress(Progress("Learning from your groups", min(done, 99), 100, 0.0, None))
            control.checkpoint()
            if self.personal_gate is None or self.personal_gate.wait(0.02):
                break
            done += 1
        if isinstance(self.personal_made, Exception):
            raise self.personal_made
        self.personal = self.personal_made
        return self.personal

    def undo_personalize(self):
        self.personal_calls.append("undo")
        self.personal = None

    def close(self):
        pass


@pytest.fixture
def stub_window(qtbot, tmp_path):
    """``make(folders=1, gate=None)``: a main window on a ``StubAlbum`` with that many folders, once the
    worker is idle; ``gate`` (a ``threading.Event``) holds the library closed until it is set; ``paths``
    reopens a library of an earlier window."""
    windows = []

    def make(folders: int = 1, gate: threading.Event | None = None, wait: bool = True,
             paths: LibraryPaths | None = None) -> MainWindow:
        stub = StubAlbum([FolderInfo(i + 1, f"/stub{i + 1}", 0, True) for i in range(folders)])

        def opener(_paths):
            if gate is not None:
                gate.wait(10)
            return stub

        paths = paths or LibraryPaths.at(tmp_path / f"library{len(windows)}")
        paths.ensure()
        window = MainWindow(paths, bridge=LibraryBridge(paths, opener=opener, watch=False))
        window.stub = stub
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        if wait:
            qtbot.waitUntil(lambda: window._opened and not window.status.bar.isVisible(), timeout=TIMEOUT_MS)
            qtbot.wait(50)
        return window

    yield make
    for window in windows:
        window.close()
