"""Stacks: copies stack with their original, bursts are offered apart, the keeper is the original."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageEnhance

from album.media.fingerprint import fingerprint
from album.duplicates.keeper import choose_keeper
from album.duplicates.stacks import CANDIDATE_COSINE, CANDIDATE_PERCENT, PhotoFacts, Stack, find_stacks
from album.paths import RESOURCES
from album.vision.calibration import ScoreScale
from tests.conftest import make_photo, near_copy

HIGH = 0.9  # a cosine well above the candidates'
SHOT = datetime(2024, 6, 1, 12, 0, 0)


def add(folder: Path, photos: dict, photo_id: int, image: Image.Image, name: str, taken_at=None, camera=None,
        **save) -> None:
    path = folder / name
    image.save(path, **save)
    photos[photo_id] = (PhotoFacts(photo_id, str(path), path.stat().st_size, image.width, image.height,
                                   taken_at, camera), fingerprint(path))


def stacks_of(photos: dict, pairs) -> list[Stack]:
    return find_stacks(pairs, {i: facts for i, (facts, _) in photos.items()},
                       {i: print_ for i, (_, print_) in photos.items()})


def test_edited_copies_stack_with_their_original_which_is_kept(tmp_path):
    original = make_photo(10, (480, 360))
    photos: dict = {}
    add(tmp_path, photos, 1, original.resize((320, 240)), "small.jpg", quality=60)
    add(tmp_path, photos, 2, original, "original.jpg", SHOT, "Camera X", quality=95)
    add(tmp_path, photos, 3, near_copy(original), "cropped.jpg")
    add(tmp_path, photos, 4, ImageEnhance.Brightness(original).enhance(1.3), "bright.jpg", quality=80)
    add(tmp_path, photos, 5, original, "export.png")
    add(tmp_path, photos, 6, make_photo(11, (480, 360)), "other.jpg", quality=95)
    pairs = [(2, other, HIGH) for other in (1, 3, 4, 5, 6)]
    assert stacks_of(photos, pairs) == [Stack("copy", (2, 1, 3, 4, 5), 2)]


def test_a_pair_below_the_candidate_cosine_is_not_stacked(tmp_path):
    photos: dict = {}
    add(tmp_path, photos, 1, make_photo(12), "a.jpg")
    add(tmp_path, photos, 2, make_photo(12), "b.png")
    assert stacks_of(photos, [(1, 2, CANDIDATE_COSINE - 0.01)]) == []
    assert stacks_of(photos, [(1, 2, CANDIDATE_COSINE)]) == [Stack("copy", (1, 2), 1)]


def test_frames_seconds_apart_are_a_burst_not_copies(tmp_path):
    photos: dict = {}
    add(tmp_path, photos, 1, make_photo(13), "frame1.jpg", SHOT, "Camera X")
    add(tmp_path, photos, 2, make_photo(14), "frame2.jpg", SHOT + timedelta(seconds=2), "Camera X")
    add(tmp_path, photos, 3, make_photo(13), "frame1-copy.png", SHOT, "Camera X")
    add(tmp_path, photos, 4, make_photo(15), "later.jpg", SHOT + timedelta(minutes=5), "Camera X")
    add(tmp_path, photos, 5, make_photo(16), "other-camera.jpg", SHOT + timedelta(seconds=1), "Camera Y")
    pairs = [(1, 2, HIGH), (2, 3, HIGH), (1, 3, HIGH), (2, 4, HIGH), (1, 5, HIGH)]
    stacks = stacks_of(photos, pairs)
    assert Stack("copy", (1, 3), 1) in stacks
    assert [stack.photo_ids for stack in stacks if stack.kind == "burst"] in ([(1, 2)], [(2, 1)])


def test_the_same_picture_with_another_exif_time_is_a_burst_frame(tmp_path):
    photos: dict = {}
    add(tmp_path, photos, 1, make_photo(17), "a.jpg", SHOT)
    add(tmp_path, photos, 2, make_photo(17), "b.jpg", SHOT + timedelta(seconds=1))
    assert [stack.kind for stack in stacks_of(photos, [(1, 2, HIGH)])] == ["burst"]


def test_file_times_never_make_a_burst(tmp_path):
    photos: dict = {}
    add(tmp_path, photos, 1, make_photo(18), "a.jpg")
    add(tmp_path, photos, 2, make_photo(19), "b.jpg")  # written a moment apart, no EXIF date
    assert stacks_of(photos, [(1, 2, HIGH)]) == []


def test_the_keeper_prefers_pixels_then_the_camera_original_then_sharpness():
    def facts(photo_id, path, size, width, camera=None):
        return PhotoFacts(photo_id, path, size, width, width * 3 // 4, None, camera)

    assert choose_keeper([facts(1, "a.jpg", 900, 800), facts(2, "b.png", 5000, 1600)], {}) == 2
    assert choose_keeper([facts(1, "a.png", 9000, 800), facts(2, "b.jpg", 900, 800, "Camera X")], {}) == 2
    assert choose_keeper([facts(1, "a.webp", 9000, 800), facts(2, "b.jpg", 900, 800)], {}) == 2
    assert choose_keeper([facts(1, "a.jpg", 900, 800), facts(2, "b.jpg", 800, 800)], {2: 50.0}) == 1
    assert choose_keeper([facts(1, "a.jpg", 900, 800), facts(2, "b.jpg", 900, 800)], {2: 50.0, 1: 10.0}) == 2


def test_the_candidate_cosine_is_the_default_models_figure():
    card = json.loads((RESOURCES / "models" / "default.json").read_text())
    scale = ScoreScale.from_dict(card["score_scale"])
    assert abs(scale.cosine_for(CANDIDATE_PERCENT) - CANDIDATE_COSINE) < 0.005
