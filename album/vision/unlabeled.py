"""Self-supervised triplets for a library without labels.

Each photo is its own class: the anchor is one view of a photo, the positive
another view of the same photo (a seeded random resized crop and flip, or
the plain centre crop), the negatives are views of the other photos in the
batch.  This teaches the head the invariances a photo album needs (crops,
mirror images, recompression) on the user's own pictures.  There are no
classes to validate on, so the residual head's pull towards the pretrained
space (``preserve``) is what keeps it general, and the last epoch is kept.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from album.media.imageio import is_photo_path
from album.vision.backbones import get_backbone
from album.vision.encoder import Encoder
from album.vision.features import extract
from album.vision.modelfile import save_model
from album.vision.train_head import HeadConfig, TrainingSet, train_head


def list_photos(folder: Path) -> list[Path]:
    photos = sorted(p for p in Path(folder).rglob("*") if p.is_file() and is_photo_path(p))
    if len(photos) < 2:
        raise ValueError(f"{folder} needs at least two photos for self-supervised training")
    return photos


def unlabeled_training_set(encoder: Encoder, photos: list[Path], views: list[str], cache,
                           seed: int) -> tuple[TrainingSet, np.ndarray]:
    """Samples (one per photo and view) labelled by photo, and the centre-crop reference features."""
    if "center" not in views:
        views = ["center", *views]
    if len(views) < 2:
        raise ValueError("self-supervised training needs at least two views, e.g. center,aug0")
    stacked, masks = [], []
    for view in views:
        features, ok = extract(encoder, photos, view, cache=cache, seed=seed, desc="photos")
        stacked.append(features)
        masks.append(ok)
    ok = np.logical_and.reduce(masks)
    labels = np.arange(len(photos))[ok]
    samples = np.concatenate([features[ok] for features in stacked])
    reference = stacked[views.index("center")][ok]
    return TrainingSet(samples, np.tile(labels, len(views))), reference


def train_unlabeled(folder: Path, out: Path, config: HeadConfig, views: list[str], cache, backbone: str,
                    command: str) -> dict:
    started = time.perf_counter()
    encoder = Encoder(get_backbone(backbone))
    photos = list_photos(folder)
    train, reference = unlabeled_training_set(encoder, photos, views, cache, config.seed)
    photo_count = len(np.unique(train.labels))
    config = replace(config, samples_per_class=min(config.samples_per_class, len(train.labels) // photo_count))
    print(f"self-supervised head training on {photo_count} photos x {len(train.labels) // photo_count} views",
          flush=True)
    head, history = train_head(train, {}, config, reference)
    card = {
        "backbone": backbone,
        "dim": int(train.features.shape[1]),
        "preprocessing": encoder.preprocessing.as_dict(),
        "training": {
            "command": command, "mode": "unlabeled", "data": [{"name": folder.name, "root": str(folder),
                                                               "photos": photo_count}],
            "views": views, "config": config.as_dict(), "seed": config.seed,
            "final_loss": history.epochs[-1]["loss"], "seconds": round(time.perf_counter() - started, 1),
            "torch": torch.__version__,
        },
        "metrics": {},
    }
    save_model(out, head, card)
    print(f"saved {out}")
    return card
