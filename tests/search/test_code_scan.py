"""The code scan of a large index: product-quantised codes of projected vectors, labelled by photo id."""

from __future__ import annotations

import numpy as np
import pytest

from album.search import code_scan
from album.search.code_scan import CodeScan


def _unit(rng, n, dim=16):
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _exact(ids, vectors, query, n):
    return [int(ids[i]) for i in np.argsort(-(vectors @ query), kind="stable")[:n]]


def test_the_scan_finds_the_best_by_inner_product_and_follows_replacements_and_removals(monkeypatch):
    monkeypatch.setattr(code_scan, "SCAN_CANDIDATES", 400)  # every code scored exactly: the answers are exact
    rng = np.random.default_rng(1)
    ids, vectors = np.arange(100, 400), _unit(rng, 300)
    scan = CodeScan.fit(vectors[:40])  # a small sample is repeated to train 16 centroids per sub-space
    scan.add(ids, vectors)
    assert scan.live == 300 and scan.dead == 0
    queries = _unit(rng, 10)
    found, scores = scan.search(queries, 5)
    assert [list(row) for row in found] == [_exact(ids, vectors, query, 5) for query in queries]
    assert np.allclose(scores, np.sort(queries @ vectors.T, axis=1)[:, ::-1][:, :5], atol=2e-3)  # half precision

    vectors[7] = queries[0]  # photo 107 edited to look like the first query (given twice: the last counts)
    scan.add(np.array([107, 107]), np.stack([queries[1], vectors[7]]))
    assert scan.live == 300 and scan.search(queries[:1], 1)[0][0, 0] == 107
    scan.remove([107, 250, 999])  # an id it never held is ignored
    keep = ~np.isin(ids, [107, 250])
    assert scan.live == 298
    found, _ = scan.search(queries, 5)
    assert [list(row) for row in found] == [_exact(ids[keep], vectors[keep], query, 5) for query in queries]


def test_a_scan_holding_fewer_than_asked_pads_with_minus_one():
    rng = np.random.default_rng(2)
    scan = CodeScan.fit(_unit(rng, 50))
    scan.add(np.array([5, 6, 7]), _unit(rng, 3))
    found, _ = scan.search(_unit(rng, 2), 5)
    assert found.shape == (2, 5) and all(sorted(row[:3]) == [5, 6, 7] for row in found.tolist())
    assert (found[:, 3:] == -1).all()


def test_a_scan_is_written_and_read_back_whole(tmp_path):
    rng = np.random.default_rng(3)
    vectors = _unit(rng, 200)
    scan = CodeScan.fit(vectors)
    scan.add(np.arange(200) * 3, vectors)
    scan.remove([9])
    scan.write(tmp_path / "m.scan")
    read = CodeScan.read(tmp_path / "m.scan", 16, scan.meta())
    queries = _unit(rng, 8)
    assert read.live == 199
    for got, expected in zip(read.search(queries, 10), scan.search(queries, 10)):
        assert np.array_equal(got, expected)
    with pytest.raises(ValueError):
        CodeScan.read(tmp_path / "m.scan", 16, {"count": 200})  # the sidecar counts another scan
    with pytest.raises(ValueError):
        CodeScan.read(tmp_path / "m.scan", 32, scan.meta())  # of other dimensions


def test_the_scan_works_after_pytorch_metric_learning_patched_faiss():
    import pytorch_metric_learning.utils.inference  # noqa: F401  (imports faiss.contrib.torch_utils)

    rng = np.random.default_rng(4)
    vectors = _unit(rng, 100)
    scan = CodeScan.fit(vectors)
    scan.add(np.arange(100), vectors)
    assert scan.search(vectors[:3], 1)[0].ravel().tolist() == [0, 1, 2]
