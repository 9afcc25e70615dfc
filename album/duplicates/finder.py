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
        squares = self._fine_squares(sorted({p for pair in copies for p in pair}), records, progress, control)
        verified = verified_copies(copies, prints, squares, thresholds.fine_alignment)
        stacks = find_stacks(pairs, facts, prints, thresholds,
                             verified=lambda first, second: (min(first, second), max(first, second)) in verified)
        return sorted(stacks, key=lambda s: (s.kind != "copy", -len(s.photo_ids), s.keep))

    def _fingerprints(self, ids: list[int], records, progress: ProgressCallback | None,
                      control: TaskControl) -> dict[int, Fingerprint]:
        stored = self._catalogue.fingerprints(ids)
        prints = {i: Fingerprint.from_bytes(data) for i, data in stored.items()}
        missing = [i for i in ids if i not in prints and i in records]
        meter = ProgressMeter(FINGERPRINT_PHASE, len(missing), progress)
        computed: list[tuple[int, str, bytes]] = []
        for start in range(0, len(missing), 64):
            control.checkpoint()
            chunk = missing[start:start + 64]
            for photo_id, found in zip(chunk, self._executor.map(_safe_fingerprint,
                                                                 [records[i].path for i in chunk])):
                if found is not None:
                    prints[photo_id] = found
                    computed.append((photo_id, records[photo_id].content_hash, found.to_bytes()))
            meter.advance(len(chunk))
        if self._keep and computed:
            self._catalogue.store_fingerprints(computed)
        return prints


    def _fine_squares(self, ids: list[int], records, progress: ProgressCallback | None,
                      control: TaskControl) -> dict[int, np.ndarray]:
        """The fine check's grey squares of these photos, decoded in the executor."""
        meter = ProgressMeter(VERIFY_PHASE, len(ids), progress)
        squares = {}
        for start in range(0, len(ids), 64):
            control.checkpoint()
            chunk = ids[start:start + 64]
            for photo_id, found in zip(chunk, self._executor.map(_safe_fine_square, [records[i].path for i in chunk])):
                if found is not None:
                    squares[photo_id] = found
            meter.advance(len(chunk))
        return squares


def _safe_fine_square(path: str) -> np.ndarray | None:
    try:
        return fine_square(path)
    except UnreadableImage:  # gone or damaged since its fingerprint was made: not a copy, maybe a burst frame
        return None


def _safe_fingerprint(path: str) -> Fingerprint | None:
    try:
        return fingerprint(path)
    except UnreadableImage:  # gone or damaged since it was indexed: it can still be a burst frame
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
