"""The vector indexes of a library's encoders, kept in step with the catalogue.

One ``VectorIndex`` per model id, loaded the first time it is
needed; when it does not reflect the catalogue (another process wrote, or
the saved file is stale, missing or damaged) it is caught up with the stored
embeddings, or rebuilt from them, read in batches.  The writer tells this
set what changed (vectors added, photos removed) so the loaded indexes
follow without either; a process that only reads (``persist=False``) never
writes index files.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from album.library.catalogue import Catalogue
from album.search.index import VectorIndex
from album.tasks import ProgressCallback

log = logging.getLogger(__name__)

#: during long scans the indexes are saved this often (a crash then costs a catch-up of minutes of work)
SAVE_INTERVAL_S = 120


class IndexSet:
    def __init__(self, catalogue: Catalogue, directory: Path, persist: bool = True):
        self.catalogue = catalogue
        self.directory = Path(directory)
        self.persist = persist
        #: where a rebuild reports its progress (the CLI's terminal bar; None: nowhere)
        self.progress: ProgressCallback | None = None
        self._indexes: dict[str, VectorIndex] = {}
        self._dirty: set[str] = set()
        self._last_save = time.monotonic()

    def get(self, model_id: str, dim: int) -> VectorIndex:
        """The model's index, loaded, caught up or rebuilt if it does not reflect the catalogue (another
        process may have written since)."""
        index = self._indexes.get(model_id)
        if index is None or index.dim != dim:
            index = self._indexes[model_id] = VectorIndex(self.directory, model_id, dim)
        generation = self.catalogue.generation(model_id)
        if index.generation == generation:
            return index
        saved = index.load(None)  # read once: it reflects the catalogue, or it may be caught up
        if not saved or index.generation != generation:
            count = self.catalogue.count_embeddings(model_id)
            started = time.monotonic()
            how = index.refresh(lambda: self.catalogue.embedding_batches(model_id), count, generation,
                                save=self.persist, progress=self.progress, loaded=saved)
            log.info("index of %s %s from %d stored embeddings in %.1f s", model_id, how, count,
                     time.monotonic() - started)
        return index

    # -- following the writer ------------------------------------------------------
    def add(self, model_id: str, ids: list[int], vectors: np.ndarray) -> None:
        """Vectors the writer has just stored (which bumped the model's generation)."""
        index = self._indexes.get(model_id)
        if index is None or index.generation < 0:
            return  # not loaded: it is loaded or rebuilt, up to date, when first needed
        index.add(np.asarray(ids), vectors)
        self._synced(model_id)
        if time.monotonic() - self._last_save > SAVE_INTERVAL_S:
            self.save()  # a crash during a long scan then costs at most a few minutes of rebuild

    def add_copies(self, ids: Iterable[int]) -> None:
        """Photos that received the vectors of an identical copy already in the library."""
        ids = list(ids)
        for model_id in self._loaded():
            found, vectors = self.catalogue.embeddings(model_id, ids)
            if len(found):
                self._indexes[model_id].add(found, vectors)
            self._synced(model_id)

    def remove(self, ids: Iterable[int]) -> None:
        """Photos deleted, forgotten or edited: their vectors are gone from the catalogue."""
        ids = list(ids)
        for model_id in self._loaded():
            self._indexes[model_id].remove(ids)
            self._synced(model_id)

    def _loaded(self) -> list[str]:
        return [model_id for model_id, index in self._indexes.items() if index.generation >= 0]

    def _synced(self, model_id: str) -> None:
        self._indexes[model_id].generation = self.catalogue.generation(model_id)
        self._dirty.add(model_id)

    def save(self) -> None:
        if self.persist:
            for model_id in sorted(self._dirty):
                index = self._indexes[model_id]
                index.save(index.generation)
            self._last_save = time.monotonic()
        self._dirty.clear()
