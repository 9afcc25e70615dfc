"""What every way of training records: the best epoch, and the model card.

``BestEpoch`` keeps the weights of the best-scoring epoch (head training and
fine-tuning score every epoch on validation classes; on a tie the earlier
epoch stays, and when no score is better than nothing, the starting weights).

A card (the JSON beside a model file) says what the model is (backbone,
embedding dimension, preprocessing, similarity threshold) and how it was
made: the canonical command, mode, data, views, head config, seed, the
outcome (best epoch, final loss, number of processes), time taken, torch and
platform, and the metrics measured.  ``CardBuilder`` is made when training
starts (its clock measures ``seconds``); ``card()`` assembles the dictionary
that ``modelfile.save_model`` writes (adding the head config and checksum).
"""

from __future__ import annotations

import copy
import platform
import time
from dataclasses import dataclass, field

import torch
from torch import nn

from album.vision.backbones import Preprocessing
from album.vision.options import HeadConfig, TrainOptions


class BestEpoch:
    """The best epoch so far: its number, score, validation results and a copy of its weights."""

    def __init__(self, model: nn.Module):
        self.epoch = 0
        self.score = float("-inf")
        self.results: dict = {}
        self._state = copy.deepcopy(model.state_dict())

    def offer(self, epoch: int, score: float, model: nn.Module, results: dict | None = None) -> bool:
        """Keep ``model``'s weights if ``score`` beats the best so far; True if it did."""
        if not score > self.score:
            return False
        self.epoch, self.score, self.results = epoch, score, results or {}
        self._state = copy.deepcopy(model.state_dict())
        return True

    def restore(self, model: nn.Module) -> None:
        """Load the best epoch's weights back into ``model``."""
        model.load_state_dict(self._state)


def source_entry(source) -> dict:
    """The card's record of one labelled set (``training.Source``): where it is, which classes did what."""
    return {"name": source.name, "root": str(source.train.root), "train_classes": source.train_spec,
            "validation_classes": list(source.val.classes) if source.val is not None else [],
            "test_classes": source.test_spec}


@dataclass
class CardBuilder:
    """Collects a training run's card; ``mode`` is head, finetune or unlabeled."""

    options: TrainOptions
    mode: str
    started: float = field(default_factory=time.perf_counter)

    def seconds(self) -> float:
        return round(time.perf_counter() - self.started, 1)

    def card(self, *, backbone: str, dim: int, preprocessing: Preprocessing, data: list[dict], metrics: dict,
             min_score: float | None = None, views: list[str] | None = None, config: HeadConfig | None = None,
             **outcome) -> dict:
        """The card: ``outcome`` holds what the run ended with (``best_epoch``, ``final_loss``,
        ``processes``); ``min_score`` and ``views`` are left out when None; ``config`` is the head
        config the run used, when it adapted the one it was given."""
        card = {"backbone": backbone, "dim": int(dim), "preprocessing": preprocessing.as_dict()}
        if min_score is not None:
            card["min_score"] = min_score
        training = {"command": self.options.command_line(), "mode": self.mode, "data": data}
        if views is not None:
            training["views"] = list(views)
        config = config or self.options.config
        training.update({"config": config.as_dict(), "seed": config.seed, **outcome,
                         "seconds": self.seconds(), "torch": torch.__version__, "platform": platform.platform()})
        card["training"] = training
        card["metrics"] = metrics
        return card
