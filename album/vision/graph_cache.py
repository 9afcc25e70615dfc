"""ONNX graphs kept on disk, so that a later start loads one instead of exporting it again.

Exporting the backbone to ONNX takes about 0.55 s of every model load here
(``onnx_backbone.py``), and needs PyTorch; a kept graph is read in a few
milliseconds.  A graph is filed under a digest of what it computes
(``onnx_runtime.graph_key``): the weights, named by the registry's weights
file while they are untouched or else by the module's own structure and
weights, and the crop size.  So a fine-tuned model gets its own, and one
that no longer matches is never read.  Graphs shipped with the app
(``SHIPPED``: ``resources/graphs``, exported at packaging time by
``scripts/export_graphs.py``) are read when the library keeps no graph of
that name, and never written or forgotten: a packaged app runs them without
PyTorch.  The folder is the library's (``LibraryPaths.graphs``), set when
the library is opened (``keep_in``; a process that could only open it
read-only reads the graphs kept there and writes none); until then nothing
is kept.
Only the ``KEEP`` most recently used graphs stay.  A graph that cannot be
written is logged and skipped: the cache only saves time.  This module does
not import PyTorch (the engine sets the folder in processes that never load
a model).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from album.paths import PRIVATE_FILE, RESOURCES, private_folder

log = logging.getLogger(__name__)

#: graphs kept (EfficientNet-Lite0: 14 MB, its classifier 5 MB, the sentence encoder 90 MB)
KEEP = 8
#: the graphs shipped with the app (read-only)
SHIPPED = RESOURCES / "graphs"
SUFFIX = ".onnx"

_folder: Path | None = None
_writable = False


def keep_in(folder: Path | None, writable: bool = True) -> None:
    """Keep graphs in ``folder`` from now on (None: keep none); not ``writable``: only read the graphs
    kept there (a process that opened the library read-only, beside the one writing it)."""
    global _folder, _writable
    _folder = None if folder is None else Path(folder)
    _writable = writable


def folder() -> Path | None:
    """Where graphs are kept (or read) now."""
    return _folder


def writable() -> bool:
    """Whether graphs are written into ``folder()``."""
    return _writable


def read(key: str) -> bytes | None:
    """The graph kept under ``key`` (in the library, else shipped), or None."""
    if _folder is not None:
        path = _folder / f"{key}{SUFFIX}"
        try:
            graph = path.read_bytes()
            if _writable:
                os.utime(path)  # recently used: kept longest
            return graph
        except OSError:
            pass
    try:
        return (SHIPPED / f"{key}{SUFFIX}").read_bytes()
    except OSError:
        return None


def has(key: str) -> bool:
    """Whether a graph is kept (or shipped) under ``key``."""
    return ((_folder is not None and (_folder / f"{key}{SUFFIX}").is_file())
            or (SHIPPED / f"{key}{SUFFIX}").is_file())


def write(key: str, graph: bytes) -> None:
    """Keep ``graph`` under ``key`` (atomically, private), then forget all but the ``KEEP`` most recent."""
    if _folder is None or not _writable:
        return
    path = _folder / f"{key}{SUFFIX}"
    temporary = path.with_name(path.name + ".tmp")
    try:
        private_folder(_folder)
        with open(temporary, "wb", opener=lambda name, flags: os.open(name, flags, PRIVATE_FILE)) as handle:
            handle.write(graph)
        os.replace(temporary, path)
        kept = sorted(_folder.glob(f"*{SUFFIX}"), key=lambda graph: graph.stat().st_mtime_ns, reverse=True)
        for stale in kept[KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        log.warning("could not keep the model's ONNX graph in %s (%s); it is exported again at the next start",
                    _folder, exc)
