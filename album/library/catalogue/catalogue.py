"""``Catalogue``: one SQLite database (WAL mode) through SQLAlchemy.

It opens the database with a busy timeout, checks the schema version (see
``migrations``), answers the queries the rest of album needs and performs
every write through a named method.  Only one object in a process writes
(the engine that owns it); readers in other threads open their own.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, delete, event, func, select, update
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from album.errors import LibraryError
from album.library import migrations
from album.library.catalogue.groups import GroupStore
from album.library.catalogue.scan_batch import ScanBatch
from album.library.catalogue.vectors import (READ_BATCH, chunks, drop_vectors, stack_rows, store_embeddings,
                                             store_features, unpack)
from album.library.records import PHOTO_COLUMNS, KnownPhoto, PhotoRecord, PhotoStatus
from album.library.schema import BackboneFeatures, Embedding, Fingerprint, Folder, Meta, Model, Photo

BUSY_TIMEOUT_MS = 30_000
ACTIVE_MODELS = "active_models"


def _configure_connection(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@dataclass
class EncodedPhoto:
    """What decoding and encoding one photo produced, for ``mark_encoded``."""

    photo_id: int
    #: the content the vectors were computed from; a photo edited meanwhile is not marked
    content_hash: str | None
    width: int
    height: int
    taken_at: datetime | None
    camera: str | None
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)   # model id -> unit vector
    features: dict[str, np.ndarray] = field(default_factory=dict)     # features id -> pooled features
    fingerprint: bytes | None = None                                  # for near-duplicate checks


class Catalogue:
    def __init__(self, database: Path):
        self.database = Path(database)
        self.database.parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(f"sqlite:///{self.database}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(self.engine, "connect", _configure_connection)
        try:
            migrations.prepare(self.engine, self.database)
        except DatabaseError as exc:
            self.engine.dispose()
            raise LibraryError(f"cannot open the library at {self.database}: {exc.orig}") from None
        except Exception:
            self.engine.dispose()
            raise
        self.session = sessionmaker(self.engine, expire_on_commit=False)
        #: subject groups (reads and named writes)
        self.groups = GroupStore(self)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A write transaction; SQLite's "database or disk is full" (the transaction was rolled back)
        becomes a plain ``LibraryError``."""
        try:
            with self.session.begin() as session:
                yield session
        except OperationalError as exc:
            if getattr(exc.orig, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL:
                raise
            raise LibraryError(
                f"The disk holding the library ({self.database.parent}) is full. Nothing was lost: the "
                "catalogue keeps everything recorded before this point. Free some space, then try again.") from None

    # -- folders -------------------------------------------------------------
    def add_folder(self, path: str) -> Folder:
        with self._writing() as session:
            folder = session.scalar(select(Folder).where(Folder.path == path))
            if folder is None:
                folder = Folder(path=path, added_at=datetime.now())
                session.add(folder)
                session.flush()
            return folder

    def merge_folders(self, into_id: int, inner_ids: Sequence[int]) -> None:
        """Folders inside a newly added one become part of it (their photos keep their ids)."""
        with self._writing() as session:
            for inner in inner_ids:
                session.execute(update(Photo).where(Photo.folder_id == inner).values(folder_id=into_id))
                session.execute(delete(Folder).where(Folder.id == inner))

    def folders(self) -> list[tuple[Folder, int]]:
        """Folders with their number of readable photos."""
        with self.session() as session:
            counts = dict(session.execute(select(Photo.folder_id, func.count()).where(
                Photo.status == PhotoStatus.OK).group_by(Photo.folder_id)).all())
            return [(folder, counts.get(folder.id, 0)) for folder in session.scalars(select(Folder).order_by(Folder.path))]

    def remove_folder(self, folder_id: int) -> list[int]:
        """Forget a folder and its photos; returns the removed photo ids."""
        with self._writing() as session:
            ids = list(session.scalars(select(Photo.id).where(Photo.folder_id == folder_id)))
            self._delete_photos(session, ids)
            session.execute(delete(Folder).where(Folder.id == folder_id))
            return ids

    # -- photos --------------------------------------------------------------
    def photo_rows(self, statuses: Iterable[PhotoStatus] = (PhotoStatus.OK,)) -> list[PhotoRecord]:
        """Records, newest first by date taken (file time when there is no EXIF date). Plain rows of the
        table, not through the ORM: 100,000 photos load in 0.4 s (1.0 s through it)."""
        table = Photo.__table__
        order = func.coalesce(table.c.taken_at, func.datetime(table.c.mtime_ns / 1_000_000_000, "unixepoch"))
        query = (select(*(table.c[name] for name in PHOTO_COLUMNS))
                 .where(table.c.status.in_([status.value for status in statuses])).order_by(order.desc(), table.c.id))
        with self.session() as session:
            return [PhotoRecord(*row) for row in session.connection().execute(query)]

    def photo(self, photo_id: int) -> Photo | None:
        with self.session() as session:
            return session.get(Photo, photo_id)

    def photo_by_path(self, path: str) -> Photo | None:
        with self.session() as session:
            return session.scalar(select(Photo).where(Photo.path == path))

    def photos_by_ids(self, ids: Iterable[int]) -> dict[int, Photo]:
        found: dict[int, Photo] = {}
        with self.session() as session:
            for chunk in chunks(ids):
                found.update((p.id, p) for p in session.scalars(select(Photo).where(Photo.id.in_(chunk))))
        return found

    def photos_in_folder(self, folder_id: int) -> dict[str, KnownPhoto]:
        """A folder's photos by path, as much of each as a rescan compares: plain rows, read about five times
        quicker than whole photos (0.1-0.25 s for 50,000 instead of 0.7-0.9 s), which keeps a rescan of a large
        library from holding the interpreter lock the app's window needs."""
        columns = [getattr(Photo, name) for name in KnownPhoto._fields]
        with self.session() as session:
            return {row[1]: KnownPhoto._make(row)
                    for row in session.execute(select(*columns).where(Photo.folder_id == folder_id))}

    def count_photos(self) -> dict[PhotoStatus, int]:
        with self.session() as session:
            return dict(session.execute(select(Photo.status, func.count()).group_by(Photo.status)).all())

    @contextmanager
    def scan_batch(self) -> Iterator[ScanBatch]:
        """One transaction of a scan's findings (see ``ScanBatch``)."""
        with self._writing() as session:
            yield ScanBatch(session)

    def delete_photos(self, ids: Sequence[int]) -> None:
        with self._writing() as session:
            self._delete_photos(session, ids)

    @staticmethod
    def _delete_photos(session, ids: Sequence[int]) -> None:
        drop_vectors(session, ids)
        for chunk in chunks(ids):
            session.execute(delete(Photo).where(Photo.id.in_(chunk)))

    # -- encoding ------------------------------------------------------------
    def mark_encoded(self, results: Sequence[EncodedPhoto]) -> dict[str, tuple[list[int], np.ndarray]]:
        """Store what decoding and encoding found, in one transaction. Photos deleted or edited since
        they were read are skipped. Returns, per model, the ids and vectors that were stored."""
        stored: dict[str, tuple[list[int], list[np.ndarray]]] = {}
        with self._writing() as session:
            current = dict(session.execute(select(Photo.id, Photo.content_hash).where(
                Photo.id.in_([r.photo_id for r in results]))).all())
            kept = [r for r in results if r.photo_id in current and current[r.photo_id] == r.content_hash]
            for result in kept:
                session.execute(update(Photo).where(Photo.id == result.photo_id).values(
                    status=PhotoStatus.OK, failure=None, width=result.width, height=result.height,
                    taken_at=result.taken_at, camera=result.camera))
                for model_id, vector in result.embeddings.items():
                    ids, vectors = stored.setdefault(model_id, ([], []))
                    ids.append(result.photo_id)
                    vectors.append(vector)
            for model_id, (ids, vectors) in stored.items():
                store_embeddings(session, model_id, ids, np.stack(vectors))
            by_features: dict[str, list[tuple[int, np.ndarray]]] = {}
            for result in kept:
                for features_id, vector in result.features.items():
                    by_features.setdefault(features_id, []).append((result.photo_id, vector))
            for features_id, rows in by_features.items():
                store_features(session, features_id, [i for i, _ in rows], np.stack([v for _, v in rows]))
            for result in kept:
                if result.fingerprint is not None:
                    session.merge(Fingerprint(photo_id=result.photo_id, content_hash=result.content_hash,
                                              data=result.fingerprint))
        return {model_id: (ids, np.stack(vectors)) for model_id, (ids, vectors) in stored.items()}

    def mark_failed(self, photo_id: int, content_hash: str | None, reason: str) -> None:
        with self._writing() as session:
            session.execute(update(Photo).where(Photo.id == photo_id, Photo.content_hash == content_hash).values(
                status=PhotoStatus.FAILED, failure=reason))

    def store_embeddings(self, model_id: str, ids: Sequence[int], vectors: np.ndarray) -> list[int]:
        """Vectors of photos already decoded (a new head over stored features); returns the ids stored."""
        with self._writing() as session:
            existing = set(session.scalars(select(Photo.id).where(Photo.id.in_(list(ids)))))
            keep = [i for i, photo_id in enumerate(ids) if photo_id in existing]
            store_embeddings(session, model_id, [ids[i] for i in keep], vectors[keep])
        return [ids[i] for i in keep]

    # -- models and vectors ----------------------------------------------------
    def register_model(self, model_id: str, backbone: str, dim: int, checksum: str) -> None:
        with self._writing() as session:
            if session.get(Model, model_id) is None:
                session.add(Model(id=model_id, backbone=backbone, dim=dim, checksum=checksum, generation=0,
                                  created_at=datetime.now()))

    def set_active_models(self, models: Sequence[dict]) -> None:
        """The library's encoders: ``[{"id", "role", "source"}]`` (source: how to load it again, or None)."""
        with self._writing() as session:
            session.merge(Meta(key=ACTIVE_MODELS, value=json.dumps(list(models))))

    def model_dims(self) -> dict[str, int]:
        """The embedding dimension of every registered model."""
        with self.session() as session:
            return dict(session.execute(select(Model.id, Model.dim)).all())

    def active_models(self) -> list[dict]:
        with self.session() as session:
            value = session.scalar(select(Meta.value).where(Meta.key == ACTIVE_MODELS))
        return json.loads(value) if value else []

    def generation(self, model_id: str) -> int:
        with self.session() as session:
            return session.scalar(select(Model.generation).where(Model.id == model_id)) or 0

    def embedding(self, photo_id: int, model_id: str) -> np.ndarray | None:
        with self.session() as session:
            blob = session.scalar(select(Embedding.vector).where(
                Embedding.photo_id == photo_id, Embedding.model_id == model_id))
        return None if blob is None else np.frombuffer(blob, "<f4")

    def embeddings(self, model_id: str, ids: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of one model, by photo id: all of them, or of those of these photos that have
        one; vectors (0, 0) when there are none."""
        batches = list(self.embedding_batches(model_id) if ids is None else self._embeddings_of(model_id, ids))
        if not batches:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        return np.concatenate([ids for ids, _ in batches]), np.concatenate([vectors for _, vectors in batches])

    def embedding_batches(self, model_id: str, size: int = READ_BATCH) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All of one model's (ids, vectors), by photo id, ``size`` at a time, from one consistent read (for
        (re)building its index without holding every vector twice)."""
        query = select(Embedding.photo_id, Embedding.vector).where(Embedding.model_id == model_id)
        with self.engine.connect() as connection:
            result = connection.execution_options(yield_per=size).execute(query.order_by(Embedding.photo_id))
            for rows in result.partitions():
                yield stack_rows(rows)

    def _embeddings_of(self, model_id: str, ids: Sequence[int]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        with self.session() as session:
            for chunk in chunks(sorted(set(map(int, ids)))):
                rows = session.execute(select(Embedding.photo_id, Embedding.vector).where(
                    Embedding.model_id == model_id, Embedding.photo_id.in_(chunk)).order_by(Embedding.photo_id)).all()
                if rows:
                    yield stack_rows(rows)

    def count_embeddings(self, model_id: str) -> int:
        with self.session() as session:
            return session.scalar(select(func.count()).select_from(Embedding).where(Embedding.model_id == model_id))

    def lacking(self, model_id: str) -> set[int]:
        """Readable photos not yet encoded by ``model_id`` (new photos, an edit, a model added)."""
        encoded = select(Embedding.photo_id).where(Embedding.model_id == model_id)
        with self.session() as session:
            return set(session.scalars(select(Photo.id).where(
                Photo.status != PhotoStatus.FAILED, Photo.id.not_in(encoded))))

    def features(self, features_id: str, ids: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """Stored backbone features of those of ``ids`` that have them."""
        found_ids: list[int] = []
        blobs: list[bytes] = []
        with self.session() as session:
            for chunk in chunks(ids):
                for photo_id, blob in session.execute(select(BackboneFeatures.photo_id, BackboneFeatures.vector).where(
                        BackboneFeatures.features_id == features_id,
                        BackboneFeatures.photo_id.in_(chunk))):
                    found_ids.append(photo_id)
                    blobs.append(blob)
        return found_ids, unpack(blobs, "<f2")

    def with_features(self, features_id: str) -> set[int]:
        with self.session() as session:
            return set(session.scalars(select(BackboneFeatures.photo_id).where(
                BackboneFeatures.features_id == features_id)))

    # -- near-duplicate fingerprints ---------------------------------------------
    def fingerprints(self, ids: Sequence[int]) -> dict[int, bytes]:
        """Stored fingerprints of those of ``ids`` whose content has not changed since."""
        found: dict[int, bytes] = {}
        with self.session() as session:
            for chunk in chunks(ids):
                found.update(session.execute(
                    select(Fingerprint.photo_id, Fingerprint.data).join(Photo, Photo.id == Fingerprint.photo_id)
                    .where(Fingerprint.photo_id.in_(chunk), Fingerprint.content_hash == Photo.content_hash)).all())
        return found

    def store_fingerprints(self, rows: Sequence[tuple[int, str, bytes]]) -> None:
        """(photo id, content hash it was computed from, fingerprint) rows."""
        with self._writing() as session:
            existing = set()
            for chunk in chunks([row[0] for row in rows]):
                existing.update(session.scalars(select(Photo.id).where(Photo.id.in_(chunk))))
            for photo_id, content_hash, data in rows:
                if photo_id in existing:  # else deleted meanwhile
                    session.merge(Fingerprint(photo_id=photo_id, content_hash=content_hash, data=data))
