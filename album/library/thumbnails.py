"""A disk cache of small JPEG thumbnails, safe to use from many threads.

Thumbnails live under ``LibraryPaths.thumbnails`` in two-letter shard folders,
one file per (photo, size): ``<key>-<size>.jpg``.  The key is the photo's
content hash when the catalogue knows it (so a moved or renamed photo keeps
its thumbnail) and otherwise a digest of its path, size and modification
time.  Photos are decoded with ``load_image(path, min_side=size)`` so JPEGs
decode in draft mode, straight to roughly the size needed.  Indexing hands
in the thumbnail it made from its own decode (``thumbnail_jpeg``, ``store``)
at ``INDEXING_SIZE``, the grid's size, so a new photo is decoded once.

Writes are atomic (a uniquely named temporary file in the same folder, then
``os.replace``), so two threads making the same thumbnail at once, or a crash
half-way, never leave a truncated file behind.  Files are the user's only
(0600, folders 0700).  When the disk is full, ``get`` says so in plain words
(``UserFacingError``) and ``image`` still returns the thumbnail, made in
memory and not cached, so the app goes on showing photos.  Nothing here
imports Qt.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import threading
from pathlib import Path

from PIL import Image

from album.errors import UserFacingError
from album.media.imageio import load_image
from album.paths import PRIVATE_FILE, private_folder

log = logging.getLogger(__name__)

#: The sizes (longest side, in pixels) thumbnails are made at; a request is
#: rounded up to the next one so the grid's size slider reuses few files.
SIZE_STEPS = (128, 256, 384, 512, 768)
#: the size indexing makes from its decode: the grid's default tile (168 px) on a normal screen
INDEXING_SIZE = 256
JPEG_QUALITY = 85
#: errors that mean "no room": the disk is full or the user's quota is used up
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


class ThumbnailDiskFull(UserFacingError):
    """A thumbnail could not be saved because the cache's disk is full."""

    def __init__(self, directory: Path, image: Image.Image):
        super().__init__(f"the disk holding the thumbnail cache ({directory}) is full, so new thumbnails are "
                         "not saved; thumbnails made before are kept")
        self.image = image


def cache_key(content_hash: str | None, path: str | os.PathLike[str], mtime_ns: int = 0, size: int = 0) -> str:
    """A file-name-safe key: the content hash when known, else a digest of path, size and mtime."""
    if content_hash:
        content_hash = content_hash.rpartition(":")[2]  # without a hash-format prefix ("v2:")
        if content_hash.isalnum() and content_hash.isascii():
            return content_hash[:64]
        return "".join(ch for ch in content_hash if ch.isalnum())[:64] or _digest(content_hash)
    return _digest(f"{os.fspath(path)}\0{size}\0{mtime_ns}")


def thumbnail_jpeg(image: Image.Image, size: int) -> bytes:
    """The cached thumbnail of a decoded photo at ``size`` (rounded up to a step), as JPEG bytes: what
    ``ThumbnailCache.get`` makes, for a photo decoded elsewhere (by indexing, at least that large)."""
    step = size_step(size)
    small = image.copy()
    small.thumbnail((step, step))
    return jpeg_bytes(small)


def jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def photo_key(photo) -> str:
    """The key of a catalogue photo (a ``Photo`` row or a ``PhotoRecord``): indexing stores the grid's
    thumbnail under it and the app looks it up by it."""
    return cache_key(photo.content_hash, photo.path, photo.mtime_ns, photo.size)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def size_step(size: int) -> int:
    """The cached size used for a requested size (the next step up, or the largest)."""
    for step in SIZE_STEPS:
        if size <= step:
            return step
    return SIZE_STEPS[-1]


class ThumbnailCache:
    """Make-once, read-many JPEG thumbnails on disk."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)
        self._counter = 0
        self._lock = threading.Lock()
        self._warned_full = False

    def path_for(self, key: str, size: int) -> Path:
        """Where the thumbnail of ``key`` at ``size`` (rounded up to a step) is stored."""
        step = size_step(size)
        return self.directory / key[:2] / f"{key}-{step}.jpg"

    def cached(self, key: str, size: int) -> Path | None:
        """The thumbnail's path if it already exists, else None (no decoding)."""
        target = self.path_for(key, size)
        return target if target.is_file() else None

    def get(self, photo_path: str | os.PathLike[str], key: str, size: int) -> Path:
        """The thumbnail's path, making it first if needed.

        Raises ``UnreadableImage`` (with a plain reason) when the photo cannot be decoded.
        """
        target = self.path_for(key, size)
        if target.is_file():
            return target
        step = size_step(size)
        image, _info = load_image(photo_path, min_side=step)
        image.thumbnail((step, step))
        try:
            self._write(target, jpeg_bytes(image))
        except OSError as exc:
            if exc.errno in DISK_FULL_ERRNOS:
                raise ThumbnailDiskFull(self.directory, image) from None
            raise
        return target

    def store(self, key: str, size: int, jpeg: bytes) -> bool:
        """Keep a thumbnail made elsewhere (by the indexing decode, from ``thumbnail_jpeg``); False,
        logged once, when the disk is full or the cache cannot be written."""
        try:
            self._write(self.path_for(key, size), jpeg)
            return True
        except OSError as exc:
            with self._lock:
                first, self._warned_full = not self._warned_full, True
            if first:
                log.warning("could not save a thumbnail in %s (%s); it is made again when shown", self.directory,
                            "the disk is full" if exc.errno in DISK_FULL_ERRNOS else exc)
            return False

    def _write(self, target: Path, jpeg: bytes) -> None:
        """Atomically: a private temporary file beside the target, then a rename."""
        temporary = target.with_name(f".{target.stem}.{os.getpid()}.{self._next_id()}.tmp")
        try:
            private_folder(target.parent)
            with open(temporary, "xb", opener=_private_opener) as handle:
                handle.write(jpeg)
            os.replace(temporary, target)
        finally:
            if temporary.exists():
                temporary.unlink(missing_ok=True)

    def image(self, photo_path: str | os.PathLike[str], key: str, size: int) -> Image.Image:
        """The thumbnail as an RGB Pillow image (made and cached first if needed; on a full disk it is
        made in memory only, and the problem is logged once)."""
        try:
            target = self.get(photo_path, key, size)
        except ThumbnailDiskFull as full:
            with self._lock:
                first, self._warned_full = not self._warned_full, True
            if first:
                log.warning("%s", full)
            return full.image
        try:
            with Image.open(target) as cached:
                return cached.convert("RGB")
        except (OSError, ValueError):  # a damaged cache file: make it again
            target.unlink(missing_ok=True)
            with Image.open(self.get(photo_path, key, size)) as cached:
                return cached.convert("RGB")

    def _next_id(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def forget(self, key: str) -> int:
        """Delete every size of one key's thumbnail; returns how many files were removed."""
        removed = 0
        shard = self.directory / key[:2]
        for step in SIZE_STEPS:
            candidate = shard / f"{key}-{step}.jpg"
            try:
                candidate.unlink()
                removed += 1
            except FileNotFoundError:
                pass
        return removed

    def disk_usage(self) -> int:
        """Total bytes used by cached thumbnails."""
        if not self.directory.is_dir():
            return 0
        return sum(entry.stat().st_size for entry in self.directory.rglob("*.jpg") if entry.is_file())


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, PRIVATE_FILE)
