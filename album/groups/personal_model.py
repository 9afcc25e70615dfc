"""A library's personal model: the similarity model fine-tuned on the user's confirmed groups.

``train`` reads the photos the user pinned to confirmed groups (at least 2
groups of 3 or more) and a sample of the rest of the library, all as the
pooled backbone features the library keeps (no photo is decoded), trains a
personal head over the shipped default one (``vision/fewshot.py``) and saves
it with its card in the library's ``models`` folder.  The card's
``personal`` entry holds what ``PersonalReport`` shows: how many groups and
photos, and how often a held-out photo of a group finds a photo of its own
group first, with the default model and with the personal one.

Reading which personal model is active (``stored_choice``, ``active_report``)
needs only the catalogue and the card: no torch.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from album.errors import UserFacingError
from album.library.catalogue import Catalogue
from album.library.records import MemberRole, PersonalReport, PhotoStatus
from album.paths import PRIVATE_FILE, private_folder
from album.tasks import ProgressCallback, TaskControl
from album.vision.onnx_runtime import require_torch

if TYPE_CHECKING:
    from album.vision.encoder import Encoder

MEASURE = "similar-photo accuracy on your groups"
MIN_GROUPS = 2
MIN_PHOTOS = 3
SIMILARITY = "similarity"  # the role (``indexing.active.SIMILARITY``; indexing is a sibling layer)


def confirmed_groups(catalogue: Catalogue) -> dict[int, list[int]]:
    """The photos the user pinned to each confirmed group (a photo in several: its first group)."""
    groups: dict[int, list[int]] = {}
    seen: set[int] = set()
    for gid, photo_id, role, confirmed in sorted(catalogue.groups.memberships()):
        if confirmed and role is MemberRole.USER and photo_id not in seen:
            groups.setdefault(gid, []).append(photo_id)
            seen.add(photo_id)
    return groups


def _training_data(catalogue: Catalogue, features_id: str, unlabelled: int, seed: int):
    groups = confirmed_groups(catalogue)
    found, features = catalogue.features(features_id, [p for ids in groups.values() for p in ids])
    row = {photo_id: n for n, photo_id in enumerate(found)}
    usable = {gid: [row[p] for p in ids if p in row] for gid, ids in groups.items()}
    usable = {gid: rows for gid, rows in usable.items() if len(rows) >= MIN_PHOTOS}
    if len(usable) < MIN_GROUPS:
        raise UserFacingError(
            f"a personal model learns from your confirmed groups: confirm at least {MIN_GROUPS} groups of "
            f"{MIN_PHOTOS} or more indexed photos each (you have {len(usable)}); a group is confirmed when "
            "you name it or add or remove photos")
    rows = [r for gid in sorted(usable) for r in usable[gid]]
    labels = np.array([n for n, gid in enumerate(sorted(usable)) for _ in usable[gid]], np.int64)
    taken = {p for ids in groups.values() for p in ids}
    rest = [p.id for p in catalogue.photo_rows((PhotoStatus.OK,)) if p.id not in taken]
    rng = np.random.default_rng(seed)
    sample = sorted(rng.choice(rest, min(len(rest), unlabelled), replace=False).tolist()) if rest else []
    _, others = catalogue.features(features_id, sample)
    return sorted(usable), features[rows], labels, others


def train(catalogue: Catalogue, models: Path, progress: ProgressCallback | None = None,
          control: TaskControl | None = None) -> tuple[PersonalReport, "Encoder"]:
    """Train and save a personal model from the library's confirmed groups; its report and encoder."""
    require_torch("training a personal model")
    from album.vision.fewshot import FewShotConfig, train_personal
    from album.vision.modelfile import DEFAULT_MODEL, card_path, load_head, load_model, open_encoder, save_model

    started = time.perf_counter()
    control = control or TaskControl()
    config = FewShotConfig()
    base = open_encoder("default")
    group_ids, features, labels, others = _training_data(catalogue, base.features_id, config.unlabelled,
                                                         config.seed)
    control.checkpoint()
    result = train_personal(load_head(DEFAULT_MODEL), features, labels, others, config, progress,
                            control.checkpoint)
    path = private_folder(models) / f"personal-{time.strftime('%Y%m%d-%H%M%S')}.safetensors"
    report = PersonalReport(groups=len(group_ids), photos=len(labels), before=float(result.before["R@1"]),
                            after=float(result.after["R@1"]), measure=MEASURE,
                            seconds=round(time.perf_counter() - started, 1), path=str(path))
    card = {"backbone": base.backbone_spec.name, "dim": result.head.config()["base"]["dim"] + len(group_ids),
            "preprocessing": base.preprocessing.as_dict(), "min_score": base.min_score,
            "score_scale": base.score_scale.to_dict(),
            "training": {"mode": "personal", "base": "default", "config": config.as_dict(),
                         "best_epoch": result.best_epoch, "seconds": report.seconds},
            "personal": {"groups": report.groups, "group_ids": group_ids, "photos": report.photos,
                         "measure": report.measure, "seconds": report.seconds, "before": report.before, "after": report.after,
                         "held_out": {"default": _rounded(result.before), "personal": _rounded(result.after)}}}
    save_model(path, result.head, card)
    for written in (path, card_path(path)):
        written.chmod(PRIVATE_FILE)
    return report, load_model(path, base.device)


def _rounded(metrics: dict) -> dict:
    return {key: round(float(value), 4) for key, value in metrics.items()}


def stored_choice(catalogue: Catalogue, models: Path) -> str | None:
    """The library's personal model file, when it is the active similarity model and still there."""
    for entry in catalogue.active_models():
        source = entry.get("source")
        if entry["role"] == SIMILARITY and source and Path(source).parent == Path(models) and Path(source).is_file():
            return source
    return None


def active_report(catalogue: Catalogue, models: Path) -> PersonalReport | None:
    """The active personal model's report, from its card; None while the default model is active."""
    source = stored_choice(catalogue, models)
    if source is None:
        return None
    try:
        card = json.loads(Path(source).with_suffix(".json").read_text())["personal"]
        return PersonalReport(groups=card["groups"], photos=card["photos"], before=card["before"],
                              after=card["after"], measure=card["measure"],
                              seconds=card.get("seconds", 0.0), path=source)
    except (OSError, ValueError, KeyError):
        return None
