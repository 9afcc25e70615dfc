"""Search photos by words: quality and speed of the text-space towers; prints a markdown table.

    .venv/bin/python benchmarks/text_search.py [--data ../shared/data] [--features /tmp/album-bench/features.npz]
        [--model resources/models/text.safetensors] [--cache DIR]

Each class name (the folder name in lower case, underscores as spaces, cub's
"NNN." prefix dropped) is a query over every photo of its data set; the
photos of that class are the relevant ones.  Figures: mAP over the top 300
(AP divided by min(relevant, 300)) and precision@10, averaged over queries.
Rows: caltech50 classes 25-49 and cub100 species 050-099, which chose
nothing (no training, no setting), and the training classes for reference.

Columns: the ensemble zero-shot baseline (ConSE over the top 20 ImageNet
labels at temperature 1, each label the mean of its name, lemmas and
definition; query "a photo of a <name>."), zero-shot with the shipped
settings (temperature 2; query templates and WordNet synonyms), and the
trained tower (``text_training``).  Features come from ``--features`` when
it holds every photo, else from the backbone through ``--cache``.  Latency:
one warm query = sentence encoding (templates) + an hnswlib lookup of the top
100 over all photos.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import hnswlib
import numpy as np
import torch

from album.vision.text_encoder import QUERY_TEMPLATES, TextEncoder
from album.vision.text_space import TEXT_MODEL, TextSpaceHead, TextSpaceModel, load_text_model
from album.vision.text_training import DEFAULT_DATA, photo_set

BASELINE_TEMPLATES = ("a photo of a {}.",)
ROWS = (("caltech50", 25, 49, "caltech50 held out 25-49"), ("cub100", 50, 99, "cub100 test 050-099"),
        ("caltech50", 0, 24, "caltech50 train 0-24 (reference)"), ("cub100", 0, 49, "cub100 train 000-049 (reference)"))


def average_precision(scores: np.ndarray, relevant: np.ndarray, depth: int = 300) -> tuple[float, float]:
    """AP over the top ``depth`` (divided by min(relevant, depth)) and precision@10."""
    hits = relevant[np.argsort(-scores, kind="stable")[:depth]].astype(np.float64)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / min(relevant.sum(), depth)), float(hits[:10].mean())


def scores_for(vectors: np.ndarray, labels: np.ndarray, queries: np.ndarray, wanted: list[int]) -> tuple[float, float]:
    figures = [average_precision(vectors @ queries[label], labels == label) for label in wanted]
    return float(np.mean([f[0] for f in figures])), float(np.mean([f[1] for f in figures]))


def with_settings(model: TextSpaceModel, temperature: float, trained: bool) -> TextSpaceModel:
    """The same tower at another temperature, with or without its trained map."""
    head = TextSpaceHead(model.head.classifier_weight, model.head.classifier_bias, model.head.class_vectors,
                         model.head.top_k, temperature)
    if trained:
        head.residual.load_state_dict(model.head.residual.state_dict())
    return TextSpaceModel(head, model.features_id, model.text_model_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--features", type=Path, default=Path("/tmp/album-bench/features.npz"))
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--model", type=Path, default=TEXT_MODEL)
    args = parser.parse_args()
    sets = {name: photo_set(args.data / name, None, args.features, args.cache) for name in ("caltech50", "cub100")}
    text_encoder = TextEncoder()
    trained = load_text_model(args.model)
    trained.check_text_encoder(text_encoder)
    towers = {"zero-shot ensemble baseline": (with_settings(trained, 1.0, False), BASELINE_TEMPLATES, False),
              "zero-shot, shipped settings": (with_settings(trained, trained.head.temperature, False),
                                              QUERY_TEMPLATES, True),
              "trained tower": (trained, QUERY_TEMPLATES, True)}
    table = {}
    for column, (model, templates, synonyms) in towers.items():
        for name, photos in sets.items():
            vectors = model.embed_features(photos.features)
            queries = np.stack([text_encoder.encode_query(query, templates, synonyms) for query in photos.class_names])
            for row_set, low, high, row in ROWS:
                if row_set == name:
                    wanted = [label for label, number in enumerate(photos.class_numbers) if low <= number <= high]
                    table[row, column] = scores_for(vectors, photos.labels, queries, wanted)
    print("| classes | " + " | ".join(f"{c} mAP@300 / P@10" for c in towers) + " |")
    print("|---|" + "---|" * len(towers))
    for *_, row in ROWS:
        print(f"| {row} | " + " | ".join("{:.3f} / {:.3f}".format(*table[row, c]) for c in towers) + " |")
    print()
    print(_latency(trained, text_encoder, np.concatenate([s.features for s in sets.values()])))


def _latency(model: TextSpaceModel, text_encoder: TextEncoder, features: np.ndarray) -> str:
    vectors = model.embed_features(features)
    index = hnswlib.Index(space="ip", dim=model.dim)
    index.init_index(max_elements=len(vectors), ef_construction=200, M=16)
    index.add_items(vectors, np.arange(len(vectors)))
    index.set_ef(200)
    queries = ("dog on the beach", "bicycle", "golden retriever", "a red car", "sunset over the sea", "birthday cake")
    for query in queries:  # warm up
        index.knn_query(text_encoder.encode_query(query), k=100)
    times = []
    for _ in range(3):
        for query in queries:
            began = time.perf_counter()
            index.knn_query(text_encoder.encode_query(query), k=100)
            times.append(time.perf_counter() - began)
    return (f"warm query latency over {len(vectors)} photos (encoding + hnswlib top 100, {torch.get_num_threads()} "
            f"torch threads): median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
