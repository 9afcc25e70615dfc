"""The fine check: a look-alike that fools the fingerprints is no copy; a cropped, recompressed copy is."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from album.duplicates.stacks import THRESHOLDS, PhotoFacts, Stack, find_stacks, is_copy
from album.duplicates.verify import fine_alignment, fine_square, verified_copies
from album.media.fingerprint import fingerprint
from tests.conftest import make_photo, near_copy

HIGH = 0.9  # a cosine well above the candidates'


def look_alike(detail: int) -> Image.Image:
    """One blurred scene (the same for every ``detail``) dotted with small shapes of its own."""
    image = make_photo(30, (480, 360)).filter(ImageFilter.GaussianBlur(4))
    rng = np.random.default_rng(detail)
    draw = ImageDraw.Draw(image)
    for _ in range(200):
        x, y = (int(v) for v in rng.integers(0, (480, 360)))
        draw.ellipse([x, y, x + 8, y + 8], fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
    return image


def saved(folder, photos: dict, photo_id: int, image: Image.Image) -> None:
    path = folder / f"{photo_id}.jpg"
    image.save(path, quality=90)
    photos[photo_id] = (PhotoFacts(photo_id, str(path), path.stat().st_size, image.width, image.height, None, None),
                        fingerprint(path), fine_square(path))


def test_a_look_alike_passes_the_fingerprints_but_not_the_fine_check(tmp_path):
    photos: dict = {}
    saved(tmp_path, photos, 1, look_alike(1))
    saved(tmp_path, photos, 2, look_alike(2))
    (facts, first, first_square), (other_facts, second, second_square) = photos[1], photos[2]
    assert is_copy(HIGH, first, second, facts, other_facts)
    assert fine_alignment(first_square, second_square, first, second) < THRESHOLDS.fine_alignment


def test_a_cropped_recompressed_copy_passes_both_and_only_it_stacks(tmp_path):
    photos: dict = {}
    saved(tmp_path, photos, 1, look_alike(1))
    saved(tmp_path, photos, 2, look_alike(2))
    saved(tmp_path, photos, 3, near_copy(look_alike(1)))
    (_, first, first_square), (_, copy, copy_square) = photos[1], photos[3]
    assert fine_alignment(first_square, copy_square, first, copy) >= THRESHOLDS.fine_alignment
    pairs = [(1, 2, HIGH), (1, 3, HIGH), (2, 3, HIGH)]
    facts = {i: facts for i, (facts, _, _) in photos.items()}
    prints = {i: print_ for i, (_, print_, _) in photos.items()}
    assert any({1, 2} <= set(s.photo_ids) for s in find_stacks(pairs, facts, prints))  # fingerprints only
    verified = verified_copies([(1, 2), (1, 3), (2, 3)], prints, {i: square for i, (_, _, square) in photos.items()},
                               THRESHOLDS.fine_alignment)
    assert verified == {(1, 3)}
    stacks = find_stacks(pairs, facts, prints, verified=lambda a, b: (min(a, b), max(a, b)) in verified)
    assert stacks == [Stack("copy", (1, 3), 1)]
