"""The photo tower of word search: pooled backbone features -> unit vectors of two parts.

* What the photo shows, in the sentence encoder's space: zero-shot ConSE
  (Norouzi et al. 2014), the bundled classifier's softened probabilities
  (``temperature``) of the photo's ``top_k`` ImageNet classes weighting
  those classes' places in text space (the mean of the encoded name, lemmas
  and definition, ``imagenet_labels``).  A typed query's vector is in the
  same space (``TextEncoder.encode_query``), so their cosine says how well
  the words describe the photo.
* What the photo looks like: its pooled features projected on the top
  ``appearance_dims`` principal directions of the classifier's weights (no
  photo chose them), unit length.  Word search uses it for pseudo-relevance
  feedback: the photos the words find best say what the rest should look
  like (``feedback_query``).

A photo vector is ``[A * text part, B * appearance part]`` (A = B = sqrt(1/2),
unit length), so one inner-product index holds both and a query vector
weighs them as it likes: ``query_vector`` gives ``(text cosine + q *
appearance cosine with the words' projection) / (1 + q)``, the projection
being the trained part of the text tower (``text_projection``; q is
``SearchSettings.query_weight``, 0 without one), and ``feedback_query`` adds
``w *`` the appearance cosine with the feedback photos (divided by
``1 + q + w``).
The head needs nothing but the pooled 1280-d features the library keeps, so
photos get their vectors without being decoded again.

A model file is safetensors (the classifier, the class vectors, the
appearance basis and the query projection) plus a JSON card (``<name>.json``:
the backbone, text encoder, settings, the search settings, how the
projection was trained and how everything was chosen), loaded without
unpickling anything.  The photo vectors depend on the head alone, so a new
projection or new search settings never make a library re-encode; every
setting was chosen on the training classes (``text_training``,
benchmarks/text_search.py).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file

from album.errors import ModelUnavailable
from album.paths import RESOURCES
from album.vision.backbones import DEFAULT_BACKBONE, get_backbone
from album.vision.encoder import Encoder
from album.vision.head_arrays import softmax, unit_rows
from album.vision.imagenet_labels import NUM_CLASSES, imagenet_classes
from album.vision.modelfile import card_path, save_model
from album.vision.text_encoder import TextEncoder
from album.vision.text_projection import PROJECTION_PREFIX, QueryProjection

#: The shipped text model.
TEXT_MODEL = RESOURCES / "models" / "text.safetensors"
#: Photo tower settings, chosen on the training classes (benchmarks/text_search.py).
DEFAULT_TOP_K = 50
DEFAULT_TEMPERATURE = 2.0
DEFAULT_APPEARANCE_DIMS = 256
#: The weights of the text and appearance parts in a photo vector (unit length).
TEXT_SCALE = APPEARANCE_SCALE = math.sqrt(0.5)


@dataclass(frozen=True)
class SearchSettings:
    """How a query uses the photo vectors (no photo vector depends on them).

    A query's first score of a photo is ``(text cosine + query_weight * appearance cosine with the
    words' projection) / (1 + query_weight)`` (the text cosine alone without a projection).  The feedback
    photos are the ``feedback_photos`` best by it of those from ``feedback_min_score`` on and within
    ``feedback_margin`` of the best; the final score is ``(text cosine + query_weight * that appearance
    cosine + feedback_weight * appearance cosine to their mean) / (1 + query_weight + feedback_weight)``,
    or the first score when no photo qualifies.  Results below ``min_score`` are not shown by default.
    All but the margin were chosen on the training classes (benchmarks/text_search.py --choose).  The
    margin is a guard for small libraries whose photos are mostly unrelated, where the best few by text
    cosine are not alike and their mean would pull the best match down; on the training classes it
    costs 0.001 mAP."""

    feedback_photos: int = 10
    feedback_weight: float = 4.0
    feedback_min_score: float = 0.4
    min_score: float = 0.475
    feedback_margin: float = 0.05
    query_weight: float = 0.0

    @classmethod
    def from_dict(cls, values: dict) -> "SearchSettings":
        return cls(int(values["feedback_photos"]), float(values["feedback_weight"]),
                   float(values["feedback_min_score"]), float(values["min_score"]), float(values["feedback_margin"]),
                   float(values.get("query_weight", 0.0)))


class TextSpaceHead:
    """Pooled features (N, 1280) -> unit vectors (N, text dim + appearance dims), in numpy (no PyTorch).

    The fixed parts are kept in float16 (half the file; the same values wherever they are used), under
    the names of the model file's tensors (``tensors``)."""

    NAMES = ("classifier_weight", "classifier_bias", "class_vectors", "appearance_basis")

    def __init__(self, classifier_weight, classifier_bias, class_vectors, appearance_basis,
                 top_k: int = DEFAULT_TOP_K, temperature: float = DEFAULT_TEMPERATURE):
        stored = [np.asarray(_array(value), np.float16)
                  for value in (classifier_weight, classifier_bias, class_vectors, appearance_basis)]
        self.classifier_weight, self.classifier_bias, self.class_vectors, self.appearance_basis = stored
        self._weight, self._bias, self._classes, self._basis = (array.astype(np.float32) for array in stored)
        self.top_k = int(top_k)
        self.temperature = float(temperature)
        self.text_dim = int(self.class_vectors.shape[1])
        self.appearance_dims = int(self.appearance_basis.shape[0])
        self.dim = self.text_dim + self.appearance_dims

    def config(self) -> dict:
        return {"top_k": self.top_k, "temperature": self.temperature, "text_dim": self.text_dim,
                "appearance_dims": self.appearance_dims, "dim": self.dim}

    def tensors(self) -> dict[str, np.ndarray]:
        """The stored tensors by name (float16)."""
        return {name: getattr(self, name) for name in self.NAMES}

    def logits(self, features: np.ndarray) -> np.ndarray:
        """The bundled classifier's ImageNet logits."""
        return np.asarray(features, np.float32) @ self._weight.T + self._bias

    def zero_shot(self, features: np.ndarray, logits: np.ndarray | None = None) -> np.ndarray:
        """ConSE: unit mean of the top classes' vectors, weighted by their softened probabilities."""
        logits = self.logits(features) if logits is None else logits
        probabilities = softmax(logits / np.float32(self.temperature))
        top = np.argpartition(-probabilities, self.top_k - 1, axis=1)[:, :self.top_k]
        weights = np.zeros_like(probabilities)
        np.put_along_axis(weights, top, np.take_along_axis(probabilities, top, axis=1), axis=1)
        return unit_rows(weights @ self._classes)

    def appearance(self, features: np.ndarray) -> np.ndarray:
        """Unit projections of the features on the classifier's principal directions."""
        return unit_rows(np.asarray(features, np.float32) @ self._basis.T)

    def __call__(self, features: np.ndarray) -> np.ndarray:
        features = np.asarray(features, np.float32)
        return np.concatenate([TEXT_SCALE * self.zero_shot(features), APPEARANCE_SCALE * self.appearance(features)],
                              axis=1).astype(np.float32)


