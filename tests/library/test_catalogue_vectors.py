"""Reading a model's stored vectors back in bulk: the same vectors, by photo id, batch by batch."""

from __future__ import annotations

import numpy as np
import pytest

from album.library.catalogue import Catalogue, EncodedPhoto


def _unit(rng, n, dim):
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def catalogue(tmp_path):
    """1,203 photos, all but every tenth encoded by model "a" (the last one never stored)."""
    catalogue = Catalogue(tmp_path / "c.sqlite3")
    folder = catalogue.add_folder("/photos")
    with catalogue.scan_batch() as batch:
        ids = [batch.add_photo(folder.id, f"/photos/{n}.jpg", 1, 1, f"hash{n}") for n in range(1203)]
    catalogue.register_model("a", "tiny", 12, "x")
    vectors = _unit(np.random.default_rng(0), len(ids), 12)
    catalogue.mark_encoded([EncodedPhoto(i, f"hash{n}", 10, 10, None, None, {"a": vectors[n]})
                            for n, i in enumerate(ids) if n % 10])
    yield catalogue
    catalogue.close()


def test_bulk_reads_return_what_each_photo_has_stored(catalogue):
    ids, vectors = catalogue.embeddings("a")
    assert ids.dtype == np.int64 and vectors.dtype == np.float32 and vectors.shape == (len(ids), 12)
    assert list(ids) == sorted(ids) and len(ids) == 1203 - 121
    for photo_id, vector in zip(ids, vectors):
        assert np.array_equal(vector, catalogue.embedding(int(photo_id), "a"))
    batches = list(catalogue.embedding_batches("a", size=100))
    assert [len(batch_ids) for batch_ids, _ in batches] == [100] * 10 + [82]
    assert np.array_equal(np.concatenate([b for b, _ in batches]), ids)
    assert np.array_equal(np.concatenate([v for _, v in batches]), vectors)


def test_reading_chosen_photos_takes_any_number_and_skips_those_without(catalogue):
    ids, vectors = catalogue.embeddings("a")
    wanted = [int(i) for i in ids[::-1]] + [10**9]  # more than one IN (...) clause holds, out of order
    found, found_vectors = catalogue.embeddings("a", wanted)
    assert np.array_equal(found, ids) and np.array_equal(found_vectors, vectors)
    some, some_vectors = catalogue.embeddings("a", [int(ids[5]), int(ids[2])])
    assert list(some) == [ids[2], ids[5]] and np.array_equal(some_vectors, vectors[[2, 5]])


def test_a_model_without_vectors_reads_as_empty(catalogue):
    catalogue.register_model("b", "tiny", 12, "x")
    ids, vectors = catalogue.embeddings("b")
    assert ids.shape == (0,) and vectors.shape == (0, 0)
    assert list(catalogue.embedding_batches("b")) == []
    assert catalogue.embeddings("a", [])[0].shape == (0,)
