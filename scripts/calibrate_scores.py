"""Calibrate the similarity scale of the shipped models on validation classes (never test classes).

For the shipped default model, the validation classes are the ones its card
names (held out of training); the pretrained backbone is calibrated on the
same classes.  Writes ``score_scale`` into resources/models/default.json and
resources/models/pretrained.scale.json, and prints what it measured.

    .venv/bin/python scripts/calibrate_scores.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from album.media.imageio import load_image
from album.paths import RESOURCES
from album.vision.calibration import ScoreScale, fit, pair_scores
from album.vision.datasets import open_dataset
from album.vision.preprocess import near_copy
from album.vision.modelfile import card_path, open_encoder

DEFAULT_CARD = card_path(RESOURCES / "models" / "default.safetensors")
PRETRAINED_SCALE = RESOURCES / "models" / "pretrained.scale.json"


def validation_images(data_root: Path) -> tuple[list[Path], np.ndarray, np.ndarray]:
    """Paths, class labels and the data set of each validation photo."""
    card = json.loads(DEFAULT_CARD.read_text())
    paths, labels, sets = [], [], []
    for number, source in enumerate(card["training"]["data"]):
        root = data_root / Path(source["root"]).name
        data = open_dataset(root)
        wanted = set(source["validation_classes"])
        for path, label in zip(data.paths, data.labels):
            name = data.classes[label]
            if name in wanted:
                paths.append(path)
                labels.append(f"{source['name']}/{name}")
                sets.append(number)
    names = sorted(set(labels))
    return paths, np.array([names.index(label) for label in labels]), np.array(sets)


def embed(encoder, paths: list[Path], near: bool) -> np.ndarray:
    vectors = []
    for start in range(0, len(paths), 32):
        images = []
        for path in paths[start:start + 32]:
            image, _ = load_image(path, min_side=encoder.decode_size)
            images.append(near_copy(image) if near else image)
        vectors.append(encoder.embed_images(images))
    print(f"  {'near copies' if near else 'photos'}: {len(paths)}", file=sys.stderr)
    return np.concatenate(vectors)


def calibrate(choice: str, paths: list[Path], labels: np.ndarray, sets: np.ndarray, cache: Path) -> ScoreScale:
    encoder = open_encoder(choice, device="cpu")
    stored = cache / f"{encoder.model_id}-{len(paths)}.npz"
    if stored.is_file():
        center, copies = np.load(stored)["center"], np.load(stored)["copies"]
    else:
        center = embed(encoder, paths, near=False)
        copies = embed(encoder, paths, near=True)
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(stored, center=center, copies=copies)
    # pairs within each data set, as training calibrates: a bird against an object is no test
    pairs = [pair_scores(center[sets == n], labels[sets == n]) for n in np.unique(sets)]
    same, different = (np.concatenate(scores) for scores in zip(*pairs))
    near = np.sum(center * copies, axis=1)
    scale = fit(same, different, near)
    print(f"{choice} ({encoder.model_id}): {len(paths)} validation photos, {len(set(labels))} classes; "
          f"same-subject median {np.median(same):.3f}, different median {np.median(different):.3f}, "
          f"near copies median {np.median(near):.3f}; threshold {encoder.min_score:.3f} -> "
          f"{scale.percent(encoder.min_score)} %; near-duplicate from {scale.near_duplicate:.3f} "
          f"({np.mean(near >= scale.near_duplicate):.3f} of copies, {np.mean(same >= scale.near_duplicate):.4f} "
          f"of same-subject pairs); 90 % at {scale.cosine_for(90):.3f}, 50 % at {scale.cosine_for(50):.3f}")
    for label, scores in (("copies", near), ("same subject", same), ("different", different)):
        shown = [scale.percent(s) for s in scores]
        print(f"  {label:>12}: shown as median {np.median(shown):.0f} %, "
              f"10th-90th percentile {np.percentile(shown, 10):.0f}-{np.percentile(shown, 90):.0f} %")
    return encoder.model_id, scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "album" / "calibration"),
                        help="where the validation embeddings are kept between runs")
    args = parser.parse_args()
    paths, labels, sets = validation_images(Path(args.data))
    _, default_scale = calibrate("default", paths, labels, sets, Path(args.cache))
    card = json.loads(DEFAULT_CARD.read_text())
    card["score_scale"] = default_scale.to_dict()
    DEFAULT_CARD.write_text(json.dumps(card, indent=2) + "\n")
    model_id, pretrained_scale = calibrate("pretrained", paths, labels, sets, Path(args.cache))
    PRETRAINED_SCALE.write_text(json.dumps({"model_id": model_id, **pretrained_scale.to_dict()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
