"""Near-duplicate stacks on real photos: prints a markdown table of measured rates.

    .venv/bin/python benchmarks/duplicates.py [--data ../shared/data] [--split test] [--per-class 6] [--edited 100]

Takes a few photos of each class of cub100 and caltech50 (``--split test``:
the held-out classes, cub100 050-099 and the last 25 caltech50 folders;
``--split train``: the other half, the only one the thresholds in
``album/duplicates/stacks.py`` were chosen on), writes edited copies of
``--edited`` of them into a temporary folder (resized, recompressed,
cropped, brightened, recoloured, re-saved as PNG or WebP, and combinations),
embeds everything with the default model, fingerprints it, runs the fine
check (``album/duplicates/verify.py``) on the pairs the fingerprints call
copies, and runs ``find_stacks`` on every pair above the candidate cosine,
as the app does.
It reports how many copies stack with their original, how many pairs of
different photos of one class, and of different classes, are stacked as
copies (with the fine check, and with the fingerprints only), how
same-class photos given EXIF times seconds apart (a simulated burst) are
stacked, and what the fine check costs.  The default model's embeddings of the
originals are read from ``--features`` when that file holds them
(``paths`` and ``default`` arrays), and computed otherwise.
"""

from __future__ import annotations

import argparse
import io
import random
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

from album.media.fingerprint import fingerprint
from album.duplicates.keeper import choose_keeper
from album.duplicates.stacks import CANDIDATE_COSINE, THRESHOLDS, PhotoFacts, coarse_copies, find_stacks
from album.duplicates.verify import fine_square, verified_copies
from album.vision.features import extract
from album.vision.modelfile import open_encoder

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_FEATURES = Path("/tmp/album-bench/features.npz")
#: the first ``n`` sorted class folders of each set are training classes, the rest held out
TRAIN_CLASSES = {"cub100": 50, "caltech50": 25}


def _jpeg(image: Image.Image, quality: int) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue(), ".jpg"


def _resized(image: Image.Image, rng: random.Random) -> Image.Image:
    share = rng.uniform(0.5, 0.9)
    return image.resize((max(1, round(image.width * share)), max(1, round(image.height * share))),
                        Image.Resampling.LANCZOS)


def _cropped(image: Image.Image, rng: random.Random) -> Image.Image:
    w, h = image.size
    left, right = (round(w * rng.uniform(0, 0.1)) for _ in range(2))
    top, bottom = (round(h * rng.uniform(0, 0.1)) for _ in range(2))
    return image.crop((left, top, w - right, h - bottom))


def _brightened(image: Image.Image, rng: random.Random) -> Image.Image:
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.7, 1.3))
    return ImageEnhance.Contrast(image).enhance(rng.uniform(0.7, 1.3))


def _recoloured(image: Image.Image, rng: random.Random) -> Image.Image:
    image = ImageEnhance.Color(image).enhance(rng.uniform(0.5, 1.5))  # saturation
    gains = np.array([rng.uniform(0.9, 1.1) for _ in range(3)], dtype=np.float32)  # white balance
    return Image.fromarray(np.clip(np.asarray(image, dtype=np.float32) * gains, 0, 255).astype(np.uint8))


def _saved(image: Image.Image, kind: str, **options) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue(), "." + kind.lower()


#: edit kind -> (original RGB image, rng) -> (file bytes, suffix)
EDITS = {
    "resize 50-90 %": lambda im, rng: _jpeg(_resized(im, rng), 90),
    "JPEG q40-85": lambda im, rng: _jpeg(im, rng.randint(40, 85)),
    "crop <= 10 %/side": lambda im, rng: _jpeg(_cropped(im, rng), 90),
    "brightness+contrast": lambda im, rng: _jpeg(_brightened(im, rng), 90),
    "colour": lambda im, rng: _jpeg(_recoloured(im, rng), 90),
    "PNG": lambda im, rng: _saved(im, "PNG"),
    "WebP": lambda im, rng: _saved(im, "WEBP", quality=rng.randint(50, 90)),
    "crop+resize+colour+JPEG": lambda im, rng: _jpeg(_recoloured(_resized(_cropped(im, rng), rng), rng),
                                                     rng.randint(40, 85)),
    "resize+brightness+WebP": lambda im, rng: _saved(_brightened(_resized(im, rng), rng), "WEBP",
                                                     quality=rng.randint(50, 90)),
}


