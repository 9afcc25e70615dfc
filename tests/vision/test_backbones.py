"""Backbones: the bundled weights classify real photos correctly; downloads fail offline, clearly."""

from __future__ import annotations

import urllib.error

import pytest
import torch
import torchvision

from album.errors import ModelUnavailable
from album.vision.backbones import BACKBONES, get_backbone
from album.vision.modelfile import open_encoder
from tests.conftest import packaged_photo

CATEGORIES = torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["categories"]


@pytest.mark.parametrize("photo, expected", [
    ("coffee.png", {"espresso", "cup", "coffee mug"}),
    ("chelsea.png", {"tabby", "tiger cat", "Egyptian cat"}),
    ("rocket.jpg", {"missile", "projectile", "space shuttle"}),
    ("motorcycle_left.png", {"moped", "motor scooter"}),
])
def test_bundled_lite0_weights_map_onto_the_architecture(encoder, photo, expected):
    """If the key mapping were off by one tensor, these would be nonsense classes."""
    batch = torch.from_numpy(encoder.preprocess(packaged_photo(photo)))[None]
    with torch.inference_mode():
        top = encoder.backbone.classify(batch).topk(2).indices[0].tolist()
    assert CATEGORIES[top[0]] in expected, [CATEGORIES[i] for i in top]


def test_embeddings_are_unit_length_and_the_model_id_names_the_weights(encoder):
    vectors = encoder.embed_images([packaged_photo("coffee.png"), packaged_photo("horse.png")])
    assert vectors.shape == (2, 1280)
    assert torch.allclose(torch.from_numpy(vectors).norm(dim=1), torch.ones(2), atol=1e-5)
    assert encoder.model_id == "efficientnet_lite0@57934424"


@pytest.mark.parametrize("name", ["resnet50", "vgg16", "mobilenet_v3_large"])
def test_downloadable_backbones_fail_offline_with_a_clear_message(name, monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # an empty cache

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(ModelUnavailable, match="downloaded once") as caught:
        open_encoder(name, device="cpu")
    assert "efficientnet_lite0" in str(caught.value)


def test_unknown_backbone_lists_the_choices():
    with pytest.raises(ModelUnavailable, match="choose one of: efficientnet_lite0"):
        get_backbone("alexnet")
    assert set(BACKBONES) == {"efficientnet_lite0", "resnet50", "vgg16", "mobilenet_v3_large"}
