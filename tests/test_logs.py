"""The library's log: what reaches it from other libraries."""

from __future__ import annotations

import logging

from album.logs import setup_logging
from album.paths import LibraryPaths


def test_faiss_loaders_notes_on_builds_it_did_not_load_stay_out_of_the_log(tmp_path):
    paths = LibraryPaths.at(tmp_path / "library")
    root, loader = logging.getLogger(), logging.getLogger("faiss.loader")
    level, loader_level = root.level, loader.level
    try:
        setup_logging(paths)
        loader.info("Could not load library with AVX512 support due to: ModuleNotFoundError")
        loader.warning("a real problem")
        logging.getLogger("album.test").info("album's own note")
        for handler in root.handlers:
            handler.flush()
        text = paths.log_file.read_text()
        assert "AVX512" not in text and "a real problem" in text and "album's own note" in text
    finally:
        for handler in [h for h in root.handlers if getattr(h, "album", False)]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
        loader.setLevel(loader_level)
