"""Scanning: bring the catalogue in line with the files in the user's folders.

A scan walks the folders (a stat per file), skips files whose size and
modification time are unchanged, and hashes the rest.  By content hash it
tells apart a moved or renamed file (it keeps its row, id and embedding), a
copy of a photo already in the library (its embedding is reused), an edited
file (re-encoded) and a new one (queued as "pending" for the encoder).  Files
that vanished are forgotten last, so a move is never mistaken for a
delete-and-add.  A folder that is itself missing (an unplugged drive) is
reported and its photos are kept.  The user's files are only ever read.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from album.errors import UnreadableImage
from album.library.catalogue import Catalogue, bump_generation, drop_embeddings
from album.media.hashing import content_hash
from album.media.imageio import is_photo_path
from album.library.schema import Embedding, Folder, Photo
from album.tasks import ProgressCallback, ProgressMeter, TaskControl

log = logging.getLogger(__name__)
CHUNK = 256


@dataclass
class ScanSummary:
    new: int = 0
    duplicates: int = 0
    moved: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    missing_folders: list[str] = field(default_factory=list)
    cancelled: bool = False

    def describe(self) -> str:
        parts = [f"{self.new} new", f"{self.moved} moved", f"{self.changed} changed",
                 f"{self.unchanged} unchanged", f"{self.removed} removed", f"{len(self.failed)} failed"]
        text = ", ".join(parts)
        if self.duplicates:
            text += f" ({self.duplicates} new copies of photos already indexed)"
        if self.cancelled:
            text += " - cancelled, the rest will be done next time"
        return text


@dataclass(frozen=True)
class FileStat:
    path: str
    size: int
    mtime_ns: int


@dataclass
class IndexChanges:
    """What the vector index must learn after a scan."""

    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    #: photos counted as new that still have to be decoded (and may yet fail)
    new: set[int] = field(default_factory=set)


def walk_photos(root: str, exclude: tuple[str, ...] = ()) -> Iterator[FileStat]:
    """Every photo file under ``root`` (hidden folders and ``exclude`` skipped, links not followed)."""
    for directory, subdirs, files in os.walk(root, onerror=lambda exc: log.warning("cannot list %s", exc)):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".")
                            and os.path.join(directory, d) not in exclude)
        for name in sorted(files):
            if not is_photo_path(name):
                continue
            path = os.path.join(directory, name)
            try:
                info = os.stat(path, follow_symlinks=False)
            except OSError:
                continue
            if os.path.stat.S_ISREG(info.st_mode):
                yield FileStat(path, info.st_size, info.st_mtime_ns)


class Scanner:
    def __init__(self, catalogue: Catalogue, executor: Executor, exclude: tuple[str, ...] = ()):
        self.catalogue = catalogue
        self.executor = executor
        self.exclude = exclude

    def scan(self, folders: list[Folder], summary: ScanSummary, progress: ProgressCallback | None,
             control: TaskControl) -> IndexChanges:
        changes = IndexChanges()
        candidates: list[tuple[Folder, FileStat, Photo | None]] = []
        missing: dict[int, Photo] = {}
        for folder in folders:
            if not os.path.isdir(folder.path):
                summary.missing_folders.append(folder.path)
                continue
            with self.catalogue.session() as session:
                known = {p.path: p for p in session.scalars(select(Photo).where(Photo.folder_id == folder.id))}
            for stat in walk_photos(folder.path, self.exclude):
                control.checkpoint()
                photo = known.pop(stat.path, None)
                if photo is not None and photo.size == stat.size and photo.mtime_ns == stat.mtime_ns:
                    summary.unchanged += 1
                else:
                    candidates.append((folder, stat, photo))
            missing.update((p.id, p) for p in known.values())

        meter = ProgressMeter("Checking", len(candidates), progress)
        meter.start()
        for start in range(0, len(candidates), CHUNK):
            control.checkpoint()
            chunk = candidates[start:start + CHUNK]
            hashes = list(self.executor.map(_safe_hash, [stat.path for _, stat, _ in chunk]))
            with self.catalogue.session.begin() as session:
                for (folder, stat, photo), digest in zip(chunk, hashes):
                    self._resolve(session, folder, stat, photo, digest, missing, summary, changes)
            meter.advance(len(chunk), chunk[-1][1].path)

        gone = list(missing)
        if gone:
            self.catalogue.delete_photos(gone)
            changes.removed.extend(gone)
            summary.removed += len(gone)
        return changes

    def _resolve(self, session: Session, folder: Folder, stat: FileStat, photo: Photo | None,
                 digest: str | UnreadableImage, missing: dict[int, Photo], summary: ScanSummary,
                 changes: IndexChanges) -> None:
        if isinstance(digest, UnreadableImage):
            summary.failed.append((stat.path, str(digest)))
            fields = dict(size=stat.size, mtime_ns=stat.mtime_ns, status="failed", failure=str(digest))
            if photo is None:
                session.add(Photo(folder_id=folder.id, path=stat.path, added_at=datetime.now(), **fields))
            else:
                session.execute(update(Photo).where(Photo.id == photo.id).values(**fields))
            return
        if photo is not None:  # same path, new size or time
            if digest == photo.content_hash:
                summary.unchanged += 1
                session.execute(update(Photo).where(Photo.id == photo.id).values(size=stat.size, mtime_ns=stat.mtime_ns))
            else:
                summary.changed += 1
                changes.removed.append(photo.id)
                drop_embeddings(session, [photo.id])
                session.execute(update(Photo).where(Photo.id == photo.id).values(
                    size=stat.size, mtime_ns=stat.mtime_ns, content_hash=digest, status="pending", failure=None,
                    width=None, height=None, taken_at=None, camera=None))
            return
        twins = session.scalars(select(Photo).where(Photo.content_hash == digest, Photo.status != "failed")).all()
        moved_from = next((t for t in twins if t.id in missing or not os.path.exists(t.path)), None)
        if moved_from is not None:
            missing.pop(moved_from.id, None)
            summary.moved += 1
            session.execute(update(Photo).where(Photo.id == moved_from.id).values(
                path=stat.path, folder_id=folder.id, size=stat.size, mtime_ns=stat.mtime_ns))
            return
        source = next((t for t in twins if t.status == "ok"), None)
        new = Photo(folder_id=folder.id, path=stat.path, size=stat.size, mtime_ns=stat.mtime_ns, content_hash=digest,
                    status="pending", added_at=datetime.now())
        if source is not None:
            new.status, new.width, new.height = "ok", source.width, source.height
            new.taken_at, new.camera = source.taken_at, source.camera
        session.add(new)
        session.flush()
        if source is not None and self._copy_embeddings(session, source.id, new.id):
            summary.duplicates += 1
            changes.added.append(new.id)
        else:
            new.status = "pending"
            summary.new += 1
            changes.new.add(new.id)

    def _copy_embeddings(self, session: Session, source_id: int, target_id: int) -> bool:
        rows = session.execute(select(Embedding.model_id, Embedding.vector).where(Embedding.photo_id == source_id)).all()
        for model_id, vector in rows:
            session.add(Embedding(photo_id=target_id, model_id=model_id, vector=vector))
            bump_generation(session, model_id)
        return bool(rows)


def _safe_hash(path: str) -> str | UnreadableImage:
    try:
        return content_hash(path)
    except UnreadableImage as exc:
        return exc
