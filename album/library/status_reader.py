"""``album status`` read straight from the catalogue file: stdlib sqlite3, read-only, no SQLAlchemy or numpy.

Importing SQLAlchemy's ORM and numpy takes 0.3-0.5 s on the test machine,
far longer than every query ``status`` asks of a 100,000-photo catalogue
(under 20 ms with the embeddings indexed by model, schema 4).  So the command
reads the catalogue file itself, opened ``mode=ro``: it never writes to it
(SQLite may leave the empty ``-wal`` and ``-shm`` files a WAL reader uses), and
it reads beside a running scan as any WAL reader does.

It answers only when opening the library through the engine would change
nothing that ``status`` reports.  Otherwise ``read_status`` returns None and
the command opens the library as every other command does: no catalogue yet
(the engine creates it), one at another schema version (migrated with a
backup, or refused when newer), active encoders that ``ActiveEncoders``
rewrites on opening, or any SQLite error (the engine reports it).  The
figures are ``Album.status``'s and ``Album.failures``'s, computed alike
(``tests/library/test_status_reader.py`` compares the two).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from album.library.records import LibraryStatus, ModelStatus, PhotoStatus

#: The catalogue schema this album reads and writes.  Bump it when the tables change (``schema.py``) and
#: add a step to ``migrations.MIGRATIONS``.  Defined here, without SQLAlchemy, so that ``status`` reads it.
SCHEMA_VERSION = 4

#: the similarity model's role (``indexing.active.SIMILARITY``)
SIMILARITY = "similarity"
#: seconds to wait while a writer holds a lock (the catalogue's busy timeout)
BUSY_TIMEOUT_S = 30.0

#: unreadable photos as ``Catalogue.photo_rows`` orders them: newest first by date taken, else file time
FAILURES_SQL = ("SELECT path, failure FROM photos WHERE status = ? ORDER BY coalesce(taken_at, "
                "datetime(mtime_ns / 1000000000.0, 'unixepoch')) DESC, id")


@dataclass(frozen=True)
class StatusReport:
    """What ``album status`` prints: the library's figures and its unreadable photos (path, reason)."""

    status: LibraryStatus
    failures: list[tuple[str, str | None]]


def read_status(database: Path) -> StatusReport | None:
    """The status of the library whose catalogue is ``database``, read without writing; None when the
    engine must open the library instead (see the module's docstring)."""
    uri = f"{Path(database).resolve().as_uri()}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error:  # no catalogue yet
        return None
    try:
        connection.execute("BEGIN")  # one snapshot for every figure
        return _read(connection)
    except sqlite3.Error:  # not a catalogue, damaged, unreadable: the engine says so
        return None
    finally:
        connection.close()


def _read(connection: sqlite3.Connection) -> StatusReport | None:
    if _meta(connection, "schema_version") != str(SCHEMA_VERSION):
        return None
    try:
        models = json.loads(_meta(connection, "active_models") or "[]")
    except ValueError:
        return None
    if not kept_on_opening(models):
        return None
    counts = dict(connection.execute("SELECT status, count(*) FROM photos GROUP BY status").fetchall())
    statuses = [ModelStatus(entry["id"], entry["role"], connection.execute(
        "SELECT count(*) FROM embeddings WHERE model_id = ?", (entry["id"],)).fetchone()[0]) for entry in models]
    similarity = next((model for model in statuses if model.role == SIMILARITY), None)
    indexed = similarity.indexed if similarity else 0
    readable = sum(counts.get(status.value, 0) for status in PhotoStatus.readable())
    folders = [path for (path,) in connection.execute("SELECT path FROM folders ORDER BY path")]
    status = LibraryStatus(photos=readable, indexed=indexed, pending=readable - indexed,
                           failed=counts.get(PhotoStatus.FAILED.value, 0), folders=folders,
                           model=similarity.id if similarity else None, models=statuses)
    return StatusReport(status, connection.execute(FAILURES_SQL, (PhotoStatus.FAILED.value,)).fetchall())


def _meta(connection: sqlite3.Connection, key: str) -> str | None:
    row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def kept_on_opening(models: object) -> bool:
    """Whether the stored active encoders are in the form ``ActiveEncoders`` writes back when the engine
    opens the library: one entry a role, the similarity model's first and the others by role, each of the
    others with the model choice that loads it again (one without is dropped).  The engine's ``status``
    then reports them as stored."""
    if not isinstance(models, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("role"), str)
            for entry in models):
        return False
    roles = [entry["role"] for entry in models]
    return (roles == sorted(set(roles), key=lambda role: (role != SIMILARITY, role))
            and all(entry["role"] == SIMILARITY or entry.get("source") for entry in models))
