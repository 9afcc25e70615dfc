"""Embedding heads: small trainable modules on top of pooled backbone features.

A head maps pooled features (N, D) to embeddings (N, E); the encoder then
L2-normalises them.  Heads are built from a JSON-able config (stored in the
model card) so a model file can be loaded without pickle.

``residual``: optionally power-normalise the features (signed ``x**power``),
centre them on a reference mean and partially PCA-whiten them (``whiten`` =
the exponent alpha: eigenvalue^(-alpha/2)), all fixed from reference
features; then add a learned low-rank correction initialised at zero, so an
untrained head is exactly that fixed space and training can only move away
from it as far as the data justifies.
"""

from __future__ import annotations

import torch
from torch import nn


class ResidualHead(nn.Module):
    def __init__(self, dim: int, hidden: int = 512, dropout: float = 0.0, power: float = 1.0, whiten: float = 0.0):
        super().__init__()
        self.dim = dim
        self.hidden = hidden
        self.power = power
        self.whiten = whiten
        self.register_buffer("center", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))
        if whiten:
            self.register_buffer("projection", torch.eye(dim))
        self.down = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.drop = nn.Dropout(dropout)
        self.up = nn.Linear(hidden, dim)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def _power(self, features: torch.Tensor) -> torch.Tensor:
        if self.power == 1.0:
            return features
        return torch.sign(features) * features.abs().clamp_min(1e-12) ** self.power

    @torch.no_grad()
    def set_reference(self, features: torch.Tensor) -> None:
        """Centre (and, with ``whiten``, partially whiten) on reference features, then scale."""
        x = self._power(features.double())
        self.center.copy_(x.mean(0).float())
        x = x - x.mean(0)
        if self.whiten:
            # PCA whitening softened by the exponent: eigenvalue^(-whiten/2), regularised
            eigenvalues, vectors = torch.linalg.eigh(x.T @ x / max(1, len(x) - 1))
            eigenvalues = eigenvalues.clamp_min(0) + 1e-6 * eigenvalues.max()
            projection = vectors @ torch.diag(eigenvalues ** (-self.whiten / 2)) @ vectors.T
            self.projection.copy_(projection.float())
            x = x @ projection
        self.scale.copy_(x.float().std(0).clamp_min(1e-6).mean().expand(self.dim))

    def base(self, features: torch.Tensor) -> torch.Tensor:
        """The fixed part: power-normalised, centred, whitened, scaled features (the starting space)."""
        x = self._power(features) - self.center
        if self.whiten:
            x = x @ self.projection
        return x / self.scale

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = self.base(features)
        return x + self.up(self.drop(self.act(self.down(x))))

    def config(self) -> dict:
        return {"type": "residual", "dim": self.dim, "hidden": self.hidden, "power": self.power,
                "whiten": self.whiten}


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
