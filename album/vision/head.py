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

``personal``: a personal model (``vision/fewshot.py``): a starting head, an
adapter fine-tuned on the user's groups, and assignments to their prototypes.
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


class PersonalHead(nn.Module):
    """A personal model's head: a library's starting head (``base``, a residual head's config), a
    residual linear ``adapter`` on its unit embeddings (zero at first), and each photo's soft
    assignment to the ``groups`` prototypes of the user's subjects appended.

    The assignment is a softmax over the cosines to the prototypes and a fixed ``background``
    cosine (an "other subject" option, left out of the output), at ``temperature``, times
    ``weight``: a photo far from every prototype gains almost nothing, two photos close to the
    same prototype gain up to ``weight`` squared in their dot product.
    """

    def __init__(self, base: dict, groups: int, temperature: float = 0.05, background: float = 0.5,
                 weight: float = 1.0):
        super().__init__()
        self.base = build_head(base)
        dim = self.base.config()["dim"]
        self.adapter = nn.Linear(dim, dim)
        nn.init.zeros_(self.adapter.weight)
        nn.init.zeros_(self.adapter.bias)
        self.register_buffer("prototypes", torch.zeros(groups, dim))
        self.groups, self.temperature, self.background, self.weight = groups, temperature, background, weight

    def start(self, features: torch.Tensor) -> torch.Tensor:
        """Unit embeddings of the starting head."""
        return nn.functional.normalize(self.base(features), dim=1)

    def adapt(self, started: torch.Tensor) -> torch.Tensor:
        """The adapted unit embeddings of the starting head's (before the assignments are appended)."""
        return nn.functional.normalize(started + self.adapter(started), dim=1)

    def finish(self, adapted: torch.Tensor) -> torch.Tensor:
        """Adapted unit embeddings with their group assignments appended."""
        if self.groups == 0 or self.weight == 0:
            return adapted
        return torch.cat([adapted, self.weight * self.assignments(adapted)], dim=1)

    def assignments(self, embedded: torch.Tensor) -> torch.Tensor:
        """Soft assignment (N, groups) of unit embeddings to the prototypes; the rest is "other"."""
        logits = torch.cat([embedded @ self.prototypes.T, embedded.new_full((len(embedded), 1), self.background)], 1)
        return torch.softmax(logits / self.temperature, dim=1)[:, :-1]

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.finish(self.adapt(self.start(features)))

    def config(self) -> dict:
        return {"type": "personal", "base": self.base.config(), "groups": self.groups,
                "temperature": self.temperature, "background": self.background, "weight": self.weight}


HEAD_TYPES = {"residual": ResidualHead, "personal": PersonalHead}


def build_head(config: dict) -> nn.Module:
    """Build an untrained head from its card config."""
    options = dict(config)
    kind = options.pop("type")
    try:
        head_class = HEAD_TYPES[kind]
    except KeyError:
        raise ValueError(f"unknown head type {kind!r}") from None
    return head_class(**options)
