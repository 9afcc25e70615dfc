"""Encoding: bring every active encoder's embeddings up to date, fast and interruptibly.

Each photo that any encoder lacks is decoded once (JPEG draft mode, by the
decoder's worker processes, a bounded window ahead of the model) and feeds
every encoder that lacks it; encoders sharing a backbone share one forward
pass.  The pooled backbone features are kept (float16), so an encoder that
only puts a new head on a backbone already run (a personal model) is served
from them without decoding a photo.  Each batch is one transaction: an
interrupted run loses at most a batch and resumes where it stopped.  Photos
found while it runs (a sync during a checkpoint) are encoded before it ends.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence, Set
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from album.indexing.decoding import DecodeJob, Decoded, InProcessDecoder, ProcessDecoder, job_for
from album.indexing.prefetch import Prefetch, thumbnail_size
from album.indexing.reheading import VectorsCallback, rehead
from album.library.catalogue import Catalogue, EncodedPhoto
from album.library.scanner import ScanSummary
from album.library.thumbnails import INDEXING_SIZE, ThumbnailCache, photo_key
from album.library.schema import Photo
from album.tasks import ProgressCallback, ProgressMeter, TaskControl
from album.vision.encoder import Encoder
from album.vision.cropping import normalise_pixels

BATCH_SIZE = 32
WINDOW = 3 * BATCH_SIZE


def runners(encoders: Sequence[Encoder]) -> dict[str, Encoder]:
    """The encoder whose backbone runs for each features id: the first of those sharing it, so one runtime
    is loaded per backbone, however many heads use it."""
    found: dict[str, Encoder] = {}
    for encoder in encoders:
        found.setdefault(encoder.features_id, encoder)
    return found


@dataclass
class Prepared:
    """A photo decoded (or not) for the encoders that need it."""

    photo: Photo
    needs: tuple[Encoder, ...]
    decoded: Decoded

    @property
    def error(self) -> str | None:
        return self.decoded.error


def model_input(decoded: Sequence[Decoded], features_id: str) -> np.ndarray:
    """The model input for one backbone from many decoded photos: exactly ``cropping.center_pixels`` of
    each, stacked (normalised in one batch: ten times faster than photo by photo)."""
    preprocessing = decoded[0].crops[features_id][1]
    return normalise_pixels([item.crops[features_id][0] for item in decoded], preprocessing)


def decode_job(photo: Photo, needs: tuple[Encoder, ...], thumbnail_size: int = 0) -> DecodeJob:
    return job_for(photo.path, [(encoder.features_id, encoder.preprocessing) for encoder in needs], thumbnail_size)


@dataclass
class Plan:
    """What one pass has to do: heads to run on stored features, and photos to decode."""

    reheads: dict[int, list[int]]                 # encoder index -> photo ids
    decodes: list[tuple[Photo, tuple[Encoder, ...]]]

    @property
    def size(self) -> int:
        return sum(map(len, self.reheads.values())) + len(self.decodes)


class Indexer:
    def __init__(self, catalogue: Catalogue, encoders: Sequence[Encoder], decoder: InProcessDecoder | ProcessDecoder,
                 thumbnails: ThumbnailCache | None = None, prefetch: Prefetch | None = None):
        self.catalogue = catalogue
        self.encoders = list(encoders)
        self.runners = runners(self.encoders)
        self.decoder = decoder
        #: where the grid's thumbnails made from the indexing decode go (None: not made)
        self.thumbnails = thumbnails
        #: decodes asked for while the encoders loaded, taken when a job equals one of them
        self.prefetch = prefetch or Prefetch(decoder)

    def encode_pending(self, summary: ScanSummary, on_vectors: VectorsCallback, progress: ProgressCallback | None,
                       control: TaskControl, counted_new: Set[int] = frozenset()) -> None:
        """Encode every readable photo that an active encoder has no vector of. A photo in ``counted_new``
        that turns out unreadable is counted as failed instead of new."""
        meter = ProgressMeter("Indexing", 0, progress)
        attempted: set[tuple[int, int]] = set()   # (encoder index, photo id): never retried in one call
        plan = self.plan(attempted)
        meter.total = plan.size
        meter.start()
        while plan.size:
            for number, ids in plan.reheads.items():
                encoder = self.encoders[number]
                rehead(self.catalogue, encoder, ids, on_vectors, meter, control)
            self._decode_and_encode(plan.decodes, summary, on_vectors, meter, control, counted_new)
            plan = self.plan(attempted)   # photos that arrived meanwhile
            meter.total += plan.size

    def plan(self, attempted: set[tuple[int, int]]) -> Plan:
        needs: dict[int, list[Encoder]] = {}
        reheads: dict[int, list[int]] = {}
        for number, encoder in enumerate(self.encoders):
            lacking = {i for i in self.catalogue.lacking(encoder.model_id) if (number, i) not in attempted}
            attempted.update((number, i) for i in lacking)
            stored = lacking & self.catalogue.with_features(encoder.features_id) if lacking else set()
            if stored:
                reheads[number] = sorted(stored)
            for photo_id in lacking - stored:
                needs.setdefault(photo_id, []).append(encoder)
        photos = self.catalogue.photos_by_ids(needs)
        decodes = [(photos[i], tuple(needs[i])) for i in sorted(needs) if i in photos]
        return Plan(reheads, decodes)

    def _decode_and_encode(self, work: list[tuple[Photo, tuple[Encoder, ...]]], summary: ScanSummary,
                           on_vectors: VectorsCallback, meter: ProgressMeter, control: TaskControl,
                           counted_new: Set[int]) -> None:
        queue: deque[tuple[Photo, tuple[Encoder, ...], DecodeJob, Future]] = deque()
        upcoming = iter(work)
        batch: list[Prepared] = []

        def refill() -> None:
            while len(queue) < WINDOW:
                item = next(upcoming, None)
                if item is None:
                    return
                job = decode_job(*item, thumbnail_size(self.thumbnails, item[0]))
                queue.append((*item, job, self.prefetch.take(job) or self.decoder.submit(job)))

        try:
            refill()
            while queue:
                control.checkpoint()
                photo, needs, job, future = queue.popleft()
                item = Prepared(photo, needs, self.decoder.result(future, job))
                refill()
                if item.decoded.thumbnail is not None:
                    self.thumbnails.store(photo_key(photo), INDEXING_SIZE, item.decoded.thumbnail)
                if item.error is not None:
                    self._record_failure(item, summary, counted_new)
                    meter.advance(1, item.photo.path)
                    continue
                batch.append(item)
                if len(batch) == BATCH_SIZE or not queue:
                    self._encode_batch(batch, on_vectors)
                    meter.advance(len(batch), batch[-1].photo.path)
                    batch = []
        finally:
            for *_, future in queue:
                future.cancel()
            if batch:  # cancelled mid-batch: keep what was decoded
                self._encode_batch(batch, on_vectors)

    def _encode_batch(self, batch: list[Prepared], on_vectors: VectorsCallback) -> None:
        results = {item.photo.id: EncodedPhoto(item.photo.id, item.photo.content_hash, item.decoded.info.width,
                                               item.decoded.info.height, item.decoded.info.taken_at,
                                               item.decoded.info.camera, fingerprint=item.decoded.fingerprint)
                   for item in batch}
        groups: dict[str, list[Encoder]] = {}
        for item in batch:
            for encoder in item.needs:
                members = groups.setdefault(encoder.features_id, [])
                if encoder not in members:
                    members.append(encoder)
        for features_id, encoders in groups.items():
            users = [item for item in batch if features_id in item.decoded.crops]
            # float16, as stored: a vector computed now equals one computed later from the stored features
            batch_input = model_input([item.decoded for item in users], features_id)
            features = self.runners[features_id].features(batch_input).astype(np.float16)
            for item, row in zip(users, features):
                results[item.photo.id].features[features_id] = row
            for encoder in encoders:
                rows = [n for n, item in enumerate(users) if encoder in item.needs]
                vectors = encoder.embed_features(features[rows].astype(np.float32))
                for n, vector in zip(rows, vectors):
                    results[users[n].photo.id].embeddings[encoder.model_id] = vector
        for model_id, (ids, vectors) in self.catalogue.mark_encoded(list(results.values())).items():
            on_vectors(model_id, ids, vectors)

    def _record_failure(self, item: Prepared, summary: ScanSummary, counted_new: Set[int]) -> None:
        summary.failed.append((item.photo.path, item.error))
        if item.photo.id in counted_new:
            summary.new -= 1
        self.catalogue.mark_failed(item.photo.id, item.photo.content_hash, item.error)
