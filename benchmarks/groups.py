"""Subject-group benchmark: grouping quality on labelled sets and grouping speed at scale.

    .venv/bin/python benchmarks/groups.py [--data ../shared/data] [--features FILE.npz] [--scale 100000]

Embeds every photo of cub100 and caltech50 with the default model (pooled backbone features are
cached, as for ``album eval``; ``--features`` reads a ready npz with ``paths`` and ``default``
embeddings instead), groups each evaluation set on its own with ``album.groups.clustering.cluster``
and with plain average linkage (the baseline), and prints markdown tables:

* quality per set: pairwise precision and recall (over all pairs of photos; a pair is predicted
  when both photos are in one group, so ungrouped photos form no pairs), adjusted Rand index and
  NMI (each ungrouped photo counted as a group of its own), coverage (share of photos in a group)
  and the number of groups.  Validation sets are the classes ``album train`` held out of the
  training classes (``split_validation(..., 0.2, seed=0)``); every parameter was chosen on them.
* speed: the kNN graph by exact search and by hnswlib at several sizes (and hnswlib's recall of the
  exact neighbours), ``cluster`` on ``--scale`` synthetic photos, and ``assign`` of 1,000 new photos
  against them.  Synthetic photos: unit vectors around 5,000 random subjects plus 30 % background.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from album.groups import knn
from album.groups.clustering import UNGROUPED, GroupingParams, assign, cluster
from album.groups.knn import nearest, neighbours
from album.paths import LibraryPaths
from album.vision.datasets import LabelledImages, open_dataset, split_validation

#: title, folder, class range, whether the set is the validation split of that range
SETS = (
    ("cub100 validation (10 of 000-049)", "cub100", "000-049", True),
    ("cub100 test (050-099)", "cub100", "050-099", False),
    ("caltech50 validation (5 of 0-24)", "caltech50", "0-24", True),
    ("caltech50 held out (25-49)", "caltech50", "25-49", False),
    ("caltech50 all", "caltech50", None, False),
)
#: the baseline: plain average linkage over all pairs, cut where the average cosine between groups
#: falls below this (chosen like GroupingParams: the loosest cut keeping precision >= 0.95 on both
#: validation sets)
BASELINE_SIMILARITY = 0.35


def default_data() -> Path:
    here = Path(__file__).resolve().parent.parent
    return next((p for p in (here.parent / "shared" / "data", Path("/work/shared/data")) if p.is_dir()),
                here.parent / "shared" / "data")


def evaluation_set(data: Path, folder: str, classes: str | None, validation: bool) -> LabelledImages:
    images = open_dataset(data / folder).select(classes)
    return split_validation(images, 0.2, seed=0)[1] if validation else images


class Embeddings:
    """Default-model embeddings by photo path: from a ready npz, or computed (features cached)."""

    def __init__(self, features_npz: Path | None, cache: Path):
        self.cache = cache
        self.by_path: dict[str, np.ndarray | None] = {}  # None: the photo does not decode
        if features_npz is not None:
            stored = np.load(features_npz)
            self.by_path = {str(p): v if good else None
                            for p, v, good in zip(stored["paths"], stored["default"], stored["ok"])}

    def of(self, images: LabelledImages) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, labels) of the photos of ``images`` that decode."""
        if not all(str(p) in self.by_path for p in images.paths):
            self._compute(images.paths)
        keep = [i for i, p in enumerate(images.paths) if self.by_path[str(p)] is not None]
        return np.stack([self.by_path[str(images.paths[i])] for i in keep]), images.labels[keep]

    def _compute(self, paths) -> None:
        from album.terminal_progress import TerminalProgress
        from album.vision.features import extract
        from album.vision.modelfile import open_encoder

        encoder = open_encoder("default")
        with TerminalProgress() as progress:
            features, decoded = extract(encoder, paths, "center", cache=self.cache, progress=progress)
        vectors = encoder.embed_features(features)
        self.by_path.update({str(p): v if good else None for p, v, good in zip(paths, vectors, decoded)})


def baseline(vectors: np.ndarray, similarity: float = BASELINE_SIMILARITY) -> np.ndarray:
    """Plain average linkage over all pairs; groups of one photo count as ungrouped."""
    linkage = AgglomerativeClustering(n_clusters=None, distance_threshold=1.0 - similarity, metric="cosine",
                                      linkage="average")
    labels = linkage.fit_predict(vectors)
    sizes = np.bincount(labels)
    return np.where(sizes[labels] > 1, labels, UNGROUPED)


