"""The one safe image loader every part of album uses.

It reads a file's bytes once (so the same bytes are hashed and decoded),
refuses decompression bombs before decoding, decodes JPEGs in draft mode
straight to the size needed, applies the EXIF orientation, takes the first
frame of animations and converts every Pillow mode to 8-bit RGB correctly
(16-bit and float greyscale are rescaled, transparency is flattened onto
white, CMYK is converted).  HEIC/HEIF opens when pillow-heif is installed.
Any failure becomes ``UnreadableImage`` with a reason a person can read.
"""

from __future__ import annotations

import io
import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from album.errors import UnreadableImage

#: Images with more pixels than this are refused (about 18,000 x 11,000).
MAX_PIXELS = 200_000_000
#: Files larger than this are refused before they are read.
MAX_FILE_BYTES = 512 * 1024 * 1024

PHOTO_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif", ".avif"}
)

_EXIF_IFD = 0x8769
_TAG_DATETIME_ORIGINAL = 0x9003
_TAG_DATETIME = 0x0132
_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110
_TAG_ORIENTATION = 0x0112
_TRANSPOSED_ORIENTATIONS = {5, 6, 7, 8}

try:  # HEIC/HEIF support is optional.
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - depends on the user's install
    pass

Image.MAX_IMAGE_PIXELS = None  # we enforce MAX_PIXELS ourselves, with a clear message


@dataclass(frozen=True)
class ImageInfo:
    """What we learn about a photo while decoding it (sizes are after orientation)."""

    width: int
    height: int
    taken_at: datetime | None
    camera: str | None


def is_photo_path(path: str | os.PathLike[str]) -> bool:
    """True for file names album treats as photos (by suffix; hidden files excluded)."""
    name = os.path.basename(path)
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in PHOTO_SUFFIXES


@contextmanager
def unreadable_on_os_error():
    """Turn the OS's file errors into ``UnreadableImage`` with a plain reason."""
    try:
        yield
    except FileNotFoundError:
        raise UnreadableImage("file no longer exists") from None
    except PermissionError:
        raise UnreadableImage("permission denied") from None
    except IsADirectoryError:
        raise UnreadableImage("is a directory") from None
    except OSError as exc:
        raise UnreadableImage(f"cannot read file: {exc.strerror or exc}") from None


def check_file_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise UnreadableImage(f"file is too large ({size / 2**20:.0f} MiB)")


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a photo file, turning OS errors into ``UnreadableImage``."""
    with unreadable_on_os_error():
        check_file_size(os.path.getsize(path))
        return Path(path).read_bytes()


def decode(data: bytes, min_side: int | None = None) -> tuple[Image.Image, ImageInfo]:
    """Decode image bytes to an RGB image whose shorter side is at least ``min_side``
    (when the file allows a cheaper draft decode), plus its metadata."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's per-file chatter (bad EXIF, palette notes)
            image = Image.open(io.BytesIO(data))
            full_w, full_h = image.size
            if full_w * full_h > MAX_PIXELS:
                raise UnreadableImage(f"image is too large ({full_w}x{full_h} pixels)")
            exif = image.getexif()
            orientation = exif.get(_TAG_ORIENTATION, 1)
            if orientation in _TRANSPOSED_ORIENTATIONS:
                full_w, full_h = full_h, full_w
            if min_side and image.format == "JPEG":
                image.draft("RGB", (min_side, min_side))
            image.load()
            image = ImageOps.exif_transpose(image) or image
            rgb = to_rgb(image)
    except UnreadableImage:
        raise
    except UnidentifiedImageError:
        raise UnreadableImage("not an image, or a format album cannot read") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        raise UnreadableImage(f"damaged or truncated image ({exc})") from None
    except MemoryError:
        raise UnreadableImage("image too large to decode in available memory") from None
    return rgb, ImageInfo(full_w, full_h, _taken_at(exif), _camera(exif))


def load_image(path: str | os.PathLike[str], min_side: int | None = None) -> tuple[Image.Image, ImageInfo]:
    """Read and decode one file (see ``decode``)."""
    return decode(read_bytes(path), min_side)


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB without clipping or black transparency."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return Image.fromarray(_rescale_to_uint8(np.asarray(image)), "L").convert("RGB")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _rescale_to_uint8(values: np.ndarray) -> np.ndarray:
    is_float = values.dtype.kind == "f"
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    high = values.max(initial=0.0)
    if is_float and high <= 1.0:
        scale = 255.0  # float images in [0, 1]
    elif high <= 255:
        scale = 1.0
    else:
        scale = 255.0 / 65535.0 if high <= 65535 else 255.0 / high
    return np.clip(values * scale, 0, 255).round().astype(np.uint8)


def _taken_at(exif: Image.Exif) -> datetime | None:
    try:
        raw = exif.get_ifd(_EXIF_IFD).get(_TAG_DATETIME_ORIGINAL) or exif.get(_TAG_DATETIME)
    except Exception:  # malformed EXIF blocks are common; the date is optional
        return None
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _camera(exif: Image.Exif) -> str | None:
    make = str(exif.get(_TAG_MAKE, "")).strip("\x00 ")
    model = str(exif.get(_TAG_MODEL, "")).strip("\x00 ")
    if model.lower().startswith(make.lower()):
        make = ""
    camera = f"{make} {model}".strip()
    return camera or None
