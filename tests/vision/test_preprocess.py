"""One preprocessing for inference, cached views and fine-tuning, numerically unchanged.

The fingerprints below were computed with the implementation that came before
``album/vision/preprocess.py`` (Encoder.preprocess, features.view_tensor and
finetune's own loader, each with its own copy of the steps), so they pin the
tensors the shipped model was trained on and embeds with.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from album.errors import UserFacingError
from album.vision.backbones import Preprocessing, get_backbone
from album.vision.finetune import _load
from album.vision.preprocess import augmented_tensor, center_tensor, check_views, normalise, view_tensor
from tests.conftest import make_photo

LITE0 = get_backbone("efficientnet_lite0").preprocessing
KEY = "cls/x.jpg"

# view, seed -> (sum, sum of squares, values at flat indices 0, 1000, 50000 and -1)
FINGERPRINTS = {
    ("center", 0): (-47738.39157432318, 61065.236083903, (-0.003922, 0.05098, -0.780392, 0.239216)),
    ("flip", 0): (-47738.39157432318, 61065.236083903, (-0.74902, -0.803922, -1.0, 0.388235)),
    ("near", 0): (-46247.76409137249, 59467.23055615924, (-0.003922, -0.396078, -0.780392, 0.341177)),
    ("aug0", 0): (-52442.96422499418, 63005.06051285422, (-0.003922, -0.796078, -0.780392, 0.058824)),
    ("aug2", 0): (-49379.30931395292, 62303.61422375358, (-0.003922, -0.168627, -1.0, 0.317647)),
    ("aug1", 7): (-43767.61486405134, 57303.294744519364, (-0.882353, -0.011765, -0.87451, 0.388235)),
}
# fine-tuning's augmentation: random.Random(5) drawn twice, and a 64-pixel crop with random.Random(9)
FINETUNE_FINGERPRINTS = (
    (-54037.427001059055, 63460.904086659124, (-0.623529, -0.733333, -1.0, 0.858824)),
    (-51487.35644668341, 61485.34772735936, (-0.764706, -0.662745, -0.780392, 0.05098)),
)
SMALL_CROP_FINGERPRINT = (-3803.5450487732887, 4811.945163235962, (-0.835294, -0.011765, 0.388235))


@pytest.fixture(scope="module")
def photo():
    return make_photo(3, (300, 200))


@pytest.fixture(scope="module")
def photo_file(photo, tmp_path_factory):
    path = tmp_path_factory.mktemp("preprocess") / "photo.png"
    photo.save(path)
    return path


def _assert_fingerprint(tensor: torch.Tensor, fingerprint) -> None:
    total, squares, samples = fingerprint
    flat = tensor.double().flatten()
    assert float(flat.sum()) == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert float((flat * flat).sum()) == pytest.approx(squares, rel=1e-9)
    indices = [i for i in (0, 1000, 50000) if i < len(flat)] + [len(flat) - 1]
    assert [float(flat[i]) for i in indices] == pytest.approx(list(samples), abs=1e-6)


@pytest.mark.parametrize("view, seed", list(FINGERPRINTS))
def test_views_match_the_previous_implementation(photo, view, seed):
    tensor = view_tensor(LITE0, photo, view, KEY, seed)
    assert tensor.shape == (3, 224, 224) and tensor.dtype == torch.float32
    _assert_fingerprint(tensor, FINGERPRINTS[(view, seed)])


def test_encoder_features_and_finetuning_see_the_same_centre_crop(encoder, photo, photo_file):
    reference = torch.from_numpy(encoder.preprocess(photo))
    _assert_fingerprint(reference, FINGERPRINTS[("center", 0)])
    assert torch.equal(view_tensor(encoder.preprocessing, photo, "center", KEY), reference)
    assert torch.equal(center_tensor(photo, encoder.preprocessing), reference)
    assert torch.equal(_load(photo_file, encoder.preprocessing), reference)


def test_finetuning_augmentation_is_the_cached_augmentation(photo, photo_file):
    rng = random.Random(5)
    for fingerprint in FINETUNE_FINGERPRINTS:
        _assert_fingerprint(_load(photo_file, LITE0, rng), fingerprint)
    small = Preprocessing(73, 64, LITE0.mean, LITE0.std)
    _assert_fingerprint(_load(photo_file, small, random.Random(9)), SMALL_CROP_FINGERPRINT)
    cached = view_tensor(LITE0, photo, "aug3", KEY, seed=2)
    assert torch.equal(augmented_tensor(photo, LITE0, random.Random(f"2:aug3:{KEY}")), cached)


def test_views_are_seeded_by_image_and_seed(photo):
    first = view_tensor(LITE0, photo, "aug0", KEY, 0)
    assert torch.equal(view_tensor(LITE0, photo, "aug0", KEY, 0), first)
    assert not torch.equal(view_tensor(LITE0, photo, "aug0", "cls/y.jpg", 0), first)
    assert not torch.equal(view_tensor(LITE0, photo, "aug0", KEY, 1), first)
    assert torch.equal(view_tensor(LITE0, photo, "flip", KEY), torch.flip(view_tensor(LITE0, photo, "center", KEY), [2]))


def test_other_preprocessing_is_followed(photo):
    imagenet = Preprocessing()
    tensor = center_tensor(photo, Preprocessing(73, 64, imagenet.mean, imagenet.std))
    assert tensor.shape == (3, 64, 64)
    assert not np.allclose(center_tensor(photo, imagenet).numpy(), center_tensor(photo, LITE0).numpy())


@pytest.mark.parametrize("views", [["center", "bogus"], ["augX"], ["Center"], []])
def test_unknown_views_are_the_users_mistake(photo, views):
    with pytest.raises(UserFacingError):
        check_views(views)
    if views:
        with pytest.raises(UserFacingError, match="unknown view"):
            view_tensor(LITE0, photo, views[-1], KEY)


@pytest.mark.parametrize("preprocessing", [LITE0, Preprocessing()])
def test_normalising_is_torchvision_s_exactly(photo, preprocessing):
    from torchvision.transforms import functional as TF

    image = photo.resize((61, 47))
    reference = TF.normalize(TF.to_tensor(image), preprocessing.mean, preprocessing.std)
    assert torch.equal(normalise(image, preprocessing), reference)
    assert torch.equal(normalise(image.convert("RGBA"), preprocessing), reference)
    assert torch.equal(view_tensor(preprocessing, image, "flip", KEY), center_tensor(TF.hflip(image), preprocessing))


def test_inference_imports_neither_torchvision_nor_timm():
    """Both cost seconds in a new process (torchvision imports torch._dynamo); only training and building a
    network need them."""
    import subprocess
    import sys

    probe = ("import sys\nimport album.indexing.indexer, album.vision.modelfile, album.vision.text_space\n"
             "print(sorted(m for m in ('torchvision', 'timm', 'torch._dynamo') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