def _array(value) -> np.ndarray:
    """A numpy array of a numpy array or a (CPU) PyTorch tensor."""
    return value.detach().float().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def label_text_vectors(text_encoder: TextEncoder) -> np.ndarray:
    """(1000, 3, dim) unit vectors of each ImageNet class's label texts (name, lemmas, definition)."""
    texts = [text for item in imagenet_classes() for text in item.label_texts()]
    return text_encoder.encode(texts).reshape(NUM_CLASSES, 3, text_encoder.dim)


def class_vectors(label_texts: np.ndarray) -> np.ndarray:
    """(1000, dim) unit vectors: per ImageNet class, the normalised mean of its label texts' vectors."""
    return unit_rows(np.asarray(label_texts, np.float32).mean(axis=1))


def appearance_basis(classifier_weight, dims: int = DEFAULT_APPEARANCE_DIMS) -> np.ndarray:
    """(dims, 1280) float32: the top right singular vectors of the classifier's weights, each signed so
    that its largest entry is positive (the same basis on every machine)."""
    _, _, directions = np.linalg.svd(_array(classifier_weight).astype(np.float64), full_matrices=False)
    directions = directions[:dims]
    signs = np.sign(np.take_along_axis(directions, np.abs(directions).argmax(axis=1)[:, None], axis=1))
    return (directions * signs).astype(np.float32)


