"""Opening a catalogue at the right schema version, with a backup before any migration.

A catalogue made by a newer album is refused with a clear message rather
than guessed at.  Each migration step upgrades one version; before the first
step runs, the database is copied (SQLite online backup) beside itself.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Callable

from sqlalchemy import Connection, Engine, inspect, select, text

from album.errors import LibraryError
from album.library.schema import SCHEMA_VERSION, Base, Meta


def _v1_to_v2(connection: Connection) -> None:
    """Several encoders per library: the active set (with roles) replaces the one active model,
    and pooled backbone features are kept so that a new head re-encodes without the CNN."""
    connection.execute(text(
        "CREATE TABLE backbone_features ("
        " photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,"
        " features_id VARCHAR(160) NOT NULL,"
        " vector BLOB NOT NULL,"
        " PRIMARY KEY (photo_id, features_id))"))
    active = connection.execute(text("SELECT value FROM meta WHERE key = 'active_model'")).scalar()
    connection.execute(text("DELETE FROM meta WHERE key = 'active_model'"))
    models = [{"id": active, "role": "similarity"}] if active else []
    connection.execute(text("INSERT INTO meta (key, value) VALUES ('active_models', :value)"),
                       {"value": json.dumps(models)})


def _v2_to_v3(connection: Connection) -> None:
    """Subject groups (automatic or confirmed by the user, with must- and cannot-links) and the
    perceptual fingerprints of near-duplicate checks."""
    connection.execute(text(
        "CREATE TABLE photo_groups ("
        " id INTEGER NOT NULL PRIMARY KEY,"
        " name TEXT NOT NULL,"
        " named_by_user BOOLEAN NOT NULL,"
        " confirmed BOOLEAN NOT NULL,"
        " cover_id INTEGER REFERENCES photos (id) ON DELETE SET NULL,"
        " created_at DATETIME NOT NULL)"))
    connection.execute(text("CREATE INDEX ix_photo_groups_confirmed ON photo_groups (confirmed)"))
    connection.execute(text(
        "CREATE TABLE group_members ("
        " group_id INTEGER NOT NULL REFERENCES photo_groups (id) ON DELETE CASCADE,"
        " photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,"
        " role VARCHAR(16) NOT NULL,"
        " PRIMARY KEY (group_id, photo_id))"))
    connection.execute(text("CREATE INDEX ix_group_members_photo_id ON group_members (photo_id)"))
    connection.execute(text(
        "CREATE TABLE fingerprints ("
        " photo_id INTEGER NOT NULL PRIMARY KEY REFERENCES photos (id) ON DELETE CASCADE,"
        " content_hash VARCHAR(64) NOT NULL,"
        " data BLOB NOT NULL)"))


def _v3_to_v4(connection: Connection) -> None:
    """An index of the embeddings by model (then photo): a model's vectors counted (``album status``),
    read in photo order (index rebuilds) and found lacking without scanning every model's rows.  Not
    on the model alone: SQLite would then read a model's vectors through it and sort them."""
    connection.execute(text("CREATE INDEX ix_embeddings_model_id ON embeddings (model_id, photo_id)"))


#: version -> step that upgrades a catalogue from that version to the next
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}


def stored_version(connection: Connection) -> int | None:
    if not inspect(connection).has_table(Meta.__tablename__):
        return None
    value = connection.execute(select(Meta.value).where(Meta.key == "schema_version")).scalar()
    return int(value) if value is not None else None


def _write_version(connection: Connection, version: int) -> None:
    connection.execute(Meta.__table__.delete().where(Meta.key == "schema_version"))
    connection.execute(Meta.__table__.insert().values(key="schema_version", value=str(version)))


def backup(database: Path, version: int) -> Path:
    """Copy the catalogue to ``<name>.v<version>.bak`` with SQLite's online backup."""
    target = database.with_name(f"{database.name}.v{version}.bak")
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))  # the user's only, like the catalogue
    source = sqlite3.connect(database)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return target


def prepare(engine: Engine, database: Path, target: int = SCHEMA_VERSION) -> None:
    """Create a new catalogue, or check and migrate an existing one to ``target``."""
    with engine.begin() as connection:
        version = stored_version(connection)
        if version is None:
            if inspect(connection).get_table_names():
                raise LibraryError(f"{database} is not an album catalogue")
            Base.metadata.create_all(connection)
            _write_version(connection, target)
            return
    if version > target:
        raise LibraryError(
            f"This library was written by a newer version of album (catalogue schema {version}; "
            f"this version understands up to {target}). Update album to open it."
        )
    if version == target:
        return
    backup(database, version)
    with engine.begin() as connection:
        while version < target:
            step = MIGRATIONS.get(version)
            if step is None:
                raise LibraryError(f"no migration from catalogue schema {version}")
            step(connection)
            version += 1
        _write_version(connection, version)