def choose_originals(data: Path, split: str, per_class: int, seed: int) -> list[tuple[Path, str]]:
    """``per_class`` photos of each class of the split, as (path, "set/class")."""
    rng = random.Random(seed)
    chosen = []
    for set_name, train_count in TRAIN_CLASSES.items():
        folders = sorted(p for p in (data / set_name).iterdir() if p.is_dir())
        for folder in folders[:train_count] if split == "train" else folders[train_count:]:
            files = sorted(folder.glob("*.jpg"))
            chosen += [(path, f"{set_name}/{folder.name}") for path in rng.sample(files, min(per_class, len(files)))]
    return chosen


def make_copies(originals: list[Path], folder: Path, seed: int) -> list[tuple[Path, int, str]]:
    """Every edit of every original written to ``folder``: (path, original's index, edit kind)."""
    rng = random.Random(seed)
    copies = []
    for index, source in enumerate(originals):
        image = Image.open(source).convert("RGB")
        for number, (kind, edit) in enumerate(EDITS.items()):
            data, suffix = edit(image, rng)
            target = folder / f"{index:04d}_{number}{suffix}"
            target.write_bytes(data)
            copies.append((target, index, kind))
    return copies


def embed(paths: list[Path], features_file: Path) -> np.ndarray:
    """Unit embeddings of the default model, from ``features_file`` where it has them."""
    known = {}
    if features_file.is_file():
        stored = np.load(features_file)
        if "default" in stored:
            known = dict(zip(stored["paths"], stored["default"]))
    missing = [p for p in paths if str(p) not in known]
    if missing:
        encoder = open_encoder("default", device="cpu")
        features, _ = extract(encoder, missing)
        known.update(zip(map(str, missing), encoder.embed_features(features)))
    return np.stack([known[str(p)] for p in paths])


def photo_facts(paths: list[Path], times: list[datetime | None]) -> dict[int, PhotoFacts]:
    facts = {}
    for photo_id, (path, taken_at) in enumerate(zip(paths, times)):
        with Image.open(path) as image:
            width, height = image.size
        camera = "Bench Camera" if taken_at else None
        stat = path.stat()
        facts[photo_id] = PhotoFacts(photo_id, str(path), stat.st_size, width, height, taken_at, camera,
                                     stat.st_mtime_ns)
    return facts


def stacked_pairs(stacks, kind: str) -> set[tuple[int, int]]:
    return {(a, b) for stack in stacks if stack.kind == kind for a in stack.photo_ids for b in stack.photo_ids if a < b}


