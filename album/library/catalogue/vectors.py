"""Vector storage rules shared by the catalogue's write methods.

Embeddings are float32 unit vectors; backbone features are float16.  Every
change to a model's embeddings bumps that model's ``generation``, which is
how a saved vector index knows it is stale.  Vectors are read back in
batches (``stack_rows``), so that a million of them never exist as Python
objects at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from album.library.schema import BackboneFeatures, Embedding, Fingerprint, Model


#: ids per ``IN (...)`` clause, well under SQLite's limit on bound variables
CHUNK = 500
#: rows per batch when reading many vectors (about 50 MB of 1280-d float32)
READ_BATCH = 10_000


def chunks(ids: Sequence[int]) -> list[list[int]]:
    """``ids`` in slices small enough for one ``IN (...)`` clause."""
    ids = list(ids)
    return [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]


def pack(vector: np.ndarray, dtype: str = "<f4") -> bytes:
    return np.asarray(vector, dtype).tobytes()


def unpack(blobs: Sequence[bytes], dtype: str = "<f4") -> np.ndarray:
    """Stack blobs of equal length into an (N, dim) float32 array."""
    if not blobs:
        return np.zeros((0, 0), np.float32)
    return np.frombuffer(b"".join(blobs), dtype).reshape(len(blobs), -1).astype(np.float32)


def stack_rows(rows: Sequence[tuple[int, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of (photo id, float32 blob) rows of equal length: int64 (N,), float32 (N, dim), the
    vectors read-only (a view of their blobs joined)."""
    ids = np.fromiter((row[0] for row in rows), np.int64, len(rows))
    return ids, np.frombuffer(b"".join(row[1] for row in rows), "<f4").reshape(len(rows), -1)


def bump_generation(session: Session, model_id: str) -> None:
    """Record that ``model_id``'s vectors changed, so its saved index is known to be stale."""
    session.execute(update(Model).where(Model.id == model_id).values(generation=Model.generation + 1))


def store_embeddings(session: Session, model_id: str, ids: Sequence[int], vectors: np.ndarray) -> None:
    """Insert or replace one model's vectors of these photos."""
    if not len(ids):
        return
    session.execute(delete(Embedding).where(Embedding.model_id == model_id, Embedding.photo_id.in_(list(ids))))
    session.execute(Embedding.__table__.insert(), [
        {"photo_id": int(photo_id), "model_id": model_id, "vector": pack(vector)}
        for photo_id, vector in zip(ids, vectors)])
    bump_generation(session, model_id)


def store_features(session: Session, features_id: str, ids: Sequence[int], features: np.ndarray) -> None:
    if not len(ids):
        return
    session.execute(delete(BackboneFeatures).where(BackboneFeatures.features_id == features_id,
                                                   BackboneFeatures.photo_id.in_(list(ids))))
    session.execute(BackboneFeatures.__table__.insert(), [
        {"photo_id": int(photo_id), "features_id": features_id, "vector": pack(vector, "<f2")}
        for photo_id, vector in zip(ids, features)])


def drop_vectors(session: Session, photo_ids: Sequence[int]) -> None:
    """Delete every model's vectors and the backbone features of these photos (their content changed
    or they are going away), marking those models' indexes stale."""
    for chunk in chunks(photo_ids):
        models = session.scalars(select(Embedding.model_id).where(Embedding.photo_id.in_(chunk)).distinct()).all()
        session.execute(delete(Embedding).where(Embedding.photo_id.in_(chunk)))
        session.execute(delete(BackboneFeatures).where(BackboneFeatures.photo_id.in_(chunk)))
        for model_id in models:
            bump_generation(session, model_id)


def copy_vectors(session: Session, source_id: int, target_id: int) -> list[str]:
    """Give ``target_id`` (an identical copy) the vectors, features and fingerprint of ``source_id``;
    returns the models."""
    rows = session.execute(select(Embedding.model_id, Embedding.vector).where(Embedding.photo_id == source_id)).all()
    for model_id, vector in rows:
        session.add(Embedding(photo_id=target_id, model_id=model_id, vector=vector))
        bump_generation(session, model_id)
    for features_id, vector in session.execute(select(BackboneFeatures.features_id, BackboneFeatures.vector).where(
            BackboneFeatures.photo_id == source_id)).all():
        session.add(BackboneFeatures(photo_id=target_id, features_id=features_id, vector=vector))
    for content_hash, data in session.execute(select(Fingerprint.content_hash, Fingerprint.data).where(
            Fingerprint.photo_id == source_id)).all():
        session.merge(Fingerprint(photo_id=target_id, content_hash=content_hash, data=data))
    return [model_id for model_id, _ in rows]
