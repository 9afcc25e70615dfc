"""Model files: a safetensors file of head weights plus a JSON card.

The card records the backbone, embedding dimension, preprocessing, head
config, and how the model was made (training data, exact command, metrics).
Loading never unpickles anything, and never imports PyTorch: the head runs
in numpy (``head_arrays``); ``load_head`` gives the PyTorch module that
training starts from.  ``open_encoder`` turns a user's choice ("default",
"pretrained", "text", a backbone name or a model file path) into an
``Encoder``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file

from album.errors import ModelUnavailable
from album.paths import RESOURCES
from album.vision.backbones import DEFAULT_BACKBONE, Preprocessing, get_backbone
from album.vision.calibration import ScoreScale
from album.vision.encoder import Encoder
from album.vision.head_arrays import head_arrays

if TYPE_CHECKING:
    from torch import nn

#: Key prefix of fine-tuned backbone weights inside a model file.
BACKBONE_PREFIX = "backbone."
#: The fine-tuned head shipped with album and used by default.
DEFAULT_MODEL = RESOURCES / "models" / "default.safetensors"
#: The model choice of the text-space photo encoder (the shipped text search model's photo tower).
TEXT_CHOICE = "text"
#: The score scale of the bundled backbone alone, calibrated like a card's (scripts/calibrate_scores.py).
PRETRAINED_SCALE = RESOURCES / "models" / "pretrained.scale.json"


def _shipped_scale(path: Path, model_id: str) -> ScoreScale | None:
    """A shipped score scale, if it was calibrated for exactly this model."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return ScoreScale.from_dict(data) if data.get("model_id") == model_id else None


def card_path(weights: Path) -> Path:
    return weights.with_suffix(".json")


def save_model(weights: Path, head, card: dict, backbone: "nn.Module | None" = None,
               extra: dict[str, np.ndarray] | None = None) -> None:
    """Write ``weights`` (.safetensors) and its card (.json) beside it: ``head`` is a PyTorch module, or has
    ``tensors()`` (numpy arrays by name); both have ``config()``.

    Only a fine-tuned ``backbone`` is stored (under ``backbone.``); a head-only model
    takes the backbone weights from the registry.  ``extra`` tensors are stored beside the head's."""
    import torch
    from safetensors.torch import save_file

    weights = Path(weights)
    weights.parent.mkdir(parents=True, exist_ok=True)
    if hasattr(head, "state_dict"):
        state = {name: tensor.detach().cpu().contiguous() for name, tensor in head.state_dict().items()}
    else:  # a head kept in numpy (``text_space.TextSpaceHead``)
        state = {name: torch.from_numpy(np.ascontiguousarray(array)) for name, array in head.tensors().items()}
    state.update({name: torch.from_numpy(np.ascontiguousarray(array)) for name, array in (extra or {}).items()})
    if backbone is not None:
        state.update({f"{BACKBONE_PREFIX}{name}": tensor.detach().cpu().contiguous()
                      for name, tensor in backbone.state_dict().items()})
    save_file(state, str(weights))
    card = {**card, "head": head.config(), "checksum": file_checksum(weights)}
    card_path(weights).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")


def file_checksum(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8]


def read_card(weights: Path) -> dict:
    try:
        return json.loads(card_path(Path(weights)).read_text())
    except FileNotFoundError:
        raise ModelUnavailable(f"model card {card_path(Path(weights))} is missing") from None
    except json.JSONDecodeError as exc:
        raise ModelUnavailable(f"model card {card_path(Path(weights))} is not valid JSON: {exc}") from None


def load_model(weights: Path, device: str = "cpu") -> Encoder:
    """An encoder from a model file (backbone from the registry, head from the file)."""
    weights = Path(weights)
    if not weights.is_file():
        raise ModelUnavailable(f"model file {weights} does not exist")
    card = read_card(weights)
    try:
        state = load_file(str(weights))
        head = head_arrays(card["head"], _head_state(state))
        tuned = _tuned_weights(weights) if any(k.startswith(BACKBONE_PREFIX) for k in state) else None
        preprocessing = Preprocessing.from_dict(card["preprocessing"]) if "preprocessing" in card else None
        checksum = file_checksum(weights)
        # a fine-tuned backbone's features are its own (never shared in feature caches)
        encoder = Encoder(get_backbone(card["backbone"]), head, head_checksum=checksum, preprocessing=preprocessing,
                          device=device, min_score=card.get("min_score"),
                          score_scale=ScoreScale.from_dict(card["score_scale"]) if "score_scale" in card else None,
                          tuned=tuned, tuned_checksum=checksum)
    except (KeyError, ValueError, TypeError, RuntimeError, OSError, SafetensorError) as exc:
        raise ModelUnavailable(f"model file {weights} is not a valid album model: {exc}") from None
    return encoder


def _head_state(state: dict) -> dict:
    """A model file's head tensors: all but a fine-tuned backbone's."""
    return {name: tensor for name, tensor in state.items() if not name.startswith(BACKBONE_PREFIX)}


def _tuned_weights(weights: Path):
    """Reads a model file's fine-tuned backbone weights as PyTorch tensors, when the network is built."""
    def read() -> dict:
        from safetensors.torch import load_file as load_tensors

        state = load_tensors(str(weights))
        return {k[len(BACKBONE_PREFIX):]: v for k, v in state.items() if k.startswith(BACKBONE_PREFIX)}

    return read


def load_head(weights: Path) -> "nn.Module":
    """A model file's head as the PyTorch module it was trained as (training starts from it)."""
    from safetensors.torch import load_file as load_tensors

    from album.vision.head import build_head

    weights = Path(weights)
    card = read_card(weights)
    try:
        head = build_head(card["head"])
        head.load_state_dict(_head_state(load_tensors(str(weights))))
    except (KeyError, ValueError, RuntimeError, OSError, SafetensorError) as exc:
        raise ModelUnavailable(f"model file {weights} is not a valid album model: {exc}") from None
    return head.eval()


def model_path(choice: str) -> Path:
    """The model file of a choice naming one ("default" or a path)."""
    return DEFAULT_MODEL if choice == "default" else Path(choice)


def open_encoder(choice: str = "default", device: str | None = None, beside: Sequence[Encoder] = ()) -> Encoder:
    """``default`` (the shipped fine-tuned model, or the bundled backbone if none ships),
    ``pretrained`` (the bundled backbone alone), ``text`` (the photo tower of word search), a backbone
    name, or a model file path. The photo tower shares the network of an encoder ``beside`` it that
    reads the same features (a second copy cost 0.25 s and 20 MB)."""
    device = device or "cpu"  # the networks run in ONNX Runtime on the CPU; training chooses its own device
    if choice == TEXT_CHOICE:
        from album.vision.text_space import load_text_model

        return load_text_model().photo_encoder(device, beside)
    if choice == "default":
        return load_model(DEFAULT_MODEL, device) if DEFAULT_MODEL.is_file() else open_encoder("pretrained", device)
    if choice == "pretrained":
        encoder = Encoder(get_backbone(DEFAULT_BACKBONE), device=device)
        scale = _shipped_scale(PRETRAINED_SCALE, encoder.model_id)
        if scale is not None:
            encoder.score_scale = scale
        return encoder
    if choice.endswith(".safetensors") or Path(choice).is_file():
        return load_model(Path(choice), device)
    return Encoder(get_backbone(choice), device=device)