def rate(hits: int, total: int) -> str:
    return f"{hits / max(total, 1):.2%} ({hits}/{total})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", choices=("train", "test"), default="test")
    parser.add_argument("--per-class", type=int, default=6, help="photos taken from each class")
    parser.add_argument("--edited", type=int, default=100, help="photos of which every edit is made")
    parser.add_argument("--features", type=Path, default=DEFAULT_FEATURES)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    originals = choose_originals(args.data, args.split, args.per_class, args.seed)
    labels = [label for _, label in originals]
    edited = sorted(random.Random(args.seed).sample(range(len(originals)), min(args.edited, len(originals))))
    with tempfile.TemporaryDirectory() as scratch:
        copies = make_copies([originals[i][0] for i in edited], Path(scratch), args.seed)
        paths = [path for path, _ in originals] + [path for path, _, _ in copies]
        source = {len(originals) + number: edited[index] for number, (_, index, _) in enumerate(copies)}
        kinds = {len(originals) + number: kind for number, (_, _, kind) in enumerate(copies)}
        embeddings = embed(paths, args.features)
        fingerprints = dict(enumerate(fingerprint(path) for path in paths))
        similarity = embeddings @ embeddings.T
        first, second = np.nonzero(np.triu(similarity >= CANDIDATE_COSINE, k=1))
        pairs = [(int(a), int(b), float(similarity[a, b])) for a, b in zip(first, second)]
        no_exif = photo_facts(paths, [None] * len(paths))
        checked = time.perf_counter()
        coarse = coarse_copies(pairs, no_exif, fingerprints)  # EXIF only ever rejects more
        squares = {i: fine_square(paths[i]) for i in sorted({p for pair in coarse for p in pair})}
        fine = verified_copies(coarse, fingerprints, squares, THRESHOLDS.fine_alignment)
        fine_seconds = time.perf_counter() - checked

        def verified(first: int, second: int) -> bool:
            return (min(first, second), max(first, second)) in fine

        plain = stacked_pairs(find_stacks(pairs, no_exif, fingerprints, verified=verified), "copy")
        coarse_plain = stacked_pairs(find_stacks(pairs, no_exif, fingerprints), "copy")
        shot_times = _burst_times(labels, source)
        with_exif = photo_facts(paths, shot_times)
        stacks = find_stacks(pairs, with_exif, fingerprints, verified=verified)
        sharpness = {photo_id: print_.sharpness for photo_id, print_ in fingerprints.items()}
        exported = {i: replace(facts, camera="Bench Camera" if i < len(originals) else None)
                    for i, facts in no_exif.items()}
        shots = [[original] + [c for c, o in source.items() if o == original] for original in edited]
        keepers = {name: sum(choose_keeper([facts[i] for i in shot], sharpness) == shot[0] for shot in shots)
                   for name, facts in (("no EXIF anywhere", no_exif), ("camera EXIF on originals only", exported))}
    copied = stacked_pairs(stacks, "copy")
    burst = stacked_pairs(stacks, "burst")
    rows = [("candidate pairs (cosine >= %.2f)" % CANDIDATE_COSINE, f"{len(pairs)}", ""),
            ("pairs the fingerprints call copies / that pass the fine check too", f"{len(coarse)} / {len(fine)}", ""),
            ("fine check: photos decoded, time (per pair)",
             f"{len(squares)}, {fine_seconds:.1f} s ({1000 * fine_seconds / max(len(coarse), 1):.0f} ms)", "")]
    every = [(original, copy) for copy, original in source.items()]
    for name, kinds_of in [("**copy recall, all edits** (target >= 99 %)", set(EDITS))] + [
            (f"copy recall: {kind}", {kind}) for kind in EDITS]:
        of_kind = [(original, copy) for copy, original in source.items() if kinds[copy] in kinds_of]
        rows.append((name, *(rate(sum(pair in found for pair in of_kind), len(of_kind))
                             for found in (plain, coarse_plain))))
    rows.append(("copy recall with EXIF kept on copies", rate(sum(pair in copied for pair in every), len(every)), ""))
    count = len(originals)
    same = [(a, b) for a in range(count) for b in range(a + 1, count) if labels[a] == labels[b]]
    other = [(a, b) for a in range(count) for b in range(a + 1, count) if labels[a] != labels[b]]
    for set_name in TRAIN_CLASSES:
        of_set = [pair for pair in same if labels[pair[0]].startswith(set_name)]
        rows.append((f"**same-class different photos stacked as copies: {set_name}** (target < 2 %)",
                     *(rate(sum(pair in found for pair in of_set), len(of_set)) for found in (plain, coarse_plain))))
    rows.append(("**other pairs stacked as copies** (target < 0.1 %)",
                 *(rate(sum(pair in found for pair in other), len(other)) for found in (plain, coarse_plain))))
    rows.append(("simulated bursts (same class, 2 s apart): stacked as copies",
                 rate(sum(pair in copied for pair in same), len(same)), ""))
    rows.append(("simulated bursts: stacked as similar shots", rate(sum(pair in burst for pair in same), len(same)),
                 ""))
    rows += [(f"suggested keeper of an original and its copies is the original: {name}", rate(hits, len(shots)), "")
             for name, hits in keepers.items()]
    print(f"Near-duplicate stacks, {args.split} classes: {count} photos of {len(set(labels))} classes, "
          f"{len(source)} edited copies of {len(edited)}; {time.perf_counter() - start:.0f} s\n")
    print("| measure | result | fingerprints only |\n|---|---|---|")
    for name, value, coarse_value in rows:
        print(f"| {name} | {value} | {coarse_value} |")


def _burst_times(labels: list[str], source: dict[int, int]) -> list[datetime]:
    """EXIF times: each class a burst of shots 2 s apart, classes an hour apart; copies keep their original's."""
    start = datetime(2024, 5, 1, 9, 0, 0)
    classes = {label: number for number, label in enumerate(dict.fromkeys(labels))}
    seen = defaultdict(int)
    times = []
    for label in labels:
        times.append(start + timedelta(hours=classes[label], seconds=2 * seen[label]))
        seen[label] += 1
    return times + [times[source[copy]] for copy in sorted(source)]


if __name__ == "__main__":
    main()
