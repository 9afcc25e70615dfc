"""Batched backbone feature extraction, cached on disk.

Worker threads decode and preprocess images (the safe loader, JPEG draft
mode) while the model runs on the previous batch.  Each *view* is one way of
cropping every image: ``center`` (what the encoder does at inference time),
``flip`` (the same, mirrored), ``aug<k>`` (the k-th seeded random resized
crop with a random flip, for training heads on frozen features) or ``near``
(a cropped, resized, recompressed near-identical copy, for evaluation).  Results are
cached as ``.npy`` files keyed by the backbone's model id, the preprocessing,
the view and the exact file list with sizes and modification times, so a
changed file or a different backbone never reuses stale features.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import functional as TF
from tqdm import tqdm

from album.errors import UnreadableImage
from album.media.imageio import load_image
from album.vision.encoder import Encoder


def random_view(image: Image.Image, crop: int, rng: random.Random, min_scale: float = 0.25) -> Image.Image:
    """A random resized crop (area ``min_scale``..1, aspect 3/4..4/3) and a random horizontal flip."""
    width, height = image.size
    area = width * height
    for _ in range(10):
        target = area * rng.uniform(min_scale, 1.0)
        aspect = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
        w, h = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            left, top = rng.randint(0, width - w), rng.randint(0, height - h)
            break
    else:
        w = h = min(width, height)
        left, top = (width - w) // 2, (height - h) // 2
    view = TF.resized_crop(image, top, left, h, w, [crop, crop],
                           interpolation=TF.InterpolationMode.BICUBIC, antialias=True)
    return TF.hflip(view) if rng.random() < 0.5 else view


def near_copy(image: Image.Image) -> Image.Image:
    """A near-identical shot: 1/16 cropped off each side, resized to 3/4, JPEG quality 70."""
    w, h = image.size
    cropped = image.crop((w // 16, h // 16, w - w // 16, h - h // 16))
    resized = cropped.resize((max(1, w * 3 // 4), max(1, h * 3 // 4)), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    resized.save(buffer, "JPEG", quality=70)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def view_tensor(encoder: Encoder, image: Image.Image, view: str, key: str, seed: int = 0) -> torch.Tensor:
    """The preprocessed tensor of one view of an image (``key``, e.g. "class/file.jpg", seeds its random crop)."""
    if view == "center":
        return encoder.preprocess(image)
    if view == "flip":
        return encoder.preprocess(TF.hflip(image))
    if view == "near":
        return encoder.preprocess(near_copy(image))
    if view.startswith("aug"):
        p = encoder.preprocessing
        rng = random.Random(f"{seed}:{view}:{key}")
        resized = TF.resize(image, p.resize, interpolation=TF.InterpolationMode.BICUBIC, antialias=True)
        return TF.normalize(TF.to_tensor(random_view(resized, p.crop, rng)), p.mean, p.std)
    raise ValueError(f"unknown view {view!r}: use center, flip, near or aug<k>")


def _file_key(path: Path) -> str:
    try:
        stat = os.stat(path)
        return f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}"
    except OSError:
        return f"{os.path.abspath(path)}|missing"


def cache_file(cache: Path, encoder: Encoder, paths, view: str, seed: int = 0) -> Path:
    """One file per backbone, preprocessing, view and folder; rows are looked up per image."""
    folders = {os.path.dirname(os.path.abspath(p)) for p in paths}
    spec = {"model": encoder.backbone_id,
            "preprocessing": encoder.preprocessing.as_dict(), "view": view,
            "seed": seed if view.startswith("aug") else 0,
            "folder": os.path.commonpath(sorted(folders)) if folders else ""}
    return Path(cache) / f"{hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:20]}.npz"


def _load_cache(target: Path | None) -> dict[str, tuple[np.ndarray, bool]]:
    if target is None or not target.is_file():
        return {}
    try:
        stored = np.load(target)
        return {str(k): (f, bool(o)) for k, f, o in zip(stored["keys"], stored["features"], stored["ok"])}
    except (OSError, ValueError, KeyError):
        return {}  # a damaged cache is rebuilt


def _save_cache(target: Path, rows: dict[str, tuple[np.ndarray, bool]]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.stem + f".{os.getpid()}.tmp.npz")
    keys = sorted(rows)
    np.savez(partial, keys=np.array(keys), features=np.stack([rows[k][0] for k in keys]),
             ok=np.array([rows[k][1] for k in keys], dtype=bool))
    os.replace(partial, target)


def extract(encoder: Encoder, paths, view: str = "center", cache: Path | None = None, seed: int = 0,
            batch_size: int = 32, workers: int = 2, desc: str = "features") -> tuple[np.ndarray, np.ndarray]:
    """Pooled backbone features (N, D) float32 for ``paths`` and a mask of the images that decoded.

    Unreadable images get a zero row and ``False`` in the mask.  With ``cache``, only images
    not cached yet (new, or changed since) go through the backbone.
    """
    paths = [Path(p) for p in paths]
    keys = [_file_key(p) for p in paths]
    target = cache_file(cache, encoder, paths, view, seed) if cache is not None and paths else None
    rows = _load_cache(target)
    todo = [i for i, key in enumerate(keys) if key not in rows]
    computed = _compute(encoder, [paths[i] for i in todo], view, seed, batch_size, workers, desc)
    for i, (feature, good) in zip(todo, zip(*computed)):
        rows[keys[i]] = (feature, bool(good))
    if target is not None and todo:
        _save_cache(target, rows)
    dim = encoder.backbone_spec.dim
    features = np.stack([rows[k][0] for k in keys]).astype(np.float32) if keys else np.zeros((0, dim), np.float32)
    return features, np.array([rows[k][1] for k in keys], dtype=bool)


def _compute(encoder: Encoder, paths: list[Path], view: str, seed: int, batch_size: int, workers: int,
             desc: str) -> tuple[np.ndarray, np.ndarray]:
    features = np.zeros((len(paths), encoder.backbone_spec.dim), dtype=np.float32)
    ok = np.zeros(len(paths), dtype=bool)
    if not paths:
        return features, ok

    def prepare(index: int):
        try:
            image, _ = load_image(paths[index], min_side=encoder.decode_size)
            return view_tensor(encoder, image, view, "/".join(paths[index].parts[-2:]), seed), True
        except UnreadableImage:
            p = encoder.preprocessing
            return torch.zeros(3, p.crop, p.crop), False

    batches = [range(start, min(start + batch_size, len(paths))) for start in range(0, len(paths), batch_size)]
    with ThreadPoolExecutor(max_workers=workers) as pool, \
            tqdm(total=len(paths), desc=f"{desc} [{view}]", unit="img", leave=False) as progress:
        pending = [pool.map(prepare, batch) for batch in batches[:2]]
        for number, batch in enumerate(batches):
            prepared = list(pending.pop(0))
            if number + 2 < len(batches):
                pending.append(pool.map(prepare, batches[number + 2]))
            tensors = torch.stack([t for t, _ in prepared])
            features[batch.start:batch.stop] = encoder.features(tensors).float().cpu().numpy()
            ok[batch.start:batch.stop] = [good for _, good in prepared]
            progress.update(len(batch))
    return features, ok
