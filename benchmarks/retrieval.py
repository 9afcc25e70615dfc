"""Retrieval benchmark: histogram vs pretrained vs the shipped fine-tuned default.

Runs ``album eval``'s evaluation on cub100's test classes (050-099), on the
caltech50 classes held out of the default model's training (25-49, the last
25 in sorted order) and on all of caltech50, then prints a markdown table;
then checks near-identical shots: a cropped, resized, recompressed copy of
every photo of cub100-test and caltech50-held-out must find its original.
This is the command behind the table in docs/training.md and the README:

    .venv/bin/python benchmarks/retrieval.py [--data ../shared/data] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from album.terminal_progress import TerminalProgress
from album.paths import LibraryPaths
from album.vision.evaluate import evaluate, near_duplicate_top1
from album.vision.metrics import METRIC_KEYS

SETS = (
    ("cub100 test (050-099)", "cub100", "050-099"),
    ("caltech50 held out (25-49)", "caltech50", "25-49"),
    ("caltech50 all", "caltech50", None),
)
MODELS = ("histogram", "pretrained", "default")


def default_data() -> Path:
    here = Path(__file__).resolve().parent.parent
    return next((p for p in (here.parent / "shared" / "data", Path("/work/shared/data")) if p.is_dir()),
                here.parent / "shared" / "data")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data(), help="folder holding cub100/ and caltech50/")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--json", type=Path, help="also write every result to this file")
    parser.add_argument("--cache", type=Path, default=LibraryPaths.default().features)
    args = parser.parse_args()
    rows, results = [], []
    for title, folder, classes in SETS:
        for model in args.models.split(","):
            started = time.perf_counter()
            with TerminalProgress() as progress:
                result = evaluate(args.data / folder, model, classes, args.cache, progress)
            seconds = time.perf_counter() - started
            results.append({"set": title, "model_choice": model, **result, "seconds": round(seconds, 1)})
            rows.append(f"| {title} | {model} | " + " | ".join(f"{result[k]:.3f}" for k in METRIC_KEYS)
                        + f" | {result['n_queries']} |")
            print(rows[-1], flush=True)
    near_rows = []
    for title, folder, classes in SETS[:2]:
        for model in args.models.split(","):
            with TerminalProgress() as progress:
                top1 = near_duplicate_top1(args.data / folder, model, classes, args.cache, progress)
            results.append({"set": title, "model_choice": model, "near_duplicate_top1": round(top1, 4)})
            near_rows.append(f"| {title} | {model} | {top1:.3f} |")
            print(near_rows[-1], flush=True)
    print()
    print("| set | model | " + " | ".join(METRIC_KEYS) + " | queries |")
    print("|---|---|" + "---|" * (len(METRIC_KEYS) + 1))
    print("\n".join(rows))
    print()
    print("Near-identical shots (1/16 cropped off each side, resized to 3/4, JPEG 70): how often the copy's")
    print("nearest photo is its original, among all photos of the set.")
    print()
    print("| set | model | near-copy top-1 |")
    print("|---|---|---|")
    print("\n".join(near_rows))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
