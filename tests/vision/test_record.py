"""The best-epoch keeper and the one model-card builder (its cards have the shipped card's keys)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

from album.vision.backbones import get_backbone
from album.vision.modelfile import DEFAULT_MODEL
from album.vision.options import HeadConfig, TrainOptions
from album.vision.record import BestEpoch, CardBuilder, source_entry


def _set(model: nn.Module, value: float) -> None:
    with torch.no_grad():
        model.weight.fill_(value)


def test_best_epoch_keeps_the_first_best_weights():
    model = nn.Linear(2, 2)
    _set(model, 0.0)
    best = BestEpoch(model)
    assert (best.epoch, best.score, best.results) == (0, float("-inf"), {})
    for epoch, score in [(1, 0.5), (2, 0.7), (3, 0.7), (4, 0.6), (5, float("nan"))]:
        _set(model, float(epoch))
        best.offer(epoch, score, model, {"val": {"MAP@R": score}})
    assert (best.epoch, best.score, best.results) == (2, 0.7, {"val": {"MAP@R": 0.7}})
    best.restore(model)
    assert torch.equal(model.weight, torch.full((2, 2), 2.0))


def test_best_epoch_without_a_better_score_restores_the_starting_weights():
    model = nn.Linear(2, 2)
    _set(model, 1.0)
    best = BestEpoch(model)
    _set(model, 9.0)
    assert not best.offer(1, float("nan"), model)
    best.restore(model)
    assert torch.equal(model.weight, torch.ones(2, 2)) and best.epoch == 0


def _source(name: str, val_classes: tuple[str, ...] | None):
    data = SimpleNamespace(root=Path("/data") / name, classes=val_classes)
    return SimpleNamespace(name=name, train=data, val=data if val_classes else None, train_spec="0-4",
                           test_spec="5-9")


def test_head_card_has_the_shipped_cards_keys():
    options = TrainOptions(out=Path("m.safetensors"), data="/data/birds")
    builder = CardBuilder(options, "head")
    card = builder.card(backbone="efficientnet_lite0", dim=1280, preprocessing=get_backbone("efficientnet_lite0").preprocessing,
                        data=[source_entry(_source("birds", ("002.Auklet",))), source_entry(_source("misc", None))],
                        metrics={"validation": {}, "test": {}}, min_score=0.21, views=list(options.views),
                        best_epoch=3)
    shipped = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    assert list(card) == ["backbone", "dim", "preprocessing", "min_score", "training", "metrics"]
    assert [key for key in shipped if key in card] == list(card)  # save_model adds head and checksum
    assert list(card["training"]) == list(shipped["training"])
    assert list(card["training"]["data"][0]) == list(shipped["training"]["data"][0])
    assert card["training"]["data"][1]["validation_classes"] == []
    assert card["training"]["command"] == options.command_line()
    assert card["training"]["config"] == HeadConfig().as_dict() == shipped["training"]["config"]
    assert card["training"]["best_epoch"] == 3 and card["training"]["seconds"] >= 0


def test_unlabeled_and_finetune_cards():
    options = TrainOptions(out=Path("m.safetensors"), unlabeled="/photos", config=HeadConfig(seed=4))
    spec = get_backbone("efficientnet_lite0")
    adapted = replace(options.config, samples_per_class=2)
    card = CardBuilder(options, "unlabeled").card(
        backbone=spec.name, dim=np.int64(1280), preprocessing=spec.preprocessing,
        data=[{"name": "photos", "root": "/photos", "photos": 8}], metrics={}, views=["center", "aug0"],
        config=adapted, final_loss=0.25)
    assert "min_score" not in card and card["metrics"] == {} and type(card["dim"]) is int
    assert card["training"]["mode"] == "unlabeled" and card["training"]["final_loss"] == 0.25
    assert card["training"]["config"]["samples_per_class"] == 2 and card["training"]["seed"] == 4
    json.dumps(card)

    options = TrainOptions(out=Path("t.safetensors"), data="/data/birds", mode="finetune", crop=64)
    card = CardBuilder(options, "finetune").card(
        backbone=spec.name, dim=1280, preprocessing=spec.preprocessing, data=[source_entry(_source("birds", None))],
        metrics={"validation": {}}, processes=2, best_epoch=1)
    assert "views" not in card["training"] and card["training"]["processes"] == 2
    assert "--crop 64" in card["training"]["command"] and "--batch-size 64" in card["training"]["command"]
