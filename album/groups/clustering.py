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

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import AgglomerativeClustering

from album.groups.knn import Neighbours, neighbours

UNGROUPED = -1
#: largest part clustered by exact average linkage (its pairwise distances take MAX_PART² / 2 floats)
MAX_PART = 8_000
#: how much stricter each re-linking of a part above MAX_PART is
PART_STEP = 0.05


@dataclass(frozen=True)
class GroupingParams:
    """How groups are made.

    Chosen on the validation classes only (benchmarks/groups.py; cub100 and caltech50 classes held
    out of the default model's training): merge_similarity is the loosest value of 0.30 / 0.35 / 0.40
    that keeps pairwise precision >= 0.95 on both validation sets (0.30 gave 0.876 on cub100's);
    min_size 3 kept more photos grouped than 5 at the same precision; dropping members far from
    their group's centre changed nothing measurable after average linkage, so there is no such step.
    """

    merge_similarity: float = 0.35  # average cosine between two groups needed to merge them
    min_size: int = 3  # smallest group kept
    neighbours: int = 15  # nearest photos looked at for links


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
    sums = np.zeros((len(group_ids), new_vectors.shape[1]), np.float64)
    np.add.at(sums, compact, np.asarray(member_vectors, dtype=np.float32)[grouped])
    mean_similarity = new_vectors @ (sums / sizes[:, None]).T.astype(np.float32)  # average cosine to each group
    best = np.argmax(mean_similarity, axis=1)
    fits = mean_similarity[np.arange(len(new_vectors)), best] >= params.merge_similarity
    result[fits] = group_ids[best[fits]]
    return result


def _parts(knn: Neighbours, points: np.ndarray, similarity: float, min_size: int) -> list[np.ndarray]:
    """Connected parts (of at least min_size points) of the links at ``similarity`` among ``points``."""
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
        elif len(members) >= min_size:
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
