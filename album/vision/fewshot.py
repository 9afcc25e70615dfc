"""Few-shot personal models: a starting head fine-tuned on a few photos of each of the user's subjects.

The starting head (the shipped default) stays frozen; its unit embeddings of
every photo are computed once.  A residual linear adapter on them (zero at
first, so training starts at the default space) is trained with
pytorch-metric-learning's triplet loss on P groups x K photos batches
(batch-hard or semi-hard mining, cosine distance), each photo's embedding
augmented in feature space (dropout and Gaussian noise, then unit length
again), plus ``preserve`` x the preservation term of ``train_head`` on
unlabelled library photos: the adapter may pull the user's subjects apart
only as far as it keeps everyone else's neighbourhoods.  Each photo's soft
assignment to the groups' prototypes (their mean adapted embeddings) is then
appended (``head.PersonalHead``).

A seeded share of each group's photos is held out; after every epoch the
held-out photos query every other photo of the groups (prototypes from the
training photos only) and the best epoch by MAP@R is kept (epoch 0, the
untouched adapter, included).  The final prototypes use every photo.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from pytorch_metric_learning import samplers
from torch import nn

from album.tasks import ProgressCallback, ProgressMeter
from album.vision.head import PersonalHead
from album.vision.metrics import ranking_metrics
from album.vision.record import BestEpoch
from album.vision.train_head import make_loss, make_miner, preservation_loss, seed_everything


@dataclass(frozen=True)
class FewShotConfig:
    """Chosen on cub100 training classes 000-049 used the few-shot way (``benchmarks/personal.py``)."""

    epochs: int = 30
    classes_per_batch: int = 16
    samples_per_class: int = 4
    margin: float = 0.1
    mining: str = "batchhard"
    lr: float = 1e-3
    weight_decay: float = 1e-4
    preserve: float = 10.0
    dropout: float = 0.2
    noise: float = 0.01
    holdout: float = 0.25
    temperature: float = 0.05
    background: float = 0.5
    weight: float = 1.0
    #: unlabelled library photos used at most (preservation and distractors)
    unlabelled: int = 5000
    seed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class FewShotResult:
    head: PersonalHead
    #: held-out metrics of the starting head and of the personal one (R@1, MAP@R, ...)
    before: dict
    after: dict
    best_epoch: int
    seconds: float
    epochs: list[dict] = field(default_factory=list)


def holdout_split(labels: np.ndarray, share: float, seed: int) -> np.ndarray:
    """A mask of held-out photos: a seeded ``share`` of each group of 3 or more (at least one), and
    never so many that fewer than two stay to train on."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(labels), bool)
    if share <= 0:
        return held
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) >= 3:
            count = min(len(members) - 2, max(1, round(share * len(members))))
            held[rng.choice(members, count, replace=False)] = True
    return held


def query_metrics(embedded: np.ndarray, labels: np.ndarray, queries: np.ndarray) -> dict:
    """Each of ``queries`` (row numbers) against every other photo."""
    similarity = embedded[queries] @ embedded.T
    similarity[np.arange(len(queries)), queries] = -np.inf
    order = np.argsort(-similarity, axis=1, kind="stable")[:, :-1]
    relevance = labels[order] == labels[queries][:, None]
    return ranking_metrics(relevance, relevance.sum(1))


def _augment(x: torch.Tensor, config: FewShotConfig) -> torch.Tensor:
    x = nn.functional.dropout(x, config.dropout) + config.noise * torch.randn_like(x)
    return nn.functional.normalize(x, dim=1)


@torch.no_grad()
def _set_prototypes(head: PersonalHead, started: torch.Tensor, labels: torch.Tensor) -> None:
    adapted = head.adapt(started)
    for group in range(head.groups):
        head.prototypes[group] = nn.functional.normalize(adapted[labels == group].mean(0), dim=0)


def train_personal(base: nn.Module, features: np.ndarray, labels: np.ndarray, unlabelled: np.ndarray,
                   config: FewShotConfig = FewShotConfig(), progress: ProgressCallback | None = None,
                   checkpoint: Callable[[], None] = lambda: None) -> FewShotResult:
    """A personal head over ``base`` from ``features`` (N, D) of the user's groups (``labels``
    0..G-1) and ``unlabelled`` (M, D) features of the rest of the library."""
    started_at = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matrices: one thread is as fast and never oversubscribes the CPU
    try:
        seed_everything(config.seed)
        labels = np.asarray(labels, np.int64)
        groups = int(labels.max()) + 1
        head = PersonalHead(base.config(), groups, config.temperature, config.background, config.weight)
        head.base.load_state_dict(base.state_dict())
        head.base.requires_grad_(False)
        head.eval()
        with torch.no_grad():
            started = head.start(torch.as_tensor(np.asarray(features, np.float32)))
            others = head.start(torch.as_tensor(np.asarray(unlabelled[:config.unlabelled], np.float32)))
        held = holdout_split(labels, config.holdout, config.seed)
        trained = ~held
        label_tensor = torch.from_numpy(labels)
        queries = np.flatnonzero(held)
        train_x, train_y = started[trained], label_tensor[trained]

        def score() -> dict:
            _set_prototypes(head, train_x, train_y)
            with torch.no_grad():
                embedded = nn.functional.normalize(head.finish(head.adapt(started)), dim=1).numpy()
            return query_metrics(embedded, labels, queries) if len(queries) else {"MAP@R": 0.0, "R@1": 0.0}

        before = query_metrics(started.numpy(), labels, queries) if len(queries) else {"MAP@R": 0.0, "R@1": 0.0}
        best, history = BestEpoch(head), []
        results = score()
        best.offer(0, results["MAP@R"], head, results)
        history.append({"epoch": 0, "loss": float("nan"), **results})
        classes = min(config.classes_per_batch, groups)
        batch = classes * config.samples_per_class
        sampler = samplers.MPerClassSampler(train_y, m=config.samples_per_class, batch_size=batch,
                                            length_before_new_iter=max(4 * batch, len(train_y)))
        loss_fn, miner = make_loss(config.margin), make_miner(config.mining, config.margin)
        optimiser = torch.optim.AdamW(head.adapter.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=max(1, config.epochs))
        meter = ProgressMeter("Training your model (epochs)", config.epochs, progress)
        meter.start()
        generator = torch.Generator().manual_seed(config.seed)
        for epoch in range(1, config.epochs + 1):
            checkpoint()
            head.train()
            order = torch.tensor(list(iter(sampler)), dtype=torch.int64)
            total = 0.0
            for start in range(0, len(order) - batch + 1, batch):
                index = order[start:start + batch]
                out = head.adapt(_augment(train_x[index], config))
                loss = loss_fn(out, train_y[index], miner(out, train_y[index]))
                if config.preserve > 0 and len(others):
                    pick = torch.randint(len(others), (min(len(others), 4 * batch),), generator=generator)
                    loss = loss + config.preserve * preservation_loss(head.adapt(others[pick]), others[pick])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += loss.item()
            schedule.step()
            head.eval()
            results = score()
            best.offer(epoch, results["MAP@R"], head, results)
            history.append({"epoch": epoch, "loss": total, **results})
            meter.advance()
        best.restore(head)
        after = best.results
        _set_prototypes(head, started, label_tensor)
        return FewShotResult(head, before, after, best.epoch, time.perf_counter() - started_at, history)
    finally:
        torch.set_num_threads(threads)
