"""Photos found by words: a typed query against the library's text-space vectors.

Indexing gives every photo a vector in the sentence encoder's space (the
library's ``text`` encoder, the photo tower of ``vision.text_space``), kept
in its own hnswlib index.  A query costs one sentence encoding (the words in
a few prompt templates, ``TextEncoder.encode_query``) and one index lookup.
The sentence encoder takes seconds to load, so it loads once: on the first
query, or ahead of it with ``load`` from any thread (the app does so in the
background once its window is up).  Queries are encoded on one torch thread:
a handful of short sentences gain nothing from more, and lose much when
indexing keeps the cores busy (measured: about 20 ms on one thread, 500 ms
on two beside a running scan).  Scores are cosines in text space.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from album.errors import ModelUnavailable, UserFacingError
from album.library.catalogue import Catalogue
from album.search.indexes import IndexSet
from album.search.similar import Match, matches

if TYPE_CHECKING:
    from album.vision.text_encoder import TextEncoder
    from album.vision.text_space import TextSpaceModel

#: Matches below this cosine are not shown by default: measured on 8 caltech50 classes, a query's
#: cosine with photos of what it names is mostly 0.45-0.95, with other photos mostly below 0.4.
DEFAULT_MIN_SCORE = 0.4
NOT_INDEXED = ("No photo can be searched by words yet: photos become searchable as indexing reaches them "
               "(run 'album scan', or wait for the app to index them).")


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


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
                    from album.vision.text_encoder import TextEncoder
                    from album.vision.text_space import load_text_model

                    model = load_text_model()
                    encoder = TextEncoder()
                    model.check_text_encoder(encoder)
                    self._models = model, encoder
                except ModelUnavailable as exc:
                    self._unavailable = str(exc)
            if self._unavailable is not None:
                raise ModelUnavailable(self._unavailable)

    def search(self, words: str, k: int, min_score: float | None = None) -> list[Match]:
        """Up to ``k`` library photos that ``words`` describe, best first, from ``min_score`` (a cosine;
        ``DEFAULT_MIN_SCORE`` when None)."""
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
        with one_torch_thread():
            vector = encoder.encode_query(words)
        return matches(self.catalogue, index.query(vector, k), k,
                       DEFAULT_MIN_SCORE if min_score is None else min_score)
