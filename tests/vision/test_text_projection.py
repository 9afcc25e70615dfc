"""The trained part of the text tower: a text -> appearance map distilled from a classifier."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from album.vision.text_projection import BIAS_KEY, WEIGHT_KEY, ProjectionTraining, QueryProjection, train_query_projection

TEXT_DIM, FEATURES, LOOKS, CONCEPT = 16, 24, 8, 8
QUICK = ProjectionTraining(temperature=0.1, steps=300, photos_per_step=128, learning_rate=1e-2)


def _unit(array: np.ndarray) -> np.ndarray:
    return array / np.linalg.norm(array, axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def world():
    """60 classes: hidden concepts seen through words (3 noisy texts each) and through pixels (a classifier
    direction each, noisy photos of it); classes 40-59 are kept out of the training."""
    rng = np.random.default_rng(7)
    concepts = rng.normal(size=(60, CONCEPT))
    to_text, to_features = rng.normal(size=(CONCEPT, TEXT_DIM)), rng.normal(size=(CONCEPT, FEATURES))
    texts = _unit(concepts[:, None, :] @ to_text + 0.3 * rng.normal(size=(60, 3, TEXT_DIM))).astype(np.float32)
    weight = (concepts @ to_features).astype(np.float32)
    _, _, directions = np.linalg.svd(weight[:40], full_matrices=False)
    basis = directions[:LOOKS].astype(np.float32)
    labels = rng.integers(0, 40, 2000)
    photos = (3.0 * _unit(weight[labels]) + 0.3 * rng.normal(size=(2000, FEATURES))).astype(np.float32)
    return texts, weight, basis, photos


def test_words_of_classes_it_never_saw_land_where_their_photos_look(world):
    texts, weight, basis, photos = world
    projection = train_query_projection(texts[:40], weight[:40], np.zeros(40, np.float32), basis, photos, QUICK)
    looks = _unit(weight[40:] @ basis.T)  # where photos of the unseen classes lie in the appearance space
    queries = np.stack([projection.apply(_unit(texts[c].mean(axis=0))) for c in range(40, 60)])
    np.testing.assert_allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-5)
    found = (queries @ looks.T).argmax(axis=1)
    assert (found == np.arange(20)).mean() >= 0.6  # chance: 0.05
    untrained = QueryProjection(np.random.default_rng(0).normal(size=(LOOKS, TEXT_DIM)).astype(np.float32),
                                np.zeros(LOOKS, np.float32))
    guessed = np.stack([untrained.apply(_unit(texts[c].mean(axis=0))) for c in range(40, 60)])
    assert (found == np.arange(20)).mean() > ((guessed @ looks.T).argmax(axis=1) == np.arange(20)).mean() + 0.3


def test_training_is_repeatable_and_reports_its_loss(world):
    texts, weight, basis, photos = world
    reports = []
    caller_generator = torch.random.get_rng_state()
    first = train_query_projection(texts[:40], weight[:40], np.zeros(40, np.float32), basis, photos, QUICK,
                                   progress=lambda step, steps, loss: reports.append((step, steps, loss)))
    again = train_query_projection(texts[:40], weight[:40], np.zeros(40, np.float32), basis, photos, QUICK)
    assert torch.equal(caller_generator, torch.random.get_rng_state())  # the seed is the training's own
    np.testing.assert_array_equal(first.weight, again.weight)
    np.testing.assert_array_equal(first.bias, again.bias)
    assert [step for step, _, _ in reports] == [100, 200, 300] and {steps for _, steps, _ in reports} == {300}
    assert reports[-1][2] < reports[0][2]
    with pytest.raises(ValueError, match="one classifier row per class"):
        train_query_projection(texts[:40], weight[:30], np.zeros(30, np.float32), basis, photos, QUICK)


def test_a_projection_round_trips_through_its_tensors():
    rng = np.random.default_rng(3)
    projection = QueryProjection(rng.normal(size=(LOOKS, TEXT_DIM)).astype(np.float32),
                                 rng.normal(size=LOOKS).astype(np.float32))
    again = QueryProjection.from_tensors(projection.tensors())
    np.testing.assert_array_equal(again.weight, projection.weight)
    np.testing.assert_array_equal(again.bias, projection.bias)
    assert QueryProjection.from_tensors({"classifier_weight": np.zeros((2, 2))}) is None
    with pytest.raises(ValueError, match="do not fit"):
        QueryProjection.from_tensors({WEIGHT_KEY: projection.weight, BIAS_KEY: np.zeros(LOOKS + 1, np.float32)})
    with pytest.raises(KeyError):
        QueryProjection.from_tensors({WEIGHT_KEY: projection.weight})
