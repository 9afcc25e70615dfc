"""The photo tower: pooled features -> [text part, appearance part] unit vectors; queries; model files."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from safetensors.numpy import save_file

from album.errors import ModelUnavailable
from album.vision.imagenet_labels import class_names, imagenet_classes
from album.vision.text_space import (APPEARANCE_SCALE, TEXT_MODEL, TEXT_SCALE, SearchSettings, TextSpaceHead,
                                     TextSpaceModel, appearance_basis, load_text_model, save_text_model)

#: golden retriever, mountain bike, sports car, pizza, lighthouse (classifier outputs)
CHOSEN = {207: "golden retriever", 671: "mountain bike", 817: "sports car", 963: "pizza", 437: "beacon"}


@pytest.fixture(scope="module")
def shipped() -> TextSpaceModel:
    return load_text_model(TEXT_MODEL)


def with_settings(model: TextSpaceModel, top_k: int | None = None, search: SearchSettings | None = None,
                  basis: np.ndarray | None = None) -> TextSpaceModel:
    """The model at other settings; with another appearance basis, without its query projection."""
    head = model.head
    projection = model.projection if basis is None else None
    search = search or model.search
    return TextSpaceModel(TextSpaceHead(head.classifier_weight, head.classifier_bias, head.class_vectors,
                                        head.appearance_basis if basis is None else basis,
                                        top_k or head.top_k, head.temperature),
                          model.features_id, model.text_model_id,
                          search=search if projection is not None else replace(search, query_weight=0.0),
                          projection=projection)


def first_score(model: TextSpaceModel, vectors: np.ndarray, text_vector: np.ndarray) -> np.ndarray:
    """(text cosine + q * appearance cosine with the words' projection) / (1 + q), from the parts."""
    text = (vectors[:, :384] / TEXT_SCALE) @ text_vector
    looks = (vectors[:, 384:] / APPEARANCE_SCALE) @ model.projection.apply(text_vector)
    weight = model.search.query_weight
    return (text + weight * looks) / (1 + weight)


def features_of_class(model: TextSpaceModel, index: int) -> np.ndarray:
    """Synthetic pooled features that the bundled classifier labels as class ``index``."""
    weights = model.head.classifier_weight.astype(np.float32)
    return (12.0 * weights[index] / np.linalg.norm(weights[index])).astype(np.float16)


def test_imagenet_labels_are_in_classifier_order():
    assert len(imagenet_classes()) == 1000
    assert class_names()[207] == "golden retriever"
    assert imagenet_classes()[207].synset == "n02099601"
    assert len(set(imagenet_classes()[0].label_texts())) == 3


def test_synthetic_features_are_labelled_as_chosen(shipped):
    features = np.stack([features_of_class(shipped, index) for index in CHOSEN])
    logits = shipped.head.logits(features)
    assert logits.argmax(1).tolist() == list(CHOSEN)


def test_photo_vectors_are_unit_with_a_text_and_an_appearance_part(shipped):
    features = np.random.default_rng(0).random((6, 1280), dtype=np.float32).astype(np.float16)
    vectors = shipped.embed_features(features)
    assert vectors.shape == (6, shipped.dim) and vectors.dtype == np.float32
    assert shipped.dim == shipped.text_dim + shipped.head.appearance_dims == 384 + 256
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors[:, :384], axis=1), TEXT_SCALE, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors[:, 384:], axis=1), APPEARANCE_SCALE, atol=1e-5)
    # the appearance part is the features' direction in the classifier's principal directions
    basis = shipped.head.appearance_basis.astype(np.float32)
    projected = features.astype(np.float32) @ basis.T
    np.testing.assert_allclose(vectors[:, 384:] / APPEARANCE_SCALE,
                               projected / np.linalg.norm(projected, axis=1, keepdims=True), atol=1e-4)


def test_the_photo_tower_runs_as_in_pytorch(shipped):
    """The numpy forward pass gives the vectors of the PyTorch operations the tower was built with."""
    head = shipped.head
    features = torch.from_numpy(np.random.default_rng(4).random((5, 1280), dtype=np.float32) * 4)
    weight, bias, classes, basis = (torch.from_numpy(array).float() for array in
                                    (head.classifier_weight, head.classifier_bias, head.class_vectors,
                                     head.appearance_basis))
    probabilities = torch.softmax((features @ weight.T + bias) / head.temperature, dim=1)
    top = probabilities.topk(head.top_k, dim=1)
    weights = torch.zeros_like(probabilities).scatter_(1, top.indices, top.values)
    expected = torch.cat([TEXT_SCALE * torch.nn.functional.normalize(weights @ classes, dim=1),
                          APPEARANCE_SCALE * torch.nn.functional.normalize(features @ basis.T, dim=1)], dim=1)
    np.testing.assert_allclose(shipped.embed_features(features.numpy()), expected.numpy(), atol=1e-5)