def bundled_classifier():
    """The bundled backbone's ImageNet classifier: a PyTorch Linear(1280, 1000) on the pooled features (read
    from its weights file by the registry, without building the network)."""
    return get_backbone(DEFAULT_BACKBONE).classifier()


class TextSpaceModel:
    """A photo tower with the names that keep its vectors apart from any other model's, and the settings
    of the queries over them.

    ``model_id`` changes whenever the head's weights or settings change (the photo vectors do); the query
    ``projection`` and the search settings only change queries.  ``features_id`` is the backbone whose
    pooled features it reads; ``text_model_id`` the sentence encoder its space is."""

    def __init__(self, head: TextSpaceHead, features_id: str, text_model_id: str, card: dict | None = None,
                 search: SearchSettings | None = None, projection: QueryProjection | None = None):
        search = search or SearchSettings()
        if projection is None and search.query_weight:
            raise ValueError("a query weight needs a query projection")
        if projection is not None and projection.weight.shape != (head.appearance_dims, head.text_dim):
            raise ValueError("the query projection does not fit the photo tower")
        self.head = head
        self.projection = projection
        self.features_id = features_id
        self.text_model_id = text_model_id
        self.card = card or {}
        self.search = search
        self.dim = head.dim
        self.text_dim = head.text_dim
        self.model_id = f"{features_id}+text:{self._weights_checksum()}"

    def _weights_checksum(self) -> str:
        digest = hashlib.sha256(json.dumps(self.head.config(), sort_keys=True).encode())
        for name, tensor in sorted(self.head.tensors().items()):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(tensor).tobytes())
        return digest.hexdigest()[:8]

    def embed_features(self, features: np.ndarray) -> np.ndarray:
        """(N, dim) float32 unit vectors from pooled backbone features (float16 as stored, or float32)."""
        return self.head(np.asarray(features, dtype=np.float32))

    def _unscaled_query(self, text_vector: np.ndarray) -> np.ndarray:
        """Inner products with photo vectors: text cosine + query_weight * appearance cosine with the
        words' projection."""
        vector = np.zeros(self.dim, np.float32)
        vector[:self.text_dim] = text_vector / TEXT_SCALE
        if self.projection is not None and self.search.query_weight:
            vector[self.text_dim:] = self.search.query_weight * self.projection.apply(text_vector) / APPEARANCE_SCALE
        return vector

    def query_vector(self, text_vector: np.ndarray) -> np.ndarray:
        """The vector whose inner product with a photo vector is the query's first score: ``(text cosine +
        q * appearance cosine with the words' projection) / (1 + q)`` (q: ``query_weight``)."""
        return self._unscaled_query(text_vector) / (1.0 + self.search.query_weight)

    def text_scores(self, text_vector: np.ndarray, photo_vectors: np.ndarray) -> np.ndarray:
        """The first scores of photo vectors (N, dim) for a query (what ``query_vector`` scores)."""
        return np.asarray(photo_vectors, np.float32) @ self.query_vector(text_vector)

    def feedback_query(self, text_vector: np.ndarray, feedback: np.ndarray) -> np.ndarray:
        """The vector whose inner product with a photo vector is ``(text cosine + q * appearance cosine with
        the words' projection + w * cosine of its appearance with the mean appearance of the ``feedback``
        photo vectors) / (1 + q + w)``."""
        feedback = np.asarray(feedback, np.float32).reshape(-1, self.dim)
        if len(feedback) == 0:
            return self.query_vector(text_vector)
        centre = feedback[:, self.text_dim:].mean(axis=0)
        weight = self.search.feedback_weight
        vector = self._unscaled_query(text_vector)
        vector[self.text_dim:] += weight * centre / np.linalg.norm(centre) / APPEARANCE_SCALE
        return vector / (1.0 + self.search.query_weight + weight)

    def feedback_rows(self, text_scores: np.ndarray) -> np.ndarray:
        """Which of some photos (their first scores, the best among them) are the feedback: the
        ``feedback_photos`` best from ``feedback_min_score`` on and within ``feedback_margin`` of the best
        (indices, best first)."""
        text_scores = np.asarray(text_scores)
        order = np.argsort(-text_scores, kind="stable")[:self.search.feedback_photos]
        if len(order) == 0:
            return order
        floor = max(self.search.feedback_min_score, float(text_scores[order[0]]) - self.search.feedback_margin)
        return order[text_scores[order] >= floor]

    def photo_encoder(self, device: str = "cpu", beside: Sequence[Encoder] = ()) -> Encoder:
        """The tower as one more encoder of a library: the bundled backbone with this head, so a scan
        gives photos their vectors from the same decode and backbone pass as the similarity
        model's (or from the kept features, without decoding). An encoder ``beside`` it that reads the same
        features lends it its network, which is then not built twice."""
        share = next((e for e in beside if e.features_id == self.features_id and e.device == str(device)), None)
        encoder = Encoder(get_backbone(DEFAULT_BACKBONE), head=self.head, head_checksum=self.model_id.split("+", 1)[1],
                          device=device, share=share)
        if (encoder.model_id, encoder.features_id) != (self.model_id, self.features_id):
            raise ModelUnavailable(f"the text search model reads the features {self.features_id}, but the "
                                   f"bundled backbone makes {encoder.features_id}; reinstall album")
        return encoder

    def check_text_encoder(self, text_encoder: TextEncoder) -> None:
        """Queries must come from the sentence encoder whose space the photo vectors are in."""
        if text_encoder.model_id != self.text_model_id:
            raise ModelUnavailable(
                f"the text search model was made for the sentence encoder {self.text_model_id}, but "
                f"{text_encoder.model_id} is installed; reinstall album's text model or rebuild it"
            )


