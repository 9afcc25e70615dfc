"""The photo tower: pooled backbone features -> unit vectors in the sentence encoder's space.

The starting point is zero-shot ConSE (Norouzi et al. 2014): the bundled
classifier's softened probabilities (``temperature``) of a photo's ``top_k``
ImageNet classes weight those classes' places in text space (the mean of
the encoded name, lemmas and definition, ``imagenet_labels``).  A trained
model adds a residual linear map inside text space, ``v + A v`` (zero at the
start, so the untrained head *is* zero-shot; ``text_training`` fits it): a
map of the whole space, shared by every concept, rather than of the photo
features, which were measured to memorise the training photos.
The head needs nothing but the pooled 1280-d features the library keeps,
so photos get their text-space vectors without being decoded again.

A model file is safetensors (the classifier, class vectors and the
residual map) plus a JSON card (``<name>.json``: the
backbone, text encoder, settings, training record and metrics), loaded
without unpickling anything.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from album.errors import ModelUnavailable
from album.paths import RESOURCES
from album.vision.backbones import DEFAULT_BACKBONE, get_backbone
from album.vision.encoder import Encoder
from album.vision.imagenet_labels import NUM_CLASSES, imagenet_classes
from album.vision.modelfile import card_path, save_model
from album.vision.text_encoder import TextEncoder

#: The shipped trained text model.
TEXT_MODEL = RESOURCES / "models" / "text.safetensors"
#: Zero-shot settings, chosen on the training classes (benchmarks/text_search.py).
DEFAULT_TOP_K = 20
DEFAULT_TEMPERATURE = 2.0


class TextSpaceHead(nn.Module):
    """Pooled features (N, 1280) -> unit vectors (N, dim) in the text encoder's space."""

    def __init__(self, classifier_weight: torch.Tensor, classifier_bias: torch.Tensor, class_vectors: torch.Tensor,
                 top_k: int = DEFAULT_TOP_K, temperature: float = DEFAULT_TEMPERATURE):
        super().__init__()
        # the fixed parts are kept in float16 (half the file; the same values in training and use)
        self.register_buffer("classifier_weight", classifier_weight.detach().half())
        self.register_buffer("classifier_bias", classifier_bias.detach().half())
        self.register_buffer("class_vectors", class_vectors.detach().half())
        self.top_k = int(top_k)
        self.temperature = float(temperature)
        self.dim = int(class_vectors.shape[1])
        self.residual = nn.Linear(self.dim, self.dim)
        nn.init.zeros_(self.residual.weight)
        nn.init.zeros_(self.residual.bias)

    def config(self) -> dict:
        return {"top_k": self.top_k, "temperature": self.temperature, "dim": self.dim}

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        """The bundled classifier's ImageNet logits."""
        return nn.functional.linear(features.float(), self.classifier_weight.float(), self.classifier_bias.float())

    def zero_shot(self, features: torch.Tensor, logits: torch.Tensor | None = None) -> torch.Tensor:
        """ConSE: unit mean of the top classes' vectors, weighted by their softened probabilities."""
        logits = self.logits(features) if logits is None else logits
        probabilities = torch.softmax(logits / self.temperature, dim=1)
        top = probabilities.topk(self.top_k, dim=1)
        weights = torch.zeros_like(probabilities).scatter_(1, top.indices, top.values)
        return nn.functional.normalize(weights @ self.class_vectors.float(), dim=1)

    def forward(self, features: torch.Tensor, logits: torch.Tensor | None = None) -> torch.Tensor:
        zero_shot = self.zero_shot(features, logits)
        return nn.functional.normalize(zero_shot + self.residual(zero_shot), dim=1)


def class_vectors(text_encoder: TextEncoder) -> torch.Tensor:
    """(1000, dim) unit vectors: per ImageNet class, the normalised mean of its three label texts' vectors."""
    texts = [text for item in imagenet_classes() for text in item.label_texts()]
    vectors = torch.from_numpy(text_encoder.encode(texts)).reshape(NUM_CLASSES, 3, text_encoder.dim)
    return nn.functional.normalize(vectors.mean(dim=1), dim=1)


