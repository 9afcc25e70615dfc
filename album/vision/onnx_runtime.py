"""Networks in ONNX Runtime: exported once from PyTorch, then run without it.

Every network the app runs (a backbone, its ImageNet classifier, the
sentence encoder of word search) runs in ONNX Runtime from a graph: about
4x eager PyTorch here (``onnx_backbone``), and what lets a packaged app
leave PyTorch and its gigabytes of CUDA libraries out.  PyTorch stays the
reference, the trainer and the exporter.

A graph has a ``name`` saying what it computes (the weights, the crop
size); ``obtain`` looks for it under a key made of that name and the opset,
in the graphs shipped with the app (``resources/graphs``, written at
packaging time by ``scripts/export_graphs.py``) and those kept in the
library (``graph_cache``), and only then asks its ``export`` (which needs
PyTorch) and keeps the result.  A kept graph that cannot be loaded is
exported again.  No PyTorch and no graph: a ``ModelUnavailable`` in plain
words.  This module does not import PyTorch.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from collections.abc import Callable

from album.errors import ModelUnavailable
from album.vision import graph_cache

log = logging.getLogger(__name__)

#: "onnx" (the default) or "torch": run the networks in PyTorch (the reference) instead
RUNTIME_VARIABLE = "ALBUM_INFERENCE"
#: the exporters' opset
OPSET = 17


def wanted() -> bool:
    """Whether the user lets inference run in ONNX Runtime (``ALBUM_INFERENCE`` is not "torch")."""
    return os.environ.get(RUNTIME_VARIABLE, "onnx").strip().lower() != "torch"


def installed(package: str) -> bool:
    """Whether ``package`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # a broken installation, or an import hook that refuses it
        return False


def require_torch(what: str) -> None:
    """ModelUnavailable, in plain words, when PyTorch is not installed (``what`` needs it: training, or a
    network with no graph shipped or kept)."""
    if not installed("torch"):
        raise ModelUnavailable(
            f"{what} needs PyTorch, which this installation of album leaves out (it runs its models without "
            "it); install album with pip, which brings PyTorch")


def graph_key(name: str) -> str:
    """The file name (without suffix) of the graph ``name``, kept or shipped."""
    return hashlib.sha256(f"opset {OPSET}\n{name}".encode()).hexdigest()[:32]


def session(graph: bytes, threads: int):
    """An inference session of ``graph`` on ``threads`` cores, whose threads do not spin while idle
    (spinning took the cores the decoder processes needed: indexing ran at 20 photos/s instead of 41)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: its notes about unused initialisers are not ours
    return onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def has(name: str) -> bool:
    """Whether the graph ``name`` is shipped or kept (so no PyTorch is needed to run it)."""
    return graph_cache.has(graph_key(name))


def obtain(name: str, export: Callable[[], bytes], threads: int, what: str):
    """A session of the graph ``name``: shipped or kept, else made by ``export`` and kept. ``what`` names
    the network to the user. Raises ModelUnavailable without onnxruntime, or when the graph must be
    exported and PyTorch is not installed; an exporter's own failure propagates."""
    if not installed("onnxruntime"):
        raise ModelUnavailable(f"running the {what} needs onnxruntime, which is not installed: "
                               "'pip install onnxruntime'")
    key = graph_key(name)
    kept = graph_cache.read(key)
    if kept is not None:
        try:
            return session(kept, threads)
        except Exception as exc:  # a damaged file (any onnxruntime error): exported again, and replaced
            log.info("the kept ONNX graph of the %s could not be loaded (%s); exporting it again", what, exc)
    if not installed("torch"):
        raise ModelUnavailable(
            f"the {what} has no ONNX graph in this installation, and making one needs PyTorch, which is "
            "not installed; reinstall album, or install PyTorch once ('pip install torch')")
    graph = export()
    runtime = session(graph, threads)
    graph_cache.write(key, graph)
    return runtime
