"""The one definition of how an image becomes the tensor a backbone sees.

Inference (``Encoder.preprocess``), the cached training views of
``features.py`` and on-the-fly augmentation in ``finetune.py`` all go through
these functions, so a model is trained on exactly the pixels it embeds.  A
``Preprocessing`` (from the backbone, or a model card) fixes the sizes and the
normalisation: the shorter side is resized (bicubic, antialiased) to
``resize``, a ``crop`` x ``crop`` square is cut (the centre, or a random
resized crop for augmentation), and the pixels are scaled to 0..1 and
normalised by ``mean`` and ``std``.

Views (named in ``--views`` and in feature caches): ``center`` (what
inference sees), ``flip`` (the same, mirrored), ``near`` (a cropped,
resized, recompressed near-identical copy, for evaluation) and ``aug<k>``
(the k-th seeded random resized crop with a random flip).
"""

from __future__ import annotations

import io
import math
import random
import re
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image

from album.errors import UserFacingError
from album.vision.backbones import Preprocessing
from album.vision.cropping import center_pixels, normalise_pixels, resize

_VIEW = re.compile(r"center|flip|near|aug\d+")


def normalise(image: Image.Image, p: Preprocessing) -> torch.Tensor:
    """A (3, H, W) float tensor scaled to 0..1, then normalised by ``p.mean`` and ``p.std``: torchvision's
    ``to_tensor`` and ``normalize``, the same operations on the same values (tested equal), without
    importing torchvision, which takes about 2 s in a new process (it imports torch._dynamo)."""
    return normalise_batch([np.asarray(image if image.mode == "RGB" else image.convert("RGB"))], p)[0]


def normalise_batch(pixels: Sequence[np.ndarray], p: Preprocessing) -> torch.Tensor:
    """``normalise`` of many (H, W, 3) uint8 crops at once, as an (N, 3, H, W) batch
    (``cropping.normalise_pixels``)."""
    return torch.from_numpy(normalise_pixels(pixels, p))


def center_tensor(image: Image.Image, p: Preprocessing) -> torch.Tensor:
    """What inference sees: resize, centre crop, normalise (``cropping.center_pixels``)."""
    return torch.from_numpy(center_pixels(image, p))


def augmented_tensor(image: Image.Image, p: Preprocessing, rng: random.Random) -> torch.Tensor:
    """Training augmentation: resize, a random resized crop and flip drawn from ``rng``, normalise."""
    return normalise(random_view(resize(image, p), p.crop, rng), p)


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
    from torchvision.transforms import functional as TF  # training only

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


def check_views(views: list[str]) -> list[str]:
    """``views`` unchanged if every name is a known view; otherwise a ``UserFacingError``."""
    for view in views:
        if not _VIEW.fullmatch(view):
            raise UserFacingError(f"unknown view {view!r}: use center, flip, near or aug<k> (e.g. aug0)")
    if not views:
        raise UserFacingError("no views given: use e.g. center,flip,aug0,aug1")
    return views


def view_tensor(p: Preprocessing, image: Image.Image, view: str, key: str, seed: int = 0) -> torch.Tensor:
    """The preprocessed tensor of one view of an image (``key``, e.g. "class/file.jpg", seeds its random crop)."""
    check_views([view])
    if view == "center":
        return center_tensor(image, p)
    if view == "flip":
        return center_tensor(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), p)  # torchvision's hflip
    if view == "near":
        return center_tensor(near_copy(image), p)
    return augmented_tensor(image, p, random.Random(f"{seed}:{view}:{key}"))  # aug<k>
