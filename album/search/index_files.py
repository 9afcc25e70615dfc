"""An index's files beside the catalogue: its graph, its vectors, and a sidecar that vouches for both.

``NAME.hnsw`` is hnswlib's own file of the graph; ``NAME.vectors`` holds the
half-precision vector store and the projection's axes; ``NAME.json`` the model
id, dimension, catalogue generation, the labels deleted from the graph, and
each file's size and crc32 (500 MB in 0.3 s here).  Both data files are
written private (0600) and synced before any replaces its predecessor, and the
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

import hnswlib
import numpy as np

from album.paths import PRIVATE_FILE, PRIVATE_FOLDER
from album.search.projection import Projection
from album.search.vector_store import VectorStore

log = logging.getLogger(__name__)

#: the files' layout: 2 added the vector store and the projection (earlier indexes are rebuilt once)
FORMAT = 2


@dataclass
class IndexState:
    """What an index holds, as saved."""
    graph: hnswlib.Index
    store: VectorStore
    projection: Projection
    deleted: set[int]  # labels marked deleted in the graph
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
        self.graph_path = Path(directory) / f"{stem}.hnsw"
        self.vectors_path = self.graph_path.with_suffix(".vectors")
        self.meta_path = self.graph_path.with_suffix(".json")

    def read(self, generation: int | None) -> IndexState | None:
        """The saved index if it is intact and reflects ``generation`` (None: whichever it reflects)."""
        name = self.graph_path.name
        try:
            meta = json.loads(self.meta_path.read_text())
            if meta.get("format") != FORMAT:
                log.info("index %s was made by an earlier release; rebuilding", name)
                return None
            sources = _identity(self.graph_path), _identity(self.vectors_path)
            if not (meta["model_id"] == self.model_id and meta["dim"] == self.dim
                    and generation in (None, meta["generation"])
                    and [source[2] for source in sources] == [meta["size"], meta["vectors_size"]]
                    and [_checksum(self.graph_path), _checksum(self.vectors_path)]
                    == [meta["checksum"], meta["vectors_checksum"]]):
                log.info("index %s is stale; rebuilding", name)
                return None
            with open(self.vectors_path, "rb") as handle:
                store = VectorStore.read(handle, self.dim)
                projection = Projection(np.lib.format.read_array(handle, allow_pickle=False))
            graph = hnswlib.Index(space="ip", dim=projection.dim(self.dim))
            graph.load_index(str(self.graph_path), max_elements=max(int(meta["capacity"]), 1))
            if (_identity(self.graph_path), _identity(self.vectors_path)) != sources:
                raise OSError("it was replaced while being read")  # another process saved meanwhile
            deleted = set(map(int, meta["deleted"]))
            if graph.get_current_count() - len(deleted) != store.live:
                raise ValueError("its graph and its vectors disagree")
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            log.info("index %s unusable (%s); rebuilding", name, exc)
            return None
        return IndexState(graph, store, projection, deleted, int(meta["generation"]))

    def write(self, state: IndexState) -> bool:
        """Write the index and its sidecar atomically (temp files, fsync, replace); False, with a plain
        warning, when they cannot be written (a full disk): the files saved before stay as they were."""
        self.graph_path.parent.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
        temporary = {path: path.with_name(path.name + ".tmp")
                     for path in (self.graph_path, self.vectors_path, self.meta_path)}
        try:
            graph, vectors = temporary[self.graph_path], temporary[self.vectors_path]
            self._write_graph(state, graph)
            _synced(vectors, lambda handle: self._write_vectors(state, handle))
            meta = {"format": FORMAT, "model_id": self.model_id, "dim": self.dim, "generation": state.generation,
                    "deleted": sorted(state.deleted), "capacity": state.graph.get_max_elements(),
                    "size": graph.stat().st_size, "checksum": _checksum(graph),
                    "vectors_size": vectors.stat().st_size, "vectors_checksum": _checksum(vectors)}
            _synced(temporary[self.meta_path], lambda handle: handle.write(json.dumps(meta).encode()))
            for path, written in temporary.items():  # the sidecar last: it vouches for the other two
                os.replace(written, path)
        except (OSError, RuntimeError) as exc:
            for leftover in temporary.values():
                leftover.unlink(missing_ok=True)
            full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
            log.warning("could not save the search index %s (%s); the copy saved before is kept, and the "
                        "index is rebuilt from the catalogue the next time the library is opened",
                        self.graph_path, "the disk is full" if full else exc)
            return False
        return True

    @staticmethod
    def _write_vectors(state: IndexState, handle: BinaryIO) -> None:
        state.store.write(handle)
        np.lib.format.write_array(handle, state.projection.array())

    def _write_graph(self, state: IndexState, temporary: Path) -> None:
        """hnswlib's own writer, then a check that nothing was cut short (it does not report a full
        disk), a private mode and an fsync."""
        temporary.unlink(missing_ok=True)
        state.graph.save_index(str(temporary))
        # per element: its level-0 record (a count and up to 2 M neighbours, the vector, the label) and the
        # size of its upper-level links: a shorter file was cut short
        record = 4 + 2 * state.graph.M * 4 + 4 * state.graph.dim + 8 + 4
        if temporary.stat().st_size < state.graph.get_current_count() * record:
            raise OSError(errno.ENOSPC, "the index file was cut short")
        os.chmod(temporary, PRIVATE_FILE)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
