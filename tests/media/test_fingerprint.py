"""Fingerprints: copies keep theirs, other pictures do not, they survive the catalogue, bad files are refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageEnhance

from album.media.fingerprint import Fingerprint, fingerprint, fingerprint_image
from album.errors import UnreadableImage
from tests.conftest import make_photo, near_copy


def resaved(image: Image.Image, kind: str, **options) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def test_uncropped_copies_keep_the_hash():
    original = make_photo(1, (400, 300))
    copies = [original.resize((240, 180)), resaved(original, "JPEG", quality=45), resaved(original, "PNG"),
              ImageEnhance.Brightness(original).enhance(1.25)]
    prints = [fingerprint_image(copy) for copy in copies]
    assert all(fingerprint_image(original).hash_distance(other) <= 6 for other in prints)


def test_a_cropped_copy_aligns_and_a_different_picture_does_not():
    original = fingerprint_image(make_photo(2, (400, 300)))
    assert original.alignment(fingerprint_image(near_copy(make_photo(2, (400, 300))))) > 0.8
    assert original.alignment(fingerprint_image(make_photo(3, (400, 300)))) < 0.5
    assert original.hash_distance(fingerprint_image(make_photo(3, (400, 300)))) > 10


def test_a_blurred_copy_is_less_sharp():
    original = make_photo(4, (400, 300))
    blurred = original.resize((100, 75)).resize((400, 300))
    assert fingerprint_image(blurred).sharpness < fingerprint_image(original).sharpness


def test_serialisation_round_trips(tmp_path):
    path = tmp_path / "photo.jpg"
    make_photo(5).save(path, quality=90)
    print_ = fingerprint(path)
    assert Fingerprint.from_bytes(print_.to_bytes()) == print_
    with pytest.raises(ValueError):
        Fingerprint.from_bytes(b"\x09" + print_.to_bytes()[1:])


def test_an_unreadable_file_is_refused(tmp_path):
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"not a photo at all")
    with pytest.raises(UnreadableImage):
        fingerprint(path)
    with pytest.raises(UnreadableImage):
        fingerprint(tmp_path / "missing.jpg")
