"""Search photos by words: quality and speed of the text model; prints markdown tables.

    .venv/bin/python benchmarks/text_search.py [--data ../shared/data] [--features /tmp/album-bench/features.npz]
        [--model resources/models/text.safetensors] [--cache DIR] [--choose]

Each class name (the folder name in lower case, underscores as spaces, cub's
"NNN." prefix dropped) is a query over every photo of its data set (the
library); the photos of that class are the relevant ones.  Figures: mAP
over the top 300 (AP divided by min(relevant, 300)) and precision@10,
averaged over queries.  Rows: caltech50 classes 25-49 and cub100 species
050-099, which chose nothing, and the training classes the settings were
chosen on.

Columns:

* zero-shot ensemble baseline: ConSE over the top 20 ImageNet labels at
  temperature 1 (each label the mean of its name, lemmas and definition),
  query "a photo of a <name>.";
* untrained text cosine: ConSE at the shipped settings, the query with the
  lemmas and definitions of its ImageNet-21k dictionary senses;
* previous release: that, with pseudo-relevance feedback on appearance
  (nothing trained);
* trained towers, first score: the text cosine with the trained query
  projection's appearance cosine (``text_projection``), no feedback;
* shipped: the trained towers with feedback, exactly as ``album search``
  scores (``TextSearch``).

``--choose`` redoes the choice of the settings on the training classes
(caltech50 0-24; criterion the mean of mAP@300 and P@10; cub100 000-049 is
shown): first the photo tower's temperature and top k with the sense
weights, then the appearance dimensions and the feedback, then the query
projection's training temperature and weight with the feedback again, then
the default threshold (the best mean F1 of the results a query shows).
Features come from ``--features`` when it holds every photo, else from the
backbone through ``--cache``.  Latency: one warm query = sentence encoding +
two hnswlib lookups (first score, then feedback) over all photos.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from dataclasses import replace
from pathlib import Path

import hnswlib
import numpy as np
import torch

from album.vision.text_encoder import TextEncoder
from album.vision.text_projection import ProjectionTraining
from album.vision.text_space import (TEXT_MODEL, SearchSettings, TextSpaceHead, TextSpaceModel, appearance_basis,
                                     label_text_vectors, load_text_model)
from album.vision.text_training import (DEFAULT_DATA, TRAINING_SETS, PhotoSet, photo_set, training_features,
                                        with_projection)

BASELINE_TEMPLATES = ("a photo of a {}.",)
ROWS = (("caltech50", 25, 49, "caltech50 held out 25-49"), ("cub100", 50, 99, "cub100 test 050-099"),
        ("caltech50", 0, 24, "caltech50 training 0-24 (chose the settings)"),
        ("cub100", 0, 49, "cub100 training 000-049"))
VALIDATION = ("caltech50", 0, 24)
#: the search settings of the previous release (untrained, no query projection)
PREVIOUS_SEARCH = SearchSettings(feedback_photos=10, feedback_weight=4.0, feedback_min_score=0.4, min_score=0.475,
                                 feedback_margin=0.05)


def average_precision(scores: np.ndarray, relevant: np.ndarray, depth: int = 300) -> tuple[float, float]:
    """AP over the top ``depth`` (divided by min(relevant, depth)) and precision@10."""
    hits = relevant[np.argsort(-scores, kind="stable")[:depth]].astype(np.float64)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / min(relevant.sum(), depth)), float(hits[:10].mean())


def variant(model: TextSpaceModel, top_k: int, temperature: float, appearance_dims: int | None = None,
            search: SearchSettings = PREVIOUS_SEARCH) -> TextSpaceModel:
    """The same photo tower at other settings, without a query projection."""
    head = model.head
    basis = head.appearance_basis
    if appearance_dims is not None and appearance_dims != len(basis):
        basis = appearance_basis(head.classifier_weight.astype(np.float32), appearance_dims)
    return TextSpaceModel(TextSpaceHead(head.classifier_weight, head.classifier_bias, head.class_vectors, basis,
                                        top_k, temperature), model.features_id, model.text_model_id,
                          search=replace(search, query_weight=0.0))


def ranked_scores(model: TextSpaceModel, vectors: np.ndarray, queries: np.ndarray, feedback: bool) -> np.ndarray:
    """(queries, photos) scores as ``TextSearch`` ranks them: the first score, and with ``feedback`` the
    feedback score wherever a query has feedback photos."""
    text = np.stack([model.text_scores(query, vectors) for query in queries])
    if not feedback:
        return text
    final = np.empty_like(text)
    for row, query in enumerate(queries):
        chosen = model.feedback_rows(text[row])
        final[row] = vectors @ model.feedback_query(query, vectors[chosen])
    return final


def figures(scores: np.ndarray, photos: PhotoSet, low: int, high: int) -> tuple[float, float]:
    wanted = [label for label, number in enumerate(photos.class_numbers) if low <= number <= high]
    results = [average_precision(scores[label], photos.labels == label) for label in wanted]
    return float(np.mean([r[0] for r in results])), float(np.mean([r[1] for r in results]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--features", type=Path, default=Path("/tmp/album-bench/features.npz"))
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--model", type=Path, default=TEXT_MODEL)
    parser.add_argument("--choose", action="store_true", help="redo the choice of the settings on the training classes")
    args = parser.parse_args()
    sets = {name: photo_set(args.data / name, None, args.features, args.cache) for name in ("caltech50", "cub100")}
    text_encoder = TextEncoder()
    shipped = load_text_model(args.model)
    shipped.check_text_encoder(text_encoder)
    if args.choose:
        choose(shipped, text_encoder, sets["caltech50"],
               training_features(args.data, args.features, args.cache))
        return
    head = shipped.head
    untrained = variant(shipped, head.top_k, head.temperature)
    columns = {
        "zero-shot ensemble baseline": (variant(shipped, 20, 1.0), False,
                                        lambda name: text_encoder.encode_query(name, BASELINE_TEMPLATES, False)),
        f"untrained text cosine (T {head.temperature:g}, top {head.top_k}, 21k senses)": (untrained, False,
                                                                                         text_encoder.encode_query),
        "previous release: + appearance feedback": (untrained, True, text_encoder.encode_query),
        "trained towers, first score": (shipped, False, text_encoder.encode_query),
        "shipped: trained towers + feedback": (shipped, True, text_encoder.encode_query),
    }
    table = {}
    for column, (model, feedback, encode) in columns.items():
        for name, photos in sets.items():
            vectors = model.embed_features(photos.features)
            queries = np.stack([encode(query) for query in photos.class_names])
            scores = ranked_scores(model, vectors, queries, feedback)
            for row_set, low, high, row in ROWS:
                if row_set == name:
                    table[row, column] = figures(scores, photos, low, high)
    print("| classes | " + " | ".join(f"{c}: mAP@300 / P@10" for c in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for *_, row in ROWS:
        print(f"| {row} | " + " | ".join("{:.3f} / {:.3f}".format(*table[row, c]) for c in columns) + " |")
    print()
    print(_latency(shipped, text_encoder, np.concatenate([s.features for s in sets.values()])))


def choose(model: TextSpaceModel, text_encoder: TextEncoder, photos: PhotoSet, features: np.ndarray) -> None:
    """The settings' choice on the training classes of caltech50 (prints each step's best few; ties go to
    the setting listed first: fewer feedback photos, a higher feedback threshold); ``features``: the
    unlabelled photos the query projection is trained on (``text_training.training_features``)."""
    _, low, high = VALIDATION
    names = [name for name, number in zip(photos.class_names, photos.class_numbers) if low <= number <= high]
    labels = [label for label, number in enumerate(photos.class_numbers) if low <= number <= high]
    towers: dict[tuple, tuple[TextSpaceModel, np.ndarray]] = {}

    def evaluate(key: tuple, queries: np.ndarray, search: SearchSettings | None = None,
                 projection=None) -> tuple[float, float]:
        """A tower of ``key`` (top k, temperature, appearance dims) with ``search`` and ``projection``."""
        if key not in towers:
            tower = variant(model, *key)
            towers[key] = tower, tower.embed_features(photos.features)
        tower, vectors = towers[key]
        if search is not None:
            tower = TextSpaceModel(tower.head, tower.features_id, tower.text_model_id, search=search,
                                   projection=projection)
        scores = ranked_scores(tower, vectors, queries, search is not None)
        results = [average_precision(scores[row], photos.labels == label) for row, label in enumerate(labels)]
        return float(np.mean([r[0] for r in results])), float(np.mean([r[1] for r in results]))

    def best(results: dict) -> tuple:
        ranked = sorted(results.items(), key=lambda item: -sum(item[1]))
        for settings, (ap, p10) in ranked[:5]:
            print(f"  {settings}: mAP@300 {ap:.3f} P@10 {p10:.3f}")
        return ranked[0][0]

    query_sets = {weights: np.stack([text_encoder.encode_query(name, weights=weights) for name in names])
                  for weights in itertools.product((0.0, 0.5), (0.5, 1.0, 2.0))}
    print("step 1: top k, temperature, sense weights (lemmas, definitions); text cosine alone")
    step1 = {(k, t, w): evaluate((k, t, None), query_sets[w])
             for k, t, w in itertools.product((10, 20, 50), (1.0, 2.0), query_sets)}
    top_k, temperature, weights = best(step1)
    queries = query_sets[weights]
    margin = model.search.feedback_margin  # a guard for small libraries, not chosen here
    print(f"step 2: appearance dims, feedback photos, feedback weight, feedback threshold (margin {margin:g}); "
          "no query projection")
    step2 = {(dims, n, w, gate): evaluate((top_k, temperature, dims), queries,
                                          SearchSettings(n, w, gate, 0.0, margin))
             for dims, n, w, gate in itertools.product((128, 256), (5, 10, 20), (1.0, 2.0, 4.0), (0.5, 0.4, 0.3, -1.0))}
    dims, n, *_ = best(step2)
    print("step 3: the query projection's training temperature and weight, feedback weight and threshold "
          f"(projection trained on the unlabelled photos of {dict(TRAINING_SETS)})")
    tower = towers[top_k, temperature, dims][0]
    label_texts = label_text_vectors(text_encoder)
    trained = {tau: with_projection(tower, label_texts, features, SearchSettings(), ProjectionTraining(temperature=tau))
               for tau in (0.05, 0.1)}
    step3 = {(tau, q, w, gate): evaluate((top_k, temperature, dims), queries,
                                         SearchSettings(n, w, gate, 0.0, margin, q), trained[tau].projection)
             for tau, q, w, gate in itertools.product(trained, (0.25, 0.5, 1.0), (1.0, 2.0, 4.0), (0.5, 0.4, 0.3))}
    tau, q, w, gate = best(step3)
    chosen = TextSpaceModel(tower.head, tower.features_id, tower.text_model_id,
                            search=SearchSettings(n, w, gate, 0.0, margin, q), projection=trained[tau].projection)
    scores = ranked_scores(chosen, towers[top_k, temperature, dims][1], queries, True)
    f1 = {}
    for threshold in np.arange(0.2, 0.71, 0.025):
        values = []
        for row, label in enumerate(labels):
            shown, relevant = scores[row] >= threshold, photos.labels == label
            values.append(2 * (shown & relevant).sum() / (shown.sum() + relevant.sum()))
        f1[round(float(threshold), 3)] = float(np.mean(values))
    threshold = max(f1, key=f1.get)
    print("step 4: default threshold, mean F1 of the shown results:",
          ", ".join(f"{t:g}: {v:.3f}" for t, v in f1.items()))
    print(f"chosen: top_k {top_k}, temperature {temperature:g}, sense weights {weights}, appearance dims {dims}, "
          f"projection temperature {tau:g}, {replace(chosen.search, min_score=threshold)}")


def _latency(model: TextSpaceModel, text_encoder: TextEncoder, features: np.ndarray) -> str:
    vectors = model.embed_features(features)
    index = hnswlib.Index(space="ip", dim=model.dim)
    index.init_index(max_elements=len(vectors), ef_construction=200, M=16)
    index.add_items(vectors, np.arange(len(vectors)))
    index.set_ef(200)
    torch.set_num_threads(1)  # as TextSearch encodes queries

    def search(words: str) -> None:
        query = text_encoder.encode_query(words)
        labels, distances = index.knn_query(model.query_vector(query), k=100)
        rows = model.feedback_rows(1.0 - distances[0])
        feedback = index.get_items(labels[0][rows]) if len(rows) else np.zeros((0, model.dim))
        index.knn_query(model.feedback_query(query, np.asarray(feedback)), k=100)

    queries = ("dog on the beach", "bicycle", "golden retriever", "a red car", "sunset over the sea", "birthday cake")
    for query in queries:  # warm up
        search(query)
    times = []
    for _ in range(3):
        for query in queries:
            began = time.perf_counter()
            search(query)
            times.append(time.perf_counter() - began)
    return (f"warm query latency over {len(vectors)} photos (encoding on one torch thread + two hnswlib lookups "
            f"of the top 100): median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
