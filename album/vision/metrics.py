"""Retrieval metrics, leave-one-out: every image queries all the others.

For a query, the relevant items are the *other* images of its class
(R of them); the query itself is never part of its own ranking.  Queries
whose class has no other image are skipped.  With binary relevance:

* Recall@K: the fraction of queries with a relevant item in their top K;
* mAP: the mean over queries of average precision over the whole ranking;
* MAP@R (Musgrave et al. 2020): mean of (1/R) * sum_{i<=R} P(i) * rel(i);
* NDCG@10: sum_{i<=10} rel(i)/log2(i+1), divided by its ideal value.
"""

from __future__ import annotations

import numpy as np

from album.vision.datasets import DataError

RECALL_KS = (1, 2, 4, 8)
METRIC_KEYS = ("R@1", "R@2", "R@4", "R@8", "mAP", "MAP@R", "NDCG@10")


def ranking_metrics(relevance: np.ndarray, n_relevant: np.ndarray) -> dict[str, float]:
    """Mean metrics from ranked relevance rows.

    ``relevance``: (Q, N) booleans, row q = relevance of q's ranking, best first
    (the whole ranking, the query excluded); ``n_relevant``: (Q,) R per query.
    """
    sums = _metric_sums(relevance, n_relevant)
    return {key: value / len(relevance) for key, value in sums.items()}


def _metric_sums(relevance: np.ndarray, n_relevant: np.ndarray) -> dict[str, float]:
    relevance = np.asarray(relevance, dtype=bool)
    n_relevant = np.asarray(n_relevant, dtype=np.int64)
    ranks = np.arange(1, relevance.shape[1] + 1)
    hits = np.cumsum(relevance, axis=1)
    precision = hits / ranks
    sums = {f"R@{k}": float((hits[:, min(k, relevance.shape[1]) - 1] > 0).sum()) for k in RECALL_KS}
    sums["mAP"] = float(((precision * relevance).sum(1) / n_relevant).sum())
    within_r = ranks[None, :] <= n_relevant[:, None]
    sums["MAP@R"] = float(((precision * relevance * within_r).sum(1) / n_relevant).sum())
    depth = min(10, relevance.shape[1])
    gains = 1.0 / np.log2(ranks[:depth] + 1)
    dcg = (relevance[:, :depth] * gains).sum(1)
    ideal = np.array([gains[:min(int(r), depth)].sum() for r in n_relevant])
    sums["NDCG@10"] = float((dcg / ideal).sum())
    return sums


def retrieval_metrics(embeddings: np.ndarray, labels: np.ndarray, chunk: int = 512) -> dict[str, float]:
    """Leave-one-out metrics for L2-normalised ``embeddings`` (cosine similarity)."""
    embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
    labels = np.asarray(labels)
    inverse = np.unique(labels, return_inverse=True)[1]
    class_size = np.bincount(inverse)[inverse]
    totals = dict.fromkeys(METRIC_KEYS, 0.0)
    queries = 0
    for start in range(0, len(labels), chunk):
        rows = np.arange(start, min(start + chunk, len(labels)))
        rows = rows[class_size[rows] > 1]
        if rows.size == 0:
            continue
        similarity = embeddings[rows] @ embeddings.T
        similarity[np.arange(rows.size), rows] = -np.inf
        order = np.argsort(-similarity, axis=1, kind="stable")[:, :-1]  # the query sorts last: drop it
        relevance = labels[order] == labels[rows][:, None]
        for key, value in _metric_sums(relevance, class_size[rows] - 1).items():
            totals[key] += value
        queries += rows.size
    if queries == 0:
        raise DataError("no photo has another photo of its class to find: each class needs at least two photos")
    return {**{key: value / queries for key, value in totals.items()}, "n_queries": queries}


def format_metrics(metrics: dict) -> str:
    return "  ".join(f"{key} {metrics[key]:.3f}" for key in METRIC_KEYS if key in metrics)


def rounded(metrics: dict) -> dict:
    """Metrics for a JSON card: 4 decimals, ``n_queries`` an integer."""
    return {key: int(value) if key == "n_queries" else round(float(value), 4) for key, value in metrics.items()}
