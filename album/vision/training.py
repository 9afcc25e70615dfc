"""``album train``: from labelled folders to a model file with a complete card.

The training classes of DATA (``--train-classes``, else the standard split of
a CUB/Cars layout, else every class) lose a seeded fraction of their classes
to validation; so do those of an optional second set mixed in (``--mix``,
e.g. general photos next to birds).  Features of every training image are
extracted once per view and cached; the head is trained on them (or, with
``--mode finetune``, the whole backbone on the images).  The best epoch by
validation MAP@R is kept.  Only then are the test classes, which chose
nothing, measured and written into the card with the exact command.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from album.vision.backbones import get_backbone
from album.vision.datasets import LabelledImages, open_dataset, split_validation
from album.vision.encoder import Encoder
from album.vision.features import extract
from album.vision.metrics import format_metrics, retrieval_metrics, rounded
from album.vision.modelfile import save_model
from album.vision.train_head import HeadConfig, TrainingSet, embed, train_head


@dataclass
class Source:
    """One labelled set taking part in training: its train, validation and test classes."""

    name: str
    train: LabelledImages
    val: LabelledImages | None
    test: LabelledImages | None
    train_spec: str | None
    test_spec: str | None


def make_source(root: str, train_spec: str | None, test_spec: str | None, val_fraction: float,
                seed: int) -> Source:
    data = open_dataset(root)
    if train_spec is None and data.standard_split:
        train_spec, test_spec = data.standard_split[0], test_spec or data.standard_split[1]
    train = data.select(train_spec)
    val = None
    if val_fraction > 0 and len(train.classes) > 1:
        train, val = split_validation(train, val_fraction, seed)
    test = data.select(test_spec) if test_spec else None
    return Source(Path(root).name, train, val, test, train_spec, test_spec)


def _features(encoder: Encoder, data: LabelledImages, view: str, cache, seed: int):
    features, ok = extract(encoder, data.paths, view, cache=cache, seed=seed, desc=data.root.name)
    return features, ok


def build_training_set(encoder: Encoder, sources: list[Source], views: list[str], cache, seed: int):
    """Labelled samples over all views (classes of different sources kept apart), and the
    centre-crop samples alone (what the head is centred on)."""
    samples, labels, reference, reference_labels, offset = [], [], [], [], 0
    for source in sources:
        for view in views:
            features, ok = _features(encoder, source.train, view, cache, seed)
            samples.append(features[ok])
            labels.append(source.train.labels[ok] + offset)
        features, ok = _features(encoder, source.train, "center", cache, seed)
        reference.append(features[ok])
        reference_labels.append(source.train.labels[ok] + offset)
        offset += len(source.train.classes)
    return (TrainingSet(np.concatenate(samples), np.concatenate(labels)),
            TrainingSet(np.concatenate(reference), np.concatenate(reference_labels)))


def calibrate_min_score(base: float, head, sets: dict[str, tuple[np.ndarray, np.ndarray]], limit: int = 3000) -> float:
    """The head's similarity threshold that lets through the same fraction of different-class pairs
    as ``base`` does for the raw backbone features (measured on validation images)."""
    raw, tuned = [], []
    for features, labels in sets.values():
        features, labels = features[:limit], labels[:limit]
        different = labels[:, None] != labels[None, :]
        unit = features / np.linalg.norm(features, axis=1, keepdims=True).clip(1e-12)
        embedded = embed(head, features)
        raw.append((unit @ unit.T)[different])
        tuned.append((embedded @ embedded.T)[different])
    raw_pairs, tuned_pairs = np.concatenate(raw), np.concatenate(tuned)
    if raw_pairs.size == 0:
        return base
    passing = float((raw_pairs >= base).mean())
    return round(float(np.quantile(tuned_pairs, 1.0 - passing)), 4)


def measure(encoder: Encoder, head, data: LabelledImages, cache) -> dict:
    features, ok = _features(encoder, data, "center", cache, 0)
    return rounded(retrieval_metrics(embed(head, features[ok]), data.labels[ok]))


def train_labelled(sources: list[Source], out: Path, config: HeadConfig, views: list[str], cache,
                   backbone: str, command: str) -> dict:
    """Head mode: train on cached features, save the model, return its card."""
    started = time.perf_counter()
    encoder = Encoder(get_backbone(backbone))
    print(f"extracting {backbone} features ({', '.join(views)}) ...", flush=True)
    train, centred = build_training_set(encoder, sources, views, cache, config.seed)
    validation = {}
    for source in sources:
        if source.val is not None:
            features, ok = _features(encoder, source.val, "center", cache, config.seed)
            validation[f"{source.name}-val"] = (features[ok], source.val.labels[ok])
    print(f"training a head on {len(train.labels)} samples of {len(np.unique(train.labels))} classes; "
          f"validating on {', '.join(validation) or 'nothing (last epoch kept)'}", flush=True)
    head, history = train_head(train, validation, config, centred.features)
    best = history.epochs[history.best_epoch]
    min_score = calibrate_min_score(encoder.backbone_spec.min_score, head,
                                    validation or {"train": (centred.features, centred.labels)})
    tests = {}
    for source in sources:
        if source.test is not None:
            tests[f"{source.name}-test"] = measure(encoder, head, source.test, cache)
            print(f"test {source.name} [{source.test_spec}]: {format_metrics(tests[f'{source.name}-test'])}")
    card = {
        "backbone": backbone,
        "dim": int(train.features.shape[1]),
        "preprocessing": encoder.preprocessing.as_dict(),
        "min_score": min_score,
        "training": {
            "command": command,
            "mode": "head",
            "data": [{"name": s.name, "root": str(s.train.root), "train_classes": s.train_spec,
                      "validation_classes": list(s.val.classes) if s.val is not None else [],
                      "test_classes": s.test_spec} for s in sources],
            "views": views,
            "config": config.as_dict(),
            "seed": config.seed,
            "best_epoch": history.best_epoch,
            "seconds": round(time.perf_counter() - started, 1),
            "torch": torch.__version__,
            "platform": platform.platform(),
        },
        "metrics": {
            "validation": {name: rounded(m) for name, m in best["val"].items()},
            "test": tests,
        },
    }
    save_model(out, head, card)
    print(f"saved {out} (best epoch {history.best_epoch}, {card['training']['seconds']:.0f} s)")
    return card


def run(args, config: HeadConfig, cache, command: str) -> dict:
    """Dispatch ``album train`` (parsed ``args``) to unlabelled, fine-tuning or head training."""
    out = Path(args.out)
    if out.suffix != ".safetensors":
        raise ValueError(f"--out must name a .safetensors file, not {out}")
    views = [v.strip() for v in args.views.split(",") if v.strip()]
    if args.unlabeled:
        from album.vision.unlabeled import train_unlabeled

        return train_unlabeled(Path(args.unlabeled), out, config, views, cache, args.backbone, command)
    sources = [make_source(args.data, args.train_classes, args.test_classes, args.val_fraction, config.seed)]
    if args.mix:
        sources.append(make_source(args.mix, args.mix_train_classes, args.mix_test_classes, args.val_fraction,
                                   config.seed))
    if args.mode == "finetune":
        from album.vision.finetune import FinetuneOptions, launch

        return launch(sources, out, config, FinetuneOptions(args.backbone, args.batch_size, args.crop), command)
    return train_labelled(sources, out, config, views, cache, args.backbone, command)