def test_a_class_name_finds_the_photo_of_that_class(shipped, text_encoder):  # noqa: F811
    vectors = shipped.embed_features(np.stack([features_of_class(shipped, index) for index in CHOSEN]))
    for position, query in enumerate(CHOSEN.values()):
        text_vector = text_encoder.encode_query(query)
        scores = shipped.text_scores(text_vector, vectors)
        assert scores.argmax() == position, query
        np.testing.assert_allclose(scores, vectors @ shipped.query_vector(text_vector), atol=1e-6)
        np.testing.assert_allclose(scores, first_score(shipped, vectors, text_vector), atol=1e-5)
        untrained = with_settings(shipped, search=replace(shipped.search, query_weight=0.0))
        np.testing.assert_allclose(untrained.text_scores(text_vector, vectors),
                                   (vectors[:, :384] / TEXT_SCALE) @ text_vector, atol=1e-5)  # a cosine


def test_the_feedback_query_adds_the_appearance_of_the_feedback_photos(shipped):
    rng = np.random.default_rng(1)
    vectors = shipped.embed_features(rng.random((20, 1280), dtype=np.float32))
    text_vector = rng.normal(size=384).astype(np.float32)
    text_vector /= np.linalg.norm(text_vector)
    feedback = vectors[:3]
    scores = vectors @ shipped.feedback_query(text_vector, feedback)
    first = shipped.text_scores(text_vector, vectors)
    np.testing.assert_allclose(first, first_score(shipped, vectors, text_vector), atol=1e-5)
    centre = feedback[:, 384:].mean(axis=0)
    appearance = (vectors[:, 384:] / APPEARANCE_SCALE) @ (centre / np.linalg.norm(centre))
    weight, query_weight = shipped.search.feedback_weight, shipped.search.query_weight
    assert query_weight > 0
    np.testing.assert_allclose(scores, ((1 + query_weight) * first + weight * appearance) / (1 + query_weight + weight),
                               atol=1e-5)
    # no feedback photo: the first score alone
    np.testing.assert_allclose(vectors @ shipped.feedback_query(text_vector, vectors[:0]), first, atol=1e-6)


def test_the_feedback_photos_are_the_best_few_above_the_threshold_and_near_the_best(shipped):
    model = with_settings(shipped, search=SearchSettings(feedback_photos=3, feedback_weight=2.0,
                                                          feedback_min_score=0.4, min_score=0.5, feedback_margin=0.5))
    scores = np.array([0.2, 0.9, 0.5, 0.45, 0.41, 0.3], np.float32)
    assert model.feedback_rows(scores).tolist() == [1, 2, 3]
    assert model.feedback_rows(np.array([0.9, 0.35, 0.5], np.float32)).tolist() == [0, 2]
    assert model.feedback_rows(np.array([0.39, 0.1], np.float32)).tolist() == []
    assert model.feedback_rows(np.array([], np.float32)).tolist() == []
    narrow = with_settings(shipped, search=SearchSettings(3, 2.0, 0.4, 0.5, feedback_margin=0.05))
    assert narrow.feedback_rows(scores).tolist() == [1]  # 0.5 is far below the best: not alike enough
    assert narrow.feedback_rows(np.array([0.6, 0.58, 0.56, 0.5], np.float32)).tolist() == [0, 1, 2]


def test_the_appearance_basis_is_orthonormal_and_the_same_every_time(shipped):
    weight = shipped.head.classifier_weight.astype(np.float32)
    basis = appearance_basis(weight, 16)
    np.testing.assert_allclose(basis @ basis.T, np.eye(16), atol=1e-4)
    np.testing.assert_array_equal(basis, appearance_basis(weight, 16))
    np.testing.assert_allclose(shipped.head.appearance_basis[:16].astype(np.float32), basis, atol=2e-3)


