"""Content identity: a hash that follows a photo across moves and renames.

Photos are large, so like digiKam's unique hash we hash the file size, the
first and the last MiB (the whole file when it is smaller than 2 MiB).  Any
edit a photo tool makes (pixels, EXIF orientation, metadata) changes one of
those, and reading 2 MiB keeps a rescan of a moved 100,000-photo library fast.
"""

from __future__ import annotations

import hashlib
import os

from album.media.imageio import check_file_size, unreadable_on_os_error

CHUNK = 1 << 20


def content_hash(path: str | os.PathLike[str]) -> str:
    """Hex digest identifying the file's content; raises ``UnreadableImage`` on I/O errors."""
    with unreadable_on_os_error(), open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        check_file_size(size)
        digest = hashlib.blake2b(size.to_bytes(8, "little"), digest_size=20)
        if size <= 2 * CHUNK:
            digest.update(handle.read())
        else:
            digest.update(handle.read(CHUNK))
            handle.seek(size - CHUNK)
            digest.update(handle.read(CHUNK))
    return digest.hexdigest()
