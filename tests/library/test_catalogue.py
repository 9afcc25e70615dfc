"""The catalogue: WAL mode, schema version checks, migrations with a backup."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from album.errors import LibraryError
from album.library import migrations
from album.library.catalogue import Catalogue
from album.library.schema import SCHEMA_VERSION


def _set_version(path, version):
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))


def test_new_catalogue_uses_wal_and_records_its_version(tmp_path):
    catalogue = Catalogue(tmp_path / "c.sqlite3")
    with catalogue.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("SELECT value FROM meta WHERE key='schema_version'")).scalar() == str(SCHEMA_VERSION)
    catalogue.close()


def test_a_newer_catalogue_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "c.sqlite3"
    Catalogue(path).close()
    _set_version(path, SCHEMA_VERSION + 1)
    with pytest.raises(LibraryError, match="newer version of album"):
        Catalogue(path)
    with sqlite3.connect(path) as connection:
        stored = connection.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    assert stored == (str(SCHEMA_VERSION + 1),)
    assert not list(tmp_path.glob("*.bak"))


def test_an_older_catalogue_is_backed_up_then_migrated(tmp_path, monkeypatch):
    path = tmp_path / "c.sqlite3"
    catalogue = Catalogue(path)
    catalogue.add_folder("/photos")
    catalogue.close()
    _set_version(path, SCHEMA_VERSION - 1)

    def add_column(connection):
        connection.execute(text("ALTER TABLE folders ADD COLUMN note TEXT"))

    monkeypatch.setitem(migrations.MIGRATIONS, SCHEMA_VERSION - 1, add_column)
    migrated = Catalogue(path)
    with migrated.engine.connect() as connection:
        assert "note" in [row[1] for row in connection.execute(text("PRAGMA table_info(folders)"))]
        assert connection.execute(text("SELECT value FROM meta WHERE key='schema_version'")).scalar() == str(SCHEMA_VERSION)
    migrated.close()
    backup = path.with_name(f"{path.name}.v{SCHEMA_VERSION - 1}.bak")
    with sqlite3.connect(backup) as connection:
        assert connection.execute("SELECT path FROM folders").fetchall() == [("/photos",)]
        assert "note" not in [row[1] for row in connection.execute("PRAGMA table_info(folders)")]


def test_a_foreign_database_is_not_taken_over(tmp_path):
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE accounts (id INTEGER)")
    with pytest.raises(LibraryError, match="not an album catalogue"):
        Catalogue(path)


def test_a_file_that_is_not_a_database_gets_a_clear_error(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"garbage" * 1000)
    with pytest.raises(LibraryError, match="cannot open the library"):
        Catalogue(path)
