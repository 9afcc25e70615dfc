"""``album train``: from labelled folders to a model file with a complete card.

The training classes of DATA (``--train-classes``, else the standard split of
a CUB/Cars layout, else every class) lose a seeded fraction of their classes
to validation; so do those of an optional second set mixed in (``--mix``,
e.g. general photos next to birds).  Features of every training image are
extracted once per view and cached; the head is trained on them (or, with
``--mode finetune``, the whole backbone on the images).  The best epoch by
validation MAP@R is kept.  Only then are the test classes, which chose
nothing, measured and written into the card with the exact command.  The
run is described by a ``TrainOptions``; feature extraction and epochs report
to a ``ProgressCallback``.  ``--base default`` is the few-shot mode instead:
``fewshot`` fine-tunes that model on DATA's few photos per subfolder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from album.errors import UserFacingError
from album.tasks import ProgressCallback
from album.vision.backbones import get_backbone
from album.vision.calibration import ScoreScale, fit, pair_scores
from album.vision.datasets import LabelledImages, open_dataset, split_validation
from album.vision.encoder import Encoder
from album.vision.features import extract
from album.vision.fewshot import FewShotConfig, train_personal
from album.vision.metrics import format_metrics, retrieval_metrics, rounded
from album.vision.modelfile import load_head, model_path, open_encoder, save_model
from album.vision.options import TrainOptions
from album.vision.record import CardBuilder, source_entry
from album.vision.train_head import TrainingSet, embed, train_head


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


class _Features:
    """Cached backbone features of labelled sets, one encoder, one cache, one progress callback."""

    def __init__(self, encoder: Encoder, cache, seed: int, progress: ProgressCallback | None):
        self.encoder, self.cache, self.seed, self.progress = encoder, cache, seed, progress

    def __call__(self, data: LabelledImages, view: str = "center") -> tuple[np.ndarray, np.ndarray]:
        return extract(self.encoder, data.paths, view, cache=self.cache, seed=self.seed, desc=data.root.name,
                       progress=self.progress)


def build_training_set(features_of: _Features, sources: list[Source], views: list[str]):
    """Labelled samples over all views (classes of different sources kept apart), and the
    centre-crop samples alone (what the head is centred on)."""
    samples, labels, reference, reference_labels, offset = [], [], [], [], 0
    for source in sources:
        for view in views:
            features, ok = features_of(source.train, view)
            samples.append(features[ok])
            labels.append(source.train.labels[ok] + offset)
        features, ok = features_of(source.train)
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


def calibrate_scale(features_of: _Features, head, sources: list[Source]) -> ScoreScale | None:
    """The model's score scale (see ``calibration``) from the validation classes: same- and
    different-subject pairs, and each validation photo against its near-identical copy."""
    same, different, near = [], [], []
    for source in sources:
        if source.val is None:
            continue
        features, ok = features_of(source.val)
        copies, copied = features_of(source.val, "near")
        keep = ok & copied
        embedded, embedded_copies = embed(head, features[keep]), embed(head, copies[keep])
        pairs = pair_scores(embedded, source.val.labels[keep])
        same.append(pairs[0])
        different.append(pairs[1])
        near.append(np.sum(embedded * embedded_copies, axis=1))
    try:
        return fit(np.concatenate(same), np.concatenate(different), np.concatenate(near)) if same else None
    except ValueError:  # too few validation photos to say anything
        return None


def measure(features_of: _Features, head, data: LabelledImages) -> dict:
    features, ok = features_of(data)
    return rounded(retrieval_metrics(embed(head, features[ok]), data.labels[ok]))


def train_labelled(sources: list[Source], options: TrainOptions, progress: ProgressCallback | None = None) -> dict:
    """Head mode: train on cached features, save the model, return its card."""
    record = CardBuilder(options, "head")
    views = list(options.views)
    encoder = Encoder(get_backbone(options.backbone))
    features_of = _Features(encoder, options.cache, options.seed, progress)
    print(f"extracting {options.backbone} features ({', '.join(views)}) ...", flush=True)
    train, centred = build_training_set(features_of, sources, views)
    validation = {}
    for source in sources:
        if source.val is not None:
            features, ok = features_of(source.val)
            validation[f"{source.name}-val"] = (features[ok], source.val.labels[ok])
    print(f"training a head on {len(train.labels)} samples of {len(np.unique(train.labels))} classes; "
          f"validating on {', '.join(validation) or 'nothing (last epoch kept)'}", flush=True)
    head, history = train_head(train, validation, options.config, centred.features, progress=progress)
    best = history.epochs[history.best_epoch]
    min_score = calibrate_min_score(encoder.backbone_spec.min_score, head,
                                    validation or {"train": (centred.features, centred.labels)})
    tests = {}
    for source in sources:
        if source.test is not None:
            tests[f"{source.name}-test"] = measure(features_of, head, source.test)
            print(f"test {source.name} [{source.test_spec}]: {format_metrics(tests[f'{source.name}-test'])}")
    card = record.card(backbone=options.backbone, dim=train.features.shape[1], preprocessing=encoder.preprocessing,
                       data=[source_entry(s) for s in sources],
                       metrics={"validation": {name: rounded(m) for name, m in best["val"].items()}, "test": tests},
                       min_score=min_score, views=views, best_epoch=history.best_epoch)
    scale = calibrate_scale(features_of, head, sources)
    if scale is not None:
        card["score_scale"] = scale.to_dict()
    save_model(options.out, head, card)
    print(f"saved {options.out} (best epoch {history.best_epoch}, {card['training']['seconds']:.0f} s)")
    return card


def train_from_base(options: TrainOptions, progress: ProgressCallback | None = None) -> dict:
    """``--base``: few-shot personal training (``fewshot``) from a model with a head, each class of DATA
    one subject, its own photos the unlabelled ones the preservation term keeps in place."""
    record = CardBuilder(options, "personal")
    base = open_encoder(options.base, device="cpu")
    if base.head is None:
        raise UserFacingError(f"--base {options.base} has no head to fine-tune: use default or a model file")
    data = open_dataset(options.data).select(options.train_classes)
    features, ok = extract(base, data.paths, "center", cache=options.cache, desc=data.root.name, progress=progress)
    labels = np.unique(data.labels[ok], return_inverse=True)[1]
    if len(np.unique(labels)) < 2 or np.bincount(labels).min() < 3:
        raise UserFacingError(f"{data.root} needs at least 2 subfolders of 3 or more photos each")
    result = train_personal(load_head(model_path(options.base)), features[ok], labels, features[ok],
                            FewShotConfig(seed=options.seed), progress)
    print(f"held-out photos, MAP@R: {result.before['MAP@R']:.3f} (base) -> {result.after['MAP@R']:.3f}")
    card = record.card(backbone=base.backbone_spec.name, dim=result.head.config()["base"]["dim"] + result.head.groups,
                       preprocessing=base.preprocessing, min_score=base.min_score, best_epoch=result.best_epoch,
                       data=[{"name": data.root.name, "root": str(data.root), "classes": list(data.classes)}],
                       metrics={"held_out": {"base": rounded(result.before), "personal": rounded(result.after)}})
    card["score_scale"] = base.score_scale.to_dict()
    save_model(options.out, result.head, card)
    print(f"saved {options.out} ({card['training']['seconds']:.0f} s)")
    return card


def run(options: TrainOptions, progress: ProgressCallback | None = None) -> dict:
    """``album train``: unlabelled, fine-tuning, few-shot or head training as ``options`` ask; returns the card."""
    if options.base:
        return train_from_base(options, progress)
    if options.unlabeled:
        from album.vision.unlabeled import train_unlabeled

        return train_unlabeled(options, progress)
    sources = [make_source(options.data, options.train_classes, options.test_classes, options.val_fraction,
                           options.seed)]
    if options.mix:
        sources.append(make_source(options.mix, options.mix_train_classes, options.mix_test_classes,
                                   options.val_fraction, options.seed))
    if options.mode == "finetune":
        from album.vision.finetune import launch

        return launch(sources, options, progress)
    return train_labelled(sources, options, progress)
