"""Catalogue migrations, tested on a catalogue made by the previous version of album."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from album.engine import Album
from album.library.catalogue import Catalogue
from album.library.records import PhotoStatus
from album.library.schema import SCHEMA_VERSION
from album.paths import LibraryPaths
from album.tasks import SynchronousExecutor

V1 = Path(__file__).parent / "data" / "catalogue-v1.sqlite3"
V1_MODEL = "efficientnet_lite0@57934424"


@pytest.fixture
def v1_library(tmp_path) -> LibraryPaths:
    paths = LibraryPaths.at(tmp_path / "library").ensure()
    shutil.copy(V1, paths.catalogue)
    return paths


def test_version_1_becomes_the_current_version_after_a_backup(v1_library):
    catalogue = Catalogue(v1_library.catalogue)
    try:
        with catalogue.engine.connect() as connection:
            version = connection.execute(text("SELECT value FROM meta WHERE key='schema_version'")).scalar()
            tables = {row[0] for row in connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
        assert version == str(SCHEMA_VERSION) == "4"
        assert {"backbone_features", "photo_groups", "group_members", "fingerprints"} <= tables
        assert catalogue.active_models() == [{"id": V1_MODEL, "role": "similarity"}]
        assert catalogue.count_photos() == {PhotoStatus.OK: 6, PhotoStatus.FAILED: 1}
        assert catalogue.count_embeddings(V1_MODEL) == 6
        failed = catalogue.photo_rows((PhotoStatus.FAILED,))
        assert failed[0].status is PhotoStatus.FAILED and failed[0].path.endswith("broken.jpg")
    finally:
        catalogue.close()
    backup = v1_library.catalogue.with_name(v1_library.catalogue.name + ".v1.bak")
    with sqlite3.connect(backup) as connection:
        assert connection.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("1",)
        assert connection.execute("SELECT count(*) FROM embeddings").fetchone() == (6,)


def test_a_migrated_library_keeps_its_vectors_and_reports_its_models(v1_library, encoder):
    with Album.open(v1_library, model="pretrained", executor=SynchronousExecutor()) as album:
        status = album.status()
        assert (status.photos, status.indexed, status.failed, status.model) == (6, 6, 1, V1_MODEL)
        assert [(m.id, m.role, m.indexed) for m in status.models] == [(V1_MODEL, "similarity", 6)]
        assert album.encoder.model_id == V1_MODEL  # the same bundled backbone: nothing to re-encode
        photo = album.photos()[0]
        assert len(album.similar_to_photo(photo.id, k=10, min_score=-1)) == 5
        assert album.catalogue.active_models() == [{"id": V1_MODEL, "role": "similarity", "source": "pretrained"}]


V2 = Path(__file__).parent / "data" / "catalogue-v2.sqlite3"
V2_MODEL = "efficientnet_lite0@57934424+492bfb5a"


@pytest.fixture
def v2_library(tmp_path) -> LibraryPaths:
    paths = LibraryPaths.at(tmp_path / "library").ensure()
    shutil.copy(V2, paths.catalogue)
    return paths


def test_version_2_gains_groups_and_fingerprints_after_a_backup(v2_library):
    catalogue = Catalogue(v2_library.catalogue)
    try:
        assert catalogue.active_models() == [{"id": V2_MODEL, "role": "similarity", "source": "default"}]
        assert catalogue.count_embeddings(V2_MODEL) == 6
        ids = [p.id for p in catalogue.photo_rows()]
        assert len(ids) == 6 and catalogue.groups.list() == []
        group = catalogue.groups.create("Rex", ids[:3])  # the new tables take writes, with their constraints
        catalogue.groups.remove(group, ids[:1])
        assert catalogue.groups.members(group) == sorted(ids[1:3])
        catalogue.store_fingerprints([(ids[0], catalogue.photo(ids[0]).content_hash, b"fp")])
        assert catalogue.fingerprints(ids) == {ids[0]: b"fp"}
        catalogue.delete_photos(ids[1:2])  # memberships follow their photo
        assert catalogue.groups.members(group) == [ids[2]]
    finally:
        catalogue.close()
    backup = v2_library.catalogue.with_name(v2_library.catalogue.name + ".v2.bak")
    with sqlite3.connect(backup) as connection:
        assert connection.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("2",)
        assert connection.execute("SELECT count(*) FROM backbone_features").fetchone() == (6,)
        assert "photo_groups" not in {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}


def test_a_migrated_version_2_library_groups_its_photos_without_re_encoding(v2_library):
    with Album.open(v2_library, model="default", executor=SynchronousExecutor()) as album:
        assert album.status().indexed == 6 and album.status().pending == 0
        summary = album.regroup()
        assert summary.photos == 6
        assert album.catalogue.lacking(V2_MODEL) == set()


V3 = Path(__file__).parent / "data" / "catalogue-v3.sqlite3"
V3_TEXT_MODEL = "efficientnet_lite0@57934424+text:054b2934"
EMBEDDINGS_INDEX = "ix_embeddings_model_id"


def index_sql(database: Path, name: str) -> str | None:
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone()
    connection.close()
    return row[0] if row else None


@pytest.fixture
def v3_library(tmp_path) -> LibraryPaths:
    paths = LibraryPaths.at(tmp_path / "library").ensure()
    shutil.copy(V3, paths.catalogue)
    return paths


def test_version_3_gains_the_embeddings_index_by_model_after_a_backup(v3_library, tmp_path):
    catalogue = Catalogue(v3_library.catalogue)
    try:
        assert [entry["id"] for entry in catalogue.active_models()] == [V2_MODEL, V3_TEXT_MODEL]
        assert catalogue.count_embeddings(V2_MODEL) == catalogue.count_embeddings(V3_TEXT_MODEL) == 6
        assert catalogue.count_photos() == {PhotoStatus.OK: 6, PhotoStatus.FAILED: 1}
        ids = [photo.id for photo in catalogue.photo_rows()]
        assert len(catalogue.groups.list()) == 1 and len(catalogue.fingerprints(ids)) == 6
        with catalogue.engine.connect() as connection:  # a model's vectors: counted and read in photo order by it
            queries = ("SELECT count(*) FROM embeddings WHERE model_id = :m",
                       "SELECT photo_id, vector FROM embeddings WHERE model_id = :m ORDER BY photo_id")
            plans = [" ".join(row[3] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {q}"), {"m": V2_MODEL}))
                     for q in queries]
        assert all(EMBEDDINGS_INDEX in plan and "TEMP B-TREE" not in plan for plan in plans)
    finally:
        catalogue.close()
    new = Catalogue(tmp_path / "new.sqlite3")  # a new catalogue has the very same index
    new.close()
    assert index_sql(v3_library.catalogue, EMBEDDINGS_INDEX) == index_sql(tmp_path / "new.sqlite3", EMBEDDINGS_INDEX)
    assert index_sql(v3_library.catalogue, EMBEDDINGS_INDEX) is not None
    backup = v3_library.catalogue.with_name(v3_library.catalogue.name + ".v3.bak")
    with sqlite3.connect(backup) as connection:
        assert connection.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("3",)
    connection.close()
    assert index_sql(backup, EMBEDDINGS_INDEX) is None


def test_a_migrated_version_3_library_reports_and_finds_as_before(v3_library):
    with Album.open(v3_library, model="default", executor=SynchronousExecutor()) as album:
        status = album.status()
        assert (status.photos, status.indexed, status.pending, status.failed) == (6, 6, 0, 1)
        assert [(m.role, m.indexed) for m in status.models] == [("similarity", 6), ("text", 6)]
        photo = album.photos()[0]
        assert len(album.similar_to_photo(photo.id, k=10, min_score=-1)) == 5  # from the stored vectors
        assert len(album.groups.list()) == 1
