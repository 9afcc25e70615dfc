"""The half-precision store of an index's full vectors."""

from __future__ import annotations

import io

import numpy as np
import pytest

from album.search.vector_store import VectorStore


def _vectors(n, dim=8, seed=0):
    return np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)


def test_vectors_are_stored_replaced_and_removed_by_photo_id():
    store = VectorStore(8)
    first = _vectors(2000)
    store.put(np.arange(10, 2010), first)  # beyond the first capacity
    assert store.live == 2000
    rows = store.rows_of(np.array([10, 2009, 5, 99_999, -3]))
    assert (rows[2:] == -1).all()
    assert np.array_equal(store.vectors(rows[:2]), first[[0, -1]].astype(np.float16).astype(np.float32))
    store.put(np.array([10]), _vectors(1, seed=1))  # replaced in place
    assert store.live == 2000 and store.rows == 2000
    store.remove([10, 11, 11, 424_242])
    assert store.live == 1998 and (store.rows_of(np.array([10, 11])) == -1).all()
    ids = np.concatenate([ids for ids, _ in store.chunks()])
    assert sorted(ids) == list(range(12, 2010))


def test_a_photo_given_twice_at_once_keeps_its_last_vector():
    store = VectorStore(8)
    vectors = _vectors(3)
    store.put(np.array([4, 9, 4]), vectors)
    assert store.live == 2
    kept = store.vectors(store.rows_of(np.array([4])))
    assert np.array_equal(kept, vectors[2:].astype(np.float16).astype(np.float32))


def test_differs_tells_the_missing_and_the_changed_apart_from_the_same():
    store = VectorStore(8)
    vectors = _vectors(3)
    store.put(np.array([1, 2]), vectors[:2])
    changed = vectors.copy()
    changed[1, 0] += 0.5
    assert store.differs(store.rows_of(np.array([1, 2, 3])), changed).tolist() == [False, True, True]
    assert store.differs(store.rows_of(np.array([1, 2])), changed[:2]).tolist() == [False, True]  # consecutive rows
    assert store.differs(store.rows_of(np.array([2, 1])), changed[[1, 0]]).tolist() == [True, False]


def test_written_and_read_back_without_the_removed_rows():
    store = VectorStore(8)
    vectors = _vectors(50)
    store.put(np.arange(50), vectors)
    store.remove(np.arange(0, 50, 5))
    handle = io.BytesIO()
    store.write(handle)
    handle.seek(0)
    read = VectorStore.read(handle, 8)
    assert read.live == read.rows == 40
    kept = np.array([i for i in range(50) if i % 5])
    assert np.array_equal(read.vectors(read.rows_of(kept)), vectors[kept].astype(np.float16).astype(np.float32))
    held = read._vectors
    read.put(np.array([50, 51]), _vectors(2))  # read with room to grow: nothing is copied
    assert read._vectors is held and read.live == 42 and list(read.rows_of(np.array([50, 51]))) == [40, 41]
    handle.seek(0)
    with pytest.raises(ValueError):
        VectorStore.read(handle, 16)
    with pytest.raises(ValueError):  # cut short
        VectorStore.read(io.BytesIO(handle.getvalue()[:-100]), 8)


def test_an_empty_store_is_written_and_read_back():
    # an index saved before any photo was encoded: read back, not thrown away as unusable
    handle = io.BytesIO()
    VectorStore(8).write(handle)
    handle.seek(0)
    read = VectorStore.read(handle, 8)
    assert read.live == read.rows == 0
    read.put(np.array([3]), _vectors(1))
    assert read.live == 1 and list(read.rows_of(np.array([3]))) == [0]
