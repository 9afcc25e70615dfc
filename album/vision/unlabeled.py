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

from dataclasses import replace
from pathlib import Path

import numpy as np

from album.errors import UserFacingError
from album.media.imageio import is_photo_path
from album.tasks import ProgressCallback
from album.vision.backbones import get_backbone
from album.vision.datasets import DataError
from album.vision.encoder import Encoder
from album.vision.features import extract
from album.vision.modelfile import save_model
from album.vision.options import TrainOptions
from album.vision.record import CardBuilder
from album.vision.train_head import TrainingSet, train_head


def list_photos(folder: Path) -> list[Path]:
    """Every photo under ``folder``; a missing folder or fewer than two photos is a ``DataError``."""
    if not Path(folder).is_dir():
        raise DataError(f"{folder} is not a folder")
    photos = sorted(p for p in Path(folder).rglob("*") if p.is_file() and is_photo_path(p))
    if len(photos) < 2:
        raise DataError(f"{folder} needs at least two photos for self-supervised training")
    return photos


def unlabeled_training_set(encoder: Encoder, photos: list[Path], views: list[str], cache, seed: int,
                           progress: ProgressCallback | None = None) -> tuple[TrainingSet, np.ndarray]:
    """Samples (one per photo and view) labelled by photo, and the centre-crop reference features."""
    if "center" not in views:
        views = ["center", *views]
    if len(views) < 2:
        raise UserFacingError("self-supervised training needs at least two views, e.g. center,aug0")
    stacked, masks = [], []
    for view in views:
        features, ok = extract(encoder, photos, view, cache=cache, seed=seed, desc="photos", progress=progress)
        stacked.append(features)
        masks.append(ok)
    ok = np.logical_and.reduce(masks)
    labels = np.arange(len(photos))[ok]
    samples = np.concatenate([features[ok] for features in stacked])
    reference = stacked[views.index("center")][ok]
    return TrainingSet(samples, np.tile(labels, len(views))), reference


def train_unlabeled(options: TrainOptions, progress: ProgressCallback | None = None) -> dict:
    """Train a head on the photos of ``options.unlabeled``, save it, return its card."""
    record = CardBuilder(options, "unlabeled")
    folder = Path(options.unlabeled)
    photos = list_photos(folder)
    encoder = Encoder(get_backbone(options.backbone))
    views = list(options.views)
    train, reference = unlabeled_training_set(encoder, photos, views, options.cache, options.seed, progress)
    photo_count = len(np.unique(train.labels))
    config = replace(options.config,
                     samples_per_class=min(options.config.samples_per_class, len(train.labels) // photo_count))
    print(f"self-supervised head training on {photo_count} photos x {len(train.labels) // photo_count} views",
          flush=True)
    head, history = train_head(train, {}, config, reference, progress=progress)
    card = record.card(backbone=options.backbone, dim=train.features.shape[1], preprocessing=encoder.preprocessing,
                       data=[{"name": folder.name, "root": str(folder), "photos": photo_count}], metrics={},
                       views=views, config=config, final_loss=history.epochs[-1]["loss"])
    save_model(options.out, head, card)
    print(f"saved {options.out}")
    return card
