"""What a model sees of a photo, before normalising: resize the shorter side, cut the centre square.

Torch-free (Pillow only), so the decoder processes that prepare the model
input need not import PyTorch (it took about 4 s of each start).  The
arithmetic is torchvision's for Pillow images (``TF.resize`` with a single
size, then ``TF.center_crop``), which stays the reference:
``tests/vision/test_cropping.py`` checks the two give the same pixels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from PIL import Image

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Preprocessing:
    """Resize the shorter side, centre-crop, scale and normalise."""

    resize: int = 256
    crop: int = 224
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Preprocessing":
        return cls(int(data["resize"]), int(data["crop"]), tuple(data["mean"]), tuple(data["std"]))


def resize(image: Image.Image, p: Preprocessing) -> Image.Image:
    """The shorter side resized to ``p.resize`` (bicubic, antialiased: Pillow always filters)."""
    width, height = image.size
    short, long = (width, height) if width <= height else (height, width)
    if short == p.resize:
        return image
    new_long = int(p.resize * long / short)
    size = (p.resize, new_long) if width <= height else (new_long, p.resize)
    return image.resize(size, Image.BICUBIC)


def center_crop(image: Image.Image, p: Preprocessing) -> Image.Image:
    """What inference sees, before normalising: resized, centre-cropped to ``p.crop``."""
    resized = resize(image, p)
    width, height = resized.size
    top, left = int(round((height - p.crop) / 2.0)), int(round((width - p.crop) / 2.0))
    return resized.crop((left, top, left + p.crop, top + p.crop))
