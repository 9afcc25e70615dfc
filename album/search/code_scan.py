"""The searcher of a large index: compact codes of the projected vectors, scanned whole.

Past ``projection.PROJECT_FROM`` vectors, each photo's normalised projection
(``projection.py``) is kept twice by faiss: as product-quantisation codes,
4 bits for each pair of dimensions (48 bytes a photo for 192 dimensions),
scanned with SIMD lookup tables; and in half precision.  A query scans every
code for ``SCAN_CANDIDATES`` photos, scores those exactly on their
half-precision projections, and hands the best over to be re-ranked on the
full vectors (``index.py``).

Why a scan and not a graph: an hnswlib graph of the projections at a million
clustered vectors found 0.985 of the exact ten only with M 48 /
ef_construction 128, built at about 2,000 vectors/s (8 minutes), and its
first queries after a load, or after other work had cleared the caches, took
9-11 ms; inverted lists needed to visit half the lists for 0.99 (the
neighbourhoods of real embeddings are wide).  The scan is built from scratch
at hundreds of thousands of vectors a second (a million-photo index rebuilt from the catalogue
in 31-43 s, reading included), and found 0.989 of the exact ten at p50 4-5 ms
(README "Speed").

Rows are photo ids in ``ids``; removing photos compacts the codes in order.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

#: photos scanned for, then scored exactly on their projections: 1,024 of a million found 0.983-0.987 of the
#: exact ten after re-ranking (2,048: 0.989, 1 ms slower)
SCAN_CANDIDATES = 1024
#: rows the codebooks are trained on at least (a smaller sample is repeated: 4-bit codes need 16 centroids
#: per sub-space)
MIN_TRAINING_ROWS = 1024
#: rows faiss samples to train each sub-space's 16 centroids on, at most (128 per centroid)
MAX_TRAINING_ROWS = 2048
#: k-means iterations per sub-space. Training is a fixed cost of every rebuild: 8 iterations on 2,048 rows
#: took 0.06 s where 15 on 4,096 took 0.25-0.3 s (faiss's default 25, 0.4-0.55 s), and found 0.992 of the
#: exact ten at a million against 0.993 (300 queries; the candidates are scored exactly afterwards)
TRAINING_ITERATIONS = 8


def _factory(dim: int) -> faiss.Index:
    """Product quantisation of two dimensions per 4-bit code, fast-scanned, refined in half precision."""
    return faiss.index_factory(dim, f"PQ{max(1, dim // 2)}x4fs,Refine(SQfp16)", faiss.METRIC_INNER_PRODUCT)


class CodeScan:
    kind = "scan"

    def __init__(self, index: faiss.Index, ids: np.ndarray):
        self._index = index
        self._ids = np.asarray(ids, np.int64)
        self._held = np.zeros(0, bool)  # by photo id: whether the scan holds it (cheaper than searching ids)
        self._mark(self._ids, True)

    def _mark(self, ids: np.ndarray, held: bool) -> None:
        if len(ids) and ids.max() >= len(self._held):
            self._held = np.concatenate([self._held, np.zeros(max(int(ids.max()) + 1, 2 * len(self._held))
                                                               - len(self._held), bool)])
        self._held[ids] = held

    def _holds(self, ids: np.ndarray) -> np.ndarray:
        known = (ids >= 0) & (ids < len(self._held))
        known[known] = self._held[ids[known]]
        return known

    @classmethod
    def fit(cls, sample: np.ndarray) -> CodeScan:
        """An empty scan whose codebooks are trained on ``sample`` (projected vectors)."""
        sample = np.ascontiguousarray(sample, np.float32)
        repeats = -(-MIN_TRAINING_ROWS // max(1, len(sample)))
        index = _factory(sample.shape[1])
        clustering = faiss.downcast_index(index.base_index).pq.cp
        clustering.niter, clustering.max_points_per_centroid = TRAINING_ITERATIONS, MAX_TRAINING_ROWS // 16
        sample = np.ascontiguousarray(np.tile(sample, (repeats, 1)) if repeats > 1 else sample)
        index.train_c(len(sample), faiss.swig_ptr(sample))
        return cls(index, np.zeros(0, np.int64))

    @property
    def live(self) -> int:
        return len(self._ids)

    @property
    def dead(self) -> int:
        return 0  # removed rows are compacted away at once

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace these photos' projected vectors (the last one given, if a photo comes twice)."""
        ids = np.asarray(ids, np.int64)
        last = len(ids) - 1 - np.unique(ids[::-1], return_index=True)[1]
        ids, vectors = ids[last], np.ascontiguousarray(np.asarray(vectors, np.float32)[last])
        self.remove(ids)
        self._index.add_c(len(vectors), faiss.swig_ptr(vectors))
        self._ids = np.concatenate([self._ids, ids])
        self._mark(ids, True)

    def remove(self, ids) -> None:
        ids = np.asarray(ids, np.int64)
        ids = ids[self._holds(ids)]
        if not len(ids):
            return
        rows = np.flatnonzero(np.isin(self._ids, ids))
        selector = faiss.IDSelectorBatch(rows.astype(np.int64))
        codes, refined = faiss.downcast_index(self._index.base_index), faiss.downcast_index(self._index.refine_index)
        codes.remove_ids(selector)
        refined.remove_ids(selector)
        self._index.ntotal = codes.ntotal
        self._ids = np.delete(self._ids, rows)
        self._mark(ids, False)

    def search(self, vectors: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best photos of each projected vector by inner product in the projection: (ids, inner
        products), each (q, n), best first; -1 pads rows when the scan holds fewer."""
        n, vectors = max(1, n), np.ascontiguousarray(vectors, np.float32)
        parameters = faiss.IndexRefineSearchParameters(k_factor=max(1.0, SCAN_CANDIDATES / n))
        scores, rows = np.empty((len(vectors), n), np.float32), np.empty((len(vectors), n), np.int64)
        # faiss's own entry point: importing pytorch-metric-learning replaces ``search`` with a variant
        # (faiss.contrib.torch_utils) that takes no search parameters
        self._index.search_c(len(vectors), faiss.swig_ptr(vectors), n, faiss.swig_ptr(scores), faiss.swig_ptr(rows),
                             parameters)
        ids = np.where(rows >= 0, self._ids[np.maximum(rows, 0)] if len(self._ids) else -1, -1)
        return ids, scores

    # -- on disk -------------------------------------------------------------------
    def meta(self) -> dict:
        return {"count": self.live}

    def write(self, path: Path) -> None:
        """The photo ids and faiss's serialised index, as two ``.npy`` arrays (the caller syncs)."""
        with open(path, "wb") as handle:
            np.lib.format.write_array(handle, self._ids)
            np.lib.format.write_array(handle, faiss.serialize_index(self._index))

    @classmethod
    def read(cls, path: Path, dim: int, meta: dict) -> CodeScan:
        """ValueError when the file is not a scan of ``meta["count"]`` ``dim``-d vectors."""
        with open(path, "rb") as handle:
            ids = np.lib.format.read_array(handle, allow_pickle=False)
            serialised = np.lib.format.read_array(handle, allow_pickle=False)
        if ids.dtype != np.int64 or ids.ndim != 1 or serialised.dtype != np.uint8 or len(ids) != meta["count"]:
            raise ValueError("the scan's file is not in the expected form")
        index = faiss.deserialize_index(serialised)
        if index.d != dim or index.ntotal != len(ids):
            raise ValueError("the scan's codes and its photos disagree")
        return cls(index, ids)