def test_shipped_model_matches_the_installed_text_encoder(shipped, text_encoder):  # noqa: F811
    shipped.check_text_encoder(text_encoder)
    assert shipped.model_id.startswith(shipped.features_id + "+text:")
    assert shipped.model_id == shipped.card["model_id"]  # named as when it was made (in PyTorch)
    assert shipped.projection is not None and shipped.search.query_weight > 0
    assert shipped.card["building"]["projection_training"]["class_names_used"] is False
    # any change to what makes the photo vectors changes the id (so a library re-makes them) ...
    assert with_settings(shipped, top_k=shipped.head.top_k + 1).model_id != shipped.model_id
    assert with_settings(shipped, basis=shipped.head.appearance_basis[:128]).model_id != shipped.model_id
    # ... but not the query settings or the query projection, which make none
    assert with_settings(shipped, search=SearchSettings(5, 1.0, 0.3, 0.3)).model_id == shipped.model_id
    assert TextSpaceModel(shipped.head, shipped.features_id, shipped.text_model_id).model_id == shipped.model_id


def test_a_query_needs_the_sentence_encoder_of_the_model(shipped, text_encoder):  # noqa: F811
    foreign = TextSpaceModel(shipped.head, shipped.features_id, "another-encoder@00000000")
    with pytest.raises(ModelUnavailable, match="sentence encoder"):
        foreign.check_text_encoder(text_encoder)


def test_save_load_round_trip(shipped, tmp_path):
    search = SearchSettings(feedback_photos=7, feedback_weight=1.5, feedback_min_score=0.35, min_score=0.45)
    model = with_settings(shipped, top_k=10, search=search)
    target = tmp_path / "text.safetensors"
    save_text_model(target, model, {"building": {"note": "test"}})
    loaded = load_text_model(target)
    assert loaded.model_id == model.model_id != shipped.model_id
    assert loaded.search == search and loaded.head.top_k == 10
    assert loaded.card["building"] == {"note": "test"} and loaded.card["model_id"] == model.model_id
    features = np.random.default_rng(0).random((4, 1280), dtype=np.float32).astype(np.float16)
    np.testing.assert_allclose(loaded.embed_features(features), model.embed_features(features), atol=1e-6)
    np.testing.assert_array_equal(loaded.projection.weight, shipped.projection.weight)
    np.testing.assert_array_equal(loaded.projection.bias, shipped.projection.bias)
    # a model without a query projection (as before it was trained) saves and loads as one
    untrained = with_settings(shipped, basis=shipped.head.appearance_basis[:128])
    save_text_model(target, untrained, {})
    again = load_text_model(target)
    assert again.projection is None and again.search.query_weight == 0.0 and again.model_id == untrained.model_id


def test_a_query_weight_needs_a_projection_that_fits(shipped):
    with pytest.raises(ValueError, match="needs a query projection"):
        TextSpaceModel(shipped.head, shipped.features_id, shipped.text_model_id, search=shipped.search)
    narrow = with_settings(shipped, basis=shipped.head.appearance_basis[:128])
    with pytest.raises(ValueError, match="does not fit"):
        TextSpaceModel(narrow.head, narrow.features_id, narrow.text_model_id, search=shipped.search,
                       projection=shipped.projection)


def test_missing_damaged_or_outdated_model_files_give_plain_errors(shipped, tmp_path):
    with pytest.raises(ModelUnavailable, match="does not exist"):
        load_text_model(tmp_path / "absent.safetensors")
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(b"not a model")
    damaged.with_suffix(".json").write_text('{"head": {"top_k": 20, "temperature": 2.0}}')
    with pytest.raises(ModelUnavailable, match="not a valid album text search model"):
        load_text_model(damaged)
    # a model file of the earlier tower (a text-space map, no appearance part)
    earlier = tmp_path / "earlier.safetensors"
    head = shipped.head
    save_file({"classifier_weight": head.classifier_weight, "classifier_bias": head.classifier_bias,
               "class_vectors": head.class_vectors, "residual.weight": np.zeros((384, 384), np.float32),
               "residual.bias": np.zeros(384, np.float32)}, str(earlier))
    earlier.with_suffix(".json").write_text(json.dumps({"head": {"top_k": 20, "temperature": 2.0, "dim": 384},
                                                        "features_id": shipped.features_id,
                                                        "text_model": shipped.text_model_id}))
    with pytest.raises(ModelUnavailable, match="not a valid album text search model"):
        load_text_model(earlier)
    # a card that weighs a query projection the file does not hold
    save_text_model(earlier, with_settings(shipped, basis=shipped.head.appearance_basis[:128]), {})
    card = json.loads(earlier.with_suffix(".json").read_text())
    card["search"]["query_weight"] = 0.5
    earlier.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelUnavailable, match="not a valid album text search model"):
        load_text_model(earlier)
