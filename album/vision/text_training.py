"""Training the text-space map of the photo tower, and the shipped text model.

    .venv/bin/python -m album.vision.text_training [--data ../shared/data] [--features FILE.npz]
        [--out resources/models/text.safetensors]

The photo tower starts as zero-shot ConSE (``text_space``); training fits its
residual map ``v -> v + A v`` inside text space on photos of the training
classes (cub100 000-049, caltech50 0-24) with three terms:

* labelled pairs: InfoNCE between each photo and the encoded query of its
  class name, against the other class names of its data set;
* distillation over all 1,000 ImageNet concepts: cross-entropy between the
  classifier's softened labels and the photo's similarities to the 1,000
  class vectors, so the map stays right for concepts no training photo shows;
* regularisation toward zero-shot: the squared size of ``A v``.

The settings were chosen on a seeded 20 % of the training classes held out
(benchmarks/text_search.py reports the held-out test classes, which chose
nothing).  Features come from ``--features`` (an .npz with ``paths`` and
``features``, as benchmarks keep) when it has every photo, else from the
backbone through the feature cache.
"""

from __future__ import annotations

import argparse
import platform
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from album.vision.datasets import open_dataset
from album.vision.text_encoder import TextEncoder
from album.vision.text_space import TEXT_MODEL, TextSpaceHead, TextSpaceModel, save_text_model, zero_shot_model

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
#: (data set folder, training classes): the same split as the shipped similarity head.
TRAINING_SETS = (("cub100", "000-049"), ("caltech50", "0-24"))


def query_name(folder: str) -> str:
    """A class folder's name as a person would type it: no "NNN." prefix, spaces, lower case."""
    return re.sub(r"^\d+\.", "", folder).replace("_", " ").lower()


@dataclass(frozen=True)
class PhotoSet:
    """Pooled features of a data set's photos, with their classes' query names and numbers."""

    name: str
    features: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    class_numbers: tuple[int, ...]


def photo_set(root: Path, classes: str | None, features_npz: Path | None = None, cache: Path | None = None) -> PhotoSet:
    """The photos of some classes of a labelled folder, with their pooled features."""
    data = open_dataset(root).select(classes)
    features = _features_from_npz(features_npz, data.paths) if features_npz else None
    labels = data.labels
    if features is None:
        from album.vision.features import extract
        from album.vision.modelfile import open_encoder

        features, decoded = extract(open_encoder("pretrained"), data.paths, "center", cache=cache)
        features, labels = features[decoded], labels[decoded]
    return PhotoSet(Path(root).name, features.astype(np.float32), labels,
                    tuple(query_name(c) for c in data.classes), data.numbers)


def _features_from_npz(npz: Path, paths) -> np.ndarray | None:
    if not Path(npz).is_file():
        return None
    stored = np.load(npz)
    rows = {str(Path(p).resolve()): i for i, p in enumerate(stored["paths"]) if stored["ok"][i]}
    wanted = [rows.get(str(Path(p).resolve())) for p in paths]
    if any(row is None for row in wanted):
        return None
    return stored["features"][np.array(wanted)].astype(np.float32)


@dataclass(frozen=True)
class TextTrainSettings:
    epochs: int = 5
    batch_size: int = 256
    lr: float = 3e-4
    weight_decay: float = 1e-4
    similarity_temperature: float = 0.1
    pair_weight: float = 0.1
    distill_weight: float = 0.1
    teacher_temperature: float = 2.0
    preserve_weight: float = 1.0
    seed: int = 0


def train_text_head(start: TextSpaceModel, sets: list[PhotoSet], text_encoder: TextEncoder,
                    settings: TextTrainSettings = TextTrainSettings()) -> tuple[TextSpaceModel, float]:
    """A copy of ``start`` with its text-space map fitted on ``sets``; and the last epoch's mean loss."""
    torch.manual_seed(settings.seed)
    config = start.head.config()
    head = TextSpaceHead(start.head.classifier_weight, start.head.classifier_bias, start.head.class_vectors,
                         config["top_k"], config["temperature"])
    names = [(index, name) for index, photos in enumerate(sets) for name in photos.class_names]
    name_vectors = torch.from_numpy(np.stack([text_encoder.encode_query(name) for _, name in names]))
    name_set = torch.tensor([index for index, _ in names])
    offsets = np.cumsum([0] + [len(photos.class_names) for photos in sets])
    features = torch.from_numpy(np.concatenate([photos.features for photos in sets]))
    labels = torch.from_numpy(np.concatenate([photos.labels + offsets[i] for i, photos in enumerate(sets)]))
    with torch.no_grad():
        logits = head.logits(features)
        zero_shot = head.zero_shot(features, logits)
        teacher = torch.softmax(logits / settings.teacher_temperature, dim=1)
    class_vectors = head.class_vectors.float()
    optimiser = torch.optim.AdamW(head.residual.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    tau = settings.similarity_temperature
    for _ in range(settings.epochs):
        order = torch.randperm(len(features))
        losses = []
        for start_row in range(0, len(order) - settings.batch_size + 1, settings.batch_size):
            batch = order[start_row:start_row + settings.batch_size]
            shift = head.residual(zero_shot[batch])
            vectors = nn.functional.normalize(zero_shot[batch] + shift, dim=1)
            other_set = name_set[None, :] != name_set[labels[batch]][:, None]
            pair_logits = (vectors @ name_vectors.T / tau).masked_fill(other_set, -1e4)
            distill = -(teacher[batch] * torch.log_softmax(vectors @ class_vectors.T / tau, dim=1)).sum(1).mean()
            loss = (settings.pair_weight * nn.functional.cross_entropy(pair_logits, labels[batch])
                    + settings.distill_weight * distill
                    + settings.preserve_weight * (shift ** 2).sum(1).mean())
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
    trained = TextSpaceModel(head.eval(), start.features_id, start.text_model_id)
    return trained, float(np.mean(losses))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="train album's text search model (the photo tower's map)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding cub100 and caltech50")
    parser.add_argument("--features", type=Path, default=None, help="an .npz of pooled features (paths, features, ok)")
    parser.add_argument("--cache", type=Path, default=None, help="feature cache folder when computing features")
    parser.add_argument("--out", type=Path, default=TEXT_MODEL)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    sets = [photo_set(args.data / name, classes, args.features, args.cache) for name, classes in TRAINING_SETS]
    text_encoder = TextEncoder()
    settings = TextTrainSettings()
    model, final_loss = train_text_head(zero_shot_model(text_encoder), sets, text_encoder, settings)
    card = {"kind": "text-space photo tower", "training": {
        "command": "python -m album.vision.text_training --data DATA", "data": dict(TRAINING_SETS),
        "photos": int(sum(len(s.features) for s in sets)), "settings": asdict(settings),
        "final_loss": round(final_loss, 4), "seconds": round(time.perf_counter() - began, 1),
        "torch": torch.__version__, "platform": platform.platform()}}
    save_text_model(args.out, model, card)
    print(f"wrote {args.out} ({model.model_id}) in {card['training']['seconds']} s, final loss {final_loss:.4f}")


if __name__ == "__main__":
    main()
