"""The shipped default model: loadable, near-identical shots still find each other, and (with
../shared/data) it beats the pretrained features on held-out bird species."""

from __future__ import annotations

import numpy as np
import pytest
from safetensors.torch import load_file

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
    assert not any(key.startswith("backbone.") for key in load_file(str(DEFAULT_MODEL)))


def test_embeddings_are_unchanged(default_encoder):
    """Pinned values computed before preprocessing moved to album/vision/preprocess.py: the shipped model
    must embed exactly as it did."""
    vectors = default_encoder.embed_images([make_photo(3, (300, 200)), make_photo(4, (200, 260))])
    assert vectors[0, :6] == pytest.approx([-0.007766, -0.011921, 0.056753, 0.020507, -0.009888, 0.003549], abs=2e-5)
    assert vectors[1, :6] == pytest.approx([-0.012206, 0.000611, 0.052187, -0.015577, -0.006351, -0.030191], abs=2e-5)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(0.528314, abs=1e-4)


def _near_copy_top1(encoder, originals, copies) -> float:
    gallery = encoder.embed_images(originals)
    queries = encoder.embed_images(copies)
    return float(np.mean(np.argmax(queries @ gallery.T, axis=1) == np.arange(len(copies))))


def test_near_identical_shots_rank_first(default_encoder, encoder):
    """Cropped, resized, recompressed copies find their original at least as often as with
    the pretrained features (these generated 'photos' are much alike, so neither is perfect)."""
    originals = [make_photo(seed) for seed in range(24)]
    copies = [near_copy(photo) for photo in originals]
    tuned = _near_copy_top1(default_encoder, originals, copies)
    assert tuned >= 0.9
    assert tuned >= _near_copy_top1(encoder, originals, copies)


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DATA / "cub100").is_dir(), reason="../shared/data is absent")
def test_beats_pretrained_on_held_out_birds(tmp_path):
    from album.vision.evaluate import evaluate

    cache = tmp_path / "cache"
    tuned = evaluate(SHARED_DATA / "cub100", "default", "090-099", cache)
    pretrained = evaluate(SHARED_DATA / "cub100", "pretrained", "090-099", cache)
    assert tuned["MAP@R"] > pretrained["MAP@R"]
