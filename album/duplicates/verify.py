"""The fine check of a copy: do two photos that the fingerprints match still match in their detail?

Fingerprints compare 64x64 thumbnails, and at that size different shots of
one subject in one pose (catalogue photos of motorbikes or airliners side on,
on white) can correlate as well as a cropped copy does.  The pairs that pass
the fingerprint check are few, so each of their photos is decoded once more
(``fine_square``) into a larger grey square, band-passed with a finer band
that keeps spokes, text and logos.  ``fine_alignment`` starts from the crop
the fingerprints found (``Fingerprint.best_crop``, on a 4 % grid), refines it
by up to ``REFINE`` per side in ``REFINE_STEP`` steps (the rows' crop, then
the columns', then the rows' again) and returns the best normalised
correlation: a copy keeps its fine detail, a look-alike does not.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import numpy as np
from PIL import Image
from scipy import ndimage

from album.media.fingerprint import MAX_CROP, Fingerprint, resample_matrix
from album.media.imageio import load_image

#: side of the grey square a photo is decoded to for the fine check
FINE_SIDE = 128
#: side of the compared (cropped and resampled) squares
FINE_ALIGNED = 96
#: the band-pass (Gaussian sigmas, in pixels of the fine square)
FINE_BAND = (0.7, 2.5)
#: how far each side's crop is refined around the fingerprints' one, and in which steps
REFINE, REFINE_STEP = 0.02, 0.01


def fine_square(path: str | os.PathLike[str]) -> np.ndarray:
    """The band-passed FINE_SIDE squared grey square of a photo; raises ``UnreadableImage``."""
    image, _ = load_image(path, min_side=2 * FINE_SIDE)
    grey = image.convert("L").resize((FINE_SIDE, FINE_SIDE), Image.Resampling.BOX)
    square = np.asarray(grey, dtype=np.float32)
    return ndimage.gaussian_filter(square, FINE_BAND[0]) - ndimage.gaussian_filter(square, FINE_BAND[1])


def fine_alignment(first: np.ndarray, second: np.ndarray, first_print: Fingerprint,
                   second_print: Fingerprint) -> float:
    """The best normalised correlation (-1 to 1) of two fine squares, the one the fingerprints
    found cropped taken around that crop; about 0.8 and more for copies."""
    first_cropped, crop = first_print.best_crop(second_print)
    cropped, whole = (first, second) if first_cropped else (second, first)
    everything = resample_matrix(0.0, 0.0, FINE_SIDE, FINE_ALIGNED)
    target = _normalised((everything @ whole @ everything.T).ravel())
    top, bottom, left, right = crop
    rows, cols = resample_matrix(top, bottom, FINE_SIDE, FINE_ALIGNED), resample_matrix(left, right, FINE_SIDE,
                                                                                            FINE_ALIGNED)
    best = -1.0
    for axis in (0, 1, 0):
        start, end = (top, bottom) if axis == 0 else (left, right)
        options = _around(start, end)
        matrices = np.stack([resample_matrix(s, e, FINE_SIDE, FINE_ALIGNED) for s, e in options])
        if axis == 0:
            views = matrices @ (cropped @ cols.T)  # (options, FINE_ALIGNED, FINE_ALIGNED)
        else:
            views = (rows @ cropped) @ matrices.transpose(0, 2, 1)
        scores = _normalised(views.reshape(len(options), -1)) @ target
        pick = int(np.argmax(scores))
        best = max(best, float(scores[pick]))
        if axis == 0:
            top, bottom = options[pick]
            rows = matrices[pick]
        else:
            left, right = options[pick]
            cols = matrices[pick]
    return best


def verified_copies(pairs: Iterable[tuple[int, int]], fingerprints: Mapping[int, Fingerprint],
                    squares: Mapping[int, np.ndarray], threshold: float) -> set[tuple[int, int]]:
    """The pairs (ids, each as (smaller, larger)) whose fine alignment is at least ``threshold``;
    a pair with a photo that has no fine square (unreadable now) is not among them."""
    return {(min(first, second), max(first, second)) for first, second in pairs
            if first in squares and second in squares
            and fine_alignment(squares[first], squares[second], fingerprints[first], fingerprints[second])
            >= threshold}


def _around(start: float, end: float) -> list[tuple[float, float]]:
    """The crops of one axis within REFINE of (start, end), none below 0 or beyond the largest."""
    steps = np.arange(-REFINE, REFINE + 1e-9, REFINE_STEP)
    limit = MAX_CROP + REFINE
    return sorted({(round(min(max(start + a, 0.0), limit), 4), round(min(max(end + b, 0.0), limit), 4))
                   for a in steps for b in steps})


def _normalised(values: np.ndarray) -> np.ndarray:
    """Centred and scaled to unit length along the last axis."""
    flat = values - values.mean(axis=-1, keepdims=True)
    return flat / np.maximum(np.linalg.norm(flat, axis=-1, keepdims=True), 1e-6)
