"""Content identity: a hash that follows a photo across moves and renames.

The hash (format 2, written ``v2:<hex>``) covers the file size and *every
byte* of files up to ``FULL_LIMIT`` (64 MiB: every JPEG, HEIC or PNG a camera
or phone makes), so an edit anywhere, even one confined to the middle of a
large file with its size unchanged, changes it.  Larger files are hashed
from their first and last MiB plus ``SAMPLES`` blocks spread evenly across
the rest.  This costs no more reading at a rescan than before: a scan only
hashes files whose size or modification time changed (new, edited, touched
or moved files), never the unchanged ones, and a new or edited file is then
read whole by the decoder anyway.

Format 1 (a bare hex digest of the size and the first and last MiB) is what
libraries made before hold.  Those rows are kept as they are: an unchanged
file is never hashed again, and when a scan does hash a file it can compute
the format-1 digest in the same pass (``identify(path, legacy=True)``), so a
moved, copied or touched photo is still recognised and not re-encoded.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from album.media.imageio import check_file_size, unreadable_on_os_error

PREFIX = "v2:"
CHUNK = 1 << 20
#: files up to this size are hashed whole
FULL_LIMIT = 64 << 20
#: larger ones: first and last MiB plus this many blocks of BLOCK bytes spread across the file
SAMPLES = 256
BLOCK = 64 << 10
DIGEST_SIZE = 20


@dataclass(frozen=True)
class Identity:
    """A file's content hash, and its format-1 hash when one was asked for."""

    current: str
    legacy: str | None = None

    def matches(self, stored: str | None) -> bool:
        """True if ``stored`` (either format) names this content."""
        return stored is not None and (stored == self.current or (self.legacy is not None and stored == self.legacy))


def is_legacy(stored: str | None) -> bool:
    """True for a format-1 hash (made before hashes had a format prefix)."""
    return stored is not None and ":" not in stored


def content_hash(path: str | os.PathLike[str]) -> str:
    """The content hash (current format) of a file; raises ``UnreadableImage`` on I/O errors."""
    return identify(path).current


def legacy_hash(path: str | os.PathLike[str]) -> str:
    """The format-1 hash: size plus the first and last MiB (the whole file when under 2 MiB)."""
    identity = identify(path, legacy=True)
    assert identity.legacy is not None
    return identity.legacy


def identify(path: str | os.PathLike[str], legacy: bool = False) -> Identity:
    """Hash a file in one pass; with ``legacy`` also its format-1 hash (for libraries made before)."""
    with unreadable_on_os_error(), open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        check_file_size(size)
        header = size.to_bytes(8, "little")
        current = hashlib.blake2b(header, digest_size=DIGEST_SIZE)
        old = hashlib.blake2b(header, digest_size=DIGEST_SIZE) if legacy else None
        if size <= FULL_LIMIT:
            _hash_whole(handle, size, current, old)
        else:
            _hash_sampled(handle, size, current, old)
    return Identity(PREFIX + current.hexdigest(), old.hexdigest() if old is not None else None)


def _hash_whole(handle, size: int, current, old) -> None:
    position = 0
    while block := handle.read(CHUNK):
        current.update(block)
        if old is not None and (size <= 2 * CHUNK or position == 0):
            old.update(block if size <= 2 * CHUNK else block[:CHUNK])
        position += len(block)
    if old is not None and size > 2 * CHUNK:
        handle.seek(size - CHUNK)
        old.update(handle.read(CHUNK))


def _hash_sampled(handle, size: int, current, old) -> None:
    head = handle.read(CHUNK)
    current.update(head)
    span = size - 2 * CHUNK - BLOCK
    for number in range(SAMPLES):
        handle.seek(CHUNK + span * number // (SAMPLES - 1))
        current.update(handle.read(BLOCK))
    handle.seek(size - CHUNK)
    tail = handle.read(CHUNK)
    current.update(tail)
    if old is not None:
        old.update(head)
        old.update(tail)
