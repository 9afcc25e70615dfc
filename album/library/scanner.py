"""Scanning: bring the catalogue in line with the files in the user's folders.

A scan walks the folders (a stat per file), skips files whose size and
modification time are unchanged, and hashes the rest.  By content hash it
tells apart a moved or renamed file (it keeps its row, id and embedding), a
copy of a photo already in the library (its embedding is reused), an edited
file (re-encoded) and a new one (queued as "pending" for the encoder).  Files
that vanished are forgotten last, so a move is never mistaken for a
delete-and-add.  A folder that is itself missing (an unplugged drive) is
reported and its photos are kept.  The user's files are only ever read.

Content hashes have a format (see ``media.hashing``).  While the scanned
folders still hold rows hashed in format 1 (libraries made before), every
file hashed is also given its format-1 hash in the same pass, so a moved,
copied or touched old photo is still recognised.  A file that vanishes
between the walk and its hashing is treated as gone, not as unreadable.
A full disk while recording the findings raises ``LibraryError`` in plain
words (the catalogue's doing); it keeps every chunk committed before it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field

from album.errors import UnreadableImage
from album.library.catalogue import Catalogue, ScanBatch
from album.library.records import KnownPhoto, PhotoStatus
from album.library.schema import Folder, Photo
from album.media.hashing import Identity, identify, is_legacy
from album.media.imageio import is_photo_path
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
             control: TaskControl, others: list[Folder] = ()) -> IndexChanges:
        """Bring ``folders`` in line with the disk.  When photos vanished from them and ``others`` (the
        library's remaining folders) are given, those are walked too, in the same round: a folder
        moved from one library folder to another (reported by the watcher one root at a time) is
        then a move, not a delete followed by new photos."""
        changes = IndexChanges()
        candidates: list[tuple[Folder, FileStat, KnownPhoto | None]] = []
        missing: dict[int, KnownPhoto | Photo] = {}
        legacy = False  # rows hashed in format 1 are around: hash the old way too
        walking, remaining = list(folders), list(others)
        while walking:
            for folder in walking:
                if not os.path.isdir(folder.path):
                    summary.missing_folders.append(folder.path)
                    continue
                known = self.catalogue.photos_in_folder(folder.id)
                legacy = legacy or any(is_legacy(photo.content_hash) for photo in known.values())
                for stat in walk_photos(folder.path, self.exclude):
                    control.checkpoint()
                    photo = known.pop(stat.path, None)
                    if photo is not None and photo.size == stat.size and photo.mtime_ns == stat.mtime_ns:
                        summary.unchanged += 1
                    else:
                        candidates.append((folder, stat, photo))
                missing.update((p.id, p) for p in known.values())
            walking, remaining = (remaining, []) if missing else ([], remaining)

        meter = ProgressMeter("Checking", len(candidates), progress)
        meter.start()
        for start in range(0, len(candidates), CHUNK):
            control.checkpoint()
            chunk = candidates[start:start + CHUNK]
            hashes = list(self.executor.map(_safe_hash, [stat.path for _, stat, _ in chunk], [legacy] * len(chunk)))
            with self.catalogue.scan_batch() as batch:
                for (folder, stat, photo), digest in zip(chunk, hashes):
                    self._resolve(batch, folder, stat, photo, digest, missing, summary, changes)
            meter.advance(len(chunk), chunk[-1][1].path)

        gone = list(missing)
        if gone:
            self.catalogue.delete_photos(gone)
            changes.removed.extend(gone)
            summary.removed += len(gone)
        return changes

    @staticmethod
    def _resolve(batch: ScanBatch, folder: Folder, stat: FileStat, photo: KnownPhoto | None,
                 digest: Identity | UnreadableImage, missing: dict[int, KnownPhoto | Photo], summary: ScanSummary,
                 changes: IndexChanges) -> None:
        if isinstance(digest, UnreadableImage) and not os.path.lexists(stat.path):
            if photo is not None:  # deleted (or moved away) since the walk: forgotten, unless found elsewhere
                missing[photo.id] = photo
            return
        if isinstance(digest, UnreadableImage):
            summary.failed.append((stat.path, str(digest)))
            batch.record_unreadable(folder.id, stat.path, stat.size, stat.mtime_ns, str(digest),
                                    photo.id if photo is not None else None)
            return
        if photo is not None:  # same path, new size or time
            if digest.matches(photo.content_hash):
                summary.unchanged += 1
                batch.touch(photo.id, stat.size, stat.mtime_ns, digest.current)
            else:
                summary.changed += 1
                changes.removed.append(photo.id)
                batch.mark_edited(photo.id, stat.size, stat.mtime_ns, digest.current)
            return
        twins = batch.twins(digest.current)
        if digest.legacy is not None:
            twins += batch.twins(digest.legacy)
        moved_from = next((t for t in twins if t.id in missing or not os.path.exists(t.path)), None)
        if moved_from is not None:
            missing.pop(moved_from.id, None)
            summary.moved += 1
            batch.move_photo(moved_from.id, stat.path, folder.id, stat.size, stat.mtime_ns)
            return
        source = next((t for t in twins if t.status == PhotoStatus.OK), None)
        if source is not None:
            photo_id, copied = batch.add_copy(folder.id, stat.path, stat.size, stat.mtime_ns, source)
            if copied:
                summary.duplicates += 1
                changes.added.append(photo_id)
                return
        else:
            photo_id = batch.add_photo(folder.id, stat.path, stat.size, stat.mtime_ns, digest.current)
        summary.new += 1
        changes.new.add(photo_id)


def _safe_hash(path: str, legacy: bool = False) -> Identity | UnreadableImage:
    try:
        return identify(path, legacy)
    except UnreadableImage as exc:
        return exc
