"""The photo tower: pooled features -> text-space unit vectors, zero-shot or trained; model files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from album.errors import ModelUnavailable
from album.vision.imagenet_labels import class_names, imagenet_classes
from album.vision.text_space import TEXT_MODEL, TextSpaceHead, TextSpaceModel, load_text_model, save_text_model

#: golden retriever, mountain bike, sports car, pizza, lighthouse (classifier outputs)
CHOSEN = {207: "golden retriever", 671: "mountain bike", 817: "sports car", 963: "pizza", 437: "beacon"}


@pytest.fixture(scope="module")
def shipped() -> TextSpaceModel:
    return load_text_model(TEXT_MODEL)


def zero_shot_of(model: TextSpaceModel) -> TextSpaceModel:
    head = model.head
    return TextSpaceModel(TextSpaceHead(head.classifier_weight, head.classifier_bias, head.class_vectors,
                                        head.top_k, head.temperature), model.features_id, model.text_model_id)


def features_of_class(model: TextSpaceModel, index: int) -> np.ndarray:
    """Synthetic pooled features that the bundled classifier labels as class ``index``."""
    weights = model.head.classifier_weight.float()
    return (12.0 * weights[index] / weights[index].norm()).numpy().astype(np.float16)


def test_imagenet_labels_are_in_classifier_order():
    assert len(imagenet_classes()) == 1000
    assert class_names()[207] == "golden retriever"
    assert imagenet_classes()[207].synset == "n02099601"
    assert len(set(imagenet_classes()[0].label_texts())) == 3


def test_synthetic_features_are_labelled_as_chosen(shipped):
    features = np.stack([features_of_class(shipped, index) for index in CHOSEN])
    logits = shipped.head.logits(torch.from_numpy(features))
    assert logits.argmax(1).tolist() == list(CHOSEN)


@pytest.mark.parametrize("trained", [False, True])
def test_a_class_name_finds_the_photo_of_that_class(shipped, text_encoder, trained):  # noqa: F811
    model = shipped if trained else zero_shot_of(shipped)
    vectors = model.embed_features(np.stack([features_of_class(model, index) for index in CHOSEN]))
    assert vectors.shape == (len(CHOSEN), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for position, query in enumerate(CHOSEN.values()):
        scores = vectors @ text_encoder.encode_query(query)
        assert scores.argmax() == position, query


def test_shipped_model_matches_the_installed_text_encoder(shipped, text_encoder):  # noqa: F811
    shipped.check_text_encoder(text_encoder)
    assert shipped.model_id.startswith(shipped.features_id + "+text:")
    assert zero_shot_of(shipped).model_id != shipped.model_id


def test_a_query_needs_the_sentence_encoder_of_the_model(shipped, text_encoder):  # noqa: F811
    foreign = TextSpaceModel(shipped.head, shipped.features_id, "another-encoder@00000000")
    with pytest.raises(ModelUnavailable, match="sentence encoder"):
        foreign.check_text_encoder(text_encoder)


def test_save_load_round_trip(shipped, tmp_path):
    model = zero_shot_of(shipped)
    with torch.no_grad():
        model.head.residual.weight.normal_(0, 0.01)
    model = TextSpaceModel(model.head, model.features_id, model.text_model_id)
    target = tmp_path / "text.safetensors"
    save_text_model(target, model, {"training": {"note": "test"}})
    loaded = load_text_model(target)
    assert loaded.model_id == model.model_id != shipped.model_id
    assert loaded.card["training"] == {"note": "test"} and loaded.card["model_id"] == model.model_id
    features = np.random.default_rng(0).random((4, 1280), dtype=np.float32).astype(np.float16)
    np.testing.assert_allclose(loaded.embed_features(features), model.embed_features(features), atol=1e-6)


def test_missing_or_damaged_model_files_give_plain_errors(tmp_path):
    with pytest.raises(ModelUnavailable, match="does not exist"):
        load_text_model(tmp_path / "absent.safetensors")
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(b"not a model")
    damaged.with_suffix(".json").write_text('{"head": {"top_k": 20, "temperature": 2.0}}')
    with pytest.raises(ModelUnavailable, match="not a valid album text search model"):
        load_text_model(damaged)
