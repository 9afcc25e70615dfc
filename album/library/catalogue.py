"""The catalogue: one SQLite database (WAL mode) through SQLAlchemy.

It opens the database with a busy timeout, checks the schema version (see
``migrations``), and offers the queries the rest of album needs.  Only one
object in a process writes (the engine that owns it); readers in other
threads open their own ``Catalogue``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, delete, event, func, select, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from album.errors import LibraryError
from album.library import migrations
from album.library.schema import Embedding, Folder, Model, Photo

BUSY_TIMEOUT_MS = 30_000


def _configure_connection(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


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

    def close(self) -> None:
        self.engine.dispose()

    # -- folders -------------------------------------------------------------
    def add_folder(self, path: str) -> Folder:
        with self.session.begin() as session:
            folder = session.scalar(select(Folder).where(Folder.path == path))
            if folder is None:
                folder = Folder(path=path, added_at=datetime.now())
                session.add(folder)
                session.flush()
            return folder

    def folders(self) -> list[tuple[Folder, int]]:
        """Folders with their number of readable photos."""
        with self.session() as session:
            counts = dict(session.execute(
                select(Photo.folder_id, func.count()).where(Photo.status == "ok").group_by(Photo.folder_id)
            ).all())
            return [(folder, counts.get(folder.id, 0)) for folder in session.scalars(select(Folder).order_by(Folder.path))]

    def remove_folder(self, folder_id: int) -> list[int]:
        """Forget a folder and its photos; returns the removed photo ids."""
        with self.session.begin() as session:
            ids = list(session.scalars(select(Photo.id).where(Photo.folder_id == folder_id)))
            self._delete_photos(session, ids)
            session.execute(delete(Folder).where(Folder.id == folder_id))
            return ids

    # -- photos --------------------------------------------------------------
    #: the columns of ``photo_rows``, in order
    PHOTO_COLUMNS = ("id", "path", "folder_id", "size", "mtime_ns", "content_hash", "width", "height",
                     "taken_at", "camera", "status", "failure")

    def photo_rows(self, statuses: tuple[str, ...] = ("ok",)) -> list[tuple]:
        """Plain rows (``PHOTO_COLUMNS``), newest first by date taken (file time when there is no
        EXIF date). Rows rather than ORM objects: 100,000 photos load in about a second."""
        order = func.coalesce(Photo.taken_at, func.datetime(Photo.mtime_ns / 1_000_000_000, "unixepoch"))
        columns = [getattr(Photo, name) for name in self.PHOTO_COLUMNS]
        with self.session() as session:
            return [tuple(row) for row in session.execute(
                select(*columns).where(Photo.status.in_(statuses)).order_by(order.desc(), Photo.id))]

    def photo(self, photo_id: int) -> Photo | None:
        with self.session() as session:
            return session.get(Photo, photo_id)

    def photo_by_path(self, path: str) -> Photo | None:
        with self.session() as session:
            return session.scalar(select(Photo).where(Photo.path == path))

    def photos_by_ids(self, ids: Iterable[int]) -> dict[int, Photo]:
        ids = list(ids)
        with self.session() as session:
            return {photo.id: photo for photo in session.scalars(select(Photo).where(Photo.id.in_(ids)))}

    def count_photos(self) -> dict[str, int]:
        with self.session() as session:
            return dict(session.execute(select(Photo.status, func.count()).group_by(Photo.status)).all())

    def delete_photos(self, ids: Sequence[int]) -> None:
        with self.session.begin() as session:
            self._delete_photos(session, ids)

    @staticmethod
    def _delete_photos(session: Session, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            drop_embeddings(session, chunk)
            session.execute(delete(Photo).where(Photo.id.in_(chunk)))

    # -- models and embeddings -------------------------------------------------
    def register_model(self, model_id: str, backbone: str, dim: int, checksum: str) -> None:
        with self.session.begin() as session:
            if session.get(Model, model_id) is None:
                session.add(Model(id=model_id, backbone=backbone, dim=dim, checksum=checksum, generation=0,
                                  created_at=datetime.now()))

    def generation(self, model_id: str) -> int:
        with self.session() as session:
            return session.scalar(select(Model.generation).where(Model.id == model_id)) or 0

    def store_embeddings(self, session: Session, model_id: str, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Insert or replace vectors inside the caller's transaction."""
        session.execute(delete(Embedding).where(Embedding.model_id == model_id, Embedding.photo_id.in_(list(ids))))
        session.execute(Embedding.__table__.insert(), [
            {"photo_id": int(photo_id), "model_id": model_id, "vector": np.asarray(vector, "<f4").tobytes()}
            for photo_id, vector in zip(ids, vectors)
        ])
        bump_generation(session, model_id)

    def embedding(self, photo_id: int, model_id: str) -> np.ndarray | None:
        with self.session() as session:
            blob = session.scalar(select(Embedding.vector).where(
                Embedding.photo_id == photo_id, Embedding.model_id == model_id))
        return None if blob is None else np.frombuffer(blob, "<f4")

    def embeddings(self, model_id: str) -> tuple[np.ndarray, np.ndarray]:
        """All (ids, vectors) of one model, for (re)building its index."""
        with self.session() as session:
            rows = session.execute(select(Embedding.photo_id, Embedding.vector).where(
                Embedding.model_id == model_id).order_by(Embedding.photo_id)).all()
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        if not rows:
            return ids, np.zeros((0, 0), np.float32)
        return ids, np.frombuffer(b"".join(row[1] for row in rows), "<f4").reshape(len(rows), -1)

    def count_embeddings(self, model_id: str) -> int:
        with self.session() as session:
            return session.scalar(select(func.count()).select_from(Embedding).where(Embedding.model_id == model_id))

    def photos_without_embedding(self, model_id: str) -> list[Photo]:
        """Readable photos not yet encoded by ``model_id`` (new photos, or a model switch)."""
        encoded = select(Embedding.photo_id).where(Embedding.model_id == model_id)
        with self.session() as session:
            return list(session.scalars(
                select(Photo).where(Photo.status != "failed", Photo.id.not_in(encoded)).order_by(Photo.id)))


def drop_embeddings(session: Session, photo_ids: Sequence[int]) -> None:
    """Delete every model's vectors of these photos, marking those models' indexes stale."""
    models = session.scalars(select(Embedding.model_id).where(Embedding.photo_id.in_(photo_ids)).distinct()).all()
    session.execute(delete(Embedding).where(Embedding.photo_id.in_(photo_ids)))
    for model_id in models:
        bump_generation(session, model_id)


def bump_generation(session: Session, model_id: str) -> None:
    """Record that ``model_id``'s vectors changed, so its saved index is known to be stale."""
    session.execute(update(Model).where(Model.id == model_id).values(generation=Model.generation + 1))
