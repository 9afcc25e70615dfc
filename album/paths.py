"""Every location album reads or writes, in one place.

By default the library lives in the platform's user data directory and the
thumbnail cache, feature cache and logs in the matching cache and log
directories (via platformdirs).  ``--library DIR`` or the ``ALBUM_LIBRARY``
environment variable moves *everything* under DIR, which is what tests and
portable installs use: nothing is then written anywhere else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "album"
LIBRARY_ENV = "ALBUM_LIBRARY"

#: Shipped, read-only files (icons, desktop entry, the default model head).
RESOURCES = Path(__file__).resolve().parent.parent / "resources"


@dataclass(frozen=True)
class LibraryPaths:
    """The files and folders that make up one photo library."""

    root: Path
    cache: Path
    logs: Path

    @classmethod
    def at(cls, root: str | os.PathLike[str]) -> "LibraryPaths":
        """A self-contained library: catalogue, caches and logs all under ``root``."""
        base = Path(root).expanduser().resolve()
        return cls(root=base, cache=base / "cache", logs=base / "logs")

    @classmethod
    def default(cls) -> "LibraryPaths":
        """The user's library, or the one named by ``ALBUM_LIBRARY``."""
        override = os.environ.get(LIBRARY_ENV)
        if override:
            return cls.at(override)
        return cls(
            root=Path(platformdirs.user_data_dir(APP_NAME)),
            cache=Path(platformdirs.user_cache_dir(APP_NAME)),
            logs=Path(platformdirs.user_log_dir(APP_NAME)),
        )

    @classmethod
    def resolve(cls, library: str | os.PathLike[str] | None) -> "LibraryPaths":
        """``--library`` wins over the environment, which wins over the default."""
        return cls.at(library) if library else cls.default()

    @property
    def catalogue(self) -> Path:
        return self.root / "catalogue.sqlite3"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def thumbnails(self) -> Path:
        return self.cache / "thumbnails"

    @property
    def features(self) -> Path:
        """Cached backbone features used by training."""
        return self.cache / "features"

    @property
    def log_file(self) -> Path:
        return self.logs / "album.log"

    def ensure(self) -> "LibraryPaths":
        for folder in (self.root, self.cache, self.logs, self.index_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
