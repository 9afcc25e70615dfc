"""The hnswlib vector index and the set of them a library keeps."""

from __future__ import annotations

import numpy as np

from album.library.catalogue import Catalogue, EncodedPhoto
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


def test_an_index_saved_with_the_older_checksum_still_loads_and_is_saved_with_the_faster_one(tmp_path):
    import hashlib
    import json

    rng = np.random.default_rng(3)
    vectors = _unit(rng, 50, 8)
    index = VectorIndex(tmp_path, "m", 8)
    index.rebuild(np.arange(50), vectors, generation=4)
    meta = json.loads(index.meta_path.read_text())
    assert meta["checksum_kind"] == "crc32"
    with open(index.path, "rb") as handle:  # a sidecar as the previous release wrote it
        meta["checksum"] = hashlib.file_digest(handle, "blake2b").hexdigest()[:32]
    del meta["checksum_kind"]
    index.meta_path.write_text(json.dumps(meta))
    older = VectorIndex(tmp_path, "m", 8)
    assert older.load(4) and older.live == 50
    assert older.query(vectors[7], 1)[0][0] == 7
    with open(index.path, "r+b") as handle:  # and a damaged file is refused, whichever the checksum
        handle.seek(200)
        handle.write(b"\xff" * 16)
    assert not VectorIndex(tmp_path, "m", 8).load(4)
