"""Embedding heads at run time: the forward passes of ``head.py`` in numpy, from a model file's tensors.

Training builds heads as PyTorch modules (``head.py``); running one is a few
matrix products, so the app runs them here, without PyTorch: a model file's
card gives the config, its safetensors the weights (read as numpy arrays).
Each head equals its module's forward pass within float32 rounding
(``tests/vision/test_head_arrays.py``).  ``tensors`` keeps the arrays as
stored, under the module's ``state_dict`` names.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf


def linear(x: np.ndarray, tensors: dict[str, np.ndarray], name: str) -> np.ndarray:
    """``nn.Linear`` named ``name``: x @ weight.T + bias."""
    return x @ tensors[f"{name}.weight"].T + tensors[f"{name}.bias"]


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (``nn.functional.normalize``: a zero row stays zero)."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), np.float32(1e-12))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def gelu(x: np.ndarray) -> np.ndarray:
    """``nn.GELU()``: the exact form, x * Phi(x)."""
    return x * np.float32(0.5) * (np.float32(1.0) + erf(x * np.float32(1 / np.sqrt(2.0))))


class ResidualArrays:
    """``head.ResidualHead``: fixed power-normalised, centred, whitened, scaled features plus the learned
    low-rank correction."""

    def __init__(self, config: dict, tensors: dict[str, np.ndarray], prefix: str = ""):
        self.tensors = {name: np.asarray(tensors[prefix + name], np.float32)
                        for name in ("center", "scale", "down.weight", "down.bias", "up.weight", "up.bias")
                        + (("projection",) if config.get("whiten") else ())}
        self.power = float(config.get("power", 1.0))
        self.whiten = bool(config.get("whiten"))
        self.dim = int(config["dim"])

    def base(self, features: np.ndarray) -> np.ndarray:
        x = features
        if self.power != 1.0:
            x = np.sign(x) * np.maximum(np.abs(x), np.float32(1e-12)) ** np.float32(self.power)
        x = x - self.tensors["center"]
        if self.whiten:
            x = x @ self.tensors["projection"]
        return x / self.tensors["scale"]

    def __call__(self, features: np.ndarray) -> np.ndarray:
        x = self.base(np.asarray(features, np.float32))
        return x + linear(gelu(linear(x, self.tensors, "down")), self.tensors, "up")


class PersonalArrays:
    """``head.PersonalHead``: a starting residual head, the adapter on its unit embeddings, and the soft
    assignments to the user's group prototypes appended."""

    def __init__(self, config: dict, tensors: dict[str, np.ndarray]):
        self.base = ResidualArrays(config["base"], tensors, prefix="base.")
        self.tensors = {name: np.asarray(tensors[name], np.float32)
                        for name in ("adapter.weight", "adapter.bias", "prototypes")}
        self.groups = int(config["groups"])
        self.temperature = float(config.get("temperature", 0.05))
        self.background = float(config.get("background", 0.5))
        self.weight = float(config.get("weight", 1.0))
        self.dim = self.base.dim + (self.groups if self.groups and self.weight else 0)

    def __call__(self, features: np.ndarray) -> np.ndarray:
        started = unit_rows(self.base(features))
        adapted = unit_rows(started + linear(started, self.tensors, "adapter"))
        if self.groups == 0 or self.weight == 0:
            return adapted
        logits = np.concatenate([adapted @ self.tensors["prototypes"].T,
                                 np.full((len(adapted), 1), self.background, np.float32)], axis=1)
        assignments = softmax(logits / np.float32(self.temperature))[:, :-1]
        return np.concatenate([adapted, np.float32(self.weight) * assignments], axis=1).astype(np.float32)


HEAD_TYPES = {"residual": ResidualArrays, "personal": PersonalArrays}


def head_arrays(config: dict, tensors: dict[str, np.ndarray]) -> ResidualArrays | PersonalArrays:
    """The run-time head of a model file (its card's ``head`` config and its tensors); ValueError for an
    unknown type, KeyError for a missing tensor."""
    try:
        head_class = HEAD_TYPES[config["type"]]
    except KeyError:
        raise ValueError(f"unknown head type {config.get('type')!r}") from None
    return head_class(config, tensors)
