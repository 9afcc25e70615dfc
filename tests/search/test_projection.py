"""The principal axes a large index's graph works in."""

from __future__ import annotations

import numpy as np

from album.search import projection
from album.search.projection import Projection


def test_the_axes_span_the_vectors_and_projections_are_unit_length(monkeypatch):
    monkeypatch.setattr(projection, "PROJECTED_DIM", 6)
    rng = np.random.default_rng(0)
    axes = np.linalg.qr(rng.normal(size=(64, 6)))[0]  # vectors lying in a 6-d subspace of 64-d space
    vectors = (rng.normal(size=(500, 6)) @ axes.T).astype(np.float32)
    fitted = Projection.fit(vectors)
    assert fitted.basis.shape == (64, 6) and fitted.dim(64) == 6
    # the fitted axes span the same subspace: projecting loses nothing
    assert np.allclose(np.linalg.norm(vectors @ fitted.basis, axis=1), np.linalg.norm(vectors, axis=1), rtol=1e-4)
    projected = fitted.apply(vectors)
    assert np.allclose(np.linalg.norm(projected, axis=1), 1.0, atol=1e-5)
    cosines = vectors @ vectors[0] / np.linalg.norm(vectors, axis=1) / np.linalg.norm(vectors[0])
    assert np.allclose(projected @ projected[0], cosines, atol=1e-4)  # so the graph ranks as the full vectors


def test_the_identity_leaves_vectors_as_they_are_and_is_saved_empty():
    vectors = np.random.default_rng(1).normal(size=(5, 8)).astype(np.float32)
    identity = Projection()
    assert identity.identity and identity.dim(8) == 8
    assert np.array_equal(identity.apply(vectors), vectors)
    assert Projection(identity.array()).identity


def test_only_large_indexes_of_many_dimensions_are_projected():
    assert not Projection.wanted(projection.PROJECT_FROM - 1, 1280)
    assert Projection.wanted(projection.PROJECT_FROM, 1280)
    assert not Projection.wanted(10 * projection.PROJECT_FROM, projection.PROJECTED_DIM)
