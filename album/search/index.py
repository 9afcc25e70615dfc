"""The hnswlib index of one model's embeddings: a rebuildable cache.

Labels are photo ids and the space is inner product on unit vectors, so a
score is the cosine similarity.  The index is saved beside the catalogue
with an atomic replace and a small JSON sidecar (model id, dimension, the
catalogue generation it reflects, file size and checksum).  The embeddings
stored in the catalogue are the source of truth.  A saved index that is
intact but stale is caught up with them: every vector it holds (read in
place from the file) is compared with theirs, and the difference added,
replaced and removed.  One that is missing, damaged or made by another
model, or whose difference is most of it, is rebuilt from them, batch by
batch on every core.

The graph's parameters (``M``, ``EF_CONSTRUCTION``, ``MIN_EF_SEARCH``) were
chosen by measuring build speed and recall@10 against exact search on
1280-d vectors (``benchmarks/speed_queries.py``).  A saved index keeps the
parameters it was built with, so files made with other values still load.

Both new files are written (0600) and synced before either replaces its
predecessor, so a full disk or a crash while saving leaves the previous
pair in place; a failed save is logged in plain words and costs only a
catch-up or a rebuild when the library is next opened.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import hnswlib
import numpy as np

log = logging.getLogger(__name__)

#: links per element (twice as many at level 0): 24 rather than 16 lifted recall@10 at 100,000 vectors from
#: 0.985 to 0.993 for a few % of build time and 1 % of memory
M = 24
#: candidates kept while inserting: 200 built 3-4x slower; below 64 recall fell as the index grew
EF_CONSTRUCTION = 64
#: candidates kept while searching (at least): recall@10 0.988-0.993 at 100,000 clustered 1280-d vectors,
#: 0.78 at 1,000,000 (too few there: see README "Speed")
MIN_EF_SEARCH = 128
#: a stale index is caught up unless more than this share of the vectors must be (re)inserted: a fresh
#: graph then costs little more, and is better
CATCH_UP_SHARE = 0.5

#: (photo ids, vectors) batches, by photo id
Batches = Iterable[tuple[np.ndarray, np.ndarray]]
#: the start of hnswlib's index file (``HierarchicalNSW::saveIndex``), then ``count`` records of
#: ``record`` bytes: level-0 links, the vector at ``data_offset``, the label after it
_HEADER = np.dtype([("level0_offset", "<u8"), ("capacity", "<u8"), ("count", "<u8"), ("record", "<u8"),
                    ("label_offset", "<u8"), ("data_offset", "<u8"), ("max_level", "<i4"), ("entry", "<u4"),
                    ("max_m", "<u8"), ("max_m0", "<u8"), ("m", "<u8"), ("mult", "<f8"), ("ef_construction", "<u8")])


def _layout(m: int, dim: int) -> tuple[int, int, int]:
    """(data offset, label offset, size) of an element's record in the index file: its level-0 links (a
    count and up to 2 ``m`` neighbours), its ``dim``-d vector, its label."""
    links = 4 + 2 * m * 4
    return links, links + 4 * dim, links + 4 * dim + 8


def _identity(file: Path | BinaryIO) -> tuple[int, ...]:
    """Which file this is: device, inode, size, time (a save replaces the file, so each save makes another)."""
    status = os.stat(file) if isinstance(file, Path) else os.fstat(file.fileno())
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


#: how a saved index's sidecar checks the file: crc32 reads 500 MB in 0.3 s here, blake2b (the sidecars
#: written before it, which name no kind) took 1.4 s, most of the time to answer a first query at 100k
CHECKSUM = "crc32"


def _checksum(path: Path, kind: str = CHECKSUM) -> str:
    with open(path, "rb") as handle:
        if kind == "crc32":
            value = 0
            while block := handle.read(1 << 24):
                value = zlib.crc32(block, value)
            return f"{value:08x}"
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
        #: the identity of the file the index was loaded from (None: built here)
        self._source: tuple[int, ...] | None = None

    def _empty(self, capacity: int) -> hnswlib.Index:
        index = hnswlib.Index(space="ip", dim=self.dim)
        index.init_index(max_elements=capacity, ef_construction=EF_CONSTRUCTION, M=M)
        index.set_ef(MIN_EF_SEARCH)
        return index

    # -- persistence ---------------------------------------------------------
    def load(self, generation: int | None) -> bool:
        """Load the saved index if it is intact and reflects ``generation`` (None: whichever it reflects,
        to be caught up)."""
        try:
            meta = json.loads(self.meta_path.read_text())
            source = _identity(self.path)
            fresh = (meta["model_id"] == self.model_id and meta["dim"] == self.dim
                     and generation in (None, meta["generation"]) and source[2] == meta["size"]
                     and _checksum(self.path, meta.get("checksum_kind", "blake2b")) == meta["checksum"])
            if not fresh:
                log.info("index %s is stale; rebuilding", self.path.name)
                return False
            index = hnswlib.Index(space="ip", dim=self.dim)
            index.load_index(str(self.path), max_elements=max(int(meta["capacity"]), 1))
            if _identity(self.path) != source:  # another process saved meanwhile (saves replace the file)
                raise OSError("it was replaced while being read")
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            log.info("index %s unusable (%s); rebuilding", self.path.name, exc)
            return False
        index.set_ef(MIN_EF_SEARCH)
        self._index, self.generation, self._source = index, int(meta["generation"]), source
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
                    "size": temporary.stat().st_size, "checksum": _checksum(temporary),
                    "checksum_kind": CHECKSUM}
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
        expected = self._index.get_current_count() * (_layout(self._index.M, self.dim)[2] + 4)
        if temporary.stat().st_size < expected:
            raise OSError(errno.ENOSPC, "the index file was cut short")
        os.chmod(temporary, 0o600)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())

    # -- following the catalogue -----------------------------------------------
    def rebuild(self, ids: np.ndarray, vectors: np.ndarray, generation: int, save: bool = True) -> None:
        """A fresh index of exactly these vectors."""
        self._build([(ids, vectors)], len(ids))
        self._reflect(generation, save)

    def refresh(self, batches: Callable[[], Batches], count: int, generation: int, save: bool = True) -> str:
        """Make the index hold exactly the ``count`` vectors that ``batches()`` yields (it is called again
        when a first pass was not enough): the saved index, if intact, loaded in place of the one in
        memory and caught up; otherwise rebuilt. Returns "caught up" or "rebuilt"."""
        caught_up = self.load(None) and self._catch_up(batches(), count)
        if not caught_up:
            self._build(batches(), count)
        self._reflect(generation, save)
        return "caught up" if caught_up else "rebuilt"

    def _catch_up(self, batches: Batches, count: int) -> bool:
        """Compare every vector saved in the file just loaded with ``batches``, then insert the new and
        the changed and remove the gone; False, having changed nothing, when the file cannot be read
        back, when more than ``CATCH_UP_SHARE`` of the vectors would be (re)inserted, or when the
        removed would outnumber the live."""
        saved = self._saved_vectors()
        if saved is None:
            return False
        labels, rows, vectors = saved
        seen = np.zeros(len(labels), bool)
        stale: list[tuple[np.ndarray, np.ndarray]] = []
        stale_count = 0
        for ids, batch in batches:
            at = np.minimum(np.searchsorted(labels, ids), max(len(labels) - 1, 0))
            present = labels[at] == ids if len(labels) else np.zeros(len(ids), bool)
            differs = ~present
            differs[present] = np.any(vectors[rows[at[present]]] != batch[present], axis=1)
            seen[at[present]] = True
            stale_count += int(differs.sum())
            if stale_count > CATCH_UP_SHARE * count:
                return False
            stale.append((ids[differs], batch[differs]))
        gone = labels[~seen]
        if len(self._deleted) + len(gone) > count:
            return False
        self.remove(gone)
        for ids, batch in stale:
            self.add(ids, batch)
        return True

    def _saved_vectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The live elements of the saved file, read in place from hnswlib's layout (its ``get_items``
        makes a Python float of each component: 2 s for 5,000 1280-d vectors): their labels in order,
        the row of each, and the vectors of all rows; None when the file is empty or does not hold, in
        that layout, what was loaded from it."""
        count = self._index.get_current_count()
        data, label, record = _layout(self._index.M, self.dim)
        with open(self.path, "rb") as handle:
            header = np.fromfile(handle, _HEADER, count=1)
            if (count == 0 or _identity(handle) != self._source or len(header) != 1
                    or [int(header[0][field]) for field in ("count", "data_offset", "label_offset", "record")]
                    != [count, data, label, record]):
                return None
            records = np.memmap(handle, np.uint8, "r", _HEADER.itemsize, (count, record))
        vectors = records[:, data:label].view("<f4")
        labels = records[:, label:record].view("<u8")[:, 0].astype(np.int64)
        rows = np.flatnonzero(~np.isin(labels, list(self._deleted)))
        rows = rows[np.argsort(labels[rows])]
        sample = rows[:: max(1, len(rows) // 4)]
        if not np.array_equal(self._index.get_items(labels[sample], return_type="numpy"), vectors[sample]):
            return None
        return labels[rows], rows, vectors

    def _build(self, batches: Batches, count: int) -> None:
        self._index = self._empty(max(1024, int(count * 1.25)))
        self._labels, self._deleted, self._source = set(), set(), None
        for ids, vectors in batches:
            self.add(ids, vectors)

    def _reflect(self, generation: int, save: bool) -> None:
        """The index now reflects ``generation``; saved when ``save`` (a failed save costs a catch-up or
        a rebuild when the library is next opened, not now)."""
        self.generation = generation
        if save:
            self.save(generation)

    # -- updates -------------------------------------------------------------
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace vectors (a re-added id is un-deleted)."""
        if len(ids) == 0:
            return
        ids = [int(label) for label in ids]
        needed = self._index.get_current_count() + sum(1 for label in ids if label not in self._labels)
        if needed > self._index.get_max_elements():
            self._index.resize_index(max(needed, self._index.get_max_elements() * 2))
        self._index.add_items(np.asarray(vectors, np.float32), ids, num_threads=os.cpu_count() or 1)
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
