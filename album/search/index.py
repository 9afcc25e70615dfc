"""The hnswlib index of one model's embeddings: a rebuildable cache.

Labels are photo ids and scores are inner products of unit vectors: cosine
similarities.  Every vector is kept in a half-precision store
(``vector_store.py``).  The hnswlib graph of a small index holds the vectors
themselves, and its scores are final; the graph of a large one holds their
normalised projection on the embeddings' principal axes (``projection.py``),
and its candidates are re-ranked on the stored vectors.  The index is saved
beside the catalogue (``index_files.py``).  The embeddings stored in the
catalogue are the source of truth.  A saved index that is intact but stale
is caught up with them: every stored vector is compared with theirs, and the
difference added, replaced and removed.  One that is missing, damaged, made
by another model or an earlier release, or whose difference is most of it,
is rebuilt from them on every core.

The graphs' parameters (``M``, ``EF_CONSTRUCTION``, their ``PROJECTED_``
twins, ``MIN_EF_SEARCH``, ``CANDIDATES``) were chosen by measuring build speed and recall@10 against
exact search (``benchmarks/speed_queries.py``, README "Speed").  A saved
index keeps the parameters it was built with.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import hnswlib
import numpy as np

from album.search.index_files import IndexFiles, IndexState
from album.search.projection import FIT_SAMPLE, Projection
from album.search.vector_store import CHUNK, VectorStore
from album.tasks import ProgressCallback, ProgressMeter

log = logging.getLogger(__name__)

#: links per element (twice as many at level 0) and candidates kept while inserting, in a graph of the full
#: vectors (up to ``PROJECT_FROM``): recall@10 1.000 at 10,000 vectors
M = 24
EF_CONSTRUCTION = 64
#: the same in a graph of projections.  At a million clustered vectors in 192 principal axes (ef 256, 128
#: candidates), M 24 / ef_construction 64 found 0.87 of the exact ten, 32 / 100 0.972, 48 / 128 0.985 (p99
#: 3.7 ms); searching wider than ef 256 added under 0.003: the graph's own quality decides
PROJECTED_M = 48
PROJECTED_EF_CONSTRUCTION = 128
#: candidates kept while searching: at least this many, and twice as many as are asked for
MIN_EF_SEARCH = 128
#: candidates a projected graph hands over for re-ranking on the full vectors (at least): 64 found 0.982 of
#: the exact ten at a million, 128 0.985; re-ranking 128 costs about 0.1 ms
CANDIDATES = 128
#: a stale index is caught up unless more than this share of the vectors must be (re)inserted: a fresh
#: graph then costs little more, and is better
CATCH_UP_SHARE = 0.5

#: the phase a rebuild reports
REBUILDING = "rebuilding the search index"

#: (photo ids, vectors) batches, by photo id
Batches = Iterable[tuple[np.ndarray, np.ndarray]]


class VectorIndex:
    def __init__(self, directory: Path, model_id: str, dim: int):
        self.model_id = model_id
        self.dim = dim
        self._files = IndexFiles(Path(directory), model_id, dim)
        self.generation = -1
        self._projection = Projection()
        self._store = VectorStore(dim)
        self._graph = self._empty(1024)
        self._deleted: set[int] = set()  # labels marked deleted in the graph

    def _empty(self, capacity: int) -> hnswlib.Index:
        graph = hnswlib.Index(space="ip", dim=self._projection.dim(self.dim))
        if self.projected:
            graph.init_index(max_elements=capacity, ef_construction=PROJECTED_EF_CONSTRUCTION, M=PROJECTED_M)
        else:
            graph.init_index(max_elements=capacity, ef_construction=EF_CONSTRUCTION, M=M)
        graph.set_ef(MIN_EF_SEARCH)
        return graph

    @property
    def projected(self) -> bool:
        return not self._projection.identity

    # -- persistence ---------------------------------------------------------
    @property
    def path(self) -> Path:
        return self._files.graph_path

    @property
    def vectors_path(self) -> Path:
        return self._files.vectors_path

    @property
    def meta_path(self) -> Path:
        return self._files.meta_path

    def load(self, generation: int | None) -> bool:
        """Load the saved index if it is intact and reflects ``generation`` (None: whichever it reflects,
        to be caught up)."""
        state = self._files.read(generation)
        if state is None:
            return False
        state.graph.set_ef(MIN_EF_SEARCH)
        self._graph, self._store, self._projection = state.graph, state.store, state.projection
        self._deleted, self.generation = state.deleted, state.generation
        return True

    def save(self, generation: int) -> bool:
        """Write the index atomically; False, with a plain warning, when it cannot be written (a full
        disk): the files saved before stay as they were."""
        state = IndexState(self._graph, self._store, self._projection, self._deleted, generation)
        if not self._files.write(state):
            return False
        self.generation = generation
        return True

    # -- following the catalogue -----------------------------------------------
    def rebuild(self, ids: np.ndarray, vectors: np.ndarray, generation: int, save: bool = True) -> None:
        """A fresh index of exactly these vectors."""
        self._build([(ids, vectors)], len(ids))
        self._reflect(generation, save)

    def refresh(self, batches: Callable[[], Batches], count: int, generation: int, save: bool = True,
                progress: ProgressCallback | None = None) -> str:
        """Make the index hold exactly the ``count`` vectors that ``batches()`` yields (it is called again
        when a first pass was not enough): the saved index, if intact, loaded in place of the one in
        memory and caught up; otherwise rebuilt, reporting to ``progress``. Returns "caught up" or
        "rebuilt"."""
        caught_up = self.load(None) and self._catch_up(batches(), count)
        if not caught_up:
            self._build(batches(), count, ProgressMeter(REBUILDING, count, progress) if count else None)
        self._reflect(generation, save)
        return "caught up" if caught_up else "rebuilt"

    def _catch_up(self, batches: Batches, count: int) -> bool:
        """Compare every stored vector with ``batches``, then insert the new and the changed and remove the
        gone; False, having changed nothing, when more than ``CATCH_UP_SHARE`` of the vectors would be
        (re)inserted, or when the removed would outnumber the live."""
        live = self._store.live_rows()
        seen = np.zeros(self._store.rows, bool)
        stale: list[tuple[np.ndarray, np.ndarray]] = []
        stale_count = 0
        for ids, batch in batches:
            rows = self._store.rows_of(ids)
            differs = self._store.differs(rows, batch)
            seen[rows[rows >= 0]] = True
            stale_count += int(differs.sum())
            if stale_count > CATCH_UP_SHARE * count:
                return False
            stale.append((ids[differs], batch[differs]))
        gone = self._store.ids(live[~seen[live]])
        if len(self._deleted) + len(gone) > count:
            return False
        self.remove(gone)
        for ids, batch in stale:
            self.add(ids, batch)
        return True

    def _build(self, batches: Batches, count: int, meter: ProgressMeter | None = None) -> None:
        self._store, self._deleted = VectorStore(self.dim), set()
        self._store.reserve(count)
        if meter is not None:
            meter.start()
        if Projection.wanted(count, self.dim):
            for ids, vectors in batches:
                self._store.put(ids, vectors)
            self._project(meter)
        else:
            self._projection = Projection()
            self._graph = self._empty(max(1024, int(count * 1.25)))
            for ids, vectors in batches:
                self.add(ids, vectors)
                if meter is not None:
                    meter.advance(len(ids))

    def _project(self, meter: ProgressMeter | None = None) -> None:
        """Fit the principal axes on (a sample of) the stored vectors and build the graph anew on them."""
        live = self._store.live_rows()
        sample = np.random.default_rng(0).choice(live, min(len(live), FIT_SAMPLE), replace=False)
        self._projection = Projection.fit(self._store.vectors(np.sort(sample)))
        self._graph = self._empty(max(1024, int(len(live) * 1.25)))
        self._deleted = set()
        for ids, vectors in self._store.chunks(live):
            self._graph.add_items(self._projection.apply(vectors), ids, num_threads=os.cpu_count() or 1)
            if meter is not None:
                meter.advance(len(ids))
        log.info("index %s now searches %d vectors through %d principal axes", self.path.name, len(live),
                 self._projection.dim(self.dim))

    def _reflect(self, generation: int, save: bool) -> None:
        """The index now reflects ``generation``; saved when ``save`` (a failed save costs a catch-up or
        a rebuild when the library is next opened, not now)."""
        self.generation = generation
        if save:
            self.save(generation)

    # -- updates -------------------------------------------------------------
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace vectors (a re-added id is un-deleted); past ``PROJECT_FROM`` vectors, the
        graph moves to the principal axes."""
        if len(ids) == 0:
            return
        ids, vectors = np.asarray(ids, np.int64), np.asarray(vectors, np.float32)
        new = (self._store.rows_of(ids) < 0) & ~np.isin(ids, list(self._deleted))
        self._store.put(ids, vectors)
        if not self.projected and Projection.wanted(self._store.live, self.dim):
            self._project()
            return
        needed = self._graph.get_current_count() + int(new.sum())
        if needed > self._graph.get_max_elements():
            self._graph.resize_index(max(needed, self._graph.get_max_elements() * 2))
        self._graph.add_items(self._projection.apply(vectors), ids, num_threads=os.cpu_count() or 1)
        self._deleted.difference_update(ids.tolist())

    def remove(self, ids) -> None:
        ids = np.unique(np.asarray(list(ids), np.int64))
        ids = ids[self._store.rows_of(ids) >= 0]
        for label in ids.tolist():
            self._graph.mark_deleted(label)
        self._deleted.update(ids.tolist())
        self._store.remove(ids)

    @property
    def live(self) -> int:
        return self._store.live

    # -- queries -------------------------------------------------------------
    def _candidates(self, k: int) -> int:
        """How many the graph is asked for: ``k``, or more to re-rank when it holds projections."""
        return min(self.live, max(k, CANDIDATES) if self.projected else k)

    def query(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Up to ``k`` (photo id, cosine similarity) pairs, best first."""
        k = min(k, self.live)
        if k <= 0:
            return []
        vector = np.asarray(vector, np.float32).reshape(1, -1)
        wanted = self._candidates(k)
        self._graph.set_ef(max(MIN_EF_SEARCH, 2 * wanted))
        while True:
            try:
                labels, distances = self._graph.knn_query(self._projection.apply(vector), k=wanted)
                break
            except RuntimeError:  # too few reachable live elements (after many deletions)
                if wanted == 1:
                    return []
                wanted = max(1, wanted // 2)
        ids, scores = self._ranked(labels, distances, vector, k)
        return [(int(label), float(score)) for label, score in zip(ids[0], scores[0])]

    def _ranked(self, labels: np.ndarray, distances: np.ndarray, vectors: np.ndarray,
                k: int) -> tuple[np.ndarray, np.ndarray]:
        """The graph's answers as (ids, cosines), each (n, ≤ k), best first: its own scores, or the
        candidates re-ranked on the stored vectors."""
        labels = labels.astype(np.int64)
        if not self.projected:
            return labels[:, :k], (1.0 - distances[:, :k]).astype(np.float32)
        k = min(k, labels.shape[1])
        ids, scores = np.empty((len(labels), k), np.int64), np.empty((len(labels), k), np.float32)
        step = max(1, CHUNK // labels.shape[1])
        for start in range(0, len(labels), step):
            chunk = labels[start: start + step]
            candidates = self._store.vectors(self._store.rows_of(chunk.ravel())).reshape(*chunk.shape, -1)
            cosines = np.einsum("qcd,qd->qc", candidates, vectors[start: start + step])
            best = np.argsort(-cosines, axis=1, kind="stable")[:, :k]
            ids[start: start + step] = np.take_along_axis(chunk, best, axis=1)
            scores[start: start + step] = np.take_along_axis(cosines, best, axis=1)
        return ids, scores

    def neighbours(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest photos of each of many vectors at once, on every core: (ids, cosines),
        each (n, k), best first; -1 (cosine -inf) pads rows when fewer are reachable."""
        n = len(vectors)
        k = min(k, self.live)
        if k <= 0 or n == 0:
            return np.full((n, max(k, 0)), -1, np.int64), np.full((n, max(k, 0)), -np.inf, np.float32)
        vectors = np.asarray(vectors, np.float32)
        wanted = self._candidates(k)
        self._graph.set_ef(max(MIN_EF_SEARCH, 2 * wanted))
        try:
            labels, distances = self._graph.knn_query(self._projection.apply(vectors), k=wanted,
                                                      num_threads=os.cpu_count() or 1)
        except RuntimeError:  # too few reachable live elements: one query at a time
            rows = [self.query(vector, k) for vector in vectors]
            ids = np.array([[i for i, _ in row] + [-1] * (k - len(row)) for row in rows], np.int64)
            sims = np.array([[c for _, c in row] + [-np.inf] * (k - len(row)) for row in rows], np.float32)
            return ids, sims
        return self._ranked(labels, distances, vectors, k)
