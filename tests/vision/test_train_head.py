"""Head training on synthetic features: the triplet loss falls and unseen classes get easier to retrieve."""

from __future__ import annotations

import numpy as np
import torch

from album.vision.head import ResidualHead
from album.vision.metrics import retrieval_metrics
from album.vision.options import HeadConfig
from album.vision.train_head import TrainingSet, embed, make_loss, make_miner, train_head


def _synthetic(classes: range, rng: np.random.Generator, per_class: int = 12):
    """Class identity lives in 8 dimensions; 24 more carry loud nuisance shared by every class."""
    features, labels = [], []
    for c in classes:
        centre = np.zeros(32)
        centre[:8] = np.random.default_rng(1000 + c).normal(0, 1, 8)
        noise = np.concatenate([rng.normal(0, 0.3, (per_class, 8)), rng.normal(0, 1.0, (per_class, 24))], 1)
        features.append(centre + 3 + noise)
        labels += [c] * per_class
    return np.concatenate(features).astype(np.float32), np.array(labels)


def _triplet_loss(head, features, labels) -> float:
    x, y = torch.from_numpy(features), torch.from_numpy(labels)
    with torch.no_grad():
        out = head(x)
        return float(make_loss(0.1)(out, y, make_miner("all", 0.1)(out, y)))


def test_training_lowers_the_loss_and_helps_unseen_classes():
    rng = np.random.default_rng(0)
    train_x, train_y = _synthetic(range(0, 12), rng)
    val_x, val_y = _synthetic(range(12, 16), rng)
    test_x, test_y = _synthetic(range(16, 24), rng)
    config = HeadConfig(epochs=15, classes_per_batch=6, samples_per_class=4, lr=1e-2, weight_decay=1e-4,
                        preserve=0.0, hidden=16, dropout=0.0, margin=0.2, mining="semihard", power=1.0,
                        whiten=0.0, seed=0)
    untrained = ResidualHead(32, hidden=16)
    untrained.set_reference(torch.from_numpy(train_x))
    head, history = train_head(TrainingSet(train_x, train_y), {"val": (val_x, val_y)}, config, train_x,
                               log=lambda line: None)
    assert _triplet_loss(head, train_x, train_y) < _triplet_loss(untrained, train_x, train_y)
    before = retrieval_metrics(embed(untrained, test_x), test_y)["MAP@R"]
    after = retrieval_metrics(embed(head, test_x), test_y)["MAP@R"]
    assert after > before + 0.05
    assert history.best_epoch > 0
    assert len(history.epochs) == config.epochs + 1


def test_training_is_seeded():
    rng = np.random.default_rng(1)
    x, y = _synthetic(range(6), rng)
    config = HeadConfig(epochs=2, classes_per_batch=3, samples_per_class=4, hidden=8, whiten=0.5, seed=5)
    first, _ = train_head(TrainingSet(x, y), {}, config, x, log=lambda line: None)
    second, _ = train_head(TrainingSet(x, y), {}, config, x, log=lambda line: None)
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)


def test_whitening_head_starts_at_the_whitened_space():
    rng = np.random.default_rng(2)
    features = (rng.normal(size=(400, 6)) * np.array([5, 3, 1, 0.5, 0.2, 0.1])).astype(np.float32)
    head = ResidualHead(6, hidden=4, power=1.0, whiten=1.0)
    head.set_reference(torch.from_numpy(features))
    with torch.no_grad():
        base = head.base(torch.from_numpy(features)).numpy()
        assert torch.equal(head(torch.from_numpy(features)), torch.from_numpy(base))
    covariance = np.cov(base.T)
    assert np.allclose(covariance, np.eye(6) * covariance[0, 0], atol=0.05 * covariance[0, 0])
    from album.vision.head import build_head

    rebuilt = build_head(head.config())
    rebuilt.load_state_dict(head.state_dict())
    assert torch.equal(rebuilt.projection, head.projection)


def test_epochs_report_their_batches():
    rng = np.random.default_rng(3)
    x, y = _synthetic(range(6), rng)
    config = HeadConfig(epochs=2, classes_per_batch=3, samples_per_class=4, hidden=8, seed=1)
    reports = []
    train_head(TrainingSet(x, y), {}, config, x, log=lambda line: None, progress=reports.append)
    phases = [r.phase for r in reports]
    assert phases[0] == "epoch 1 (batches)" and phases[-1] == "epoch 2 (batches)"
    assert sorted(set(phases)) == ["epoch 1 (batches)", "epoch 2 (batches)"]
    for phase in set(phases):
        mine = [r for r in reports if r.phase == phase]
        assert mine[0].done == 0 and mine[-1].done == mine[-1].total == len(y) // 12
