"""``album status`` read with the stdlib sqlite3 driver: the engine's figures, or None when the engine must open."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from album.engine import Album
from album.indexing import active
from album.library.status_reader import SCHEMA_VERSION, SIMILARITY, StatusReport, kept_on_opening, read_status
from album.paths import LibraryPaths
from album.tasks import SynchronousExecutor
from tests.conftest import make_photo

V3 = Path(__file__).parent / "data" / "catalogue-v3.sqlite3"
SIMILARITY_MODEL = "efficientnet_lite0@57934424+492bfb5a"
TEXT_MODEL = "efficientnet_lite0@57934424+text:054b2934"


def open_album(paths: LibraryPaths) -> Album:
    return Album.open(paths, executor=SynchronousExecutor())


def engine_report(paths: LibraryPaths) -> StatusReport:
    with open_album(paths) as album:
        return StatusReport(album.status(), [(photo.path, photo.failure) for photo in album.failures()])


def set_active_models(paths: LibraryPaths, models) -> None:
    with sqlite3.connect(paths.catalogue) as connection:
        connection.execute("UPDATE meta SET value = ? WHERE key = 'active_models'", (json.dumps(models),))
    connection.close()


@pytest.fixture
def library(tmp_path) -> LibraryPaths:
    """A catalogue of the previous version, migrated: 6 photos encoded by two models and one unreadable; then
    5 new photos found (pending), 3 of which turn out unreadable, with different file times."""
    paths = LibraryPaths.at(tmp_path / "library").ensure()
    shutil.copy(V3, paths.catalogue)
    folder = tmp_path / "new"
    folder.mkdir()
    for seed in range(5):
        make_photo(10 + seed, (64, 48)).save(folder / f"new{seed}.jpg")
    with open_album(paths) as album:
        album.add_folder(folder)
        album.sync([str(folder)])
        pending = sorted(album.photos_by_ids(album.catalogue.lacking(SIMILARITY_MODEL)).values(),
                         key=lambda photo: photo.path)
        for age, photo in enumerate(pending[:3]):
            album.catalogue.mark_failed(photo.id, photo.content_hash, f"unreadable {age}")
    return paths


def test_the_figures_are_the_engines(library):
    report = read_status(library.catalogue)
    assert report == engine_report(library)
    status = report.status
    assert (status.photos, status.indexed, status.pending, status.failed) == (8, 6, 2, 4)
    assert [(model.id, model.role, model.indexed) for model in status.models] == [
        (SIMILARITY_MODEL, "similarity", 6), (TEXT_MODEL, "text", 6)]
    assert len(status.folders) == 2 and len(report.failures) == 4
    assert SIMILARITY == active.SIMILARITY


def test_unreadable_photos_come_newest_first_as_the_catalogue_lists_them(library):
    with sqlite3.connect(library.catalogue) as connection:  # a date taken beats the file time
        connection.execute("UPDATE photos SET taken_at = '2001-01-01 00:00:00.000000' WHERE failure = 'unreadable 1'")
        connection.execute("UPDATE photos SET mtime_ns = 2000000000000000000 WHERE failure = 'unreadable 2'")
    connection.close()
    failures = read_status(library.catalogue).failures
    assert failures == engine_report(library).failures
    assert [reason for _, reason in failures][:2] == ["unreadable 2", "unreadable 0"]


def test_it_reads_without_writing_and_beside_a_writer(library):
    before = library.catalogue.read_bytes()
    writer = sqlite3.connect(library.catalogue, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # a scan's transaction, not committed yet
        writer.execute("UPDATE photos SET status = 'ok' WHERE status = 'pending'")
        assert read_status(library.catalogue).status.pending == 2
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert library.catalogue.read_bytes() == before


def test_the_engine_opens_a_library_that_has_no_catalogue_yet(tmp_path):
    paths = LibraryPaths.at(tmp_path / "library")
    assert read_status(paths.catalogue) is None and not paths.catalogue.exists()
    paths.ensure()  # an empty file, as the engine leaves it before creating the tables
    assert read_status(paths.catalogue) is None


def test_the_engine_opens_a_catalogue_to_migrate_or_refuse(tmp_path, library):
    old = tmp_path / "old.sqlite3"
    shutil.copy(V3, old)
    before = old.read_bytes()
    assert read_status(old) is None and old.read_bytes() == before
    assert not old.with_name("old.sqlite3.v3.bak").exists()  # nor backed up
    with sqlite3.connect(library.catalogue) as connection:
        connection.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    connection.close()
    assert read_status(library.catalogue) is None


SIMILAR = {"id": SIMILARITY_MODEL, "role": "similarity", "source": "default"}
TEXT = {"id": TEXT_MODEL, "role": "text", "source": "text"}


@pytest.mark.parametrize("models", [
    [], [SIMILAR], [SIMILAR, TEXT], [{**SIMILAR, "source": None}, TEXT], [TEXT],
    [TEXT, SIMILAR],  # not in the engine's order
    [SIMILAR, {**TEXT, "role": "other", "source": None}],  # an in-process encoder of an earlier session
    [SIMILAR, TEXT, TEXT],  # a role twice
])
def test_active_encoders_as_stored_exactly_when_the_engine_keeps_them(library, models):
    set_active_models(library, models)
    with open_album(library) as album:
        kept = album.catalogue.active_models() == models
    set_active_models(library, models)
    assert kept_on_opening(models) == kept
    report = read_status(library.catalogue)
    assert (report is not None) == kept
    if kept:
        assert report == engine_report(library)


@pytest.mark.parametrize("value", ['{"id": 1}', '[{"role": "similarity"}]', "[1]", "not json"])
def test_active_encoders_it_cannot_read_are_the_engines_to_judge(library, value):
    with sqlite3.connect(library.catalogue) as connection:
        connection.execute("UPDATE meta SET value = ? WHERE key = 'active_models'", (value,))
    connection.close()
    assert read_status(library.catalogue) is None

