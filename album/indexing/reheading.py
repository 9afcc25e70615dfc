"""A new head over a backbone already run: embeddings from the stored pooled features.

Personal models keep the backbone and train only a head, so re-encoding a
library for one reads the float16 features the indexer kept, runs the head
and stores the vectors: no photo is decoded and the CNN does not run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from album.library.catalogue import Catalogue
from album.tasks import ProgressMeter, TaskControl
from album.vision.encoder import Encoder

CHUNK = 2048

#: called with (model id, photo ids, vectors) once they are committed
VectorsCallback = Callable[[str, list[int], np.ndarray], None]


def rehead(catalogue: Catalogue, encoder: Encoder, ids: Sequence[int],
           on_vectors: VectorsCallback, meter: ProgressMeter,
           control: TaskControl) -> None:
    """Encode ``ids`` with ``encoder`` from their stored backbone features, a chunk per transaction."""
    for start in range(0, len(ids), CHUNK):
        control.checkpoint()
        chunk = ids[start:start + CHUNK]
        found, features = catalogue.features(encoder.features_id, chunk)
        if found:
            vectors = encoder.embed_features(features)
            index = {photo_id: n for n, photo_id in enumerate(found)}
            stored = catalogue.store_embeddings(encoder.model_id, found, vectors)
            on_vectors(encoder.model_id, stored, vectors[[index[i] for i in stored]])
        meter.advance(len(chunk))
