"""Inference in ONNX Runtime gives the embeddings of the PyTorch reference, for every encoder of a library."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from album.vision import onnx_backbone, onnx_runtime
from album.vision.modelfile import load_head, model_path, open_encoder
from tests.conftest import make_photo


def _reference(encoder, batch: np.ndarray, head: torch.nn.Module | None = None) -> np.ndarray:
    """The embeddings of the eager PyTorch forward pass (the reference the runtime must equal); ``head``:
    the PyTorch head module (else the encoder's own)."""
    with torch.inference_mode():
        features = encoder.backbone(torch.from_numpy(batch).contiguous(memory_format=torch.channels_last))
        if head is None:
            return encoder.embed_features(features.numpy())
        return torch.nn.functional.normalize(head(features), dim=1).numpy()


@pytest.mark.parametrize("choice", ["default", "text"])
def test_every_encoder_of_a_library_embeds_in_onnx_runtime_as_in_pytorch(choice):
    encoder = open_encoder(choice)
    batch = np.stack([encoder.preprocess(make_photo(seed)) for seed in range(6)])
    embeddings = encoder.embed_batch(batch)
    assert encoder.runtime == "onnxruntime"
    reference = _reference(encoder, batch, load_head(model_path(choice)) if choice == "default" else None)
    assert embeddings.shape == reference.shape
    assert np.abs(embeddings - reference).max() < 1e-4
    # a different batch size runs in the same graph
    assert np.abs(encoder.embed_batch(batch[:1]) - reference[:1]).max() < 1e-4


def test_the_user_can_keep_pytorch(monkeypatch):
    monkeypatch.setenv(onnx_runtime.RUNTIME_VARIABLE, "torch")
    encoder = open_encoder("default")
    batch = np.stack([encoder.preprocess(make_photo(1))])
    assert np.abs(encoder.embed_batch(batch) - _reference(encoder, batch)).max() < 1e-6
    assert encoder.runtime == "torch"


def test_a_network_the_runtime_cannot_take_falls_back_to_pytorch_with_a_reason(monkeypatch, caplog):
    def refuse(graph, threads):
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(onnx_runtime, "session", refuse)
    encoder = open_encoder("default")
    batch = np.stack([encoder.preprocess(make_photo(2))])
    with caplog.at_level(logging.WARNING, logger=onnx_backbone.__name__):
        embeddings = encoder.embed_batch(batch)
    assert encoder.runtime == "torch"
    assert np.abs(embeddings - _reference(encoder, batch)).max() < 1e-6
    assert "unsupported operator" in caplog.text and "PyTorch" in caplog.text


def test_weights_loaded_after_the_encoder_was_built_are_the_ones_that_run():
    """A fine-tuned backbone's weights are loaded into the module after construction: the graph is made
    from the module as it is at the first inference."""
    encoder = open_encoder("default")
    with torch.no_grad():
        for parameter in encoder.backbone.parameters():
            parameter.mul_(0.5)
    batch = np.stack([encoder.preprocess(make_photo(3))])
    assert np.abs(encoder.embed_batch(batch) - _reference(encoder, batch)).max() < 1e-4


def test_a_large_batch_runs_a_few_rows_at_a_time_and_comes_back_whole():
    """ONNX Runtime keeps the memory of a run's largest tensors: a batch runs ``rows`` at a time."""
    class Session:
        runs: list[int] = []

        def get_inputs(self):
            return [type("Input", (), {"name": "images"})()]

        def run(self, outputs, feeds):
            self.runs.append(len(feeds["images"]))
            return [feeds["images"].reshape(len(feeds["images"]), -1)[:, :2] * 2]

    batch = np.arange(37 * 3 * 2 * 2, dtype=np.float32).reshape(37, 3, 2, 2)
    network = onnx_backbone.OnnxNetwork(Session(), rows=16)
    assert np.array_equal(network(batch), batch.reshape(37, -1)[:, :2] * 2)
    assert Session.runs == [16, 16, 5]
    Session.runs.clear()
    onnx_backbone.OnnxNetwork(Session())(batch)
    assert Session.runs == [37]
