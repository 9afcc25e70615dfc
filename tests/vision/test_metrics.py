"""Retrieval metrics against small hand-computed rankings, and the histogram baseline."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from album.vision.datasets import DataError
from album.vision.histogram import DIM, hsv_histogram
from album.vision.metrics import ranking_metrics, retrieval_metrics


def test_ranking_metrics_by_hand():
    # query 1: relevant at ranks 1 and 3 (R=2); query 2: relevant at rank 2 (R=1)
    relevance = np.array([[1, 0, 1, 0], [0, 1, 0, 0]], dtype=bool)
    m = ranking_metrics(relevance, np.array([2, 1]))
    assert m["R@1"] == pytest.approx(0.5)
    assert m["R@2"] == m["R@4"] == m["R@8"] == pytest.approx(1.0)
    assert m["mAP"] == pytest.approx(((1 + 2 / 3) / 2 + 1 / 2) / 2)
    assert m["MAP@R"] == pytest.approx((1 / 2 + 0) / 2)
    ndcg1 = (1 + 1 / np.log2(4)) / (1 + 1 / np.log2(3))
    ndcg2 = 1 / np.log2(3)
    assert m["NDCG@10"] == pytest.approx((ndcg1 + ndcg2) / 2)


def _unit(degrees):
    radians = np.radians(degrees)
    return np.stack([np.cos(radians), np.sin(radians)], 1).astype(np.float32)


def test_leave_one_out_on_known_geometry():
    # a0=0deg, a1=10deg, b0=25deg, b1=90deg; a singleton at 180deg is never a query
    embeddings = _unit(np.array([0, 10, 25, 90, 180]))
    labels = np.array([0, 0, 1, 1, 2])
    m = retrieval_metrics(embeddings, labels)
    # rankings: a0 -> [a1 b0 b1 c], a1 -> [a0 b0 b1 c], b0 -> [a1 a0 b1 c], b1 -> [b0 a1 a0|c]
    assert m["n_queries"] == 4
    assert m["R@1"] == pytest.approx(0.75)
    assert m["R@2"] == pytest.approx(0.75)
    assert m["R@4"] == pytest.approx(1.0)
    assert m["mAP"] == pytest.approx((1 + 1 + 1 / 3 + 1) / 4)
    assert m["MAP@R"] == pytest.approx(0.75)
    assert m["NDCG@10"] == pytest.approx((1 + 1 + 0.5 + 1) / 4)


def test_chunking_does_not_change_results():
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(60, 8)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    labels = rng.integers(0, 5, 60)
    assert retrieval_metrics(embeddings, labels, chunk=7) == pytest.approx(retrieval_metrics(embeddings, labels))


def test_no_queries_is_an_error():
    with pytest.raises(DataError):
        retrieval_metrics(np.eye(3, dtype=np.float32), np.array([0, 1, 2]))


def test_histogram_is_normalised_and_colour_sensitive():
    red = hsv_histogram(Image.new("RGB", (32, 32), (255, 0, 0)))
    blue = hsv_histogram(Image.new("RGB", (32, 32), (0, 0, 255)))
    half = np.zeros((32, 32, 3), np.uint8)
    half[:16] = (255, 0, 0)
    half[16:] = (0, 0, 255)
    mixed = hsv_histogram(Image.fromarray(half))
    assert red.shape == (DIM,)
    assert np.linalg.norm(red) == pytest.approx(1.0)
    assert float(red @ blue) == pytest.approx(0.0)
    assert float(red @ mixed) == pytest.approx(np.sqrt(0.5), abs=1e-6)
