"""The ONNX graphs an installed app ships, so that it runs every network without PyTorch.

A packaged app (``packaging/album.spec`` with ``ALBUM_BUNDLE=slim``) leaves
PyTorch out and reads its networks from graphs exported at packaging time
(``scripts/export_graphs.py``) into ``graph_cache.SHIPPED``: the shipped
model's backbone, its ImageNet classifier (which names photo groups) and
the sentence encoder of word search.  They are exported by the code that
exports them into a library's cache when none is shipped
(``onnx_runtime.obtain``), under the same names, so the app finds them
first.  The digests of the weights files they were exported from are
recorded beside them (``defaults.DIGESTS``): those name the weights, and
the slim bundle leaves the files themselves out.  Needs PyTorch (this is
packaging, not the app).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from album.vision import graph_cache
from album.vision.defaults import DEFAULT_BACKBONE, DIGESTS, bundled_weights_digest

#: readable by every user of an installed app (graph_cache keeps a library's graphs private)
SHIPPED_FILE = 0o644
SHIPPED_FOLDER = 0o755


def export_app_graphs(folder: Path) -> list[Path]:
    """Export the graphs of the default encoders and the sentence encoder into ``folder`` (replacing any
    there), and record their weights' digests; the graphs written. RuntimeError when a network could not be
    exported."""
    from album.vision.modelfile import TEXT_CHOICE, open_encoder
    from album.vision.text_encoder import TEXT_MODEL_NAME, TextEncoder, text_model_folder, weights_sha256

    folder = Path(folder)
    for stale in folder.glob(f"*{graph_cache.SUFFIX}"):
        stale.unlink()
    previous, writable = graph_cache.folder(), graph_cache.writable()
    graph_cache.keep_in(folder)
    try:
        similarity = open_encoder("default")
        for encoder in (similarity, open_encoder(TEXT_CHOICE, beside=[similarity])):
            crop = encoder.preprocessing.crop
            encoder.features(np.zeros((1, 3, crop, crop), np.float32))
            encoder.label_features(np.zeros((1, encoder.backbone_spec.dim), np.float32))
            if encoder.runtime != "onnxruntime":
                raise RuntimeError(f"the backbone of {encoder.model_id} could not be exported to ONNX")
        TextEncoder().encode_query("a photo")
    finally:
        graph_cache.keep_in(previous, writable)
    digests = {DEFAULT_BACKBONE: bundled_weights_digest(), TEXT_MODEL_NAME: weights_sha256(text_model_folder())}
    (folder / DIGESTS).write_text(json.dumps(digests, indent=2) + "\n", "utf-8")
    graphs = sorted(folder.glob(f"*{graph_cache.SUFFIX}"))
    for written in (*graphs, folder / DIGESTS):
        written.chmod(SHIPPED_FILE)
    folder.chmod(SHIPPED_FOLDER)
    return graphs
