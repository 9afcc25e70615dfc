"""The torch-free crop (what the decoder processes prepare) gives torchvision's pixels exactly."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from torchvision.transforms import functional as TF

from album.vision.cropping import Preprocessing, center_crop
from tests.conftest import make_photo


def _torchvision(image: Image.Image, p: Preprocessing) -> Image.Image:
    resized = TF.resize(image, p.resize, interpolation=TF.InterpolationMode.BICUBIC, antialias=True)
    return TF.center_crop(resized, [p.crop, p.crop])


@pytest.mark.parametrize("size", [(320, 240), (240, 320), (257, 256), (256, 256), (256, 999), (1001, 333),
                                  (4000, 3000), (301, 301), (225, 260)])
@pytest.mark.parametrize("preprocessing", [Preprocessing(), Preprocessing(resize=224, crop=224),
                                           Preprocessing(resize=40, crop=32)])
def test_the_crop_equals_torchvision_pixel_for_pixel(size, preprocessing):
    image = make_photo(sum(size), size=size)
    ours, reference = center_crop(image, preprocessing), _torchvision(image, preprocessing)
    assert ours.size == reference.size == (preprocessing.crop, preprocessing.crop)
    assert np.array_equal(np.asarray(ours), np.asarray(reference))


def test_the_decoder_processes_need_no_pytorch():
    import subprocess
    import sys

    probe = "import sys, album.indexing.decoding; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
