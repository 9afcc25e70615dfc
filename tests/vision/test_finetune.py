"""Backbone fine-tuning: two CPU processes (gloo) under torchrun train one model together."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from album.vision.modelfile import load_model, read_card
from tests.conftest import make_photo


def _free_port() -> str:
    """A port nothing listens on now (a fixed one fails when another run of the suite holds it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


@pytest.mark.slow
def test_torchrun_two_cpu_processes(tmp_path):
    data = tmp_path / "data"
    for c in range(4):
        folder = data / f"{c:03d}.C{c}"
        folder.mkdir(parents=True)
        for i in range(3):
            make_photo(10 * c + i, (80, 64)).save(folder / f"{i}.jpg")
    out = tmp_path / "tuned.safetensors"
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", _free_port(),
               "-m", "album.vision.commands", "train", str(data), "--out", str(out), "--mode", "finetune",
               "--train-classes", "000-003", "--val-fraction", "0.25", "--crop", "64", "--epochs", "1",
               "--batch-size", "4", "--batch-samples", "2", "--hidden", "8"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    card = read_card(out)
    assert card["training"]["processes"] == 2
    assert card["preprocessing"]["crop"] == 64
    encoder = load_model(out)
    assert encoder.backbone_id.endswith(card["checksum"])
    pretrained_first = next(iter(encoder.backbone.parameters()))
    assert torch.isfinite(pretrained_first).all()
    assert encoder.embed_images([make_photo(99, (80, 64))]).shape == (1, 1280)
