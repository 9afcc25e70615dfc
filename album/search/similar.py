"""Similar-photo queries over the vector index.

Queries come from a library photo (its stored embedding) or from any image
file (encoded on the fly, never added to the library: the drag-and-drop
case).  Results carry cosine scores, best first, and stop at a similarity
threshold so they are never an unbounded list of everything.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from album.errors import UserFacingError
from album.library.catalogue import Catalogue
from album.media.imageio import load_image
from album.library.scanner import IndexChanges
from album.search.index import VectorIndex
from album.vision.encoder import Encoder

log = logging.getLogger(__name__)

#: during long scans the index is saved this often (rebuilding 100,000 vectors takes minutes)
SAVE_INTERVAL_S = 120


@dataclass(frozen=True)
class Match:
    photo_id: int | None
    path: str
    score: float


class SimilarPhotos:
    def __init__(self, catalogue: Catalogue, encoder: Encoder, index_dir: Path, persist: bool = True):
        """``persist=False`` (a reader beside another process that writes) keeps the index in memory."""
        self.persist = persist
        self.catalogue = catalogue
        self.encoder = encoder
        self.index = VectorIndex(index_dir, encoder.model_id, encoder.dim)
        self._dirty = False
        self._last_save = time.monotonic()

    @property
    def default_min_score(self) -> float:
        return self.encoder.min_score

    def ensure_index(self) -> VectorIndex:
        """The index, loaded or rebuilt if it does not reflect the catalogue (another process may write)."""
        generation = self.catalogue.generation(self.encoder.model_id)
        if self.index.generation != generation and not self.index.load(generation):
            ids, vectors = self.catalogue.embeddings(self.encoder.model_id)
            log.info("rebuilding the similarity index from %d stored embeddings", len(ids))
            self.index.rebuild(ids, vectors, generation, save=self.persist)
        return self.index

    # -- keeping the index in step with the catalogue ----------------------------
    def apply(self, changes: IndexChanges) -> None:
        index = self.ensure_index()
        index.remove(changes.removed)
        if changes.added:
            vectors = [self.catalogue.embedding(i, self.encoder.model_id) for i in changes.added]
            index.add(np.asarray(changes.added), np.stack(vectors))
        self._synced()

    def add(self, ids: list[int], vectors: np.ndarray) -> None:
        # The writer stored these embeddings a moment ago, which bumped the catalogue's generation:
        # add them to the loaded index instead of rebuilding it from every stored embedding per batch.
        index = self.index if self.index.generation >= 0 else self.ensure_index()
        index.add(np.asarray(ids), vectors)
        self._synced()
        if time.monotonic() - self._last_save > SAVE_INTERVAL_S:
            self.save()  # a crash during a long scan then costs at most a few minutes of rebuild

    def forget(self, ids: list[int]) -> None:
        self.ensure_index().remove(ids)
        self._synced()
        self.save()

    def _synced(self) -> None:
        self.index.generation = self.catalogue.generation(self.encoder.model_id)
        self._dirty = True

    def save(self) -> None:
        if self._dirty and self.persist:
            self.index.save(self.index.generation)
            self._dirty = False
            self._last_save = time.monotonic()

    # -- queries -----------------------------------------------------------------
    def similar_to_photo(self, photo_id: int, k: int, min_score: float | None) -> list[Match]:
        vector = self.catalogue.embedding(photo_id, self.encoder.model_id)
        if vector is None:
            photo = self.catalogue.photo(photo_id)
            if photo is None:
                raise UserFacingError(f"there is no photo {photo_id} in the library")
            if photo.status == "failed":
                raise UserFacingError(f"{photo.path} could not be read: {photo.failure}")
            raise UserFacingError(f"{photo.path} is not indexed yet; run a scan first")
        return self._query(vector, k, min_score, exclude=photo_id)

    def similar_to_file(self, path: Path, k: int, min_score: float | None) -> list[Match]:
        image, _ = load_image(path, min_side=self.encoder.decode_size)
        return self._query(self.encoder.embed_images([image])[0], k, min_score)

    def _query(self, vector: np.ndarray, k: int, min_score: float | None, exclude: int | None = None) -> list[Match]:
        if k < 1:
            raise UserFacingError("the number of results must be at least 1")
        threshold = self.default_min_score if min_score is None else min_score
        hits = self.ensure_index().query(vector, k + (exclude is not None))
        hits = [(i, s) for i, s in hits if i != exclude and s >= threshold][:k]
        photos = self.catalogue.photos_by_ids(i for i, _ in hits)
        return [Match(i, photos[i].path, round(s, 4)) for i, s in hits if i in photos]
