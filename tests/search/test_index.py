"""The hnswlib vector index and the set of them a library keeps."""

from __future__ import annotations

import numpy as np

from album.library.catalogue import Catalogue, EncodedPhoto
from album.search.code_scan import CodeScan
from album.search.index import VectorIndex
from album.search.indexes import IndexSet


def test_index_grows_and_forgets(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(3000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(tmp_path, "m", 16)
    index.add(np.arange(3000), vectors)  # beyond the initial capacity of 1,024
    assert index.live == 3000 and index.query(vectors[7], 1)[0][0] == 7
    index.remove([7])
    assert index.live == 2999 and 7 not in [i for i, _ in index.query(vectors[7], 5)]
    index.add(np.array([7]), vectors[7:8])  # re-adding un-deletes
    assert index.query(vectors[7], 1)[0][0] == 7
    index.save(5)
    loaded = VectorIndex(tmp_path, "m", 16)
    assert loaded.load(5) and loaded.live == 3000
    assert not VectorIndex(tmp_path, "m", 16).load(6)


def test_an_index_saved_empty_loads_as_saved(tmp_path):
    # a library whose photos are not encoded yet: its saved index is read back, not rebuilt as unusable
    VectorIndex(tmp_path, "m", 16).rebuild(np.zeros(0, np.int64), np.zeros((0, 16), np.float32), 3)
    loaded = VectorIndex(tmp_path, "m", 16)
    assert loaded.load(3) and loaded.live == 0 and loaded.query(np.ones(16, np.float32), 5) == []


def _unit(rng, n, dim):
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_index_set_follows_the_writer_and_rebuilds_what_it_missed(tmp_path):
    catalogue = Catalogue(tmp_path / "c.sqlite3")
    folder = catalogue.add_folder("/photos")
    with catalogue.scan_batch() as batch:
        ids = [batch.add_photo(folder.id, f"/photos/{n}.jpg", 1, 1, f"hash{n}") for n in range(6)]
    for model in ("a", "b"):
        catalogue.register_model(model, "tiny", 8, "x")
    rng = np.random.default_rng(0)
    vectors = {"a": _unit(rng, 6, 8), "b": _unit(rng, 6, 8)}
    indexes = IndexSet(catalogue, tmp_path / "index")
    first = indexes.get("a", 8)  # loaded (empty) before the writer stores vectors
    stored = catalogue.mark_encoded([EncodedPhoto(i, f"hash{n}", 10, 10, None, None,
                                                  {m: vectors[m][n] for m in vectors}) for n, i in enumerate(ids)])
    for model, (model_ids, model_vectors) in stored.items():
        indexes.add(model, model_ids, model_vectors)
    assert first.live == 6 and first.query(vectors["a"][2], 1)[0][0] == ids[2]
    second = indexes.get("b", 8)  # never loaded: rebuilt from the catalogue
    assert second.live == 6 and second.query(vectors["b"][4], 1)[0][0] == ids[4]
    catalogue.delete_photos(ids[:1])
    indexes.remove(ids[:1])
    indexes.save()
    reopened = IndexSet(catalogue, tmp_path / "index")
    assert reopened.get("a", 8).live == 5 and reopened.get("b", 8).live == 5
    assert (tmp_path / "index" / "a.hnsw").is_file() and (tmp_path / "index" / "b.hnsw").is_file()
    catalogue.close()


def test_a_reader_never_writes_index_files(tmp_path):
    catalogue = Catalogue(tmp_path / "c.sqlite3")
    catalogue.register_model("a", "tiny", 8, "x")
    indexes = IndexSet(catalogue, tmp_path / "index", persist=False)
    indexes.get("a", 8)
    indexes.save()
    assert not (tmp_path / "index").exists() or not list((tmp_path / "index").iterdir())
    catalogue.close()


def test_an_index_of_an_earlier_release_or_damaged_is_refused_and_rebuilt(tmp_path):
    import json

    rng = np.random.default_rng(3)
    vectors = _unit(rng, 50, 8)
    index = VectorIndex(tmp_path, "m", 8)
    index.rebuild(np.arange(50), vectors, generation=4)
    assert VectorIndex(tmp_path, "m", 8).load(4)
    meta = json.loads(index.meta_path.read_text())
    del meta["format"]  # as the previous release wrote it (a graph of the full vectors, no vector store)
    index.meta_path.write_text(json.dumps(meta))
    older = VectorIndex(tmp_path, "m", 8)
    assert not older.load(4)
    assert older.refresh(lambda: [(np.arange(50), vectors)], 50, 4) == "rebuilt"
    assert VectorIndex(tmp_path, "m", 8).load(4) and older.query(vectors[7], 1)[0][0] == 7
    for path in (index.path, index.vectors_path):  # a damaged file is refused, whichever it is
        intact = path.read_bytes()
        path.write_bytes(intact[:200] + b"\xff" * 16 + intact[216:])
        assert not VectorIndex(tmp_path, "m", 8).load(4)
        path.write_bytes(intact)
    assert VectorIndex(tmp_path, "m", 8).load(4)


def _clustered(rng, n, dim=64, clusters=20):
    """Unit vectors in clusters, their variance falling along the axes as real embeddings' does."""
    scale = np.arange(1, dim + 1, dtype=np.float32) ** -0.8
    centres = rng.normal(size=(clusters, dim)).astype(np.float32) * scale
    vectors = centres[rng.integers(0, clusters, n)] + 0.5 * rng.normal(size=(n, dim)).astype(np.float32) * scale
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_large_index_searches_through_principal_axes_and_reranks_on_the_full_vectors(tmp_path, monkeypatch):
    from album.search import projection

    monkeypatch.setattr(projection, "PROJECT_FROM", 400)
    monkeypatch.setattr(projection, "PROJECTED_DIM", 16)
    rng = np.random.default_rng(5)
    vectors, queries = _clustered(rng, 600), _clustered(rng, 40)
    half = vectors.astype(np.float16).astype(np.float32)  # what the index keeps of each vector
    index = VectorIndex(tmp_path, "m", 64)
    index.add(np.arange(300), vectors[:300])
    assert not index.projected and index.save(6) and index.path.name == "m.hnsw"
    index.add(np.arange(300, 600), vectors[300:])  # past PROJECT_FROM: the index moves to 16 axes
    assert index.projected and index.live == 600
    assert isinstance(index._searcher, CodeScan) and index._searcher.search(queries[:1, :16], 1)[0].shape == (1, 1)
    index.remove([3])
    for query in queries:
        hits = index.query(query, 10)
        exact = [i for i in np.argsort(-(half @ query), kind="stable") if i != 3][:10]
        assert [i for i, _ in hits] == exact  # 256 candidates of 599: re-ranking finds the exact ten
        assert np.allclose([s for _, s in hits], half[exact] @ query, atol=1e-6)
    ids, cosines = index.neighbours(queries, 5)
    assert [list(row) for row in ids] == [[i for i, _ in index.query(query, 5)] for query in queries]
    assert np.allclose(cosines, [[s for _, s in index.query(query, 5)] for query in queries])
    assert index.save(7)
    assert index.path.name == "m.scan"  # and the graph's file saved before is gone
    assert sorted(path.name for path in tmp_path.iterdir()) == ["m.json", "m.scan", "m.vectors"]
    loaded = VectorIndex(tmp_path, "m", 64)
    assert loaded.load(7) and loaded.projected and loaded.live == 599
    assert [loaded.query(query, 10) for query in queries] == [index.query(query, 10) for query in queries]
    rebuilt = VectorIndex(tmp_path / "rebuilt", "m", 64)  # a rebuild of as many is projected at once
    rebuilt.rebuild(np.arange(600), vectors, 1, save=False)
    assert rebuilt.projected and [i for i, _ in rebuilt.query(queries[0], 10)] == \
        [int(i) for i in np.argsort(-(half @ queries[0]), kind="stable")[:10]]
