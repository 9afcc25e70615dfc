"""Embedding heads: small trainable modules on top of pooled backbone features.

A head maps pooled features (N, D) to embeddings (N, E); the encoder then
L2-normalises them.  Heads are built from a JSON-able config (stored in the
model card) so a model file can be loaded without pickle.

``residual``: centre the features on a reference mean, then add a learned
low-rank correction initialised at zero, so an untrained head is exactly the
(centred) pretrained embedding space and training can only move away from it
as far as the data justifies.
"""

from __future__ import annotations

import torch
from torch import nn


class ResidualHead(nn.Module):
    def __init__(self, dim: int, hidden: int = 512, dropout: float = 0.0):
        super().__init__()
        self.dim = dim
        self.hidden = hidden
        self.register_buffer("center", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))
        self.down = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.drop = nn.Dropout(dropout)
        self.up = nn.Linear(hidden, dim)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def set_reference(self, features: torch.Tensor) -> None:
        """Centre and scale on reference features (mean and per-dimension spread)."""
        self.center.copy_(features.mean(0))
        self.scale.copy_(features.std(0).clamp_min(1e-3).mean().expand(self.dim))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = (features - self.center) / self.scale
        return x + self.up(self.drop(self.act(self.down(x))))

    def config(self) -> dict:
        return {"type": "residual", "dim": self.dim, "hidden": self.hidden}


HEAD_TYPES = {"residual": ResidualHead}


def build_head(config: dict) -> nn.Module:
    """Build an untrained head from its card config."""
    options = dict(config)
    kind = options.pop("type")
    try:
        head_class = HEAD_TYPES[kind]
    except KeyError:
        raise ValueError(f"unknown head type {kind!r}") from None
    return head_class(**options)
