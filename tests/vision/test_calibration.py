"""Calibrated similarity figures: the same reading for every model."""

from __future__ import annotations

import numpy as np
import pytest

from album.vision.calibration import NEAR_DUPLICATE, SIMILAR, VERY_SIMILAR, WEAK, ScoreScale, fit, pair_scores
from tests.conftest import near_copy, packaged_photo


def synthetic_scale(seed: int = 0) -> ScoreScale:
    rng = np.random.default_rng(seed)
    return fit(same=rng.normal(0.5, 0.1, 4000), different=rng.normal(0.0, 0.1, 20000),
               near_copies=rng.normal(0.85, 0.03, 500))


def test_the_fitted_scale_is_monotone_and_reads_as_the_bands_say():
    scale = synthetic_scale()
    cosines = np.linspace(-1, 1, 401)
    shown = [scale.percent(c) for c in cosines]
    assert shown == sorted(shown) and shown[0] == 0 and shown[-1] == 100
    assert scale.band(0.0) == WEAK and scale.band(0.5) == VERY_SIMILAR and scale.band(0.9) == NEAR_DUPLICATE
    assert scale.percent(0.25) == pytest.approx(50, abs=8)  # halfway between the two clouds
    assert scale.band(0.25) in (SIMILAR, WEAK, VERY_SIMILAR)
    assert 99 <= scale.percent(scale.near_duplicate) <= 100
    assert 90 <= scale.percent(0.6) < 99, "photos of the same subject rank below copies"


def test_the_inverse_gives_the_slider_threshold():
    scale = synthetic_scale()
    for percent in (10, 50, 90, 95, 99):
        cosine = scale.cosine_for(percent)
        assert scale.percent(cosine) == pytest.approx(percent, abs=1)
        assert scale.percent(cosine - 0.02) <= percent


def test_the_scale_survives_the_model_card():
    scale = synthetic_scale()
    again = ScoreScale.from_dict(scale.to_dict())
    assert all(abs(scale.percent(c) - again.percent(c)) <= 1 for c in np.linspace(-1, 1, 101))
    assert again.band(0.9) == NEAR_DUPLICATE


def test_pair_scores_split_same_and_different_subjects():
    embeddings = np.array([[1, 0], [1, 0], [0, 1]], np.float32)
    same, different = pair_scores(embeddings, np.array([0, 0, 1]))
    assert same.tolist() == [1.0] and different.tolist() == [0.0, 0.0]


def test_too_few_pairs_are_refused():
    with pytest.raises(ValueError, match="too few"):
        fit(np.ones(3), np.zeros(3), np.ones(3))


@pytest.mark.parametrize("choice", ["default", "pretrained"])
def test_shipped_models_read_alike_for_copies_and_unrelated_photos(choice):
    from album.vision.modelfile import open_encoder

    encoder = open_encoder(choice, device="cpu")
    assert encoder.score_scale != ScoreScale.uncalibrated(encoder.min_score), "the shipped scale is loaded"
    originals = [packaged_photo(name) for name in ("coffee.png", "rocket.jpg", "horse.png", "coins.png")]
    vectors = encoder.embed_images(originals + [near_copy(image) for image in originals])
    scale = encoder.score_scale
    copies = [float(vectors[i] @ vectors[i + 4]) for i in range(4)]
    assert all(scale.percent(c) >= 95 and scale.band(c) in (NEAR_DUPLICATE, VERY_SIMILAR) for c in copies)
    assert sum(scale.band(c) == NEAR_DUPLICATE for c in copies) >= 3  # 70-93 % of copies on validation data
    assert all((scale.percent(c) >= 99) == (scale.band(c) == NEAR_DUPLICATE) for c in copies)
    unrelated = [float(vectors[i] @ vectors[j]) for i in range(4) for j in range(i + 1, 4)]
    assert all(scale.percent(c) < 50 for c in unrelated)


@pytest.mark.shared_data
@pytest.mark.parametrize("choice", ["default", "pretrained"])
def test_photos_of_one_bird_species_read_as_the_same_subject(choice, shared_data):
    """Test classes only check the reading here; the scale was calibrated on validation classes."""
    from album.media.imageio import load_image
    from album.vision.datasets import open_dataset
    from album.vision.modelfile import open_encoder

    data = open_dataset(shared_data / "cub100")
    encoder = open_encoder(choice, device="cpu")
    shown = []
    for label in (60, 75, 90):
        paths = [p for p, lab in zip(data.paths, data.labels) if lab == label][:6]
        vectors = encoder.embed_images([load_image(p, min_side=encoder.decode_size)[0] for p in paths])
        shown += [encoder.score_scale.percent(float(vectors[i] @ vectors[j]))
                  for i in range(len(paths)) for j in range(i + 1, len(paths))]
    assert np.median(shown) >= 70
