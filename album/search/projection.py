"""The principal axes a large index searches in.

Searching 1280-d vectors at a million photos is slow, and an approximate
search over them finds their nearest neighbours poorly (see README "Speed").
Past ``PROJECT_FROM`` vectors an index therefore searches each vector's
projection on the ``PROJECTED_DIM`` principal axes of the library's
embeddings (the eigenvectors of their second-moment matrix, fitted on a
sample), scaled to unit length so that an inner product there is a cosine;
the index then re-ranks the candidates on the full vectors.  Measured on a
million clustered vectors shaped like real embeddings: exact search in the
192-d normalised projection, re-ranked, finds 0.997 of the true 10 nearest
among 128 candidates (0.984 without the normalisation).  The axes are then
turned by a fixed random rotation, which changes no inner product but spreads
the variance evenly over the dimensions: the code scan (``code_scan.py``)
quantises them two at a time, and found 0.983 of the true ten instead of
0.980 at a million.

A small library, or vectors of few dimensions, keep the identity: the index
searches the vectors themselves and its scores are final.
"""

from __future__ import annotations

import numpy as np

#: dimensions a large index searches in
PROJECTED_DIM = 192
#: vectors an index holds before it moves to the projection (below, building and searching a graph of the
#: full vectors is fast and exact enough: recall@10 1.000 at 10,000)
PROJECT_FROM = 20_000
#: vectors the axes are fitted on (0.2 s at 1,280 dimensions; 20,000 took 0.4 s for the same recall)
FIT_SAMPLE = 10_000


class Projection:
    """Vectors → what the searcher holds: their normalised projection on ``basis`` (``dim`` × r), or themselves
    when ``basis`` is None."""

    def __init__(self, basis: np.ndarray | None = None):
        self.basis = None if basis is None or basis.size == 0 else np.ascontiguousarray(basis, np.float32)

    @property
    def identity(self) -> bool:
        return self.basis is None

    def dim(self, full_dim: int) -> int:
        return full_dim if self.basis is None else self.basis.shape[1]

    @classmethod
    def fit(cls, sample: np.ndarray) -> Projection:
        """The ``PROJECTED_DIM`` principal axes of ``sample`` (about the origin: the inner products the index
        answers are about the origin too), rotated."""
        from scipy.linalg import blas, eigh, qr

        sample = np.asarray(sample, np.float32)
        dim = sample.shape[1]
        # Every step in SciPy's BLAS: numpy and SciPy each ship an OpenBLAS whose threads spin a while after
        # a call, and slowed the other's next one (eigh took 0.12-0.17 s after numpy's product, 0.08-0.11 s
        # after SciPy's; the rotation's QR in numpy after eigh 0.1 s, in SciPy 0.003 s). Only the leading
        # axes (MRRR): the full decomposition took 0.23 s. The second-moment matrix is the upper triangle of
        # sample.T @ sample (syrk).
        values, axes = eigh(blas.ssyrk(1.0, sample.T), lower=False, subset_by_index=[dim - PROJECTED_DIM, dim - 1],
                            driver="evr")
        principal = axes[:, np.argsort(-values)]
        rotation, _ = qr(np.random.default_rng(0).standard_normal((principal.shape[1],) * 2))
        return cls(principal @ rotation)

    @staticmethod
    def wanted(count: int, full_dim: int) -> bool:
        """Whether an index of ``count`` vectors of ``full_dim`` dimensions should use a projection."""
        return count >= PROJECT_FROM and full_dim >= 2 * PROJECTED_DIM

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors, np.float32)
        if self.basis is None:
            return np.ascontiguousarray(vectors)
        projected = vectors @ self.basis
        norms = np.linalg.norm(projected, axis=1, keepdims=True)
        return projected / np.maximum(norms, np.finfo(np.float32).tiny)

    def array(self) -> np.ndarray:
        """The basis as saved (empty for the identity)."""
        return np.zeros((0, 0), np.float32) if self.basis is None else self.basis
