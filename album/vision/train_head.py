"""Triplet-loss training of an embedding head on frozen, cached backbone features.

Batches hold P classes x K samples (pytorch-metric-learning's
``MPerClassSampler``); a sample is one cached view of one image, so K samples
of a class mix different photos and different crops of the same photo.
Triplets are mined in the batch (``semihard`` or ``hard`` via
``TripletMarginMiner``, or ``batchhard`` via ``BatchHardMiner``) and scored by
``TripletMarginLoss`` with cosine distance:
L = sum max(0, d(a,p) - d(a,n) + margin).

The head is residual and starts at the identity (the centred pretrained
space).  Two things keep it from overfitting the training classes: AdamW
weight decay with a small learning rate, and a term that keeps the batch's
pairwise similarities close to those of the pretrained space
(``preserve`` * mean squared difference).  After every epoch the head is
scored on the validation classes (MAP@R, averaged over validation sets) and
the best epoch is kept (``record.BestEpoch``).  Each epoch's batches are
reported to a ``ProgressCallback``.  Everything is seeded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import torch
from pytorch_metric_learning import distances, losses, miners, samplers
from torch import nn

from album.tasks import ProgressCallback, ProgressMeter
from album.vision.head import ResidualHead
from album.vision.metrics import format_metrics, retrieval_metrics
from album.vision.options import HeadConfig
from album.vision.record import BestEpoch


@dataclass
class TrainingSet:
    """Flattened training samples: ``features`` (M, D) and ``labels`` (M,), each label a class
    (or, for unlabelled photos, one photo whose views are the positives)."""

    features: np.ndarray
    labels: np.ndarray


@dataclass
class History:
    """Every epoch's loss, score and validation metrics (epoch 0: the untrained head), and the best."""

    epochs: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = float("-inf")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_miner(kind: str, margin: float):
    distance = distances.CosineSimilarity()
    if kind == "batchhard":
        return miners.BatchHardMiner(distance=distance)
    if kind in ("semihard", "hard", "all"):
        return miners.TripletMarginMiner(margin=margin, type_of_triplets=kind, distance=distance)
    raise ValueError(f"unknown mining {kind!r}: use semihard, hard, batchhard or all")


def make_loss(margin: float):
    return losses.TripletMarginLoss(margin=margin, distance=distances.CosineSimilarity())


def preservation_loss(embeddings: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between the batch's cosine-similarity matrices."""
    a = nn.functional.normalize(embeddings, dim=1)
    b = nn.functional.normalize(reference, dim=1)
    return ((a @ a.T - b @ b.T) ** 2).mean()


@torch.no_grad()
def embed(head: nn.Module, features: np.ndarray, batch: int = 4096) -> np.ndarray:
    head.eval()
    chunks = [nn.functional.normalize(head(torch.from_numpy(features[i:i + batch])), dim=1)
              for i in range(0, len(features), batch)]
    return torch.cat(chunks).numpy() if chunks else np.zeros((0, features.shape[1]), np.float32)


def evaluate_head(head: nn.Module, validation: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, dict]:
    return {name: retrieval_metrics(embed(head, feats), labels) for name, (feats, labels) in validation.items()}


def train_head(train: TrainingSet, validation: dict[str, tuple[np.ndarray, np.ndarray]], config: HeadConfig,
               reference: np.ndarray, log=print,
               progress: ProgressCallback | None = None) -> tuple[ResidualHead, History]:
    """Train a residual head; ``reference`` (N, D) are the features it is centred on.

    With validation sets the best epoch by mean validation MAP@R is returned (epoch 0, the
    untrained head, included); without, the last epoch.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matrices: one thread is as fast and never oversubscribes the CPU
    try:
        return _train_head(train, validation, config, reference, log, progress)
    finally:
        torch.set_num_threads(threads)


def _train_head(train: TrainingSet, validation: dict[str, tuple[np.ndarray, np.ndarray]], config: HeadConfig,
                reference: np.ndarray, log, progress: ProgressCallback | None) -> tuple[ResidualHead, History]:
    seed_everything(config.seed)
    dim = train.features.shape[1]
    head = ResidualHead(dim, hidden=config.hidden, dropout=config.dropout, power=config.power, whiten=config.whiten)
    head.set_reference(torch.from_numpy(reference))
    features = torch.from_numpy(np.ascontiguousarray(train.features, dtype=np.float32))
    labels = torch.from_numpy(np.asarray(train.labels, dtype=np.int64))
    classes = min(config.classes_per_batch, len(np.unique(train.labels)))
    batch_size = classes * config.samples_per_class
    sampler = samplers.MPerClassSampler(labels, m=config.samples_per_class, batch_size=batch_size,
                                        length_before_new_iter=max(batch_size, len(labels)))
    loss_fn, miner = make_loss(config.margin), make_miner(config.mining, config.margin)
    optimiser = torch.optim.AdamW(head.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=max(1, config.epochs))
    history = History()
    best = BestEpoch(head)

    def score(epoch: int, loss: float) -> None:
        results = evaluate_head(head, validation) if validation else {}
        value = float(np.mean([m["MAP@R"] for m in results.values()])) if results else float(epoch)
        history.epochs.append({"epoch": epoch, "loss": loss, "score": value, "val": results})
        line = " | ".join(f"{name}: {format_metrics(m)}" for name, m in results.items())
        log(f"epoch {epoch:3d}  loss {loss:.4f}  val MAP@R {value:.4f}  {line}")
        best.offer(epoch, value, head, results)

    score(0, float("nan"))
    for epoch in range(1, config.epochs + 1):
        head.train()
        order = torch.tensor(list(iter(sampler)), dtype=torch.int64)
        total, batches = 0.0, 0
        starts = range(0, len(order) - batch_size + 1, batch_size)
        meter = ProgressMeter(f"epoch {epoch} (batches)", len(starts), progress)
        meter.start()
        for start in starts:
            index = order[start:start + batch_size]
            x, y = features[index], labels[index]
            out = head(x)
            loss = loss_fn(out, y, miner(out, y))
            if config.preserve > 0:
                loss = loss + config.preserve * preservation_loss(out, head.base(x))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total, batches = total + loss.item(), batches + 1
            meter.advance()
        schedule.step()
        score(epoch, total / max(1, batches))
    best.restore(head)
    history.best_epoch, history.best_score = best.epoch, best.score
    head.eval()
    return head, history