def bundled_classifier() -> nn.Linear:
    """The bundled backbone's ImageNet classifier: Linear(1280, 1000) on the pooled features."""
    return get_backbone(DEFAULT_BACKBONE).build().network.classifier


class TextSpaceModel:
    """A photo tower with the names that keep its vectors apart from any other model's.

    ``model_id`` changes whenever the head's weights or settings change; ``features_id`` is the
    backbone whose pooled features it reads; ``text_model_id`` the sentence encoder its space is."""

    def __init__(self, head: TextSpaceHead, features_id: str, text_model_id: str, card: dict | None = None):
        self.head = head.eval()
        self.features_id = features_id
        self.text_model_id = text_model_id
        self.card = card or {}
        self.dim = head.dim
        self.model_id = f"{features_id}+text:{self._weights_checksum()}"

    def _weights_checksum(self) -> str:
        digest = hashlib.sha256(json.dumps(self.head.config(), sort_keys=True).encode())
        for name, tensor in sorted(self.head.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return digest.hexdigest()[:8]

    @torch.inference_mode()
    def embed_features(self, features: np.ndarray | torch.Tensor) -> np.ndarray:
        """(N, dim) float32 unit vectors from pooled backbone features (float16 as stored, or float32)."""
        features = torch.as_tensor(np.asarray(features, dtype=np.float32))
        return self.head(features).cpu().numpy().astype(np.float32)

    def photo_encoder(self, device: str = "cpu") -> Encoder:
        """The tower as one more encoder of a library: the bundled backbone with this head, so a scan
        gives photos their text-space vectors from the same decode and backbone pass as the similarity
        model's (or from the kept features, without decoding)."""
        encoder = Encoder(get_backbone(DEFAULT_BACKBONE), head=self.head, head_checksum=self.model_id.split("+", 1)[1],
                          device=device)
        if (encoder.model_id, encoder.features_id) != (self.model_id, self.features_id):
            raise ModelUnavailable(f"the text search model reads the features {self.features_id}, but the "
                                   f"bundled backbone makes {encoder.features_id}; reinstall album")
        return encoder

    def check_text_encoder(self, text_encoder: TextEncoder) -> None:
        """Queries must come from the sentence encoder whose space the photo vectors are in."""
        if text_encoder.model_id != self.text_model_id:
            raise ModelUnavailable(
                f"the text search model was made for the sentence encoder {self.text_model_id}, but "
                f"{text_encoder.model_id} is installed; reinstall album's text model or retrain it"
            )


def zero_shot_model(text_encoder: TextEncoder, top_k: int = DEFAULT_TOP_K,
                    temperature: float = DEFAULT_TEMPERATURE) -> TextSpaceModel:
    """The untrained photo tower (ConSE over the bundled classifier), built from the installed encoders."""
    classifier = bundled_classifier()
    head = TextSpaceHead(classifier.weight, classifier.bias, class_vectors(text_encoder), top_k, temperature)
    spec = get_backbone(DEFAULT_BACKBONE)
    return TextSpaceModel(head, f"{spec.name}@{spec.weights_id()}", text_encoder.model_id)


def save_text_model(weights: Path, model: TextSpaceModel, card: dict) -> None:
    """Write ``weights`` (.safetensors) and its card (.json) beside it, as every album model file."""
    save_model(weights, model.head, {**card, "features_id": model.features_id, "text_model": model.text_model_id,
                                     "model_id": model.model_id})


def load_text_model(weights: Path = TEXT_MODEL) -> TextSpaceModel:
    """A photo tower from a model file (ModelUnavailable, in plain words, when missing or damaged)."""
    weights = Path(weights)
    try:
        card = json.loads(card_path(weights).read_text())
        state = load_file(str(weights))
        config = card["head"]
        head = TextSpaceHead(state["classifier_weight"], state["classifier_bias"], state["class_vectors"],
                             config["top_k"], config["temperature"])
        head.load_state_dict(state)
    except FileNotFoundError as exc:
        raise ModelUnavailable(f"the text search model {exc.filename} does not exist") from None
    except (KeyError, ValueError, RuntimeError, OSError, SafetensorError) as exc:
        raise ModelUnavailable(f"{weights} is not a valid album text search model: {exc}") from None
    return TextSpaceModel(head, card["features_id"], card["text_model"], card)
