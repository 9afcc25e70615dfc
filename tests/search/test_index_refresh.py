"""Bringing a vector index in line with the catalogue: rebuilt, or caught up with the difference."""

from __future__ import annotations

import logging
import os
import shutil

import numpy as np
import pytest

from album.library.catalogue import Catalogue, EncodedPhoto
from album.search import full_graph, projection
from album.search import index as index_module
from album.search.index import VectorIndex
from album.search.indexes import IndexSet
from album.search.vector_store import VectorStore

DIM = 16


def _unit(rng, n, dim=DIM):
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _exact(ids, vectors, query, k):
    order = np.argsort(-(vectors @ query), kind="stable")[:k]
    return [int(ids[i]) for i in order]


def test_a_rebuilt_index_answers_as_exact_search(tmp_path):
    rng = np.random.default_rng(1)
    ids, vectors = np.arange(100, 500), _unit(rng, 400)
    index = VectorIndex(tmp_path, "m", DIM)
    index.rebuild(ids, vectors, generation=3)
    for query in _unit(rng, 40):
        hits = index.query(query, 10)
        assert [i for i, _ in hits] == _exact(ids, vectors, query, 10)
        assert np.allclose([s for _, s in hits], np.sort(vectors @ query)[::-1][:10], atol=1e-5)
    assert VectorIndex(tmp_path, "m", DIM).load(3)


class _Library:
    """A catalogue of encoded photos, and the changes another process makes behind an index's back."""

    def __init__(self, tmp_path, n):
        self.rng = np.random.default_rng(7)
        self.catalogue = Catalogue(tmp_path / "c.sqlite3")
        self.folder = self.catalogue.add_folder("/photos").id
        self.catalogue.register_model("m", "tiny", DIM, "x")
        self.made = 0
        self.add(n)

    def add(self, n):
        with self.catalogue.scan_batch() as batch:
            ids = [batch.add_photo(self.folder, f"/photos/{self.made + k}.jpg", 1, 1, f"hash{self.made + k}")
                   for k in range(n)]
        self.made += n
        self._encode(ids)

    def edit(self, ids):
        with self.catalogue.scan_batch() as batch:
            for photo_id in ids:
                batch.mark_edited(photo_id, 2, 2, f"edited{photo_id}")
        self._encode(ids)

    def _encode(self, ids):
        photos = self.catalogue.photos_by_ids(ids)
        vectors = _unit(self.rng, len(ids))
        self.catalogue.mark_encoded([EncodedPhoto(i, photos[i].content_hash, 10, 10, None, None, {"m": v})
                                     for i, v in zip(ids, vectors)])


def _holds_exactly_the_catalogue(index, catalogue):
    ids, vectors = catalogue.embeddings("m")
    assert index.live == len(ids)
    stored = index._store.vectors(index._store.rows_of(ids))
    assert np.array_equal(stored, vectors.astype(np.float16).astype(np.float32))  # in half precision
    if index.projected:  # the graph's candidates re-ranked: nearly all of the exact ten
        found = [len({i for i, _ in index.query(query, 10)} & set(_exact(ids, vectors, query, 10)))
                 for query in _unit(np.random.default_rng(3), 30)]
        assert np.mean(found) >= 9
        return
    assert np.array_equal(index._searcher.vectors(ids), vectors)  # a small index's graph
    for query in _unit(np.random.default_rng(3), 30):
        assert [i for i, _ in index.query(query, 10)] == _exact(ids, vectors, query, 10)


@pytest.mark.parametrize("where", ["saved", "in memory", "saved, projected"])
def test_a_stale_index_is_caught_up_with_adds_removals_and_edits(tmp_path, caplog, monkeypatch, where):
    if "projected" in where:  # a large index: its graph works through principal axes
        monkeypatch.setattr(projection, "PROJECT_FROM", 100)
        monkeypatch.setattr(projection, "PROJECTED_DIM", 8)
    library = _Library(tmp_path, 300)
    catalogue = library.catalogue
    indexes = IndexSet(catalogue, tmp_path / "index")
    assert indexes.get("m", DIM).projected == ("projected" in where)
    ids = [int(i) for i in catalogue.embeddings("m")[0]]
    library.add(25)                          # another process writes, and tells this one nothing
    catalogue.delete_photos(ids[:20])
    library.edit(ids[20:40])
    if where.startswith("saved"):
        indexes = IndexSet(catalogue, tmp_path / "index")
    with caplog.at_level(logging.INFO, logger="album.search.indexes"):
        index = indexes.get("m", DIM)
    assert "index of m caught up from 305 stored embeddings" in caplog.text
    _holds_exactly_the_catalogue(index, catalogue)
    assert index.projected == ("projected" in where)
    rebuilt = VectorIndex(tmp_path / "rebuilt", "m", DIM)
    rebuilt.rebuild(*catalogue.embeddings("m"), generation=0, save=False)
    for query in _unit(np.random.default_rng(4), 20) if not index.projected else []:  # (axes fitted anew)
        caught_up, fresh = index.query(query, 10), rebuilt.query(query, 10)
        assert [i for i, _ in caught_up] == [i for i, _ in fresh]
        assert [s for _, s in caught_up] == pytest.approx([s for _, s in fresh])
    assert VectorIndex(tmp_path / "index", "m", DIM).load(catalogue.generation("m"))  # saved, now current
    catalogue.close()