def quality(labels: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Pairwise precision and recall, ARI, NMI, coverage and the number of groups."""
    grouped = labels != UNGROUPED
    pairs = lambda counts: float((counts * (counts - 1) // 2).sum())  # noqa: E731
    _, joint = np.unique(np.stack([labels[grouped], truth[grouped]]), axis=1, return_counts=True)
    together = pairs(joint)
    predicted = pairs(np.unique(labels[grouped], return_counts=True)[1])
    actual = pairs(np.unique(truth, return_counts=True)[1])
    singletons = np.where(grouped, labels, labels.max(initial=0) + 1 + np.arange(len(labels)))
    return {
        "precision": together / predicted if predicted else 1.0,
        "recall": together / actual if actual else 0.0,
        "ARI": adjusted_rand_score(truth, singletons),
        "NMI": normalized_mutual_info_score(truth, singletons),
        "coverage": float(grouped.mean()) if len(labels) else 0.0,
        "groups": float(len(np.unique(labels[grouped]))),
    }


QUALITY_KEYS = ("precision", "recall", "ARI", "NMI", "coverage", "groups")


def quality_table(data: Path, embeddings: Embeddings, params: GroupingParams) -> list[str]:
    rows = ["| set | method | photos | " + " | ".join(QUALITY_KEYS) + " | seconds |",
            "|---|---|---|" + "---|" * (len(QUALITY_KEYS) + 1)]
    for title, folder, classes, validation in SETS:
        vectors, truth = embeddings.of(evaluation_set(data, folder, classes, validation))
        for method, run in (("average linkage (baseline)", baseline), ("subject groups", lambda v: cluster(v, params))):
            started = time.perf_counter()
            labels = run(vectors)
            seconds = time.perf_counter() - started
            figures = quality(labels, truth)
            rows.append(f"| {title} | {method} | {len(truth)} | "
                        + " | ".join(f"{figures[k]:.0f}" if k == "groups" else f"{figures[k]:.3f}" for k in QUALITY_KEYS)
                        + f" | {seconds:.1f} |")
            print(rows[-1], flush=True)
    return rows


def synthetic(n: int, subjects: int = 5000, background: float = 0.3, dim: int = 1280, spread: float = 0.9,
              seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors: (1 - background) of them around random subjects of uneven size, the rest anywhere.

    Returns (vectors, truth) with truth -1 for background.  ``spread`` is the noise norm relative to a
    subject's unit centre (0.9 puts a photo at cosine ~0.74 to its centre, ~0.55 to another photo of it).
    """
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((subjects, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    in_subjects = int(round(n * (1 - background)))
    weights = rng.pareto(1.5, subjects) + 1
    truth = np.concatenate([rng.choice(subjects, in_subjects, p=weights / weights.sum()), np.full(n - in_subjects, -1)])
    noise = rng.standard_normal((n, dim)).astype(np.float32)
    noise *= np.float32(spread / np.sqrt(dim))
    vectors = np.where(truth[:, None] >= 0, centres[np.maximum(truth, 0)] + noise, noise)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    order = rng.permutation(n)
    return vectors[order], truth[order]


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def speed_table(scale: int, params: GroupingParams) -> list[str]:
    rows = [f"| step ({os.cpu_count()} cores) | photos | seconds | note |", "|---|---|---|---|"]
    vectors, truth = synthetic(scale + 1000)
    library, arrivals, arrival_truth = vectors[:scale], vectors[scale:], truth[scale:]
    for size in (5000, 20000):  # either side of knn.EXACT_LIMIT
        sample = library[:size]
        (exact, _), exact_seconds = timed(lambda: nearest(sample, sample, params.neighbours, exclude_self=True))
        (approx, _), approx_seconds = timed(lambda: knn._approximate(sample, params.neighbours))  # hnswlib at any size
        subjects = truth[:size] >= 0  # a background photo's exact neighbours are arbitrary: not counted
        found = np.mean([len(np.intersect1d(a, e)) / len(e) for a, e in zip(approx[subjects], exact[subjects])])
        rows.append(f"| kNN graph, exact numpy | {size} | {exact_seconds:.1f} | k={params.neighbours} |")
        rows.append(f"| kNN graph, hnswlib | {size} | {approx_seconds:.1f} | finds {found:.1%} of a subject photo's exact neighbours |")
        print(*rows[-2:], sep="\n", flush=True)
    knn_graph, knn_seconds = timed(lambda: neighbours(library, params.neighbours))
    rows.append(f"| kNN graph (as cluster builds it) | {scale} | {knn_seconds:.1f} | |")
    print(rows[-1], flush=True)
    labels, cluster_seconds = timed(lambda: cluster(library, params, knn_graph))
    figures = quality(labels, np.where(truth[:scale] >= 0, truth[:scale], truth.max() + 1 + np.arange(scale)))
    rows.append(f"| grouping after the graph | {scale} | {cluster_seconds:.1f} | {figures['groups']:.0f} groups, "
                f"precision {figures['precision']:.3f}, recall {figures['recall']:.3f}, "
                f"coverage {figures['coverage']:.1%} (background {np.mean(truth[:scale] < 0):.0%}) |")
    rows.append(f"| **grouping in all** | {scale} | **{knn_seconds + cluster_seconds:.1f}** | target < 60 s |")
    print(*rows[-2:], sep="\n", flush=True)
    joined, assign_seconds = timed(lambda: assign(arrivals, library, labels, params))
    subject_of_group = {g: np.bincount(truth[:scale][labels == g][truth[:scale][labels == g] >= 0]).argmax()
                        for g in np.unique(joined[joined != UNGROUPED])
                        if (truth[:scale][labels == g] >= 0).any()}
    right = sum(subject_of_group.get(g) == t for g, t in zip(joined, arrival_truth) if g != UNGROUPED)
    rows.append(f"| **assign new photos** | 1000 vs {scale} | **{assign_seconds:.2f}** | target < 5 s; "
                f"{np.mean(joined != UNGROUPED):.0%} joined a group, {right / max(1, np.sum(joined != UNGROUPED)):.1%}"
                f" of them the right one; {np.mean(arrival_truth < 0):.0%} were background |")
    print(rows[-1], flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data(), help="folder holding cub100/ and caltech50/")
    parser.add_argument("--features", type=Path, help="npz with paths, ok and default embeddings (skips encoding)")
    parser.add_argument("--cache", type=Path, default=LibraryPaths.default().features)
    parser.add_argument("--scale", type=int, default=100_000, help="synthetic photos for the speed table (0: skip)")
    args = parser.parse_args()
    params = GroupingParams()
    print(f"parameters: {params}\n", flush=True)
    rows = quality_table(args.data, Embeddings(args.features, args.cache), params)
    speed = speed_table(args.scale, params) if args.scale else []
    print("\n" + "\n".join(rows))
    if speed:
        print("\n" + "\n".join(speed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
