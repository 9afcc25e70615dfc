"""The shipped default model: loadable, near-identical shots still find each other, and (with
../shared/data) it beats the pretrained features on held-out bird species."""

from __future__ import annotations

import numpy as np
import pytest

from album.vision.modelfile import DEFAULT_MODEL, open_encoder, read_card
from tests.conftest import SHARED_DATA, make_photo, near_copy

pytestmark = pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason="no default model shipped")


@pytest.fixture(scope="module")
def default_encoder():
    return open_encoder("default", device="cpu")


def test_card_documents_how_it_was_made():
    card = read_card(DEFAULT_MODEL)
    assert card["training"]["command"].startswith("album train ")
    assert card["training"]["seed"] == card["training"]["config"]["seed"]
    assert {"validation", "test"} <= set(card["metrics"])
    assert DEFAULT_MODEL.stat().st_size < 10 * 2**20
    assert not any(key.startswith("backbone.") for key in __import__("safetensors.torch").torch.load_file(
        str(DEFAULT_MODEL)))


def test_near_identical_shots_rank_first(default_encoder):
    originals = [make_photo(seed) for seed in range(12)]
    copies = [near_copy(photo) for photo in originals]
    gallery = default_encoder.embed_images(originals)
    queries = default_encoder.embed_images(copies)
    top = np.argmax(queries @ gallery.T, axis=1)
    assert list(top) == list(range(12))
    assert float(np.min(np.sum(queries * gallery, axis=1))) >= default_encoder.min_score


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DATA / "cub100").is_dir(), reason="../shared/data is absent")
def test_beats_pretrained_on_held_out_birds(tmp_path):
    from album.vision.evaluate import evaluate

    cache = tmp_path / "cache"
    tuned = evaluate(SHARED_DATA / "cub100", "default", "090-099", cache)
    pretrained = evaluate(SHARED_DATA / "cub100", "pretrained", "090-099", cache)
    assert tuned["MAP@R"] > pretrained["MAP@R"]
