"""The hnswlib index of one model's embeddings: a rebuildable cache.

Labels are photo ids and the space is inner product on unit vectors, so a
score is the cosine similarity.  The index is saved beside the catalogue
with an atomic replace and a small JSON sidecar (model id, dimension, the
catalogue generation it reflects, file size and checksum).  When the file
is missing, damaged, stale or made by another model it is rebuilt from the
embeddings stored in the catalogue, which are the source of truth.

Both new files are written (0600) and synced before either replaces its
predecessor, so a full disk or a crash while saving leaves the previous
pair in place; a failed save is logged in plain words and costs only a
rebuild when the library is next opened.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
from pathlib import Path

import hnswlib
import numpy as np

log = logging.getLogger(__name__)

M = 16
EF_CONSTRUCTION = 200
MIN_EF_SEARCH = 64


def _checksum(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "blake2b").hexdigest()[:32]


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb", opener=lambda name, flags: os.open(name, flags, 0o600)) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class VectorIndex:
    def __init__(self, directory: Path, model_id: str, dim: int):
        self.model_id = model_id
        self.dim = dim
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)
        self.path = Path(directory) / f"{stem}.hnsw"
        self.meta_path = self.path.with_suffix(".json")
        self._index = self._empty(1024)
        self.generation = -1
        self._labels: set[int] = set()
        self._deleted: set[int] = set()

    def _empty(self, capacity: int) -> hnswlib.Index:
        index = hnswlib.Index(space="ip", dim=self.dim)
        index.init_index(max_elements=capacity, ef_construction=EF_CONSTRUCTION, M=M)
        index.set_ef(MIN_EF_SEARCH)
        return index

    # -- persistence ---------------------------------------------------------
    def load(self, generation: int) -> bool:
        """Load the saved index if it is intact and reflects ``generation``."""
        try:
            meta = json.loads(self.meta_path.read_text())
            fresh = (meta["model_id"] == self.model_id and meta["dim"] == self.dim
                     and meta["generation"] == generation and self.path.stat().st_size == meta["size"]
                     and _checksum(self.path) == meta["checksum"])
            if not fresh:
                log.info("index %s is stale; rebuilding", self.path.name)
                return False
            index = hnswlib.Index(space="ip", dim=self.dim)
            index.load_index(str(self.path), max_elements=max(int(meta["capacity"]), 1))
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            log.info("index %s unusable (%s); rebuilding", self.path.name, exc)
            return False
        index.set_ef(MIN_EF_SEARCH)
        self._index, self.generation = index, generation
        self._labels = set(map(int, index.get_ids_list()))
        self._deleted = set(map(int, meta["deleted"]))
        return True

    def save(self, generation: int) -> bool:
        """Write the index and its sidecar atomically (temp files, fsync, replace); False, with a plain
        warning, when they cannot be written (a full disk): the files saved before stay as they were."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        meta_temporary = self.meta_path.with_name(self.meta_path.name + ".tmp")
        try:
            self._write_index(temporary)
            meta = {"model_id": self.model_id, "dim": self.dim, "generation": generation,
                    "deleted": sorted(self._deleted), "capacity": self._index.get_max_elements(),
                    "size": temporary.stat().st_size, "checksum": _checksum(temporary)}
            _write_synced(meta_temporary, json.dumps(meta).encode())
            os.replace(temporary, self.path)
            os.replace(meta_temporary, self.meta_path)
        except (OSError, RuntimeError) as exc:
            for leftover in (temporary, meta_temporary):
                leftover.unlink(missing_ok=True)
            full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
            log.warning("could not save the search index %s (%s); the copy saved before is kept, and the "
                        "index is rebuilt from the catalogue the next time the library is opened",
                        self.path, "the disk is full" if full else exc)
            return False
        self.generation = generation
        return True

    def _write_index(self, temporary: Path) -> None:
        """hnswlib's own writer, then a check that nothing was cut short (it does not report a full
        disk), a private mode and an fsync."""
        temporary.unlink(missing_ok=True)
        self._index.save_index(str(temporary))
        # hnswlib writes, per element, its level-0 record (links of up to 2 M neighbours, the vector and
        # the label) and the size of its upper-level links: a shorter file was cut short
        expected = self._index.get_current_count() * ((2 * M * 4 + 4) + self.dim * 4 + 8 + 4)
        if temporary.stat().st_size < expected:
            raise OSError(errno.ENOSPC, "the index file was cut short")
        os.chmod(temporary, 0o600)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())

    def rebuild(self, ids: np.ndarray, vectors: np.ndarray, generation: int, save: bool = True) -> None:
        self._index = self._empty(max(1024, int(len(ids) * 1.25)))
        self._labels, self._deleted = set(), set()
        self.add(ids, vectors)
        if save:
            self.save(generation)
        else:
            self.generation = generation

    # -- updates -------------------------------------------------------------
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace vectors (a re-added id is un-deleted)."""
        if len(ids) == 0:
            return
        ids = [int(label) for label in ids]
        needed = self._index.get_current_count() + sum(1 for label in ids if label not in self._labels)
        if needed > self._index.get_max_elements():
            self._index.resize_index(max(needed, self._index.get_max_elements() * 2))
        self._index.add_items(np.asarray(vectors, np.float32), ids)
        self._labels.update(ids)
        self._deleted.difference_update(ids)

    def remove(self, ids) -> None:
        for label in map(int, ids):
            if label in self._labels and label not in self._deleted:
                self._index.mark_deleted(label)
                self._deleted.add(label)

    @property
    def live(self) -> int:
        return len(self._labels) - len(self._deleted)

    # -- queries -------------------------------------------------------------
    def query(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Up to ``k`` (photo id, cosine similarity) pairs, best first."""
        k = min(k, self.live)
        if k <= 0:
            return []
        self._index.set_ef(max(MIN_EF_SEARCH, 2 * k))
        while True:
            try:
                labels, distances = self._index.knn_query(np.asarray(vector, np.float32).reshape(1, -1), k=k)
                break
            except RuntimeError:  # too few reachable live elements for k (after many deletions)
                if k == 1:
                    return []
                k = max(1, k // 2)
        return [(int(label), float(1.0 - distance)) for label, distance in zip(labels[0], distances[0])]

    def neighbours(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest photos of each of many vectors at once, on every core: (ids, cosines),
        each (n, k), best first; -1 (cosine -inf) pads rows when fewer are reachable."""
        n = len(vectors)
        k = min(k, self.live)
        if k <= 0 or n == 0:
            return np.full((n, max(k, 0)), -1, np.int64), np.full((n, max(k, 0)), -np.inf, np.float32)
        self._index.set_ef(max(MIN_EF_SEARCH, 2 * k))
        try:
            labels, distances = self._index.knn_query(np.asarray(vectors, np.float32), k=k,
                                                      num_threads=os.cpu_count() or 1)
        except RuntimeError:  # too few reachable live elements for k: one query at a time
            rows = [self.query(vector, k) for vector in vectors]
            ids = np.array([[i for i, _ in row] + [-1] * (k - len(row)) for row in rows], np.int64)
            sims = np.array([[c for _, c in row] + [-np.inf] * (k - len(row)) for row in rows], np.float32)
            return ids, sims
        return labels.astype(np.int64), (1.0 - distances).astype(np.float32)
