"""Every vector of an index, in half precision, by photo id.

The searcher of a large index holds projections (``projection.py``); this store
keeps the full vectors its candidates are re-ranked on, and what a catch-up
compares with the catalogue.  Half precision halves the memory (2.6 GB for a
million 1280-d vectors) and moves a cosine by about 1e-5.  Rows are appended;
a removed photo's row is dropped when the store is next written.  On disk:
two ``.npy`` arrays one after the other (photo ids, then vectors).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

#: rows re-ranked or written at a time (about 30 MB of 1280-d rows in single precision)
CHUNK = 6_000


class VectorStore:
    def __init__(self, dim: int, ids: np.ndarray | None = None, vectors: np.ndarray | None = None,
                 used: int | None = None):
        """The first ``used`` rows (default: all) of ``ids`` and ``vectors`` are in use, the rest room to grow."""
        self.dim = dim
        self._ids = np.zeros(0, np.int64) if ids is None else np.asarray(ids, np.int64)  # -1: removed
        self._vectors = np.zeros((0, dim), np.float16) if vectors is None else vectors
        self._used = len(self._ids) if used is None else used
        self._row_of = np.full(0, -1, np.int64)  # by photo id: its row, or -1
        self._index_rows(np.arange(self._used))
        self.live = self._used

    def _index_rows(self, rows: np.ndarray) -> None:
        ids = self._ids[rows]
        if len(ids) and ids.max() >= len(self._row_of):
            grown = np.full(max(int(ids.max()) + 1, 2 * len(self._row_of)), -1, np.int64)
            grown[: len(self._row_of)] = self._row_of
            self._row_of = grown
        self._row_of[ids] = rows

    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        """Each photo's row, or -1 when the store does not hold it."""
        ids = np.asarray(ids, np.int64)
        rows = np.full(len(ids), -1, np.int64)
        known = (ids >= 0) & (ids < len(self._row_of))
        rows[known] = self._row_of[ids[known]]
        return rows

    def put(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Store or replace these photos' vectors (the last one given, if a photo comes twice)."""
        ids = np.asarray(ids, np.int64)
        last = len(ids) - 1 - np.unique(ids[::-1], return_index=True)[1]
        ids, vectors = ids[last], np.asarray(vectors)[last]
        rows = self.rows_of(ids)
        new = rows < 0
        rows[new] = np.arange(self._used, self._used + int(new.sum()))
        if self._used + new.sum() > len(self._ids):
            # a quarter more: a store loaded full grows by 0.6 GB at a million, not by 2.6 GB
            self.reserve(max(int(self._used + new.sum()), len(self._ids) + len(self._ids) // 4, 1024))
        self._ids[rows] = ids
        self._vectors[rows] = vectors
        self._used += int(new.sum())
        self.live += int(new.sum())
        self._index_rows(rows[new])

    def reserve(self, capacity: int) -> None:
        """Room for ``capacity`` rows (a rebuild knows how many are coming)."""
        if capacity > len(self._ids):
            self._ids = np.concatenate([self._ids, np.full(capacity - len(self._ids), -1, np.int64)])
            grown = np.zeros((capacity, self.dim), np.float16)
            grown[: self._used] = self._vectors[: self._used]
            self._vectors = grown

    @property
    def rows(self) -> int:
        """Rows in use, the removed ones included."""
        return self._used

    def remove(self, ids: np.ndarray) -> None:
        rows = self.rows_of(np.unique(np.asarray(ids, np.int64)))
        rows = rows[rows >= 0]
        self._row_of[self._ids[rows]] = -1
        self._ids[rows] = -1
        self.live -= len(rows)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        return self._vectors[rows].astype(np.float32)

    def differs(self, rows: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """For each (row or -1, vector): whether the store lacks it or holds another vector (in half precision)."""
        differs = rows < 0
        if len(rows) and not differs.any() and rows[-1] - rows[0] == len(rows) - 1 and (np.diff(rows) == 1).all():
            held = self._vectors[rows[0]: rows[-1] + 1]  # consecutive rows (a catch-up's usual case): no copy
            return np.any(held != np.asarray(vectors).astype(np.float16), axis=1)
        held = ~differs
        differs[held] = np.any(self._vectors[rows[held]] != np.asarray(vectors)[held].astype(np.float16), axis=1)
        return differs

    def live_rows(self) -> np.ndarray:
        return np.flatnonzero(self._ids[: self._used] >= 0)

    def ids(self, rows: np.ndarray) -> np.ndarray:
        return self._ids[rows]

    def chunks(self, rows: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(photo ids, single-precision vectors) of these rows (default: the live ones), a chunk at a time."""
        rows = self.live_rows() if rows is None else rows
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start: start + CHUNK]
            yield self._ids[chunk], self.vectors(chunk)

    # -- on disk -------------------------------------------------------------------
    def write(self, handle: BinaryIO) -> None:
        rows = self.live_rows()
        np.lib.format.write_array(handle, self._ids[rows])
        np.lib.format.write_array_header_2_0(handle, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float16)),
                                                      "fortran_order": False, "shape": (len(rows), self.dim)})
        compact = len(rows) == self._used  # nothing removed: written as it lies
        for start in range(0, len(rows), CHUNK):
            end = min(start + CHUNK, len(rows))
            chunk = self._vectors[start:end] if compact else self._vectors[rows[start:end]]
            handle.write(np.ascontiguousarray(chunk).tobytes())

    @classmethod
    def read(cls, handle: BinaryIO, dim: int) -> VectorStore:
        """The store written to ``handle`` (a file), with room for a quarter more rows (memory the system
        hands out only once they are used: the first photos added after a load copy nothing); ValueError
        when it is not one of ``dim``-d vectors."""
        ids = np.lib.format.read_array(handle, allow_pickle=False)
        if np.lib.format.read_magic(handle) != (2, 0):
            raise ValueError("the stored vectors are not in the expected form")
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(handle)
        if (ids.dtype != np.int64 or ids.ndim != 1 or dtype != np.float16 or fortran_order
                or shape != (len(ids), dim) or (len(ids) and ids.min() < 0)):
            raise ValueError("the stored vectors are not in the expected form")
        room = len(ids) // 4 + 1024
        vectors = np.empty((len(ids) + room, dim), np.float16)
        if len(ids) and handle.readinto(memoryview(vectors[: len(ids)]).cast("B")) != len(ids) * dim * 2:
            raise ValueError("the stored vectors are cut short")
        return cls(dim, np.concatenate([ids, np.full(room, -1, np.int64)]), vectors, used=len(ids))
