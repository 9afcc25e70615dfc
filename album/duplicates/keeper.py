"""Which photo of a stack to keep: the largest, then the original, then the sharpest.

The photos of a copy stack show the same shot; the one suggested for
keeping is, in this order of preference:

1. the one with the most pixels (a resized or cropped copy has fewer);
2. the original rather than an export: one whose EXIF names a camera (an
   editor's re-save often drops it), then one in a camera's format (JPEG,
   HEIC, TIFF, RAW) rather than an export format (PNG, WebP, GIF, BMP, AVIF),
   then the older file (a re-saved copy is newer than what it was made from),
   then the larger file (the less compressed of two JPEGs of equal size);
3. the sharpest (variance of the Laplacian, from the fingerprint).

The lowest photo id settles the rest, so the choice is stable.  Frames of
a burst rarely differ in the first two, so for them the sharpest wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from album.duplicates.stacks import PhotoFacts

#: suffixes cameras and phones write; anything else is taken for an export or a conversion
CAMERA_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".heic", ".heif", ".tif", ".tiff", ".dng", ".cr2",
                             ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf"})


def preference(facts: PhotoFacts, sharpness: float) -> tuple:
    """A sort key: the photo to keep has the largest."""
    return (facts.width * facts.height,
            facts.camera is not None,
            PurePath(facts.path).suffix.lower() in CAMERA_SUFFIXES,
            -facts.modified_ns,
            facts.size,
            sharpness,
            -facts.photo_id)


def choose_keeper(members: Iterable[PhotoFacts], sharpness: Mapping[int, float]) -> int:
    """The id of the photo to keep among ``members`` (``sharpness`` by photo id; missing counts as 0)."""
    return max(members, key=lambda facts: preference(facts, sharpness.get(facts.photo_id, 0.0))).photo_id
