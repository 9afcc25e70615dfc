"""Near-duplicate stacks of a whole library: candidates from the vector index, then the strict check.

Each photo's nearest neighbours in the similarity index above the
candidate cosine are the only pairs looked at (a million photos cost a
batched index query, not a million squared comparisons). Their
fingerprints come from the catalogue (made while indexing, from the same
decode); a photo indexed before fingerprints existed is decoded once here
and its fingerprint kept. The pairs the fingerprints call copies are few;
their photos are decoded once more for the fine check (``verify``), each
photo once however many pairs it is in. ``stacks.find_stacks`` then decides
what is a copy and what is a burst.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from functools import partial
from typing import TypeVar

import numpy as np

from album.duplicates.stacks import (CANDIDATE_PERCENT, THRESHOLDS, PhotoFacts, Stack, Thresholds, coarse_copies,
                                     find_stacks)
from album.duplicates.verify import fine_square, verified_copies
from album.errors import UnreadableImage
from album.library.catalogue import Catalogue
from album.media.fingerprint import Fingerprint, fingerprint
from album.tasks import ProgressCallback, ProgressMeter, TaskControl

#: neighbours looked at per photo (a shot with more copies than this still stacks, through its copies)
NEIGHBOURS = 10
FINGERPRINT_PHASE = "checking photos for duplicates"
VERIFY_PHASE = "comparing possible copies in detail"

Neighbours = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]
T = TypeVar("T")


class DuplicateFinder:
    def __init__(self, catalogue: Catalogue, executor: Executor, keep_fingerprints: bool):
        self._catalogue = catalogue
        self._executor = executor
        self._keep = keep_fingerprints  # False in a read-only session: compute, do not store

    def stacks(self, model_id: str, neighbours: Neighbours, thresholds: Thresholds = THRESHOLDS,
               progress: ProgressCallback | None = None, control: TaskControl | None = None) -> list[Stack]:
        """Copy stacks, then burst stacks, largest first within each kind."""
        control = control or TaskControl()
        ids, vectors = self._catalogue.embeddings(model_id)
        pairs = _candidate_pairs(ids, *neighbours(vectors, NEIGHBOURS + 1), thresholds.candidate_cosine)
        involved = sorted({p for a, b, _ in pairs for p in (a, b)})
        records = self._catalogue.photos_by_ids(involved)
        facts = {i: PhotoFacts(i, r.path, r.size, r.width or 0, r.height or 0, r.taken_at, r.camera,
                               r.mtime_ns)
                 for i, r in records.items()}
        prints = self._fingerprints(involved, records, progress, control)
        copies = coarse_copies(pairs, facts, prints, thresholds)
        squares = self._decode_each(sorted({p for pair in copies for p in pair}), records, fine_square, VERIFY_PHASE,
                                    progress, control)
        verified = verified_copies(copies, prints, squares, thresholds.fine_alignment)
        stacks = find_stacks(pairs, facts, prints, thresholds,
                             verified=lambda first, second: (min(first, second), max(first, second)) in verified)
        return sorted(stacks, key=lambda s: (s.kind != "copy", -len(s.photo_ids), s.keep))

    def _fingerprints(self, ids: list[int], records, progress: ProgressCallback | None,
                      control: TaskControl) -> dict[int, Fingerprint]:
        stored = self._catalogue.fingerprints(ids)
        prints = {i: Fingerprint.from_bytes(data) for i, data in stored.items()}
        missing = [i for i in ids if i not in prints and i in records]
        computed = self._decode_each(missing, records, fingerprint, FINGERPRINT_PHASE, progress, control)
        prints.update(computed)
        if self._keep and computed:
            self._catalogue.store_fingerprints([(i, records[i].content_hash, found.to_bytes())
                                                for i, found in computed.items()])
        return prints

    def _decode_each(self, ids: list[int], records, decode: Callable[[str], T], phase: str,
                     progress: ProgressCallback | None, control: TaskControl) -> dict[int, T]:
        """``decode`` of each photo's file in the executor, with progress; a photo whose file is gone or
        damaged since it was indexed is left out (it can still be a burst frame, never a copy)."""
        meter = ProgressMeter(phase, len(ids), progress)
        found: dict[int, T] = {}
        for start in range(0, len(ids), 64):
            control.checkpoint()
            chunk = ids[start:start + 64]
            paths = [records[i].path for i in chunk]
            for photo_id, result in zip(chunk, self._executor.map(partial(_or_none, decode), paths)):
                if result is not None:
                    found[photo_id] = result
            meter.advance(len(chunk))
        return found


def _or_none(decode: Callable[[str], T], path: str) -> T | None:
    try:
        return decode(path)
    except UnreadableImage:
        return None


def _candidate_pairs(ids: np.ndarray, neighbour_ids: np.ndarray, cosines: np.ndarray,
                     candidate_cosine: float) -> list[tuple[int, int, float]]:
    """Each unordered pair of photos that are near neighbours above the candidate cosine, once."""
    pairs: dict[tuple[int, int], float] = {}
    rows, cols = np.nonzero((cosines >= candidate_cosine) & (neighbour_ids >= 0))
    for row, col in zip(rows.tolist(), cols.tolist()):
        first, second = int(ids[row]), int(neighbour_ids[row, col])
        if first != second:
            key = (min(first, second), max(first, second))
            pairs[key] = max(pairs.get(key, -1.0), float(cosines[row, col]))
    return [(a, b, cosine) for (a, b), cosine in pairs.items()]


def thresholds_for(score_scale) -> Thresholds:
    """The calibrated thresholds, with the candidate cosine read off the model's own score scale (for
    the default model that is the calibrated value itself)."""
    return replace(THRESHOLDS, candidate_cosine=score_scale.cosine_for(CANDIDATE_PERCENT))
