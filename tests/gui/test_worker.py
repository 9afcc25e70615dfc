"""LibraryWorker on its own, with a real Album on a tmp library: typed records in every signal."""

from __future__ import annotations

import pytest

from album.engine import Album
from album.gui.messages import Folders, Photos, Purpose, ScanReport, ScoredPhoto, SimilarAnswer, SimilarQuery
from album.gui.worker import LibraryWorker
from album.library.records import FolderInfo, PhotoRecord, PhotoStatus
from album.tasks import Progress, SynchronousExecutor
from tests.conftest import make_photo, near_copy

TIMEOUT_MS = 30_000


@pytest.fixture
def worker(qtbot, library_paths, encoder):
    """A worker on the test's thread (its queued wake-ups run in qtbot's event loop)."""
    worker = LibraryWorker(library_paths, lambda paths: Album.open(paths, model=encoder,
                                                                   executor=SynchronousExecutor()))
    yield worker
    worker.cancel()
    if worker.album is not None:
        worker.album.close()


def started(qtbot, worker) -> LibraryWorker:
    opened = []
    worker.opened.connect(opened.append)
    with qtbot.waitSignals([worker.opened, worker.ready], timeout=TIMEOUT_MS):
        worker.start()
    assert opened == [Folders()]
    with qtbot.waitSignal(worker.busyChanged, check_params_cb=lambda busy: not busy, timeout=TIMEOUT_MS):
        pass  # the start-up scan of an empty library
    return worker


def indexed(qtbot, worker, folder) -> ScanReport:
    with qtbot.waitSignal(worker.scanFinished, timeout=TIMEOUT_MS) as finished:
        worker.add_folder(str(folder))
    return finished.args[0]


def test_opening_announces_folders_and_the_calibrated_starting_threshold(qtbot, worker, encoder):
    opened, ready = [], []
    worker.opened.connect(opened.append)
    worker.ready.connect(ready.append)
    with qtbot.waitSignals([worker.opened, worker.ready], timeout=TIMEOUT_MS):
        worker.start()
    assert isinstance(opened[0], Folders)
    assert ready == [pytest.approx(0.5)]  # the start of "similar", the same for every model


def test_adding_a_folder_scans_it_and_reports_typed_records(qtbot, worker, photo_dir):
    started(qtbot, worker)
    progress, photos, folders = [], [], []
    worker.progress.connect(progress.append)
    worker.photosChanged.connect(photos.append)
    worker.foldersChanged.connect(folders.append)
    summary = indexed(qtbot, worker, photo_dir)
    assert isinstance(summary, ScanReport) and summary.new == 8
    assert progress and all(isinstance(p, Progress) for p in progress)
    assert isinstance(photos[-1], Photos) and len(photos[-1]) == 8
    assert all(isinstance(r, PhotoRecord) and r.status == PhotoStatus.OK for r in photos[-1])
    assert isinstance(folders[-1], Folders)
    assert folders[-1] == [FolderInfo(folders[-1][0].id, str(photo_dir), 8, True)]


def test_similar_to_a_library_photo(qtbot, worker, photo_dir):
    with make_photo(0).copy() as original:
        near_copy(original).save(photo_dir / "photo_0_copy.jpg", quality=80)
    started(qtbot, worker)
    records = []
    worker.photosChanged.connect(records.append)
    indexed(qtbot, worker, photo_dir)
    query = next(r for r in records[-1] if r.path.endswith("photo_0.jpg"))
    with qtbot.waitSignal(worker.similarReady, timeout=TIMEOUT_MS) as answered:
        worker.ask_similar(SimilarQuery(photo_id=query.id, purpose=Purpose.RESULTS))
    answer = answered.args[0]
    assert isinstance(answer, SimilarAnswer) and answer.error is None
    assert answer.query.purpose == Purpose.RESULTS
    assert answer.query_record == query
    assert all(isinstance(m, ScoredPhoto) and isinstance(m.record, PhotoRecord) for m in answer.matches)
    assert answer.matches[0].path.endswith("photo_0_copy.jpg")
    assert [m.score for m in answer.matches] == sorted((m.score for m in answer.matches), reverse=True)


def test_similar_to_an_outside_file_and_to_a_photo_that_is_gone(qtbot, worker, photo_dir, tmp_path):
    started(qtbot, worker)
    indexed(qtbot, worker, photo_dir)
    outside = tmp_path / "outside.png"
    near_copy(make_photo(3)).save(outside)
    with qtbot.waitSignal(worker.similarReady, timeout=TIMEOUT_MS) as answered:
        worker.ask_similar(SimilarQuery(path=str(outside)))
    answer = answered.args[0]
    assert answer.query_record is None and answer.matches[0].path.endswith("photo_3.jpg")
    with qtbot.waitSignal(worker.similarReady, timeout=TIMEOUT_MS) as answered:
        worker.ask_similar(SimilarQuery(photo_id=10_000))
    assert answered.args[0].error == "This photo is no longer in the library."
    assert answered.args[0].matches == []


