"""Subject groups on small synthetic embeddings: clusters found, outliers and tiny clusters left out."""

from __future__ import annotations

import numpy as np
import pytest

from album.groups.clustering import UNGROUPED, GroupingParams, assign, cluster
from album.groups.knn import neighbours

DIM = 64


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def subject(rng: np.random.Generator, size: int, centre: np.ndarray, spread: float = 0.6) -> np.ndarray:
    """Photos of one subject: cosine about 0.85 to its centre, about 0.75 to each other."""
    return unit(centre + rng.standard_normal((size, DIM)) * spread / np.sqrt(DIM))


@pytest.fixture
def scene():
    """Three subjects of 30, 20 and 10 photos, 2 photos of a fourth, and 8 loners; shuffled."""
    rng = np.random.default_rng(0)
    centres = unit(rng.standard_normal((4, DIM)))
    parts = [subject(rng, size, centre) for size, centre in zip((30, 20, 10, 2), centres)]
    parts.append(unit(rng.standard_normal((8, DIM))))
    truth = np.repeat([0, 1, 2, 3, -1], [30, 20, 10, 2, 8])
    order = rng.permutation(len(truth))
    return np.vstack(parts)[order], truth[order], centres


def test_separated_subjects_are_recovered_largest_first(scene):
    vectors, truth, _ = scene
    labels = cluster(vectors)
    for number, size in enumerate((30, 20, 10)):
        assert np.all(labels[truth == number] == number)
        assert np.sum(labels == number) == size
    assert labels.max() == 2


def test_outliers_and_a_subject_below_the_minimum_size_stay_ungrouped(scene):
    vectors, truth, _ = scene
    labels = cluster(vectors, GroupingParams(min_size=3))
    assert np.all(labels[truth == -1] == UNGROUPED)
    assert np.all(labels[truth == 3] == UNGROUPED)
    assert np.all(cluster(vectors, GroupingParams(min_size=11))[truth == 2] == UNGROUPED)


def test_a_precomputed_neighbour_graph_gives_the_same_groups(scene):
    vectors, _, _ = scene
    params = GroupingParams()
    assert np.array_equal(cluster(vectors, params, neighbours(vectors, params.neighbours)), cluster(vectors, params))


def test_assign_joins_a_known_subject_and_rejects_an_outlier(scene):
    vectors, truth, centres = scene
    labels = cluster(vectors)
    rng = np.random.default_rng(1)
    newcomers = np.vstack([subject(rng, 1, centres[1]), unit(rng.standard_normal((1, DIM)))])
    assert assign(newcomers, vectors, labels).tolist() == [labels[truth == 1][0], UNGROUPED]


def test_assign_with_nothing_to_join():
    rng = np.random.default_rng(2)
    vectors = unit(rng.standard_normal((3, DIM)))
    assert assign(vectors, vectors, np.full(3, UNGROUPED)).tolist() == [UNGROUPED] * 3
    assert assign(np.empty((0, DIM), np.float32), vectors, np.zeros(3, np.int64)).shape == (0,)


@pytest.mark.parametrize("count", [0, 1, 2])
def test_tiny_inputs(count):
    vectors = unit(np.random.default_rng(3).standard_normal((count, DIM))) if count else np.empty((0, DIM), np.float32)
    assert cluster(vectors).tolist() == [UNGROUPED] * count


def test_neighbours_exclude_self_and_pad_short_rows():
    vectors = unit(np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]))
    found = neighbours(vectors, 3)
    assert found.indices.tolist() == [[1, 2, -1], [0, 2, -1], [1, 0, -1]]
    assert found.sims[0, 0] == pytest.approx(float(vectors[0] @ vectors[1]))
    assert np.isneginf(found.sims[:, 2]).all()
