"""The registry of CNN backbones album can embed photos with, named without importing PyTorch.

Each backbone maps a batch of preprocessed images to pooled feature vectors.
The default, EfficientNet-Lite0, is bundled (offline); the others are
torchvision models whose weights download once.  A spec says what a
network is (its features' size, its preprocessing, which weights); its
PyTorch network is built by ``networks.py`` only when PyTorch must run it:
the app runs the backbones' ONNX graphs (``onnx_backbone``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from album.errors import ModelUnavailable
from album.vision.cropping import Preprocessing
from album.vision.defaults import bundled_preprocessing, bundled_weights_digest
from album.vision.defaults import DEFAULT_BACKBONE  # noqa: F401 - the registry's default, re-exported


def _networks(function: str, *args) -> Callable[[], Any]:
    """``networks.<function>(*args)``, called when needed (importing PyTorch then)."""
    def call():
        from album.vision import networks

        return getattr(networks, function)(*args)

    return call


def _torchvision(factory_name: str, weights_name: str, cut: str) -> Callable[[], Any]:
    def build():
        from album.vision import networks

        return networks.torchvision_builder(factory_name, weights_name, getattr(networks, cut))()

    return build


@dataclass(frozen=True)
class BackboneSpec:
    name: str
    title: str
    dim: int
    preprocessing: Preprocessing
    bundled: bool
    build: Callable[[], Any]  # the PooledBackbone (networks.py)
    weights_id: Callable[[], str]
    #: default similarity threshold for this backbone's raw features (model cards may override it)
    min_score: float = 0.5
    #: its ImageNet classifier alone, read from the weights without building the network (None: build it)
    classifier: Callable[[], Any] | None = None


BACKBONES: dict[str, BackboneSpec] = {
    spec.name: spec
    for spec in (
        BackboneSpec(
            "efficientnet_lite0", "EfficientNet-Lite0 (bundled)", 1280,
            bundled_preprocessing(), True, _networks("build_lite0"), lambda: bundled_weights_digest()[:8],
            # measured on 192 photos of 24 classes: different-class pairs 95th/99th percentile 0.51/0.60,
            # crop+resize+recompress near-duplicates >= 0.65, same-class median 0.58
            min_score=0.55, classifier=_networks("lite0_classifier"),
        ),
        BackboneSpec(
            "resnet50", "ResNet-50 (downloads 98 MB once)", 2048, Preprocessing(), False,
            _torchvision("resnet50", "ResNet50_Weights", "resnet_features"),
            _networks("url_hash_of", "ResNet50_Weights"),
        ),
        BackboneSpec(
            "vgg16", "VGG-16 fc7 (downloads 528 MB once)", 4096, Preprocessing(), False,
            _torchvision("vgg16", "VGG16_Weights", "vgg_features"), _networks("url_hash_of", "VGG16_Weights"),
        ),
        BackboneSpec(
            "mobilenet_v3_large", "MobileNetV3-Large (downloads 21 MB once)", 960, Preprocessing(), False,
            _torchvision("mobilenet_v3_large", "MobileNet_V3_Large_Weights", "mobilenet_features"),
            _networks("url_hash_of", "MobileNet_V3_Large_Weights"),
        ),
    )
}


def get_backbone(name: str) -> BackboneSpec:
    try:
        return BACKBONES[name]
    except KeyError:
        known = ", ".join(BACKBONES)
        raise ModelUnavailable(f"unknown backbone {name!r}; choose one of: {known}") from None
