"""A photo's fingerprint for copy detection: a perceptual hash, a small grey thumbnail, a sharpness figure.

The photo is decoded once (JPEG draft mode), turned to grey and squashed to a
fixed square, so resizing, recompression, a change of format and a change
of aspect by cropping all map to simple, axis-aligned changes of that square:

* ``phash``: a 64-bit DCT perceptual hash of the whole frame (the signs of the
  8x8 lowest frequencies of a 32x32 grey image against their median).  Copies
  that were not cropped stay within a few bits of each other.
* ``thumbnail``: the 64x64 grey square itself, for ``alignment``: the best
  normalised correlation between one photo and the other cropped by up to
  ``MAX_CROP`` on each side (searched on a grid, both ways round), after a
  band-pass that removes brightness, contrast and gentle colour changes.  It
  recognises cropped copies, which the hash does not.
* ``sharpness``: the variance of the Laplacian of a fixed-size grey version,
  to prefer the sharpest of equal copies.

A fingerprint is 4.1 kB serialised (``to_bytes`` / ``from_bytes``).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image
from scipy import ndimage
from scipy.fft import dctn

from album.media.imageio import load_image

#: side of the grey square kept in a fingerprint
THUMB_SIDE = 64
#: side of the grey square the sharpness is measured on
SHARPNESS_SIDE = 256
#: side of the compared (cropped and resampled) squares in ``alignment``
ALIGNED_SIDE = 32
#: the largest crop of one side searched for, as a share of the side, and the grid step
MAX_CROP, CROP_STEP = 0.12, 0.04
#: the band-pass (Gaussian sigmas, in thumbnail pixels) applied before correlating: it drops
#: brightness, contrast and colour shifts below and recompression noise and grid misalignment above
BAND_PASS = (1.0, 4.0)
_FORMAT = 1
_HEADER = struct.Struct("<BQf")
#: a crop as shares of each side: (top, bottom, left, right)
Crop = tuple[float, float, float, float]


@dataclass(frozen=True)
class Fingerprint:
    phash: int
    thumbnail: bytes  # THUMB_SIDE x THUMB_SIDE grey, row-major uint8
    sharpness: float

    def hash_distance(self, other: Fingerprint) -> int:
        """Differing bits of the two perceptual hashes (0-64)."""
        return (self.phash ^ other.phash).bit_count()

    def alignment(self, other: Fingerprint) -> float:
        """The best normalised correlation (-1 to 1) of the two band-passed thumbnails,
        either one cropped by up to ``MAX_CROP`` per side; about 0.9 and more for copies."""
        mine, theirs = _normalised_crops(self.thumbnail), _normalised_crops(other.thumbnail)
        return float(max(np.max(mine @ theirs[0]), np.max(theirs @ mine[0])))

    def best_crop(self, other: Fingerprint) -> tuple[bool, Crop]:
        """Where ``alignment`` found its best: whether this photo (else the other) is the one
        cropped, and the crop as shares of its sides (top, bottom, left, right)."""
        mine, theirs = _normalised_crops(self.thumbnail), _normalised_crops(other.thumbnail)
        cropped, whole = (mine, theirs) if np.max(mine @ theirs[0]) >= np.max(theirs @ mine[0]) else (theirs, mine)
        cuts = _cuts()
        rows, cols = divmod(int(np.argmax(cropped @ whole[0])), len(cuts))
        return cropped is mine, (*cuts[rows], *cuts[cols])

    def to_bytes(self) -> bytes:
        return _HEADER.pack(_FORMAT, self.phash, self.sharpness) + self.thumbnail

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        version, phash, sharpness = _HEADER.unpack_from(data)
        thumbnail = bytes(data[_HEADER.size:])
        if version != _FORMAT or len(thumbnail) != THUMB_SIDE * THUMB_SIDE:
            raise ValueError("not a fingerprint of this version")
        return cls(phash, thumbnail, sharpness)


def fingerprint(path: str | os.PathLike[str]) -> Fingerprint:
    """The fingerprint of a photo file; raises ``UnreadableImage`` like the safe loader."""
    image, _ = load_image(path, min_side=SHARPNESS_SIDE)
    return fingerprint_image(image)


def fingerprint_image(image: Image.Image) -> Fingerprint:
    """The fingerprint of a decoded RGB image."""
    grey = image.convert("L")
    square = np.asarray(grey.resize((SHARPNESS_SIDE, SHARPNESS_SIDE), Image.Resampling.BOX), dtype=np.float32)
    thumbnail = np.asarray(grey.resize((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BOX), dtype=np.uint8)
    return Fingerprint(_phash(thumbnail), thumbnail.tobytes(), float(ndimage.laplace(square).var()))


def _phash(thumbnail: np.ndarray) -> int:
    small = thumbnail.astype(np.float32).reshape(32, 2, 32, 2).mean(axis=(1, 3))
    low = dctn(small, norm="ortho")[:8, :8].ravel()
    bits = low > np.median(low[1:])
    bits[0] = False  # the DC term is the brightness, not the picture
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


@lru_cache(maxsize=64)  # a photo is usually compared with several neighbours in a row; 1 MB each
def _normalised_crops(thumbnail: bytes) -> np.ndarray:
    """Every crop on the grid of the band-passed thumbnail, resampled to ALIGNED_SIDE squared,
    centred and scaled to unit length: (crops, ALIGNED_SIDE ** 2); the first is the whole."""
    square = np.frombuffer(thumbnail, dtype=np.uint8).reshape(THUMB_SIDE, THUMB_SIDE).astype(np.float32)
    band = ndimage.gaussian_filter(square, BAND_PASS[0]) - ndimage.gaussian_filter(square, BAND_PASS[1])
    resample = _crop_matrices()  # (cuts, ALIGNED_SIDE, THUMB_SIDE)
    rows = resample @ band  # (cuts, ALIGNED_SIDE, THUMB_SIDE)
    crops = np.matmul(rows[:, None], resample.transpose(0, 2, 1)[None]).reshape(-1, ALIGNED_SIDE ** 2)
    crops -= crops.mean(axis=1, keepdims=True)
    crops /= np.maximum(np.linalg.norm(crops, axis=1, keepdims=True), 1e-6)
    return crops


def _cuts() -> list[tuple[float, float]]:
    """The crops of one axis on the grid, as (start, end) shares; the first is the whole axis."""
    steps = np.arange(0.0, MAX_CROP + 1e-9, CROP_STEP).tolist()
    return [(start, end) for start in steps for end in steps]


@lru_cache(maxsize=1)
def _crop_matrices() -> np.ndarray:
    """Linear-interpolation matrices from a THUMB_SIDE axis to ALIGNED_SIDE samples of each
    crop (start, end) on the grid; the first is the whole axis."""
    return np.stack([resample_matrix(start, end, THUMB_SIDE, ALIGNED_SIDE) for start, end in _cuts()])


def resample_matrix(start: float, end: float, side: int, samples: int) -> np.ndarray:
    """The (samples, side) linear-interpolation matrix taking ``samples`` evenly spaced values of an
    axis of ``side`` pixels cropped by the shares ``start`` and ``end``."""
    centres = (start + (1 - start - end) * (np.arange(samples) + 0.5) / samples) * side - 0.5
    centres = np.clip(centres, 0, side - 1)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, side - 1)
    weight = centres - low
    matrix = np.zeros((samples, side), dtype=np.float32)
    matrix[np.arange(samples), low] += 1 - weight
    matrix[np.arange(samples), high] += weight
    return matrix
