"""A backbone (or its classifier) in ONNX Runtime: the same outputs, about 4x as fast as eager PyTorch.

Measured on this project's 2-core machine (EfficientNet-Lite0, 224 px,
batch 32, ``benchmarks/speed.py``): eager PyTorch 23-29 photos/s,
channels-last about 46/s, ONNX Runtime 100-130/s, equal to the PyTorch
forward pass within 1e-5.  So every encoder's backbone runs here; PyTorch
stays the reference (and the trainer).

A ``LazyNetwork`` loads its graph on first use (``onnx_runtime.obtain``):
while a network's weights are the registry's as built (not built yet, or
unchanged since), its graph is named by its weights file's digest, so a
shipped or kept graph runs without building the PyTorch network, importing
timm (about 2.5 s in a new process) or PyTorch at all; once its weights
were changed (a fine-tuned backbone's loaded into it), by a digest of the
module's weights.  When the user chose PyTorch (``ALBUM_INFERENCE=torch``),
onnxruntime is not installed, or the export fails, ``get`` returns None and
the caller runs PyTorch, with the reason logged once.  Without PyTorch
and without a graph, ``get`` raises ``ModelUnavailable``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np

from album.errors import ModelUnavailable
from album.vision import onnx_runtime

log = logging.getLogger(__name__)


class OnnxNetwork:
    """A one-input network's session: (N, ...) float32 in, its first output out, at most ``rows`` rows per
    run (None: all at once). Thread-safe (ONNX Runtime sessions are).

    ONNX Runtime keeps the memory of a run's largest intermediate tensors for the next (its arena): for
    EfficientNet-Lite0 at 224 px, about 800 MB after a batch of 32, 400 MB after runs of 16 rows, at the
    same speed (136-139 photos/s here; runs of 8 rows: 119)."""

    def __init__(self, session, rows: int | None = None):
        self._session = session
        self._input = session.get_inputs()[0].name
        self._rows = rows

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, np.float32)
        if self._rows is None or len(batch) <= self._rows:
            return self._run(batch)
        return np.concatenate([self._run(batch[start:start + self._rows])
                               for start in range(0, len(batch), self._rows)])

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input: batch})[0]


class LazyNetwork:
    """A network's ONNX graph, loaded once, on first use (after any weights were loaded into the module).

    ``name`` says what the network computes now (asked at load time), ``export`` makes its graph from
    the PyTorch module; ``what`` names it to the user; ``rows``: at most this many per run."""

    def __init__(self, name: Callable[[], str], export: Callable[[], bytes], threads: int, what: str,
                 rows: int | None = None):
        self._name, self._export, self._threads, self._what, self._rows = name, export, threads, what, rows
        self._lock = threading.Lock()
        self._loaded = False
        self._network: OnnxNetwork | None = None

    def ready(self, name: str | None) -> bool:
        """Whether the graph ``name`` would be loaded without PyTorch (shipped or kept, and wanted)."""
        return (name is not None and onnx_runtime.wanted() and onnx_runtime.installed("onnxruntime")
                and onnx_runtime.has(name))

    def get(self) -> OnnxNetwork | None:
        with self._lock:
            if not self._loaded:
                self._network = self._load()
                self._loaded = True
            return self._network

    def _load(self) -> OnnxNetwork | None:
        if not onnx_runtime.wanted():
            return None
        if not onnx_runtime.installed("onnxruntime"):
            log.info("onnxruntime is not installed; the %s runs in PyTorch (about 2.5x slower)", self._what)
            return None
        try:
            return OnnxNetwork(onnx_runtime.obtain(self._name(), self._export, self._threads, self._what),
                               self._rows)
        except ModelUnavailable:
            raise
        except Exception as exc:  # an exporter or runtime that cannot take this network: PyTorch still can
            log.warning("could not run the %s in ONNX Runtime (%s); it runs in PyTorch", self._what, exc)
            return None
