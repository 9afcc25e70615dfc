"""Content identity: a hash that follows a photo across moves and renames.

Photos are large, so like digiKam's unique hash we hash the file size, the
first and the last MiB (the whole file when it is smaller than 2 MiB).  Any
edit a photo tool makes (pixels, EXIF orientation, metadata) changes one of
those, and reading 2 MiB keeps a rescan of a moved 100,000-photo library fast.
"""

from __future__ import annotations

import hashlib
import os

from album.library.imageio import MAX_FILE_BYTES
from album.errors import UnreadableImage

CHUNK = 1 << 20


def content_hash(path: str | os.PathLike[str]) -> str:
    """Hex digest identifying the file's content; raises ``UnreadableImage`` on I/O errors."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise UnreadableImage(f"file is too large ({size / 2**20:.0f} MiB)")
            digest = hashlib.blake2b(size.to_bytes(8, "little"), digest_size=20)
            if size <= 2 * CHUNK:
                digest.update(handle.read())
            else:
                digest.update(handle.read(CHUNK))
                handle.seek(size - CHUNK)
                digest.update(handle.read(CHUNK))
    except FileNotFoundError:
        raise UnreadableImage("file no longer exists") from None
    except PermissionError:
        raise UnreadableImage("permission denied") from None
    except IsADirectoryError:
        raise UnreadableImage("is a directory") from None
    except OSError as exc:
        raise UnreadableImage(f"cannot read file: {exc.strerror or exc}") from None
    return digest.hexdigest()
