"""``album eval``: leave-one-out retrieval metrics of a model on a labelled set.

The test classes are those given by ``--test-classes``, else the standard
test split of a CUB-200-2011 or Cars196 layout, else every class of a plain
labelled folder.  Every test image queries all the other test images.  The
model is ``default``, ``pretrained``, a backbone name, a model file, or
``histogram`` (the colour-histogram baseline).  Backbone features are cached
on disk, so evaluating several heads on one backbone decodes the images once.
Progress (decoding, features, histograms) goes to a ``ProgressCallback``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from album.media.imageio import load_image
from album.tasks import ProgressCallback
from album.vision.datasets import LabelledImages, open_dataset
from album.vision.features import extract
from album.vision.histogram import DECODE_SIDE, histogram_features, hsv_histogram
from album.vision.metrics import METRIC_KEYS, retrieval_metrics
from album.vision.modelfile import open_encoder
from album.vision.preprocess import near_copy


def test_split(data: LabelledImages, test_classes: str | None) -> LabelledImages:
    if test_classes:
        return data.select(test_classes)
    if data.standard_split:
        return data.select(data.standard_split[1])
    return data


def embed_dataset(data: LabelledImages, model: str, cache: Path | None,
                  progress: ProgressCallback | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """Embeddings of every decodable image, their labels, and the model id."""
    if model == "histogram":
        embeddings, ok = histogram_features(data.paths, progress=progress)
        model_id = "histogram-hsv512"
    else:
        encoder = open_encoder(model)
        features, ok = extract(encoder, data.paths, "center", cache=cache, desc="eval", progress=progress)
        embeddings = encoder.embed_features(features)
        model_id = encoder.model_id
    return embeddings[ok], data.labels[ok], model_id


def near_duplicate_top1(data_root: str | Path, model: str = "default", test_classes: str | None = None,
                        cache: Path | None = None, progress: ProgressCallback | None = None) -> float:
    """How often a near-identical copy of a photo (cropped, resized, recompressed) finds
    that photo first among all the test photos."""
    data = test_split(open_dataset(data_root), test_classes)
    if model == "histogram":
        originals, ok = histogram_features(data.paths, progress=progress)
        copies = np.stack([hsv_histogram(near_copy(load_image(p, min_side=DECODE_SIDE)[0])) for p in data.paths])
    else:
        encoder = open_encoder(model)
        features, ok = extract(encoder, data.paths, "center", cache=cache, desc="originals", progress=progress)
        near, near_ok = extract(encoder, data.paths, "near", cache=cache, desc="copies", progress=progress)
        ok = ok & near_ok
        originals = encoder.embed_features(features)
        copies = encoder.embed_features(near)
    originals, copies = originals[ok], copies[ok]
    return float(np.mean(np.argmax(copies @ originals.T, axis=1) == np.arange(len(copies))))


def evaluate(data_root: str | Path, model: str = "default", test_classes: str | None = None,
             cache: Path | None = None, progress: ProgressCallback | None = None) -> dict:
    """The metrics dict written by ``album eval --json`` (keys ``METRIC_KEYS``, n_queries, model)."""
    data = test_split(open_dataset(data_root), test_classes)
    embeddings, labels, model_id = embed_dataset(data, model, cache, progress)
    metrics = retrieval_metrics(embeddings, labels)
    return {**{key: round(float(metrics[key]), 4) for key in METRIC_KEYS},
            "n_queries": int(metrics["n_queries"]), "model": model_id}


def run_eval(data_root: str | Path, model: str, test_classes: str | None, cache: Path | None,
             json_path: str | Path | None, progress: ProgressCallback | None = None) -> dict:
    """Evaluate, print a one-line summary, and write the JSON file if asked."""
    started = time.perf_counter()
    result = evaluate(data_root, model, test_classes, cache, progress)
    numbers = "  ".join(f"{key} {result[key]:.3f}" for key in METRIC_KEYS)
    print(f"{Path(data_root).name} [classes {test_classes or 'of the test split (all if none)'}] {model} ({result['model']}): "
          f"{numbers}  queries {result['n_queries']}  ({time.perf_counter() - started:.0f} s)")
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2) + "\n")
    return result
