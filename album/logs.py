"""Logging set-up shared by the CLI and the GUI: a rotating file in the library's log folder."""

from __future__ import annotations

import logging
import logging.handlers

from album.paths import LibraryPaths

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(paths: LibraryPaths, console_level: int = logging.WARNING) -> None:
    paths.logs.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        if getattr(handler, "album", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = logging.handlers.RotatingFileHandler(paths.log_file, maxBytes=2_000_000, backupCount=3,
                                                        encoding="utf-8")
    file_handler.setFormatter(logging.Formatter(FORMAT))
    console = logging.StreamHandler()
    console.setLevel(console_level)
    console.setFormatter(logging.Formatter("album: %(message)s"))
    for handler in (file_handler, console):
        handler.album = True
        root.addHandler(handler)
