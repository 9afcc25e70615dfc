"""Backbone inference in ONNX Runtime: the same pooled features, about 4x as fast as eager PyTorch.

Measured on this project's 2-core machine (EfficientNet-Lite0, 224 px,
batch 32, ``benchmarks/speed.py``): eager PyTorch 23-29 photos/s,
channels-last about 46/s, ONNX Runtime 100-130/s, equal to the PyTorch
forward pass within 1e-5.  So every encoder's backbone runs here when
``onnxruntime`` is installed; PyTorch stays the reference (and the trainer).
Its threads do not spin while idle: spinning took the cores the decoder
processes needed (indexing ran at 20 photos/s instead of 41).

The graph is exported from the PyTorch module the first time it is needed
(about 0.55 s, from the module as it is then: e.g. a fine-tuned backbone's
weights loaded after the encoder was built), at the crop size of the
encoder's preprocessing and any batch size, and kept in the library's cache
(``graph_cache.py``): a later start reads it instead.  While a network's
weights are the registry's as built (not built yet, or unchanged since), its
graph is named by its weights file's digest, and a later start runs it
without building the PyTorch network, or importing timm (about 2.5 s in a
new process); once its weights were changed (a fine-tuned backbone's loaded
into it), by a digest of the module's weights.  Without onnxruntime, or
when the export fails, ``load`` returns None and the caller keeps PyTorch,
with the reason logged once.  ``ALBUM_INFERENCE=torch`` chooses PyTorch.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import logging
import os
import threading
import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from album.vision import graph_cache

log = logging.getLogger(__name__)

#: "onnx" (the default) or "torch"
RUNTIME_VARIABLE = "ALBUM_INFERENCE"


def wanted() -> bool:
    """Whether the user lets inference run in ONNX Runtime (``ALBUM_INFERENCE`` is not "torch")."""
    return os.environ.get(RUNTIME_VARIABLE, "onnx").strip().lower() != "torch"


class OnnxBackbone:
    """Pooled features of a batch (N, 3, crop, crop) float32, like ``PooledBackbone.forward``.
    ``__call__`` is thread-safe (ONNX Runtime sessions are)."""

    def __init__(self, session):
        self._session = session
        self._input = session.get_inputs()[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input: np.ascontiguousarray(batch, np.float32)})[0]


#: the exporter's opset
OPSET = 17


def _exporter() -> str:
    """What an exported graph depends on besides the network: the exporter and the libraries the network is
    built from."""
    from importlib import metadata

    versions = []
    for package in ("timm", "torchvision"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} none")
    return f"{torch.__version__} opset {OPSET} {' '.join(versions)}"


def weights_digest(backbone: nn.Module) -> str:
    """A digest of a network's structure and weights (about 20 ms for EfficientNet-Lite0)."""
    digest = hashlib.sha256(repr(backbone).encode())
    for name, tensor in backbone.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def graph_key(backbone: nn.Module, crop: int) -> str:
    """The key of the graph of a built network: its structure and weights, the crop size, the exporter."""
    return hashlib.sha256(f"{_exporter()} crop {crop}\n{weights_digest(backbone)}".encode()).hexdigest()[:32]


def named_key(weights: str, crop: int) -> str:
    """The key of the graph of a network not built yet, named by its weights (a features id: the registry's
    backbone and the digest of its weights file), the crop size and the exporter."""
    return hashlib.sha256(f"{_exporter()} crop {crop}\nweights {weights}".encode()).hexdigest()[:32]


def export(backbone: nn.Module, crop: int) -> bytes:
    """The backbone as an ONNX graph (opset ``OPSET``) with a free batch size."""
    buffer = io.BytesIO()
    module = backbone.eval()
    with warnings.catch_warnings(), torch.no_grad():
        # the TorchScript exporter needs only ``onnx``, exports in under a second and handles
        # every backbone of the registry; torch asks users to move to the torch.export one
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(1, 3, crop, crop),), buffer, input_names=["images"],
                          output_names=["features"], dynamic_axes={"images": {0: "n"}, "features": {0: "n"}},
                          opset_version=OPSET, dynamo=False)
    return buffer.getvalue()


def session(graph: bytes, threads: int):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: its notes about unused initialisers are not ours
    return onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def load(network: Callable[[], nn.Module], crop: int, threads: int,
         untouched: str | None = None) -> OnnxBackbone | None:
    """The backbone in ONNX Runtime, or None (logged) when it cannot run there. ``network`` builds (or gives)
    the PyTorch module; ``untouched`` names its weights while they are the registry's, as built: the graph is
    then kept under that name, and a later load reads it without building the network at all."""
    if importlib.util.find_spec("onnxruntime") is None:
        log.info("onnxruntime is not installed; inference runs in PyTorch (about 2.5x slower)")
        return None
    module = None if untouched is not None else network()
    key = named_key(untouched, crop) if untouched is not None else graph_key(module, crop)
    kept = graph_cache.read(key)
    if kept is not None:
        try:
            return OnnxBackbone(session(kept, threads))
        except Exception as exc:  # a damaged file: exported again, and replaced
            log.info("the kept ONNX graph could not be loaded (%s); exporting it again", exc)
    try:
        graph = export(module if module is not None else network(), crop)
        runtime = OnnxBackbone(session(graph, threads))
    except Exception as exc:  # an exporter or runtime that cannot take this network: PyTorch still can
        log.warning("could not run the backbone in ONNX Runtime (%s); inference runs in PyTorch", exc)
        return None
    graph_cache.write(key, graph)
    return runtime


class LazyRuntime:
    """Loads the ONNX backbone once, on first use (after any weights were loaded into the module)."""

    def __init__(self, network: Callable[[], nn.Module], crop: int, threads: int,
                 untouched: Callable[[], str | None] = lambda: None):
        self._network, self._crop, self._threads, self._untouched = network, crop, threads, untouched
        self._lock = threading.Lock()
        self._loaded = False
        self._runtime: OnnxBackbone | None = None

    def kept(self) -> bool:
        """Whether this runtime will load from a graph kept under the weights' name (no network needed)."""
        untouched = self._untouched()
        return (untouched is not None and wanted() and importlib.util.find_spec("onnxruntime") is not None
                and graph_cache.has(named_key(untouched, self._crop)))

    def get(self) -> OnnxBackbone | None:
        with self._lock:
            if not self._loaded:
                self._runtime = (load(self._network, self._crop, self._threads, self._untouched())
                                 if wanted() else None)
                self._loaded = True
            return self._runtime