def zero_shot_model(label_texts: np.ndarray, text_model_id: str, top_k: int = DEFAULT_TOP_K,
                    temperature: float = DEFAULT_TEMPERATURE, appearance_dims: int = DEFAULT_APPEARANCE_DIMS,
                    search: SearchSettings | None = None) -> TextSpaceModel:
    """The photo tower built from the bundled classifier and the label texts' vectors (``label_text_vectors``
    of the sentence encoder ``text_model_id``): ConSE and the classifier's appearance basis; nothing trained,
    no query projection."""
    classifier = bundled_classifier()
    head = TextSpaceHead(classifier.weight, classifier.bias, class_vectors(label_texts),
                         appearance_basis(classifier.weight, appearance_dims), top_k, temperature)
    spec = get_backbone(DEFAULT_BACKBONE)
    return TextSpaceModel(head, f"{spec.name}@{spec.weights_id()}", text_model_id, search=search)


def save_text_model(weights: Path, model: TextSpaceModel, card: dict) -> None:
    """Write ``weights`` (.safetensors) and its card (.json) beside it, as every album model file."""
    save_model(weights, model.head, {**card, "features_id": model.features_id, "text_model": model.text_model_id,
                                     "search": asdict(model.search), "model_id": model.model_id},
               extra=model.projection.tensors() if model.projection is not None else None)


def load_text_model(weights: Path = TEXT_MODEL) -> TextSpaceModel:
    """A photo tower from a model file (ModelUnavailable, in plain words, when missing or damaged)."""
    weights = Path(weights)
    try:
        card = json.loads(card_path(weights).read_text())
        state = load_file(str(weights))
        config = card["head"]
        projection = QueryProjection.from_tensors({name: state.pop(name).astype(np.float32)
                                                   for name in list(state) if name.startswith(PROJECTION_PREFIX)})
        if set(state) != set(TextSpaceHead.NAMES):
            raise ValueError(f"its tensors are {sorted(state)}, not {sorted(TextSpaceHead.NAMES)}")
        head = TextSpaceHead(*(state[name] for name in TextSpaceHead.NAMES), config["top_k"], config["temperature"])
        search = SearchSettings.from_dict(card["search"])
        model = TextSpaceModel(head, card["features_id"], card["text_model"], card, search, projection)
    except FileNotFoundError as exc:
        raise ModelUnavailable(f"the text search model {exc.filename} does not exist") from None
    except (KeyError, ValueError, TypeError, RuntimeError, OSError, SafetensorError) as exc:
        raise ModelUnavailable(f"{weights} is not a valid album text search model: {exc}") from None
    return model
