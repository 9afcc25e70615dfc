"""Exporting PyTorch networks to ONNX graphs (the only run-time use of PyTorch, once per network).

``onnx_runtime.obtain`` calls these when a graph is neither shipped nor
kept.  The TorchScript exporter needs only ``onnx``, exports in under a
second and handles every backbone of the registry (torch asks users to move
to the ``torch.export`` one, hence the silenced warnings).  Graphs take any
batch size.
"""

from __future__ import annotations

import hashlib
import io
import warnings

import torch
from torch import nn

from album.vision.onnx_runtime import OPSET


def to_graph(module: nn.Module, example: torch.Tensor, input_name: str, output_name: str) -> bytes:
    """``module`` (in eval mode) as an ONNX graph whose first axis (the batch) is free."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (example,), buffer, input_names=[input_name], output_names=[output_name],
                          dynamic_axes={input_name: {0: "n"}, output_name: {0: "n"}}, opset_version=OPSET,
                          dynamo=False)
    return buffer.getvalue()


def export_backbone(backbone: nn.Module, crop: int) -> bytes:
    """A backbone: images (N, 3, crop, crop) float32 -> pooled features."""
    return to_graph(backbone, torch.zeros(1, 3, crop, crop), "images", "features")


def export_classifier(classifier: nn.Module, dim: int) -> bytes:
    """A backbone's ImageNet classifier: pooled features (N, dim) float32 -> logits."""
    return to_graph(classifier, torch.zeros(1, dim), "features", "logits")


def weights_digest(module: nn.Module) -> str:
    """A digest of a network's structure and weights (about 20 ms for EfficientNet-Lite0)."""
    digest = hashlib.sha256(repr(module).encode())
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()
