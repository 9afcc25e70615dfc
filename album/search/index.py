"""The vector index of one model's embeddings: a rebuildable cache.

Labels are photo ids and scores are inner products of unit vectors: cosine
similarities.  Every vector is kept in a half-precision store
(``vector_store.py``).  A small index searches an hnswlib graph of the
vectors themselves (``full_graph.py``), and its scores are final; a large one
scans compact codes of their normalised projection on the embeddings'
principal axes (``projection.py``, ``code_scan.py``), and its candidates are
re-ranked on the stored vectors.  The index is saved beside the catalogue
(``index_files.py``).  The embeddings stored in the catalogue are the source
of truth.  A saved index that is intact but stale is caught up with them:
every stored vector is compared with theirs, and the difference added,
replaced and removed.  One that is missing, damaged, made by another model or
an earlier release, or whose difference is most of it, is rebuilt from them.

The searchers' parameters (``full_graph.M`` and its kin,
``code_scan.SCAN_CANDIDATES``, ``CANDIDATES``) were chosen by measuring build
speed and recall@10 against exact search (``benchmarks/speed_queries.py``,
README "Speed").  A saved index keeps the parameters it was built with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from album.search.code_scan import CodeScan
from album.search.full_graph import FullGraph
from album.search.index_files import IndexFiles, IndexState, Searcher
from album.search.projection import FIT_SAMPLE, Projection
from album.search.vector_store import CHUNK, VectorStore
from album.tasks import ProgressCallback, ProgressMeter

log = logging.getLogger(__name__)

#: candidates a large index's scan hands over for re-ranking on the full vectors (at least): at a million
#: clustered vectors, 128 found 0.983 of the exact ten, 256 0.987; re-ranking 256 costs about 0.8 ms
CANDIDATES = 256
#: a stale index is caught up unless more than this share of the vectors must be (re)inserted: a fresh
#: index then costs little more, and is better
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
        self._searcher: Searcher = FullGraph(dim)

    @property
    def projected(self) -> bool:
        return not self._projection.identity

    # -- persistence ---------------------------------------------------------
    @property
    def path(self) -> Path:
        """The searcher's file."""
        return self._files.searcher_path(self._searcher.kind)

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
        self._searcher, self._store, self._projection = state.searcher, state.store, state.projection
        self.generation = state.generation
        return True

    def save(self, generation: int) -> bool:
        """Write the index atomically; False, with a plain warning, when it cannot be written (a full
        disk): the files saved before stay as they were."""
        if not self._files.write(IndexState(self._searcher, self._store, self._projection, generation)):
            return False
        self.generation = generation
        return True

    # -- following the catalogue -----------------------------------------------
    def rebuild(self, ids: np.ndarray, vectors: np.ndarray, generation: int, save: bool = True) -> None:
        """A fresh index of exactly these vectors."""
        self._build([(ids, vectors)], len(ids))
        self._reflect(generation, save)

    def refresh(self, batches: Callable[[], Batches], count: int, generation: int, save: bool = True,
                progress: ProgressCallback | None = None, loaded: bool | None = None) -> str:
        """Make the index hold exactly the ``count`` vectors that ``batches()`` yields (it is called again
        when a first pass was not enough): the saved index, if intact, loaded in place of the one in
        memory and caught up; otherwise rebuilt, reporting to ``progress``. ``loaded``: whether the caller
        has just loaded the saved index (True) or found it unusable (False), so it is not read again.
        Returns "caught up" or "rebuilt"."""
        caught_up = (self.load(None) if loaded is None else loaded) and self._catch_up(batches(), count)
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
        if self._searcher.dead + len(gone) > count:
            return False
        # the gone and the changed removed at once (a large index's scan compacts its codes once), then the
        # new and the changed inserted
        self.remove(np.concatenate([gone] + [ids for ids, _ in stale]))
        for ids, batch in stale:
            self.add(ids, batch)
        return True

    def _build(self, batches: Batches, count: int, meter: ProgressMeter | None = None) -> None:
        self._store = VectorStore(self.dim)
        self._store.reserve(count)
        if meter is not None:
            meter.start()
        if Projection.wanted(count, self.dim):
            for ids, vectors in batches:
                self._store.put(ids, vectors)
            self._project(meter)
        else:
            self._projection = Projection()
            self._searcher = FullGraph(self.dim, max(1024, int(count * 1.25)))
            for ids, vectors in batches:
                self.add(ids, vectors)
                if meter is not None:
                    meter.advance(len(ids))

    def _project(self, meter: ProgressMeter | None = None) -> None:
        """Fit the principal axes on (a sample of) the stored vectors and scan their projections anew."""
        live = self._store.live_rows()
        sample = self._store.vectors(np.sort(np.random.default_rng(0).choice(live, min(len(live), FIT_SAMPLE),
                                                                             replace=False)))
        self._projection = Projection.fit(sample)
        self._searcher = CodeScan.fit(self._projection.apply(sample))
        for ids, vectors in self._store.chunks(live):
            self._searcher.add(ids, self._projection.apply(vectors))
            if meter is not None:
                meter.advance(len(ids))
        log.info("index %s now scans %d vectors through %d principal axes", self.path.name, len(live),
                 self._projection.dim(self.dim))

    def _reflect(self, generation: int, save: bool) -> None:
        """The index now reflects ``generation``; saved when ``save`` (a failed save costs a catch-up or
        a rebuild when the library is next opened, not now)."""
        self.generation = generation
        if save:
            self.save(generation)

    # -- updates -------------------------------------------------------------
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace vectors; past ``PROJECT_FROM`` vectors, the index moves to the principal axes."""
        if len(ids) == 0:
            return
        ids, vectors = np.asarray(ids, np.int64), np.asarray(vectors, np.float32)
        self._store.put(ids, vectors)
        if not self.projected and Projection.wanted(self._store.live, self.dim):
            self._project()
            return
        self._searcher.add(ids, self._projection.apply(vectors))

    def remove(self, ids) -> None:
        ids = np.unique(np.asarray(list(ids), np.int64))
        ids = ids[self._store.rows_of(ids) >= 0]
        self._searcher.remove(ids)
        self._store.remove(ids)

    @property
    def live(self) -> int:
        return self._store.live

    # -- queries -------------------------------------------------------------
    def query(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Up to ``k`` (photo id, cosine similarity) pairs, best first."""
        ids, cosines = self.neighbours(np.asarray(vector, np.float32).reshape(1, -1), k)
        return [(int(i), float(cosine)) for i, cosine in zip(ids[0], cosines[0]) if i >= 0]

    def neighbours(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest photos of each of many vectors at once: (ids, cosines), each (n, k), best
        first; -1 (cosine -inf) pads rows when fewer are reachable."""
        n = len(vectors)
        k = min(k, self.live)
        if k <= 0 or n == 0:
            return np.full((n, max(k, 0)), -1, np.int64), np.full((n, max(k, 0)), -np.inf, np.float32)
        vectors = np.asarray(vectors, np.float32)
        if not self.projected:
            return self._searcher.search(vectors, k)
        candidates, _ = self._searcher.search(self._projection.apply(vectors), min(self.live, max(k, CANDIDATES)))
        return self._reranked(candidates, vectors, k)

    def _reranked(self, candidates: np.ndarray, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The best ``k`` of each row of candidates (-1: none) by cosine on the stored vectors."""
        k = min(k, candidates.shape[1])
        ids, scores = np.empty((len(candidates), k), np.int64), np.empty((len(candidates), k), np.float32)
        step = max(1, CHUNK // candidates.shape[1])
        for start in range(0, len(candidates), step):
            chunk = candidates[start: start + step]
            rows = self._store.rows_of(chunk.ravel())
            found = self._store.vectors(np.maximum(rows, 0)).reshape(*chunk.shape, -1)
            cosines = np.einsum("qcd,qd->qc", found, vectors[start: start + step])
            cosines[(rows < 0).reshape(chunk.shape)] = -np.inf
            best = np.argsort(-cosines, axis=1, kind="stable")[:, :k]
            scores[start: start + step] = np.take_along_axis(cosines, best, axis=1)
            ids[start: start + step] = np.where(np.isfinite(scores[start: start + step]),
                                                np.take_along_axis(chunk, best, axis=1), -1)
        return ids, scores
