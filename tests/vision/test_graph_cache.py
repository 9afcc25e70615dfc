"""A backbone's ONNX graph is kept in the library's cache and read at the next load instead of exported."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from album.engine import Album
from album.paths import LibraryPaths
from album.vision import graph_cache, graph_export, onnx_runtime
from album.vision.modelfile import open_encoder
from tests.conftest import make_photo


@pytest.fixture
def kept(tmp_path):
    graph_cache.keep_in(tmp_path / "graphs")
    yield tmp_path / "graphs"
    graph_cache.keep_in(None)


def _embeddings(encoder) -> np.ndarray:
    return encoder.embed_batch(np.stack([encoder.preprocess(make_photo(seed)) for seed in range(3)]))


def test_the_second_load_reads_the_kept_graph_and_embeds_the_same(kept, monkeypatch):
    first = _embeddings(open_encoder("default"))
    assert len(list(kept.glob("*.onnx"))) == 1 and oct(next(kept.glob("*.onnx")).stat().st_mode & 0o777) == "0o600"

    def no_export(backbone, crop):
        raise AssertionError("exported again")

    monkeypatch.setattr(graph_export, "export_backbone", no_export)
    second = open_encoder("default")
    assert second.runtime == "onnxruntime" and np.array_equal(_embeddings(second), first)


def test_other_weights_get_their_own_graph(kept):
    encoder = open_encoder("default")
    with torch.no_grad():
        next(encoder.backbone.parameters()).mul_(1.01)  # as a fine-tuned backbone's weights are loaded
    _embeddings(encoder)
    _embeddings(open_encoder("default"))
    assert len(list(kept.glob("*.onnx"))) == 2


def test_a_damaged_graph_is_exported_again_and_replaced(kept, caplog):
    reference = _embeddings(open_encoder("default"))
    path = next(kept.glob("*.onnx"))
    path.write_bytes(b"not a graph")
    with caplog.at_level(logging.INFO, logger=onnx_runtime.__name__):
        assert np.array_equal(_embeddings(open_encoder("default")), reference)
    assert "exporting it again" in caplog.text and path.stat().st_size > 1000


def test_only_the_most_recent_graphs_are_kept(kept, monkeypatch):
    monkeypatch.setattr(graph_cache, "KEEP", 2)
    for key in ("a", "b", "c"):
        graph_cache.write(key, key.encode())
    assert sorted(path.stem for path in kept.glob("*.onnx")) == ["b", "c"]
    assert graph_cache.read("c") == b"c" and graph_cache.read("a") is None


def test_an_open_library_keeps_graphs_in_its_cache_until_closed(tmp_path):
    paths = LibraryPaths.at(tmp_path / "library")
    with Album.open(paths):
        graph_cache.write("k", b"graph")
    assert (paths.graphs / "k.onnx").read_bytes() == b"graph"
    graph_cache.write("after", b"graph")  # closed: nothing kept
    assert not (paths.graphs / "after.onnx").exists()


def test_a_kept_graph_of_the_registry_s_network_runs_without_building_it(kept):
    first = open_encoder("default")
    reference = _embeddings(first)
    assert first.network_built  # exported from it
    second = open_encoder("default")
    assert np.array_equal(_embeddings(second), reference) and not second.network_built
    features = second.features(np.stack([second.preprocess(make_photo(0))]))
    probabilities = second.label_features(features)  # the classifier, read from the weights file
    assert not second.network_built
    assert np.abs(probabilities - first.label_features(features)).max() < 1e-6
    second.backbone  # built when something needs the network itself
    assert second.network_built and np.array_equal(second.label_features(features), first.label_features(features))


def test_a_new_process_runs_the_kept_graphs_without_importing_pytorch(kept):
    import subprocess
    import sys

    first = open_encoder("default")
    reference = _embeddings(first)
    first.label_features(np.zeros((1, first.backbone_spec.dim), np.float32))  # keeps the classifier's graph
    probe = (
        "import sys\nfrom pathlib import Path\nimport numpy as np\n"
        "from album.vision import graph_cache\nfrom album.vision.modelfile import open_encoder\n"
        "from tests.conftest import make_photo\n"
        f"graph_cache.keep_in(Path({str(kept)!r}))\n"
        "encoder = open_encoder('default')\n"
        "batch = np.stack([encoder.preprocess(make_photo(seed)) for seed in range(3)])\n"
        "np.save(sys.stdout.buffer, encoder.embed_batch(batch))\n"
        "labels = encoder.label_features(encoder.features(batch))\n"
        "assert 'torch' not in sys.modules and encoder.runtime == 'onnxruntime', sorted(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert np.array_equal(np.load(io.BytesIO(done.stdout)), reference)


def test_a_library_opened_read_only_reads_the_kept_graphs_and_writes_none(tmp_path):
    paths = LibraryPaths.at(tmp_path / "library")
    with Album.open(paths):
        _embeddings(open_encoder("default"))
        kept = {path: path.stat().st_mtime_ns for path in paths.graphs.glob("*.onnx")}
        graph_cache.keep_in(None)  # as in another process, where only the reader below is open
        with Album.open(paths) as reader:
            assert reader.read_only and graph_cache.folder() == paths.graphs
            encoder = open_encoder("default")
            _embeddings(encoder)
            assert not encoder.network_built  # it ran the kept graph
            graph_cache.write("other", b"graph")
        assert graph_cache.folder() is None
    assert {path: path.stat().st_mtime_ns for path in paths.graphs.glob("*.onnx")} == kept and len(kept) == 1


def test_a_reader_opened_beside_a_writer_leaves_the_writer_s_folder(tmp_path):
    paths = LibraryPaths.at(tmp_path / "library")
    with Album.open(paths), Album.open(paths) as reader:
        assert reader.read_only
        graph_cache.write("k", b"graph")
    assert (paths.graphs / "k.onnx").read_bytes() == b"graph"
