"""Encoding: turn pending photos into embeddings, fast and interruptibly.

Decoding (JPEG draft mode) and preprocessing run in the executor's worker
threads, a bounded window ahead of the model, while the model encodes the
previous batch in the calling thread; each batch is written to the
catalogue in one transaction, so an interrupted run loses at most a batch
and resumes where it stopped (photos stay "pending" until encoded).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Set
from concurrent.futures import Executor, Future
from dataclasses import dataclass

import numpy as np
import torch
from sqlalchemy import update

from album.errors import UnreadableImage
from album.library.catalogue import Catalogue
from album.media.imageio import ImageInfo, load_image
from album.library.scanner import ScanSummary
from album.library.schema import Photo
from album.tasks import ProgressCallback, ProgressMeter, TaskControl
from album.vision.encoder import Encoder

BATCH_SIZE = 32
WINDOW = 3 * BATCH_SIZE


@dataclass
class Prepared:
    photo: Photo
    tensor: torch.Tensor | None = None
    info: ImageInfo | None = None
    error: str | None = None


def prepare(encoder: Encoder, photo: Photo) -> Prepared:
    """Decode and preprocess one photo (runs in a worker thread)."""
    try:
        image, info = load_image(photo.path, min_side=encoder.decode_size)
        return Prepared(photo, encoder.preprocess(image), info)
    except UnreadableImage as exc:
        return Prepared(photo, error=str(exc))


class Indexer:
    def __init__(self, catalogue: Catalogue, encoder: Encoder, executor: Executor):
        self.catalogue = catalogue
        self.encoder = encoder
        self.executor = executor

    def encode_pending(self, summary: ScanSummary, on_batch: Callable[[list[int], np.ndarray], None],
                       progress: ProgressCallback | None, control: TaskControl,
                       counted_new: Set[int] = frozenset()) -> None:
        """Encode every readable photo that has no embedding from this encoder yet. A photo in
        ``counted_new`` that turns out unreadable is counted as failed instead of new."""
        pending = self.catalogue.photos_without_embedding(self.encoder.model_id)
        meter = ProgressMeter("Indexing", len(pending), progress)
        meter.start()
        queue: deque[Future[Prepared]] = deque()
        upcoming = iter(pending)
        batch: list[Prepared] = []

        def refill() -> None:
            while len(queue) < WINDOW:
                photo = next(upcoming, None)
                if photo is None:
                    return
                queue.append(self.executor.submit(prepare, self.encoder, photo))

        try:
            refill()
            while queue:
                control.checkpoint()
                item = queue.popleft().result()
                refill()
                if item.error is not None:
                    self._record_failure(item, summary)
                    if item.photo.id in counted_new:
                        summary.new -= 1
                    meter.advance(1, item.photo.path)
                    continue
                batch.append(item)
                if len(batch) == BATCH_SIZE or not queue:
                    self._encode(batch, on_batch)
                    meter.advance(len(batch), batch[-1].photo.path)
                    batch = []
        finally:
            for future in queue:
                future.cancel()
            if batch:  # cancelled mid-batch: keep what was decoded
                self._encode(batch, on_batch)

    def _encode(self, batch: list[Prepared], on_batch: Callable[[list[int], np.ndarray], None]) -> None:
        vectors = self.encoder.embed_batch(torch.stack([item.tensor for item in batch]))
        ids = [item.photo.id for item in batch]
        with self.catalogue.session.begin() as session:
            self.catalogue.store_embeddings(session, self.encoder.model_id, ids, vectors)
            for item in batch:
                session.execute(update(Photo).where(Photo.id == item.photo.id).values(
                    status="ok", failure=None, width=item.info.width, height=item.info.height,
                    taken_at=item.info.taken_at, camera=item.info.camera))
        on_batch(ids, vectors)

    def _record_failure(self, item: Prepared, summary: ScanSummary) -> None:
        summary.failed.append((item.photo.path, item.error))
        with self.catalogue.session.begin() as session:
            session.execute(update(Photo).where(Photo.id == item.photo.id).values(status="failed", failure=item.error))
