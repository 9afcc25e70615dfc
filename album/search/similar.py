"""Similar-photo queries over one encoder's vector index.

Queries come from a library photo (its stored embedding) or from any image
file (encoded on the fly, never added to the library: the drag-and-drop
case).  Results carry cosine scores, best first, and stop at a similarity
threshold so they are never an unbounded list of everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from album.errors import UserFacingError
from album.library.catalogue import Catalogue
from album.library.records import PhotoStatus
from album.media.imageio import load_image
from album.search.index import VectorIndex
from album.search.indexes import IndexSet

if TYPE_CHECKING:
    from album.vision.encoder import Encoder


@dataclass(frozen=True)
class Match:
    photo_id: int | None
    path: str
    score: float


class SimilarPhotos:
    def __init__(self, catalogue: Catalogue, encoder: "Encoder", indexes: IndexSet):
        self.catalogue = catalogue
        self.encoder = encoder
        self.indexes = indexes

    @property
    def default_min_score(self) -> float:
        return self.encoder.min_score

    @property
    def index(self) -> VectorIndex:
        return self.ensure_index()

    def ensure_index(self) -> VectorIndex:
        return self.indexes.get(self.encoder.model_id, self.encoder.dim)

    def similar_to_photo(self, photo_id: int, k: int, min_score: float | None) -> list[Match]:
        vector = self.catalogue.embedding(photo_id, self.encoder.model_id)
        if vector is None:
            photo = self.catalogue.photo(photo_id)
            if photo is None:
                raise UserFacingError(f"there is no photo {photo_id} in the library")
            if photo.status == PhotoStatus.FAILED:
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
        return matches(self.catalogue, hits, k, threshold, exclude)


def matches(catalogue: Catalogue, hits: list[tuple[int, float]], k: int, threshold: float,
            exclude: int | None = None) -> list[Match]:
    """The first ``k`` index hits (photo id, cosine) from ``threshold`` on, but ``exclude``, as matches
    of the photos still in the library."""
    hits = [(i, s) for i, s in hits if i != exclude and s >= threshold][:k]
    photos = catalogue.photos_by_ids(i for i, _ in hits)
    return [Match(i, photos[i].path, round(s, 4)) for i, s in hits if i in photos]
