"""The writes a scan makes, one transaction per chunk of files.

``Catalogue.scan_batch()`` opens the transaction and hands out a
``ScanBatch``; the scanner decides what happened to each file and says so
through these named methods, so a chunk is recorded whole or not at all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from album.library.catalogue.vectors import copy_vectors, drop_vectors
from album.library.records import PhotoStatus
from album.library.schema import Photo


class ScanBatch:
    def __init__(self, session: Session):
        self._session = session

    def twins(self, content_hash: str) -> list[Photo]:
        """Readable photos with this content (a moved file's old row, or the original of a copy)."""
        return list(self._session.scalars(select(Photo).where(
            Photo.content_hash == content_hash, Photo.status != PhotoStatus.FAILED)))

    def record_unreadable(self, folder_id: int, path: str, size: int, mtime_ns: int, reason: str,
                          photo_id: int | None = None) -> None:
        fields = dict(size=size, mtime_ns=mtime_ns, status=PhotoStatus.FAILED, failure=reason)
        if photo_id is None:
            self._session.add(Photo(folder_id=folder_id, path=path, added_at=datetime.now(), **fields))
        else:
            self._update(photo_id, **fields)

    def touch(self, photo_id: int, size: int, mtime_ns: int, content_hash: str | None = None) -> None:
        """Same content, new file time: nothing else changes (but an older-format hash is replaced)."""
        values = dict(size=size, mtime_ns=mtime_ns)
        if content_hash is not None:
            values["content_hash"] = content_hash
        self._update(photo_id, **values)

    def mark_edited(self, photo_id: int, size: int, mtime_ns: int, content_hash: str) -> None:
        """New content at the same path: its vectors go, and it waits to be decoded again."""
        drop_vectors(self._session, [photo_id])
        self._update(photo_id, size=size, mtime_ns=mtime_ns, content_hash=content_hash, status=PhotoStatus.PENDING,
                     failure=None, width=None, height=None, taken_at=None, camera=None)

    def move_photo(self, photo_id: int, path: str, folder_id: int, size: int, mtime_ns: int) -> None:
        """The same photo at a new path: same id, same vectors."""
        self._update(photo_id, path=path, folder_id=folder_id, size=size, mtime_ns=mtime_ns)

    def add_photo(self, folder_id: int, path: str, size: int, mtime_ns: int, content_hash: str) -> int:
        """A new photo, waiting to be decoded and encoded."""
        photo = Photo(folder_id=folder_id, path=path, size=size, mtime_ns=mtime_ns, content_hash=content_hash,
                      status=PhotoStatus.PENDING, added_at=datetime.now())
        self._session.add(photo)
        self._session.flush()
        return photo.id

    def add_copy(self, folder_id: int, path: str, size: int, mtime_ns: int, source: Photo) -> tuple[int, bool]:
        """An identical copy of ``source``: it takes the source's metadata and vectors. Returns the new
        id and whether any vectors were copied (if not, it waits to be encoded like a new photo)."""
        photo_id = self.add_photo(folder_id, path, size, mtime_ns, source.content_hash)
        if not copy_vectors(self._session, source.id, photo_id):
            return photo_id, False
        self._update(photo_id, status=PhotoStatus.OK, width=source.width, height=source.height,
                     taken_at=source.taken_at, camera=source.camera)
        return photo_id, True

    def _update(self, photo_id: int, **values) -> None:
        self._session.execute(update(Photo).where(Photo.id == photo_id).values(**values))
