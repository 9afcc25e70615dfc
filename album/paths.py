"""Every location album reads or writes, in one place.

By default the library lives in the platform's user data directory and the
thumbnail cache, feature cache and logs in the matching cache and log
directories (via platformdirs).  ``--library DIR`` or the ``ALBUM_LIBRARY``
environment variable moves *everything* under DIR, which is what tests and
portable installs use: nothing is then written anywhere else.

A library is private: ``ensure`` makes its folders readable by the user only
(0700) and creates the catalogue and lock files 0600 (SQLite gives its WAL
and shared-memory files the database's mode); ``private_folder`` and
``PRIVATE_FILE`` serve the other places that create files (index, thumbnails,
logs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "album"
LIBRARY_ENV = "ALBUM_LIBRARY"

#: Modes of everything album creates in a library: the user's only.
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600

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
    def models(self) -> Path:
        """The library's personal models (``album personalize``)."""
        return self.root / "models"

    @property
    def thumbnails(self) -> Path:
        return self.cache / "thumbnails"

    @property
    def features(self) -> Path:
        """Cached backbone features used by training."""
        return self.cache / "features"

    @property
    def graphs(self) -> Path:
        """The backbones' ONNX graphs, kept so that a model loads without exporting them again."""
        return self.cache / "graphs"

    @property
    def log_file(self) -> Path:
        return self.logs / "album.log"

    @property
    def lock(self) -> Path:
        """Held by the one process that writes the library."""
        return self.root / "album.lock"

    def ensure(self) -> "LibraryPaths":
        """Create the library's folders (0700) and its catalogue and lock files (0600)."""
        for folder in (self.root, self.cache, self.logs, self.index_dir):
            private_folder(folder)
        for file in (self.catalogue, self.lock):
            private_file(file)
        return self


def private_folder(folder: Path) -> Path:
    """Make ``folder`` (and any missing parents) with mode 0700; an existing one is made 0700 too."""
    folder = Path(folder)
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)
    target = missing[0] if missing else folder
    if target.stat().st_mode & 0o777 != PRIVATE_FOLDER:
        _tighten(target, PRIVATE_FOLDER)
    return target


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if it is missing; an existing one loses group and other access."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass
    if path.stat().st_mode & 0o077:
        _tighten(path, path.stat().st_mode & 0o700)
    return path


def _tighten(path: Path, mode: int) -> None:
    """chmod, except where it cannot be done (a library on read-only media, or owned by someone else):
    album can still read such a library, and it is not made any less private by that."""
    try:
        path.chmod(mode)
    except OSError:
        pass
