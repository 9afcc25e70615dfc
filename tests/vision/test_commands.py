"""``album train`` / ``album eval`` end to end on tiny generated folders, and model files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from album.vision import commands
from album.vision.head import ResidualHead
from album.vision.metrics import METRIC_KEYS
from album.vision.modelfile import load_head, load_model, read_card, save_model
from tests.conftest import make_photo, near_copy


@pytest.fixture(scope="module")
def labelled_dir(tmp_path_factory) -> Path:
    """4 classes x 4 photos: each class is one generated scene, shot four slightly different ways."""
    root = tmp_path_factory.mktemp("labelled")
    for c in range(4):
        folder = root / f"{c:03d}.Thing{c}"
        folder.mkdir()
        base = make_photo(100 + c, (200, 160))
        base.save(folder / "0.jpg", quality=90)
        shot = base
        for i in range(1, 4):
            shot = near_copy(shot)
            shot.save(folder / f"{i}.jpg", quality=90)
    return root


def _run(argv: list[str]) -> int:
    return commands.main(argv)


def test_eval_writes_exactly_the_documented_keys(labelled_dir, tmp_path, capsys):
    for model in ("histogram", "pretrained"):
        out = tmp_path / f"{model}.json"
        assert _run(["eval", str(labelled_dir), "--model", model, "--json", str(out),
                     "--cache", str(tmp_path / "cache")]) == 0
        result = json.loads(out.read_text())
        assert list(result) == [*METRIC_KEYS, "n_queries", "model"]
        assert result["n_queries"] == 16
    assert result["R@1"] == 1.0  # near-identical shots find each other with the pretrained features
    assert "histogram" in capsys.readouterr().out


def test_eval_test_classes_and_errors(labelled_dir, tmp_path):
    out = tmp_path / "r.json"
    assert _run(["eval", str(labelled_dir), "--model", "histogram", "--test-classes", "002-003",
                 "--json", str(out)]) == 0
    assert json.loads(out.read_text())["n_queries"] == 8
    assert _run(["eval", str(labelled_dir), "--model", "histogram", "--test-classes", "050-099"]) == 1


def test_train_head_end_to_end(labelled_dir, tmp_path):
    out = tmp_path / "model.safetensors"
    argv = ["train", str(labelled_dir), "--out", str(out), "--train-classes", "000-002", "--test-classes", "003",
            "--views", "center,aug0", "--epochs", "2", "--batch-classes", "2", "--batch-samples", "2",
            "--val-fraction", "0.34", "--hidden", "16", "--cache", str(tmp_path / "cache")]
    assert _run(argv) == 0
    card = read_card(out)
    assert card["training"]["command"].startswith(f"album train {labelled_dir} --out {out}")
    assert "--views center,aug0" in card["training"]["command"]
    assert card["head"]["type"] == "residual"
    assert set(card["metrics"]) == {"validation", "test"}
    assert "min_score" in card
    encoder = load_model(out)
    assert encoder.dim == 1280 and "+" in encoder.model_id
    embedding = encoder.embed_images([make_photo(1, (120, 100))])
    assert embedding.shape == (1, 1280)
    assert np.linalg.norm(embedding) == pytest.approx(1.0, abs=1e-5)
    assert not any(key.startswith("backbone.") for key in load_file(str(out)))


def test_training_reports_progress_through_a_callback(labelled_dir, tmp_path):
    from album.vision.options import HeadConfig, TrainOptions
    from album.vision.training import run

    options = TrainOptions(out=tmp_path / "m.safetensors", data=str(labelled_dir), train_classes="000-002",
                           views=("center", "flip"), val_fraction=0.34, cache=tmp_path / "cache",
                           config=HeadConfig(epochs=1, classes_per_batch=2, samples_per_class=2, hidden=8))
    reports = []
    card = run(options, progress=reports.append)
    phases = list(dict.fromkeys(r.phase for r in reports))
    name = labelled_dir.name
    # the near-copy view of the validation photos calibrates the score scale, after training
    assert phases == [f"{name} [center]", f"{name} [flip]", "epoch 1 (batches)", f"{name} [near]"]
    last = {r.phase: r for r in reports}
    assert all(r.done == r.total > 0 for r in last.values())
    assert card["training"]["command"] == options.command_line()
    assert read_card(options.out)["training"]["best_epoch"] == card["training"]["best_epoch"]


def test_train_unlabeled(photo_dir, tmp_path):
    out = tmp_path / "mine.safetensors"
    assert _run(["train", "--unlabeled", str(photo_dir), "--out", str(out), "--views", "center,aug0,aug1",
                 "--epochs", "2", "--batch-classes", "4", "--hidden", "16", "--cache", str(tmp_path / "c")]) == 0
    card = read_card(out)
    assert card["training"]["mode"] == "unlabeled"
    assert card["training"]["data"][0]["photos"] == 8
    load_model(out)


def test_train_needs_data_or_unlabeled(tmp_path):
    assert _run(["train", "--out", str(tmp_path / "m.safetensors")]) == 2


def test_model_id_changes_with_the_weights(tmp_path):
    head = ResidualHead(1280, hidden=8)
    first = tmp_path / "a.safetensors"
    save_model(first, head, {"backbone": "efficientnet_lite0"})
    with torch.no_grad():
        head.up.bias.add_(0.01)
    second = tmp_path / "b.safetensors"
    save_model(second, head, {"backbone": "efficientnet_lite0"})
    a, b = load_model(first), load_model(second)
    assert a.model_id != b.model_id
    assert torch.equal(load_head(second).up.bias, head.up.bias)
    np.testing.assert_array_equal(b.head.tensors["up.bias"], head.up.bias.detach().numpy())


def test_train_few_shot_from_the_default_model(labelled_dir, tmp_path, capsys):
    out = tmp_path / "p.safetensors"
    assert _run(["train", str(labelled_dir), "--base", "default", "--out", str(out),
                 "--cache", str(tmp_path / "cache")]) == 0
    card = read_card(out)
    assert card["training"]["mode"] == "personal" and "--base default" in card["training"]["command"]
    assert set(card["metrics"]["held_out"]) == {"base", "personal"} and card["head"]["groups"] == 4
    encoder = load_model(out)
    assert encoder.embed_images([make_photo(1, (200, 160))]).shape == (1, encoder.dim) == (1, 1280 + 4)
    assert _run(["train", str(labelled_dir), "--base", "pretrained", "--out", str(out)]) == 1
    assert "no head" in capsys.readouterr().err