def test_unreadable_files_and_removing_the_folder(qtbot, worker, photo_dir):
    (photo_dir / "broken.jpg").write_bytes(b"not a jpeg")
    started(qtbot, worker)
    failures = []
    worker.failuresChanged.connect(failures.append)
    indexed(qtbot, worker, photo_dir)
    assert isinstance(failures[-1], Photos)
    assert [(r.path.endswith("broken.jpg"), r.status) for r in failures[-1]] == [(True, PhotoStatus.FAILED)]
    folders, photos = [], []
    worker.foldersChanged.connect(folders.append)
    worker.photosChanged.connect(photos.append)
    with qtbot.waitSignals([worker.foldersChanged, worker.photosChanged], timeout=TIMEOUT_MS):
        worker.remove_folder(str(photo_dir))
    assert folders == [[]] and photos == [[]]
    assert (photo_dir / "photo_1.jpg").exists()


def test_a_library_problem_is_reported_in_plain_words(qtbot, worker, tmp_path):
    started(qtbot, worker)
    with qtbot.waitSignal(worker.problem, timeout=TIMEOUT_MS) as problem:
        worker.add_folder(str(tmp_path / "nowhere"))
    assert "not a folder" in problem.args[0]


def test_group_requests_answer_with_typed_records_and_edits_survive_regrouping(qtbot, worker, photo_dir):
    from album.gui.inbox import REGROUP, Task
    from album.gui.messages import GroupAction, GroupEdited, GroupPhotos, GroupRequest, Groups, PhotoGroups

    started(qtbot, worker)
    records = []
    worker.photosChanged.connect(records.append)
    indexed(qtbot, worker, photo_dir)
    ids = tuple(sorted(r.id for r in records[-1]))
    edits, lists = [], []
    worker.groupEdited.connect(edits.append)
    worker.groupsChanged.connect(lists.append)
    with qtbot.waitSignal(worker.groupsChanged, timeout=TIMEOUT_MS):
        worker.ask_groups(GroupRequest(GroupAction.CREATE, photo_ids=ids[:3], name="Shapes"))
    edited, groups = edits[-1], lists[-1]
    assert isinstance(edited, GroupEdited) and edited.message == "Made the group “Shapes” of 3 photos"
    group_id = edited.group_id
    shapes = next(g for g in groups if g.info.id == group_id)
    assert isinstance(groups, Groups) and (shapes.info.name, shapes.info.size, shapes.info.confirmed) == (
        "Shapes", 3, True)
    assert shapes.cover is not None and shapes.cover.id in ids[:3]
    with qtbot.waitSignal(worker.groupsChanged, timeout=TIMEOUT_MS):
        worker.ask_groups(GroupRequest(GroupAction.RENAME, group_id, name="Rex"))
    with qtbot.waitSignal(worker.groupsChanged, timeout=TIMEOUT_MS):
        worker.ask_groups(GroupRequest(GroupAction.REMOVE, group_id, photo_ids=ids[:1]))
    with qtbot.waitSignal(worker.taskFinished, timeout=TIMEOUT_MS) as finished:
        worker.run_task(Task(REGROUP))
    assert finished.args[0].startswith("Regrouped · ")
    with qtbot.waitSignal(worker.groupOpened, timeout=TIMEOUT_MS) as opened:
        worker.ask_groups(GroupRequest(GroupAction.OPEN, group_id))
    page = opened.args[0]
    assert isinstance(page, GroupPhotos) and page.info.name == "Rex" and page.info.confirmed
    members = {r.id for r in page.photos}
    assert set(ids[1:3]) <= members and ids[0] not in members, "the removed photo stays out after regrouping"
    with qtbot.waitSignal(worker.photoGroupsReady, timeout=TIMEOUT_MS) as answered:
        worker.ask_groups(GroupRequest(GroupAction.OF_PHOTO, photo_ids=(ids[1],)))
    assert isinstance(answered.args[0], PhotoGroups) and "Rex" in [g.name for g in answered.args[0].groups]


def test_a_search_index_rebuilt_while_opening_reports_its_progress(qtbot, worker, library_paths, encoder, photo_dir):
    with Album.open(library_paths, model=encoder, executor=SynchronousExecutor()) as album:
        album.add_folder(photo_dir)
        assert album.scan().new > 0
    for saved in library_paths.index_dir.iterdir():  # as after a crash, or an index of an earlier release
        saved.unlink()
    steps = []
    worker.indexProgress.connect(steps.append)
    with qtbot.waitSignal(worker.ready, timeout=TIMEOUT_MS):
        worker.start()
    assert steps and all(step.phase == "rebuilding the search index" for step in steps)
    assert steps[-1].done == steps[-1].total > 0
