"""The trained part of the text tower: words -> where the photos they name lie in the appearance space.

The photo tower (``text_space``) gives every photo an appearance part: its
pooled features along the main directions of the bundled classifier.  This
module learns a linear map from the sentence encoder's space into that
appearance space, so a query also says what the photos should *look like*,
not only which ImageNet classes they resemble.

It is trained by distillation, without a single class name of any photo:
the 1,000 ImageNet classes are the concepts (each class's three label
texts: its name, its WordNet lemmas, its definition), and the bundled
classifier is the teacher.  For a photo, the softmax over the classes of
``cosine(photo's appearance, projected label text) / temperature`` learns to
match the classifier's probabilities for that photo; each class's own
classifier direction learns to pick out its label texts.  Because the
concepts are the 1,000 classes and the words are free text, the map also
places words no class is named by (a training lesson of this project:
a map fitted on the few class names of the development photos memorises
them and fails on new ones).  Training takes about 30 s on two cores; queries
need only numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

#: the names of the projection's tensors in a text model file
PROJECTION_PREFIX = "query_projection."
WEIGHT_KEY, BIAS_KEY = PROJECTION_PREFIX + "weight", PROJECTION_PREFIX + "bias"


@dataclass(frozen=True)
class ProjectionTraining:
    """How the projection is trained (the temperature chosen on the training classes,
    benchmarks/text_search.py --choose; the rest fixed)."""

    temperature: float = 0.05
    steps: int = 1500
    photos_per_step: int = 512
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class QueryProjection:
    """``weight`` (appearance dims, text dim) and ``bias`` (appearance dims), float32."""

    weight: np.ndarray
    bias: np.ndarray

    def apply(self, text_vector: np.ndarray) -> np.ndarray:
        """The unit appearance-space vector of a unit text vector."""
        projected = self.weight @ np.asarray(text_vector, np.float32) + self.bias
        return (projected / max(float(np.linalg.norm(projected)), 1e-12)).astype(np.float32)

    def tensors(self) -> dict[str, np.ndarray]:
        return {WEIGHT_KEY: self.weight, BIAS_KEY: self.bias}

    @classmethod
    def from_tensors(cls, tensors: dict[str, np.ndarray]) -> "QueryProjection | None":
        """The projection stored among a model file's tensors, None when it holds none; ValueError when
        its shapes disagree."""
        if WEIGHT_KEY not in tensors and BIAS_KEY not in tensors:
            return None
        weight = np.asarray(tensors[WEIGHT_KEY], np.float32)
        bias = np.asarray(tensors[BIAS_KEY], np.float32)
        if weight.ndim != 2 or bias.shape != (weight.shape[0],):
            raise ValueError("the query projection's tensors do not fit each other")
        return cls(weight, bias)


def train_query_projection(label_texts: np.ndarray, classifier_weight: np.ndarray, classifier_bias: np.ndarray,
                           appearance_basis: np.ndarray, photo_features: np.ndarray,
                           settings: ProjectionTraining = ProjectionTraining(),
                           progress: Callable[[int, int, float], None] | None = None) -> QueryProjection:
    """Distil the classifier into a text -> appearance map.

    ``label_texts`` (classes, texts per class, text dim): unit vectors of each class's label texts, one
    drawn per class and step; ``classifier_weight`` / ``classifier_bias`` (classes, features) / (classes):
    the teacher; ``appearance_basis`` (appearance dims, features): the photo tower's; ``photo_features``
    (photos, features): pooled features of unlabelled photos.  ``progress(step, steps, loss)`` is called
    every 100 steps.  The same inputs and seed give the same projection."""
    import torch
    from torch import nn

    generator = torch.Generator().manual_seed(settings.seed)
    texts = torch.as_tensor(np.asarray(label_texts, np.float32))
    classes, per_class, text_dim = texts.shape
    weight = torch.as_tensor(np.asarray(classifier_weight, np.float32))
    basis = torch.as_tensor(np.asarray(appearance_basis, np.float32))
    features = torch.as_tensor(np.asarray(photo_features, np.float32))
    if weight.shape[0] != classes or len(features) == 0:
        raise ValueError("the projection needs one classifier row per class and some photos")
    with torch.no_grad():
        teacher = torch.softmax(features @ weight.T + torch.as_tensor(np.asarray(classifier_bias, np.float32)), 1)
        photos = nn.functional.normalize(features @ basis.T, dim=1)
        directions = nn.functional.normalize(weight @ basis.T, dim=1)
    with torch.random.fork_rng(devices=[]):  # the seed sets the starting weights, not the caller's generator
        torch.manual_seed(settings.seed)
        projection = nn.Linear(text_dim, basis.shape[0])
    optimiser = torch.optim.AdamW(projection.parameters(), lr=settings.learning_rate,
                                  weight_decay=settings.weight_decay)
    every_class = torch.arange(classes)
    for step in range(1, settings.steps + 1):
        drawn = texts[every_class, torch.randint(0, per_class, (classes,), generator=generator)]
        projected = nn.functional.normalize(projection(drawn), dim=1)
        rows = torch.randint(0, len(photos), (settings.photos_per_step,), generator=generator)
        photo_logits = photos[rows] @ projected.T / settings.temperature
        loss = -(teacher[rows] * torch.log_softmax(photo_logits, dim=1)).sum(1).mean()
        loss = loss - torch.log_softmax(directions @ projected.T / settings.temperature, dim=1).diagonal().mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if progress is not None and (step % 100 == 0 or step == settings.steps):
            progress(step, settings.steps, float(loss.detach()))
    return QueryProjection(projection.weight.detach().numpy().copy(), projection.bias.detach().numpy().copy())
