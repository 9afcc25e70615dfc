"""Logging set-up shared by the CLI and the GUI: a rotating file in the library's log folder.

The log folder is the user's only (0700) and every log file, the rotated
ones included, is created 0600: logs name the user's photos.
"""

from __future__ import annotations

import logging
import logging.handlers
import os

from album.paths import PRIVATE_FILE, LibraryPaths, private_folder

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: libraries whose notes at INFO read like errors in the user's log: faiss's loader lists the CPU-specific
#: builds it tried ("Could not load library with AVX512 support ... ModuleNotFoundError") before the one it
#: loads
QUIETER = {"faiss.loader": logging.WARNING}


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are created readable by the user only."""

    def _open(self):
        return open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors,
                    opener=lambda path, flags: os.open(path, flags, PRIVATE_FILE))


def setup_logging(paths: LibraryPaths, console_level: int = logging.WARNING) -> None:
    private_folder(paths.logs)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for name, level in QUIETER.items():
        logging.getLogger(name).setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "album", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = PrivateRotatingFileHandler(paths.log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    if os.stat(paths.log_file).st_mode & 0o077:  # a log file made by an older version
        os.chmod(paths.log_file, PRIVATE_FILE)
    file_handler.setFormatter(logging.Formatter(FORMAT))
    console = logging.StreamHandler()
    console.setLevel(console_level)
    console.setFormatter(logging.Formatter("album: %(message)s"))
    for handler in (file_handler, console):
        handler.album = True
        root.addHandler(handler)
