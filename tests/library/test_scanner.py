"""Scanning: new, moved, edited, copied, deleted and unreadable files, and missing folders."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from album.errors import UserFacingError
from album.indexing.indexer import Indexer
from tests.conftest import make_photo, run_time_head


@pytest.fixture
def scanned(album, photo_dir):
    album.add_folder(photo_dir)
    summary = album.scan()
    assert summary.new == 8 and not summary.failed
    return album


def _count_encodes(monkeypatch) -> list[int]:
    encoded: list[int] = []
    original = Indexer._encode_batch

    def counting(self, batch, on_vectors):
        encoded.extend(item.photo.id for item in batch)
        return original(self, batch, on_vectors)

    monkeypatch.setattr(Indexer, "_encode_batch", counting)
    return encoded


def test_first_scan_indexes_every_photo(scanned):
    status = scanned.status()
    assert (status.photos, status.indexed, status.pending, status.failed) == (8, 8, 0, 0)
    assert all(p.width == 320 and p.height == 240 for p in scanned.photos())


def test_rescan_without_changes_encodes_nothing(scanned, monkeypatch):
    encoded = _count_encodes(monkeypatch)
    summary = scanned.scan()
    assert summary.unchanged == 8 and summary.new == 0 and encoded == []


def test_moved_and_renamed_file_keeps_its_id_and_is_not_reencoded(scanned, photo_dir, monkeypatch):
    before = {p.path: p.id for p in scanned.photos()}
    (photo_dir / "sub").mkdir()
    source = photo_dir / "photo_3.jpg"
    target = photo_dir / "sub" / "renamed.jpg"
    shutil.move(source, target)
    encoded = _count_encodes(monkeypatch)
    summary = scanned.scan()
    assert (summary.moved, summary.new, summary.removed) == (1, 0, 0)
    assert encoded == []
    assert scanned.photo(before[str(source)]).path == str(target)


def test_move_between_library_folders_is_a_move(album, tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    make_photo(1).save(first / "x.jpg")
    album.add_folder(first), album.add_folder(second)
    album.scan()
    shutil.move(first / "x.jpg", second / "x.jpg")
    encoded = _count_encodes(monkeypatch)
    summary = album.scan(folders=[str(second)])  # the watcher may report only the destination
    assert summary.moved == 1 and encoded == []
    assert [p.path for p in album.photos()] == [str(second / "x.jpg")]


def test_a_folder_moved_to_another_library_folder_reported_at_its_source_first_is_a_move(album, tmp_path,
                                                                                       monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "trip").mkdir(parents=True), second.mkdir()
    for seed in range(3):
        make_photo(seed).save(first / "trip" / f"{seed}.jpg")
    album.add_folder(first), album.add_folder(second)
    album.scan()
    ids = sorted(p.id for p in album.photos())
    shutil.move(first / "trip", second / "trip")
    encoded = _count_encodes(monkeypatch)
    summary = album.scan(folders=[str(first)])  # the watcher reports the source before the destination
    assert (summary.moved, summary.removed, summary.new) == (3, 0, 0) and encoded == []
    assert sorted(p.id for p in album.photos()) == ids
    assert all(p.path.startswith(str(second / "trip")) for p in album.photos())


def test_copy_of_a_known_photo_reuses_its_embedding(scanned, photo_dir, monkeypatch):
    encoded = _count_encodes(monkeypatch)
    shutil.copy(photo_dir / "photo_1.jpg", photo_dir / "copy.jpg")
    summary = scanned.scan()
    assert summary.duplicates == 1 and encoded == []
    copy = next(p for p in scanned.photos() if p.path.endswith("copy.jpg"))
    assert scanned.similar_to_photo(copy.id, k=1, min_score=0.99)[0].path.endswith("photo_1.jpg")


def test_edited_file_is_reencoded(scanned, photo_dir, monkeypatch):
    encoded = _count_encodes(monkeypatch)
    target = photo_dir / "photo_2.jpg"
    make_photo(99).save(target)
    summary = scanned.scan()
    assert summary.changed == 1 and len(encoded) == 1
    results = scanned.similar_to_file(target, k=1, min_score=0.0)
    assert results[0].path == str(target) and results[0].score > 0.99


def test_touched_but_identical_file_is_unchanged(scanned, photo_dir, monkeypatch):
    encoded = _count_encodes(monkeypatch)
    os.utime(photo_dir / "photo_4.jpg", ns=(1, 1))
    summary = scanned.scan()
    assert summary.unchanged == 8 and summary.changed == 0 and encoded == []


def test_deleted_file_disappears_from_results(scanned, photo_dir):
    gone = str(photo_dir / "photo_5.jpg")
    query = next(p for p in scanned.photos() if p.path.endswith("photo_0.jpg"))
    assert gone in [m.path for m in scanned.similar_to_photo(query.id, k=10, min_score=-1)]
    os.remove(gone)
    summary = scanned.scan()
    assert summary.removed == 1
    assert gone not in [m.path for m in scanned.similar_to_photo(query.id, k=10, min_score=-1)]
    assert scanned.status().photos == 7


def test_corrupt_and_unreadable_files_are_recorded_and_the_scan_goes_on(album, photo_dir):
    (photo_dir / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (photo_dir / "notes.txt").write_text("ignored: not a photo suffix")
    album.add_folder(photo_dir)
    summary = album.scan()
    assert summary.new == 8 and [p for p, _ in summary.failed] == [str(photo_dir / "broken.jpg")]
    assert album.status().indexed == 8 and album.status().failed == 1
    failure = album.failures()[0]
    assert failure.path.endswith("broken.jpg") and "damaged or truncated" in failure.failure
    with pytest.raises(UserFacingError, match="could not be read"):
        album.similar_to_photo(failure.id)


def test_a_missing_folder_keeps_its_photos(scanned, photo_dir):
    hidden = photo_dir.with_name("unplugged")
    photo_dir.rename(hidden)
    summary = scanned.scan()
    assert summary.missing_folders == [str(photo_dir)] and summary.removed == 0
    assert scanned.status().photos == 8
    assert not scanned.folders()[0].exists


def test_removing_a_folder_forgets_photos_but_never_touches_files(scanned, photo_dir):
    files = sorted(os.listdir(photo_dir))
    assert scanned.remove_folder(photo_dir) == 8
    assert scanned.status().photos == 0 and scanned.folders() == []
    assert sorted(os.listdir(photo_dir)) == files


def test_adding_folders_nested_and_invalid(album, photo_dir, tmp_path):
    (photo_dir / "inner").mkdir()
    album.add_folder(photo_dir / "inner")
    album.add_folder(photo_dir)  # the outer folder absorbs the inner one
    assert [f.path for f in album.folders()] == [str(photo_dir)]
    with pytest.raises(UserFacingError, match="already in the library"):
        album.add_folder(photo_dir / "inner")
    with pytest.raises(UserFacingError, match="is not a folder"):
        album.add_folder(tmp_path / "nope")
    with pytest.raises(UserFacingError, match="own library"):
        album.add_folder(album.paths.root)


def test_cancelled_scan_resumes_where_it_stopped(album, photo_dir):
    from album.tasks import TaskControl

    control = TaskControl()
    seen = []

    def progress(report):
        seen.append(report)
        if report.phase == "Indexing" and report.done == 0:
            control.cancel()

    album.add_folder(photo_dir)
    summary = album.scan(progress=progress, control=control)
    assert summary.cancelled
    assert album.status().pending == 8
    resumed = []
    assert album.scan(progress=resumed.append).cancelled is False
    assert album.status().indexed == 8
    indexing = [r for r in resumed if r.phase == "Indexing"]
    assert (indexing[-1].done, indexing[-1].total) == (8, 8)
    assert resumed[-1].phase == "Grouping photos"  # the first scan of a library groups its photos


def test_long_scans_save_the_index_as_they_go(album, photo_dir, monkeypatch):
    from album.indexing import indexer
    from album.search import indexes

    monkeypatch.setattr(indexes, "SAVE_INTERVAL_S", 0)
    monkeypatch.setattr(indexer, "BATCH_SIZE", 2)
    saved_while_scanning = []
    original = indexer.Indexer._encode_batch

    def then_check_the_saved_index(self, batch, on_vectors):
        original(self, batch, on_vectors)
        saved = json.loads(album.search.index.meta_path.read_text())["generation"]
        saved_while_scanning.append(saved == album.catalogue.generation(album.encoder.model_id))

    monkeypatch.setattr(indexer.Indexer, "_encode_batch", then_check_the_saved_index)
    album.add_folder(photo_dir)
    album.scan()
    assert len(saved_while_scanning) == 4 and all(saved_while_scanning)


def test_switching_models_reencodes_without_mixing_vectors(album, photo_dir, library_paths, encoder, monkeypatch):
    """A library indexed by one model, opened with another head over the same backbone: every photo
    is re-encoded by the new model into its own index, from the kept backbone features (no photo is
    decoded again); going back to the first model needs no encoding at all."""
    from album.indexing import indexer
    import torch

    from album.engine import Album
    from album.tasks import SynchronousExecutor
    from album.vision.encoder import Encoder
    from album.vision.head import ResidualHead

    album.add_folder(photo_dir)
    album.scan()
    first_index = album.search.index.path
    album.close()

    head = ResidualHead(encoder.dim, hidden=8)
    torch.nn.init.normal_(head.up.weight, std=0.05)
    other = Encoder(encoder.backbone_spec, run_time_head(head), head_checksum="feedbeef")
    assert other.model_id != encoder.model_id
    with Album.open(library_paths, model=other, executor=SynchronousExecutor()) as switched:
        assert switched.status().pending == 8
        encoded = _count_encodes(monkeypatch)
        reheaded = []
        original_rehead = indexer.rehead
        monkeypatch.setattr(indexer, "rehead", lambda catalogue, enc, ids, *rest: (
            reheaded.extend(ids), original_rehead(catalogue, enc, ids, *rest)))
        switched.scan()
        assert encoded == [] and len(reheaded) == 8 and switched.status().indexed == 8
        assert switched.search.index.path != first_index and first_index.is_file()
        query = switched.photos()[0].id
        assert len(switched.similar_to_photo(query, k=7, min_score=-1)) == 7

    with Album.open(library_paths, model=encoder, executor=SynchronousExecutor()) as back:
        assert back.status().pending == 0
        back.scan()
        assert encoded == [] and len(reheaded) == 8  # nothing more was encoded
