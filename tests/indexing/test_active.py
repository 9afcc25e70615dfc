"""The active encoders: loaded on a side thread while a scan works, recorded by the caller; recipes known
before they load."""

from __future__ import annotations

import json
import threading

import pytest

from album.errors import ModelUnavailable
from album.indexing import active
from album.indexing.active import SIMILARITY, TEXT, ActiveEncoders
from album.library.catalogue import Catalogue
from album.vision import modelfile
from tests.indexing.test_indexer import tiny_encoder


@pytest.fixture
def catalogue(tmp_path):
    opened = Catalogue(tmp_path / "catalogue.db")
    yield opened
    opened.close()


def test_encoders_load_on_a_side_thread_and_are_recorded_by_the_caller(catalogue, monkeypatch):
    built = {"default": tiny_encoder(1), "text": tiny_encoder(2)}
    threads, prepared = set(), []
    monkeypatch.setattr(active, "text_search_installed", lambda: True)

    def open_encoder(choice, beside=()):
        threads.add(threading.current_thread().name)
        return built[choice]

    monkeypatch.setattr(modelfile, "open_encoder", open_encoder)
    encoders = ActiveEncoders(catalogue, "default", writable=True)
    encoders.load_in_background(then=lambda loaded, enough: prepared.append(loaded))
    assert encoders.get(TEXT) is built["text"] and encoders.get(SIMILARITY) is built["default"]
    assert threads == {"encoder-load"}
    assert [entry["id"] for entry in catalogue.active_models()] == [built["default"].model_id, built["text"].model_id]
    encoders.load_in_background(then=lambda loaded, enough: prepared.append(loaded))  # all loaded: nothing to do
    for thread in threading.enumerate():
        if thread.name == "encoder-load":
            thread.join()
    assert prepared == [[built["default"], built["text"]]]


def test_an_encoder_that_fails_on_the_side_thread_fails_as_if_loaded_in_get(catalogue, monkeypatch):
    monkeypatch.setattr(active, "text_search_installed", lambda: True)

    def open_encoder(choice, beside=()):
        if choice == "text":
            raise ModelUnavailable("the text model is damaged")
        return tiny_encoder(3)

    monkeypatch.setattr(modelfile, "open_encoder", open_encoder)
    encoders = ActiveEncoders(catalogue, "default", writable=True)
    encoders.load_in_background()
    with pytest.raises(ModelUnavailable, match="damaged"):
        encoders.get(TEXT)
    assert [encoder.model_id for encoder in encoders.all()] == [tiny_encoder(3).model_id]  # indexes without it


def test_the_recipes_expected_before_loading_are_those_of_the_shipped_encoders(catalogue):
    encoders = ActiveEncoders(catalogue, "default", writable=False)
    expected = encoders.expected_recipes()
    assert expected is not None
    loaded = {}
    for encoder in encoders.all():
        loaded.setdefault(encoder.features_id, encoder.preprocessing)
    assert expected == list(loaded.items())
    assert encoders.get(TEXT).backbone is encoders.get(SIMILARITY).backbone  # one network, not two copies
    pretrained = ActiveEncoders(catalogue, "pretrained", writable=False)
    assert pretrained.expected_recipes()[0] == (pretrained.get().features_id, pretrained.get().preprocessing)


def test_no_recipe_is_guessed_for_a_model_the_registry_must_load(catalogue, tmp_path, monkeypatch):
    assert ActiveEncoders(catalogue, "resnet50", writable=False).expected_recipes() is None
    weights = tmp_path / "other.safetensors"
    weights.write_bytes(b"")
    card = json.loads(active.DEFAULT_MODEL.with_suffix(".json").read_text())
    weights.with_suffix(".json").write_text(json.dumps({**card, "preprocessing": {
        "resize": 320, "crop": 288, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}}))
    monkeypatch.setattr(active, "DEFAULT_MODEL", weights)
    assert ActiveEncoders(catalogue, "default", writable=False).expected_recipes() is None


def _loading_held(catalogue, monkeypatch, seed: int) -> tuple[ActiveEncoders, threading.Event, list]:
    """Encoders whose side thread has started building the first of them and waits for the returned event;
    the list collects what ``then`` was given."""
    started, release, prepared = threading.Event(), threading.Event(), []

    def open_encoder(choice, beside=()):
        started.set()
        release.wait(5)
        return tiny_encoder(seed)

    monkeypatch.setattr(modelfile, "open_encoder", open_encoder)
    encoders = ActiveEncoders(catalogue, "default", writable=True)
    encoders.load_in_background(then=lambda loaded, enough: prepared.append(loaded))
    started.wait(5)
    return encoders, release, prepared


def test_closing_waits_for_the_side_thread_and_skips_what_it_has_not_started(catalogue, monkeypatch):
    """A process must not exit while the side thread is inside native code: closing waits for it."""
    monkeypatch.setattr(active, "text_search_installed", lambda: True)
    encoders, release, prepared = _loading_held(catalogue, monkeypatch, 5)
    threading.Timer(0.2, release.set).start()
    encoders.close()  # returns once the first encoder is built; the second is never started
    assert not any(thread.name == "encoder-load" for thread in threading.enumerate())
    assert prepared == []
    with pytest.raises(ModelUnavailable, match="closed"):
        encoders.get(TEXT)


def test_a_scan_that_ended_lets_the_side_thread_skip_preparing_but_keeps_its_encoders(catalogue, monkeypatch):
    encoders, release, prepared = _loading_held(catalogue, monkeypatch, 6)
    encoders.stop_preparing()
    release.set()
    assert encoders.get(SIMILARITY).model_id == tiny_encoder(6).model_id  # loaded, and recorded
    encoders.close()
    assert prepared == []
