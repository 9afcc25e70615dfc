"""Nearest neighbours by cosine on unit vectors: exact numpy search for small sets, hnswlib beyond.

Both return each point's nearest *other* points, best first.  Exact search costs n² dot products
and wins below ``EXACT_LIMIT`` points.  Above it, hnswlib (built with every core) searches a PCA
projection to ``REDUCED_DIM`` dimensions (in 1280 dimensions the graph walk is bound by memory
traffic), and its ``CANDIDATES`` x k candidates are re-ranked by their exact cosine
(speed and the share of exact neighbours found: benchmarks/groups.py).
"""

from __future__ import annotations

import os
from typing import NamedTuple

import hnswlib
import numpy as np
from sklearn.decomposition import PCA

#: below this many points an exact search is faster than projecting and building an hnswlib graph
EXACT_LIMIT = 10_000
#: dimensions hnswlib searches in (PCA fitted on a sample of ``PCA_SAMPLE`` points)
REDUCED_DIM = 128
PCA_SAMPLE = 10_000
#: hnswlib candidates per wanted neighbour, re-ranked exactly
CANDIDATES = 3
#: query rows per matrix product of the exact search (bounds its memory to ~BLOCK x n floats)
BLOCK = 1024
#: rows per step of the exact re-ranking (each gathers CANDIDATES x k full vectors)
RERANK_BLOCK = 256


class Neighbours(NamedTuple):
    """Row i: the nearest other points of point i, best first; -1 (similarity -inf) pads short rows."""

    indices: np.ndarray  # (n, k) int64
    sims: np.ndarray  # (n, k) float32 cosine


def neighbours(vectors: np.ndarray, k: int) -> Neighbours:
    """The ``k`` nearest other points of every point of ``vectors`` (unit rows), self excluded."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(vectors)
    found = min(k, max(n - 1, 0))
    if found == 0:
        indices, sims = np.empty((n, 0), np.int64), np.empty((n, 0), np.float32)
    elif n <= EXACT_LIMIT:
        indices, sims = nearest(vectors, vectors, found, exclude_self=True)
    else:
        indices, sims = _approximate(vectors, found)
    return Neighbours(*_pad(indices, sims, k))


def nearest(queries: np.ndarray, base: np.ndarray, k: int, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest rows of ``base`` for each query, best first; with ``exclude_self``, queries are ``base``."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    base = np.ascontiguousarray(base, dtype=np.float32)
    k = min(k, len(base) - exclude_self)
    indices = np.empty((len(queries), k), np.int64)
    sims = np.empty((len(queries), k), np.float32)
    for start in range(0, len(queries), BLOCK):
        block = queries[start:start + BLOCK] @ base.T
        if exclude_self:
            rows = np.arange(len(block))
            block[rows, rows + start] = -np.inf
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-top_sims, axis=1, kind="stable")
        indices[start:start + BLOCK] = np.take_along_axis(top, order, axis=1)
        sims[start:start + BLOCK] = np.take_along_axis(top_sims, order, axis=1)
    return indices, sims


def _approximate(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    n, threads = len(vectors), os.cpu_count() or 1
    reduced = vectors
    if vectors.shape[1] > REDUCED_DIM:
        sample = vectors[np.random.default_rng(0).choice(n, min(n, PCA_SAMPLE), replace=False)]
        projection = PCA(REDUCED_DIM, svd_solver="randomized", random_state=0).fit(sample)
        reduced = np.ascontiguousarray(projection.transform(vectors), dtype=np.float32)
    index = hnswlib.Index(space="l2", dim=reduced.shape[1])
    index.init_index(max_elements=n, ef_construction=60, M=16, random_seed=0)
    index.add_items(reduced, np.arange(n), num_threads=threads)
    wanted = min(CANDIDATES * k + 1, n)
    index.set_ef(max(wanted, 64))
    candidates = index.knn_query(reduced, wanted, num_threads=threads)[0].astype(np.int64)
    indices = np.empty((n, k), np.int64)
    sims = np.empty((n, k), np.float32)
    for start in range(0, n, RERANK_BLOCK):
        block = candidates[start:start + RERANK_BLOCK]
        exact = np.matmul(vectors[block], vectors[start:start + RERANK_BLOCK, :, None])[..., 0]
        exact[block == np.arange(start, start + len(block))[:, None]] = -np.inf  # the point itself
        order = np.argsort(-exact, axis=1, kind="stable")[:, :k]
        indices[start:start + RERANK_BLOCK] = np.take_along_axis(block, order, axis=1)
        sims[start:start + RERANK_BLOCK] = np.take_along_axis(exact, order, axis=1)
    return indices, sims


def _pad(indices: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    missing = k - indices.shape[1]
    if missing <= 0:
        return indices, sims
    n = len(indices)
    return (np.hstack([indices, np.full((n, missing), -1, np.int64)]),
            np.hstack([sims, np.full((n, missing), -np.inf, np.float32)]))