@pytest.mark.parametrize("change", ["every vector edited", "most photos removed"])
def test_a_difference_that_is_most_of_the_index_rebuilds_it(tmp_path, caplog, change):
    library = _Library(tmp_path, 200)
    catalogue = library.catalogue
    IndexSet(catalogue, tmp_path / "index").get("m", DIM)
    ids = [int(i) for i in catalogue.embeddings("m")[0]]
    if change == "every vector edited":
        library.edit(ids)
    else:
        catalogue.delete_photos(ids[:150])
    with caplog.at_level(logging.INFO, logger="album.search.indexes"):
        index = IndexSet(catalogue, tmp_path / "index").get("m", DIM)
    assert "index of m rebuilt" in caplog.text
    _holds_exactly_the_catalogue(index, catalogue)
    catalogue.close()


def test_a_damaged_saved_index_is_rebuilt(tmp_path, caplog):
    library = _Library(tmp_path, 50)
    IndexSet(library.catalogue, tmp_path / "index").get("m", DIM)
    library.add(5)
    with open(tmp_path / "index" / "m.hnsw", "r+b") as handle:
        handle.seek(100)
        handle.write(b"\xff" * 8)
    with caplog.at_level(logging.INFO, logger="album.search.indexes"):
        index = IndexSet(library.catalogue, tmp_path / "index").get("m", DIM)
    assert "index of m rebuilt" in caplog.text
    _holds_exactly_the_catalogue(index, library.catalogue)
    library.catalogue.close()


def test_an_index_never_saved_is_read_once_and_built(tmp_path, caplog):
    library = _Library(tmp_path, 20)
    with caplog.at_level(logging.INFO, logger="album.search"):
        index = IndexSet(library.catalogue, tmp_path / "index").get("m", DIM)
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == "index m has not been saved yet; building it"
    assert len(messages) == 2 and messages[1].startswith("index of m rebuilt from 20 stored embeddings")
    _holds_exactly_the_catalogue(index, library.catalogue)
    library.catalogue.close()


def test_a_saved_index_replaced_while_it_was_being_loaded_is_not_used(tmp_path, caplog, monkeypatch):
    library = _Library(tmp_path, 50)
    IndexSet(library.catalogue, tmp_path / "index").get("m", DIM)
    library.add(5)
    read = VectorStore.read
    path = tmp_path / "index" / "m.hnsw"

    def read_while_another_process_saves(handle, dim):
        copy = path.with_suffix(".copy")
        shutil.copyfile(path, copy)
        os.replace(copy, path)
        return read(handle, dim)

    monkeypatch.setattr(VectorStore, "read", read_while_another_process_saves)
    with caplog.at_level(logging.INFO, logger="album.search.indexes"):
        index = IndexSet(library.catalogue, tmp_path / "index").get("m", DIM)
    assert "index of m rebuilt" in caplog.text
    _holds_exactly_the_catalogue(index, library.catalogue)
    library.catalogue.close()


def test_an_index_saved_with_other_graph_parameters_still_loads_and_grows(tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    monkeypatch.setattr(full_graph, "M", 4)
    monkeypatch.setattr(full_graph, "EF_CONSTRUCTION", 20)
    old = VectorIndex(tmp_path, "m", DIM)
    old.rebuild(np.arange(300), _unit(rng, 300), generation=1)
    monkeypatch.undo()
    loaded = VectorIndex(tmp_path, "m", DIM)
    assert loaded.load(1) and loaded._searcher._graph.M == 4
    vectors = _unit(rng, 50)
    loaded.add(np.arange(300, 350), vectors)
    assert loaded.save(2)  # the check that the file was written whole counts its own links
    reloaded = VectorIndex(tmp_path, "m", DIM)
    assert reloaded.load(2) and reloaded.live == 350 and reloaded.query(vectors[0], 1)[0][0] == 300


@pytest.mark.parametrize("projected", [False, True])
def test_a_rebuild_reports_its_progress(tmp_path, monkeypatch, projected):
    if projected:
        monkeypatch.setattr(projection, "PROJECT_FROM", 100)
        monkeypatch.setattr(projection, "PROJECTED_DIM", 8)
    library = _Library(tmp_path, 300)
    indexes = IndexSet(library.catalogue, tmp_path / "index")
    reports = []
    indexes.progress = reports.append
    assert indexes.get("m", DIM).projected == projected
    assert reports[0].phase == index_module.REBUILDING and (reports[0].done, reports[0].total) == (0, 300)
    assert [r.done for r in reports] == sorted(r.done for r in reports) and reports[-1].done == 300
    reports.clear()
    again = IndexSet(library.catalogue, tmp_path / "index")
    again.progress = reports.append
    again.get("m", DIM)  # loaded as saved: nothing to report
    assert reports == []
    library.catalogue.close()
