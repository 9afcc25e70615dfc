"""The safe loader: orientation, draft decoding, every mode to RGB, bombs and broken files."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from album.errors import UnreadableImage
from album.media import imageio
from album.media.imageio import decode, is_photo_path, load_image
from tests.conftest import make_photo


def _jpeg_bytes(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **kwargs)
    return buffer.getvalue()


def test_exif_orientation_is_applied_and_reported_size_is_upright():
    image = make_photo(1, (400, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 5D"
    exif.get_ifd(0x8769)[0x9003] = "2021:07:04 12:30:00"
    rgb, info = decode(_jpeg_bytes(image, exif=exif))
    assert rgb.size == (200, 400)
    assert (info.width, info.height) == (200, 400)
    assert info.taken_at.year == 2021 and info.taken_at.hour == 12
    assert info.camera == "Canon EOS 5D"


def test_jpeg_draft_decodes_to_at_least_the_requested_size_and_not_much_more():
    data = _jpeg_bytes(make_photo(2, (2000, 1500)))
    rgb, info = decode(data, min_side=256)
    assert min(rgb.size) >= 256 and max(rgb.size) <= 1000
    assert (info.width, info.height) == (2000, 1500)


@pytest.mark.parametrize("mode", ["L", "1", "P", "CMYK", "RGBA", "LA", "I;16", "I", "F"])
def test_every_mode_becomes_rgb(mode):
    source = make_photo(3, (64, 48))
    if mode in ("I;16", "I"):
        grey = np.asarray(source.convert("L"), dtype=np.uint16) * 257  # full 16-bit range
        image = Image.fromarray(grey.astype(np.uint16 if mode == "I;16" else np.int32))
        assert image.mode == mode
    elif mode == "F":
        image = Image.fromarray(np.asarray(source.convert("L"), dtype=np.float32) / 255.0, "F")
    else:
        image = source.convert(mode)
    rgb = imageio.to_rgb(image)
    assert rgb.mode == "RGB" and rgb.size == (64, 48)
    if mode in ("I;16", "I", "F"):  # rescaled, not clipped to white
        expected = np.asarray(source.convert("L"), dtype=np.float64)
        assert np.abs(np.asarray(rgb)[..., 0] - expected).mean() < 2


def test_transparency_is_flattened_onto_white():
    image = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    assert imageio.to_rgb(image).getpixel((5, 5)) == (255, 255, 255)
    palette = Image.new("P", (10, 10), 0)
    palette.info["transparency"] = 0
    assert imageio.to_rgb(palette).getpixel((1, 1)) == (255, 255, 255)


def test_first_frame_of_an_animation(tmp_path):
    frames = [Image.new("RGB", (20, 20), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    rgb, _ = load_image(path)
    red, _, blue = rgb.getpixel((10, 10))
    assert red > 200 and blue < 50


def test_decompression_bomb_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(imageio, "MAX_PIXELS", 100 * 100)
    with pytest.raises(UnreadableImage, match="too large"):
        decode(_jpeg_bytes(make_photo(4, (200, 200))))


@pytest.mark.parametrize("data, reason", [
    (b"this is not an image", "not an image"),
    (b"", "not an image"),
])
def test_garbage_is_unreadable_with_a_reason(data, reason):
    with pytest.raises(UnreadableImage, match=reason):
        decode(data)


def test_truncated_jpeg_is_unreadable():
    data = _jpeg_bytes(make_photo(5, (300, 300)))
    with pytest.raises(UnreadableImage, match="damaged or truncated"):
        decode(data[: len(data) // 3])


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableImage, match="no longer exists"):
        load_image(tmp_path / "gone.jpg")


def test_photo_suffixes():
    assert is_photo_path("/a/b/IMG_1.JPG") and is_photo_path("x.heic") and is_photo_path("x.webp")
    assert not is_photo_path("notes.txt") and not is_photo_path(".hidden.jpg")


def test_heic_photos_open_when_pillow_heif_is_installed():
    pytest.importorskip("pillow_heif", reason="HEIC support is the optional 'heif' extra")
    buffer = io.BytesIO()
    make_photo(6, (64, 48)).save(buffer, "HEIF")
    rgb, info = decode(buffer.getvalue())
    assert rgb.mode == "RGB" and (info.width, info.height) == (64, 48)
