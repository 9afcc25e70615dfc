"""Batched backbone feature extraction, cached on disk.

Worker threads decode and preprocess images (the safe loader, JPEG draft
mode) while the model runs on the previous batch; progress goes to a
``ProgressCallback`` (one phase per set and view).  Each *view* is one way of
cropping every image (``preprocess.view_tensor``: ``center``, ``flip``,
``near``, ``aug<k>``).  Results are cached as ``.npz`` files keyed by the
backbone's model id, the preprocessing, the view and the folder, with one
row per file keyed by its path, size and modification time, so a changed
file or a different backbone never reuses stale features.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from album.errors import UnreadableImage
from album.media.imageio import load_image
from album.tasks import ProgressCallback, ProgressMeter
from album.vision.encoder import Encoder
from album.vision.preprocess import check_views, view_tensor


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
            batch_size: int = 32, workers: int = 2, desc: str = "features",
            progress: ProgressCallback | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pooled backbone features (N, D) float32 for ``paths`` and a mask of the images that decoded.

    Unreadable images get ``False`` in the mask (their rows mean nothing).  With ``cache``, only images
    not cached yet (new, or changed since) go through the backbone; their progress is reported
    to ``progress`` as the phase "``desc`` [``view``]".
    """
    check_views([view])
    paths = [Path(p) for p in paths]
    keys = [_file_key(p) for p in paths]
    target = cache_file(cache, encoder, paths, view, seed) if cache is not None and paths else None
    rows = _load_cache(target)
    todo = [i for i, key in enumerate(keys) if key not in rows]
    meter = ProgressMeter(f"{desc} [{view}]", len(todo), progress)
    computed = _compute(encoder, [paths[i] for i in todo], view, seed, batch_size, workers, meter)
    for i, (feature, good) in zip(todo, zip(*computed)):
        rows[keys[i]] = (feature, bool(good))
    if target is not None and todo:
        _save_cache(target, rows)
    dim = encoder.backbone_spec.dim
    features = np.stack([rows[k][0] for k in keys]).astype(np.float32) if keys else np.zeros((0, dim), np.float32)
    return features, np.array([rows[k][1] for k in keys], dtype=bool)


def _compute(encoder: Encoder, paths: list[Path], view: str, seed: int, batch_size: int, workers: int,
             meter: ProgressMeter) -> tuple[np.ndarray, np.ndarray]:
    features = np.zeros((len(paths), encoder.backbone_spec.dim), dtype=np.float32)
    ok = np.zeros(len(paths), dtype=bool)
    if not paths:
        return features, ok

    def prepare(index: int):
        try:
            image, _ = load_image(paths[index], min_side=encoder.decode_size)
            key = "/".join(paths[index].parts[-2:])
            return view_tensor(encoder.preprocessing, image, view, key, seed), True
        except UnreadableImage:
            p = encoder.preprocessing
            return torch.zeros(3, p.crop, p.crop), False

    batches = [range(start, min(start + batch_size, len(paths))) for start in range(0, len(paths), batch_size)]
    meter.start()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = [pool.map(prepare, batch) for batch in batches[:2]]
        for number, batch in enumerate(batches):
            prepared = list(pending.pop(0))
            if number + 2 < len(batches):
                pending.append(pool.map(prepare, batches[number + 2]))
            tensors = torch.stack([t for t, _ in prepared])
            features[batch.start:batch.stop] = encoder.features(tensors.numpy())
            ok[batch.start:batch.stop] = [good for _, good in prepared]
            meter.advance(len(batch))
    return features, ok
