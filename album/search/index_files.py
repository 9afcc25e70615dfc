"""An index's files beside the catalogue: its searcher, its vectors, and a sidecar that vouches for both.

The searcher is saved in its own form: ``NAME.hnsw``, hnswlib's file of a
small index's graph, or ``NAME.scan``, the photo ids and faiss's serialised
codes of a large one.  ``NAME.vectors`` holds the half-precision vector
store and the projection's axes; ``NAME.json`` the model id, dimension,
catalogue generation, the searcher's kind and its own details, and each
file's size and crc32 (500 MB in 0.3 s here).  Both data files are written
private (0600) and synced before any replaces its predecessor, and the
sidecar goes last, so a full disk or a crash while saving leaves the
previous files in place, or a mismatch that the next read notices; a failed
write is logged in plain words and costs only a catch-up or a rebuild when
the library is next opened.  Files that are damaged, stale, of another model
or of an earlier release (``FORMAT``) are not read.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from album.paths import PRIVATE_FILE, PRIVATE_FOLDER
from album.search.code_scan import CodeScan
from album.search.full_graph import FullGraph
from album.search.projection import Projection
from album.search.vector_store import VectorStore

log = logging.getLogger(__name__)

#: the files' layout: 2 added the vector store and the projection, 3 the code scan of a large index (earlier
#: indexes are rebuilt once)
FORMAT = 3

Searcher = FullGraph | CodeScan
SEARCHERS = {kind.kind: kind for kind in (FullGraph, CodeScan)}


@dataclass
class IndexState:
    """What an index holds, as saved."""
    searcher: Searcher
    store: VectorStore
    projection: Projection
    generation: int


def _identity(path: Path) -> tuple[int, ...]:
    """Which file this is: device, inode, size, time (a save replaces the file, so each save makes another)."""
    status = os.stat(path)
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


def _checksum(path: Path) -> str:
    value = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 24):
            value = zlib.crc32(block, value)
    return f"{value:08x}"


def _synced(path: Path, write: Callable[[BinaryIO], None]) -> None:
    path.unlink(missing_ok=True)
    with open(path, "wb", opener=lambda name, flags: os.open(name, flags, PRIVATE_FILE)) as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())


class IndexFiles:
    def __init__(self, directory: Path, model_id: str, dim: int):
        self.model_id, self.dim = model_id, dim
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)
        self._stem = Path(directory) / stem
        self.vectors_path = self._stem.with_suffix(".vectors")
        self.meta_path = self._stem.with_suffix(".json")

    def searcher_path(self, kind: str) -> Path:
        return self._stem.with_suffix("." + kind)

    def read(self, generation: int | None) -> IndexState | None:
        """The saved index if it is intact and reflects ``generation`` (None: whichever it reflects)."""
        name = self._stem.name
        if not self.meta_path.exists():
            log.info("index %s has not been saved yet; building it", name)
            return None
        try:
            meta = json.loads(self.meta_path.read_text())
            if meta.get("format") != FORMAT:
                log.info("index %s was made by an earlier release; rebuilding", name)
                return None
            kind = SEARCHERS[meta["kind"]]
            searcher_path = self.searcher_path(kind.kind)
            sources = _identity(searcher_path), _identity(self.vectors_path)
            if not (meta["model_id"] == self.model_id and meta["dim"] == self.dim
                    and generation in (None, meta["generation"])
                    and [source[2] for source in sources] == [meta["size"], meta["vectors_size"]]
                    and [_checksum(searcher_path), _checksum(self.vectors_path)]
                    == [meta["checksum"], meta["vectors_checksum"]]):
                log.info("index %s is stale; rebuilding", name)
                return None
            with open(self.vectors_path, "rb") as handle:
                store = VectorStore.read(handle, self.dim)
                projection = Projection(np.lib.format.read_array(handle, allow_pickle=False))
            searcher = kind.read(searcher_path, projection.dim(self.dim), meta["searcher"])
            if (_identity(searcher_path), _identity(self.vectors_path)) != sources:
                raise OSError("it was replaced while being read")  # another process saved meanwhile
            if searcher.live != store.live:
                raise ValueError("its searcher and its vectors disagree")
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            log.info("index %s unusable (%s); rebuilding", name, exc)
            return None
        return IndexState(searcher, store, projection, int(meta["generation"]))

    def write(self, state: IndexState) -> bool:
        """Write the index and its sidecar atomically (temp files, fsync, replace); False, with a plain
        warning, when they cannot be written (a full disk): the files saved before stay as they were."""
        self.meta_path.parent.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
        searcher_path = self.searcher_path(state.searcher.kind)
        temporary = {path: path.with_name(path.name + ".tmp")
                     for path in (searcher_path, self.vectors_path, self.meta_path)}
        try:
            searcher, vectors = temporary[searcher_path], temporary[self.vectors_path]
            self._write_searcher(state, searcher)
            _synced(vectors, lambda handle: self._write_vectors(state, handle))
            meta = {"format": FORMAT, "model_id": self.model_id, "dim": self.dim, "generation": state.generation,
                    "kind": state.searcher.kind, "searcher": state.searcher.meta(),
                    "size": searcher.stat().st_size, "checksum": _checksum(searcher),
                    "vectors_size": vectors.stat().st_size, "vectors_checksum": _checksum(vectors)}
            _synced(temporary[self.meta_path], lambda handle: handle.write(json.dumps(meta).encode()))
            for path, written in temporary.items():  # the sidecar last: it vouches for the other two
                os.replace(written, path)
            for kind in SEARCHERS:  # the other kind's file, or an earlier release's, is no longer vouched for
                if kind != state.searcher.kind:
                    self.searcher_path(kind).unlink(missing_ok=True)
        except (OSError, RuntimeError) as exc:
            for leftover in temporary.values():
                leftover.unlink(missing_ok=True)
            full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
            log.warning("could not save the search index %s (%s); the copy saved before is kept, and the "
                        "index is rebuilt from the catalogue the next time the library is opened",
                        searcher_path, "the disk is full" if full else exc)
            return False
        return True

    @staticmethod
    def _write_vectors(state: IndexState, handle: BinaryIO) -> None:
        state.store.write(handle)
        np.lib.format.write_array(handle, state.projection.array())

    @staticmethod
    def _write_searcher(state: IndexState, temporary: Path) -> None:
        """The searcher's own writer, then a private mode and an fsync."""
        state.searcher.write(temporary)
        os.chmod(temporary, PRIVATE_FILE)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
