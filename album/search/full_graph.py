"""The searcher of a small index: an hnswlib graph of the full vectors, labelled by photo id.

Up to ``projection.PROJECT_FROM`` vectors, building and searching a graph of
the vectors themselves is fast and its scores are final (recall@10 1.000 at
10,000).  A removed photo's label is marked deleted in the graph; a re-added
one is un-deleted in place.  Saved as hnswlib's own file, checked for being
cut short (hnswlib does not report a full disk).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import hnswlib
import numpy as np

#: links per element (twice as many at level 0) and candidates kept while inserting: recall@10 1.000 at
#: 10,000 vectors (README "Speed")
M = 24
EF_CONSTRUCTION = 64
#: candidates kept while searching: at least this many, and twice as many as are asked for
MIN_EF_SEARCH = 128


class FullGraph:
    kind = "hnsw"

    def __init__(self, dim: int, capacity: int = 1024, graph: hnswlib.Index | None = None,
                 deleted: set[int] | None = None):
        if graph is None:
            graph = hnswlib.Index(space="ip", dim=dim)
            graph.init_index(max_elements=max(1, capacity), ef_construction=EF_CONSTRUCTION, M=M)
        self._graph = graph
        self._deleted: set[int] = set() if deleted is None else deleted  # labels marked deleted

    @property
    def live(self) -> int:
        return self._graph.get_current_count() - len(self._deleted)

    @property
    def dead(self) -> int:
        """Removed photos the graph still holds (marked deleted)."""
        return len(self._deleted)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace these photos' vectors, on every core."""
        needed = self._graph.get_current_count() + len(ids)
        if needed > self._graph.get_max_elements():
            self._graph.resize_index(max(needed, self._graph.get_max_elements() * 2))
        self._graph.add_items(vectors, ids, num_threads=os.cpu_count() or 1)
        self._deleted.difference_update(np.asarray(ids).tolist())

    def remove(self, ids: np.ndarray) -> None:
        """Forget these photos (each is held, live)."""
        labels = np.asarray(ids).tolist()
        for label in labels:
            self._graph.mark_deleted(label)
        self._deleted.update(labels)

    def search(self, vectors: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` nearest photos of each vector, on every core: (ids, cosines), each (q, n), best first;
        -1 (cosine -inf) pads rows when fewer are reachable (after many deletions)."""
        self._graph.set_ef(max(MIN_EF_SEARCH, 2 * n))
        try:
            labels, distances = self._graph.knn_query(vectors, k=n, num_threads=os.cpu_count() or 1)
            return labels.astype(np.int64), (1.0 - distances).astype(np.float32)
        except RuntimeError:  # too few reachable live elements: one at a time, asking for fewer
            ids, cosines = np.full((len(vectors), n), -1, np.int64), np.full((len(vectors), n), -np.inf, np.float32)
            for row, vector in enumerate(vectors):
                wanted = n
                while wanted:
                    try:
                        labels, distances = self._graph.knn_query(vector.reshape(1, -1), k=wanted)
                    except RuntimeError:
                        wanted //= 2
                        continue
                    ids[row, :wanted], cosines[row, :wanted] = labels[0], 1.0 - distances[0]
                    break
            return ids, cosines

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The vectors the graph holds for these photos."""
        return self._graph.get_items(ids, return_type="numpy")

    # -- on disk -------------------------------------------------------------------
    def meta(self) -> dict:
        return {"deleted": sorted(self._deleted), "capacity": self._graph.get_max_elements()}

    def write(self, path: Path) -> None:
        """hnswlib's own writer, then a check that nothing was cut short (the caller syncs)."""
        path.unlink(missing_ok=True)
        self._graph.save_index(str(path))
        # per element: its level-0 record (a count and up to 2 M neighbours, the vector, the label) and the
        # size of its upper-level links: a shorter file was cut short
        record = 4 + 2 * self._graph.M * 4 + 4 * self._graph.dim + 8 + 4
        if path.stat().st_size < self._graph.get_current_count() * record:
            raise OSError(errno.ENOSPC, "the index file was cut short")

    @classmethod
    def read(cls, path: Path, dim: int, meta: dict) -> FullGraph:
        graph = hnswlib.Index(space="ip", dim=dim)
        graph.load_index(str(path), max_elements=max(int(meta["capacity"]), 1))
        return cls(dim, graph=graph, deleted=set(map(int, meta["deleted"])))
