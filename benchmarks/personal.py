"""Personal-model benchmark: few-shot fine-tuning on a user's groups, measured on the rest.

    .venv/bin/python benchmarks/personal.py [--data ../shared/data] [--features FILE.npz]
        [--classes 050-099] [--general 25-49] [--shots 3,5,10] [--set name=value ...]

Protocol: of every cub100 class in ``--classes`` (the test classes 050-099 by default), a seeded
``shots`` photos play a confirmed group of the user's; the library is every photo of those classes
and of caltech50 (unlabelled but for the shots).  ``fewshot.train_personal`` trains on the shots
(from the shipped default head); then the *remaining* photos of those classes are measured
leave-one-out among themselves (R@1, MAP@R), default model against personal model, and so are the
caltech50 classes ``--general`` (25-49 by default: general photos, which must not get worse).
Every setting of ``FewShotConfig`` was chosen with ``--classes 000-049 --general 0-24`` (the
training classes), never on the test classes.  ``--set epochs=20`` overrides a setting.

Features: ``--features`` reads a ready npz (``paths``, ``sets``, ``classes``, ``ok``, ``features``:
pooled float16 backbone features); without it (or when the file is missing) they are extracted
with the bundled backbone, centre view, into the library's feature cache (minutes, once).
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
import torch

from album.paths import LibraryPaths
from album.vision.datasets import open_dataset, parse_class_range
from album.vision.fewshot import FewShotConfig, train_personal
from album.vision.metrics import retrieval_metrics
from album.vision.modelfile import DEFAULT_MODEL, load_head, open_encoder

DEFAULT_FEATURES = Path("/tmp/album-bench/features.npz")


def load_features(data: Path, npz: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per set: (features (N, 1280) float32, class numbers (N,)) of the photos that decoded."""
    if npz.is_file():
        stored = np.load(npz)
        result = {}
        for name in ("cub100", "caltech50"):
            rows = (stored["sets"] == name) & stored["ok"]
            classes = sorted(set(stored["classes"][rows]))
            number = {c: i for i, c in enumerate(classes)}
            result[name] = (stored["features"][rows].astype(np.float32),
                            np.array([number[c] for c in stored["classes"][rows]]))
        return result
    from album.vision.features import extract

    encoder = open_encoder("pretrained", device="cpu")
    result = {}
    for name in ("cub100", "caltech50"):
        images = open_dataset(data / name)
        features, ok = extract(encoder, images.paths, "center", cache=LibraryPaths.default().features, desc=name)
        result[name] = (features[ok], np.array(images.numbers)[images.labels[ok]])
    return result


def run(sets, base, classes: set[int], general: set[int], shots: int, config: FewShotConfig, seed: int = 0):
    cub_x, cub_y = sets["cub100"]
    cal_x, cal_y = sets["caltech50"]
    rng = np.random.default_rng(seed)
    chosen = np.flatnonzero(np.isin(cub_y, sorted(classes)))
    shot_rows, rest_rows = [], []
    for label in sorted(classes):
        members = rng.permutation(chosen[cub_y[chosen] == label])
        shot_rows.extend(members[:shots])
        rest_rows.extend(members[shots:])
    shot_rows, rest_rows = np.array(shot_rows), np.array(rest_rows)
    labels = np.unique(cub_y[shot_rows], return_inverse=True)[1]
    library = np.concatenate([cub_x[rest_rows], cal_x])
    library = library[rng.permutation(len(library))]
    result = train_personal(base, cub_x[shot_rows], labels, library, config)
    general_rows = np.flatnonzero(np.isin(cal_y, sorted(general)))

    def measure(head, x, y):
        with torch.no_grad():
            embedded = torch.nn.functional.normalize(head(torch.from_numpy(x)), dim=1).numpy()
        return retrieval_metrics(embedded, y)

    return {"default": measure(base, cub_x[rest_rows], cub_y[rest_rows]),
            "personal": measure(result.head, cub_x[rest_rows], cub_y[rest_rows]),
            "general default": measure(base, cal_x[general_rows], cal_y[general_rows]),
            "general personal": measure(result.head, cal_x[general_rows], cal_y[general_rows]),
            "seconds": result.seconds, "best_epoch": result.best_epoch,
            "held-out": (result.before["MAP@R"], result.after["MAP@R"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--features", default=str(DEFAULT_FEATURES))
    parser.add_argument("--classes", default="050-099")
    parser.add_argument("--general", default="25-49")
    parser.add_argument("--shots", default="3,5,10")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    config = FewShotConfig()
    for item in args.set:
        name, value = item.split("=", 1)
        config = dataclasses.replace(config, **{name: type(getattr(config, name))(value)})
    sets = load_features(Path(args.data), Path(args.features))
    base = load_head(DEFAULT_MODEL)
    print(f"personal models: cub100 classes {args.classes} (caltech50 {args.general} general); "
          f"config {config.as_dict()}\n")
    print("| shots per class | cub100 rest R@1 default → personal | MAP@R default → personal (gain) "
          "| caltech50 MAP@R default → personal | held-out MAP@R (training's own) | best epoch | seconds |")
    print("|---|---|---|---|---|---|---|")
    for shots in [int(s) for s in args.shots.split(",")]:
        started = time.perf_counter()
        r = run(sets, base, parse_class_range(args.classes), parse_class_range(args.general), shots, config)
        d, p, gd, gp = r["default"], r["personal"], r["general default"], r["general personal"]
        print(f"| {shots} | {d['R@1']:.3f} → {p['R@1']:.3f} | {d['MAP@R']:.3f} → {p['MAP@R']:.3f} "
              f"({p['MAP@R'] - d['MAP@R']:+.3f}) | {gd['MAP@R']:.3f} → {gp['MAP@R']:.3f} "
              f"({gp['MAP@R'] - gd['MAP@R']:+.3f}) | {r['held-out'][0]:.3f} → {r['held-out'][1]:.3f} "
              f"| {r['best_epoch']} | {r['seconds']:.1f} ({time.perf_counter() - started:.0f} with measuring) |",
              flush=True)


if __name__ == "__main__":
    main()
