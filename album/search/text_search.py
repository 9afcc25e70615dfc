"""Photos found by words: a typed query against the library's text-model vectors.

Indexing gives every photo a vector of the photo tower of ``vision.text_space``
(the library's ``text`` encoder): what it shows, in the sentence encoder's
space, and what it looks like; kept in its own vector index.  A query costs
one sentence encoding (the words in a few prompt templates, with their
dictionary senses: ``TextEncoder.encode_query``) and two index lookups: the
photos nearest the words (in text space, and in appearance through the
model's trained query projection: the first score), then, with the best few
of them (from the model's feedback threshold on, and nearly as good as the
best: ``TextSpaceModel.feedback_rows``) as pseudo-relevance feedback, the
photos nearest "these words, and looking like those" (``feedback_query``).
A query whose best first score is below that threshold gets no feedback.
Scores are those of the last lookup (``SearchSettings`` gives the formulas).

The sentence encoder and the dictionary take seconds to load, so they load
once: on the first query, or ahead of it with ``load`` from any thread (the
app does so in the background once its window is up).  Queries are encoded
in ONNX Runtime on one thread: a handful of short sentences gain nothing from
more, and lose much when indexing keeps the cores busy (measured in PyTorch:
about 20 ms on one thread, 500 ms on two beside a running scan).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from album.errors import ModelUnavailable, UserFacingError
from album.library.catalogue import Catalogue
from album.search.indexes import IndexSet
from album.search.similar import Match, matches

if TYPE_CHECKING:
    from album.vision.text_encoder import TextEncoder
    from album.vision.text_space import TextSpaceModel

NOT_INDEXED = ("No photo can be searched by words yet: photos become searchable as indexing reaches them "
               "(run 'album scan', or wait for the app to index them).")


class TextSearch:
    def __init__(self, catalogue: Catalogue, indexes: IndexSet):
        self.catalogue = catalogue
        self.indexes = indexes
        self._lock = threading.Lock()
        self._models: tuple[TextSpaceModel, TextEncoder] | None = None
        self._unavailable: str | None = None

    def load(self) -> None:
        """Load the photo tower's card and the sentence encoder, once (thread-safe; seconds). Raises
        ModelUnavailable, in plain words, when the text model is not installed."""
        with self._lock:
            if self._models is None and self._unavailable is None:
                try:
                    from album.vision.imagenet_labels import load_dictionary
                    from album.vision.text_encoder import TextEncoder
                    from album.vision.text_space import load_text_model

                    model = load_text_model()
                    encoder = TextEncoder()
                    model.check_text_encoder(encoder)
                    load_dictionary()
                    self._models = model, encoder
                except ModelUnavailable as exc:
                    self._unavailable = str(exc)
            if self._unavailable is not None:
                raise ModelUnavailable(self._unavailable)

    @property
    def default_min_score(self) -> float:
        """The text model's threshold (loads it)."""
        self.load()
        return self._models[0].search.min_score

    def search(self, words: str, k: int, min_score: float | None = None) -> list[Match]:
        """Up to ``k`` library photos that ``words`` describe, best first, from ``min_score`` (the text
        model's threshold when None)."""
        if k < 1:
            raise UserFacingError("the number of results must be at least 1")
        if not words.split():
            raise UserFacingError("type some words to search for, e.g. 'a dog on the beach'")
        self.load()
        model, encoder = self._models
        if self.catalogue.generation(model.model_id) == 0:
            raise UserFacingError(NOT_INDEXED)
        index = self.indexes.get(model.model_id, model.dim)
        if index.live == 0:
            raise UserFacingError(NOT_INDEXED)
        text_vector = encoder.encode_query(words)
        hits = index.query(model.query_vector(text_vector), max(k, model.search.feedback_photos))
        chosen = model.feedback_rows(np.array([score for _, score in hits], np.float32))
        if len(chosen):
            found, vectors = self.catalogue.embeddings(model.model_id, [hits[row][0] for row in chosen])
            if len(found):
                hits = index.query(model.feedback_query(text_vector, vectors), k)
        return matches(self.catalogue, hits, k, model.search.min_score if min_score is None else min_score)
