"""Subject groups from embeddings: average linkage within the parts of a strong-link kNN graph.

``cluster`` links each photo to those of its ``neighbours`` nearest photos at cosine
``merge_similarity`` or more; photos in different connected parts of that graph could not be merged
by average linkage anyway (no pair across them is that close), so each part is clustered on its own
by exact average linkage (scikit-learn), merging while the average cosine between two groups is at
least ``merge_similarity``.  Groups smaller than ``min_size`` are dissolved: photos that fit no
group well stay ungrouped (-1).  A part larger than ``MAX_PART`` (too large for exact linkage) is
split first by linking it again at a stricter similarity, ``PART_STEP`` at a time.

``assign`` joins new photos to existing groups by the same rule: the group whose members are
most similar to the new photo on average, if that average is at least ``merge_similarity``.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import AgglomerativeClustering

from album.groups.knn import Neighbours, neighbours
from album.groups.params import UNGROUPED, GroupingParams

#: largest part clustered by exact average linkage (its pairwise distances take MAX_PART² / 2 floats)
MAX_PART = 8_000
#: how much stricter each re-linking of a part above MAX_PART is
PART_STEP = 0.05



def cluster(vectors: np.ndarray, params: GroupingParams = GroupingParams(), knn: Neighbours | None = None) -> np.ndarray:
    """Group labels (n,): -1 = ungrouped, 0..m-1 = groups numbered largest first."""
    vectors = np.asarray(vectors, dtype=np.float32)
    labels = np.full(len(vectors), UNGROUPED, np.int64)
    if len(vectors) < max(params.min_size, 2):
        return labels
    knn = knn if knn is not None else neighbours(vectors, params.neighbours)
    next_label = 0
    for part in _parts(knn, np.arange(len(vectors)), params.merge_similarity, params.min_size):
        linkage = AgglomerativeClustering(n_clusters=None, distance_threshold=1.0 - params.merge_similarity,
                                          metric="cosine", linkage="average")
        labels[part] = linkage.fit_predict(vectors[part]) + next_label
        next_label = labels[part].max() + 1
    return _number_by_size(labels, params.min_size)


def assign(new_vectors: np.ndarray, member_vectors: np.ndarray, member_labels: np.ndarray,
           params: GroupingParams = GroupingParams()) -> np.ndarray:
    """For each new vector, the existing group it clearly belongs to, or -1 when none clearly fits."""
    new_vectors = np.asarray(new_vectors, dtype=np.float32)
    member_labels = np.asarray(member_labels)
    grouped = member_labels != UNGROUPED
    result = np.full(len(new_vectors), UNGROUPED, np.int64)
    if len(new_vectors) == 0 or not grouped.any():
        return result
    group_ids, compact, sizes = np.unique(member_labels[grouped], return_inverse=True, return_counts=True)
    membership = csr_matrix((np.ones(len(compact), np.float32), (compact, np.arange(len(compact)))),
                            shape=(len(group_ids), len(compact)))
    means = membership @ np.asarray(member_vectors, dtype=np.float32)[grouped] / sizes[:, None].astype(np.float32)
    mean_similarity = new_vectors @ means.T  # average cosine to each group's members
    best = np.argmax(mean_similarity, axis=1)
    fits = mean_similarity[np.arange(len(new_vectors)), best] >= params.merge_similarity
    result[fits] = group_ids[best[fits]]
    return result


def _parts(knn: Neighbours, points: np.ndarray, similarity: float, min_size: int) -> list[np.ndarray]:
    """Connected parts (of at least min_size points, and 2) of the links at ``similarity`` among ``points``."""
    local = np.full(len(knn.indices), -1, np.int64)
    local[points] = np.arange(len(points))
    targets = knn.indices[points]
    strong = (knn.sims[points] >= similarity) & (targets >= 0)
    strong[strong] = local[targets[strong]] >= 0
    rows = np.broadcast_to(np.arange(len(points))[:, None], targets.shape)[strong]
    graph = coo_matrix((np.ones(len(rows), np.int8), (rows, local[targets[strong]])), shape=(len(points),) * 2)
    count, part_of = connected_components(graph, directed=False)
    found = []
    for members in np.split(np.argsort(part_of, kind="stable"), np.cumsum(np.bincount(part_of, minlength=count))[:-1]):
        if len(members) > MAX_PART:
            found += _parts(knn, points[members], similarity + PART_STEP, min_size)
        elif len(members) >= max(min_size, 2):
            found.append(points[members])
    return found


def _number_by_size(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Groups of at least min_size, renumbered 0..m-1 largest first (ties: in order of first label)."""
    grouped = labels != UNGROUPED
    group_ids, compact, sizes = np.unique(labels[grouped], return_inverse=True, return_counts=True)
    rank = np.empty(len(group_ids), np.int64)
    rank[np.lexsort((group_ids, -sizes))] = np.arange(len(group_ids))
    new = np.where(sizes[compact] >= min_size, rank[compact], UNGROUPED)  # the small ones rank last: no gaps
    result = np.full(len(labels), UNGROUPED, np.int64)
    result[grouped] = new
    return result
