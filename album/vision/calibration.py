"""A similarity scale a person can read: cosine scores calibrated per model.

Each model's cosine scores mean different things (the shipped head puts
near-identical copies at about 0.8, the raw backbone at 0.95), so the app
shows a calibrated figure instead: the probability that two photos show the
same subject, estimated on validation photos (classes held out of training,
never the test classes) by isotonic regression over as many same-subject
as different-subject pairs, so it does not depend on how many subjects a
library has.  "90 %" then means "almost surely the same subject" for every
model.  A stricter cut-off, calibrated on near-identical copies (cropped,
resized, recompressed), marks near-duplicates.  The JSON ``score`` of the
command line stays the raw cosine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEAR_DUPLICATE = "near-duplicate"
VERY_SIMILAR = "very similar"
SIMILAR = "similar"
WEAK = "weak match"
#: calibrated probabilities that start the bands below near-duplicate
VERY_SIMILAR_AT, SIMILAR_AT = 0.9, 0.5
KNOTS = 64


@dataclass(frozen=True)
class ScoreScale:
    #: increasing cosine knots and the figure shown at each (non-decreasing, 0-1; see ``fit``)
    cosine: tuple[float, ...]
    same_subject: tuple[float, ...]
    #: cosine at and above which two photos are near-identical copies
    near_duplicate: float

    def probability(self, cosine: float) -> float:
        return float(np.interp(cosine, self.cosine, self.same_subject))

    def percent(self, cosine: float) -> int:
        """The calibrated figure the app shows: 0-100, rounded down (99 only from the near-duplicate cut-off)."""
        return int(np.floor(100 * self.probability(cosine) + 1e-6))

    def band(self, cosine: float) -> str:
        if cosine >= self.near_duplicate:
            return NEAR_DUPLICATE
        probability = self.probability(cosine)
        return VERY_SIMILAR if probability >= VERY_SIMILAR_AT else SIMILAR if probability >= SIMILAR_AT else WEAK

    def cosine_for(self, percent: float) -> float:
        """The lowest cosine shown as at least ``percent`` (for a threshold slider in percent)."""
        target = percent / 100
        probabilities = np.asarray(self.same_subject)
        if target <= probabilities[0]:
            return -1.0
        if target > probabilities[-1]:
            return 1.0
        above = int(np.argmax(probabilities >= target))
        low_p, high_p = probabilities[above - 1], probabilities[above]
        low_c, high_c = self.cosine[above - 1], self.cosine[above]
        share = (target - low_p) / (high_p - low_p) if high_p > low_p else 1.0
        return float(low_c + share * (high_c - low_c))

    # -- the model card ------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"cosine": [round(c, 5) for c in self.cosine], "same_subject": [round(p, 5) for p in self.same_subject],
                "near_duplicate": round(self.near_duplicate, 5)}

    @classmethod
    def from_dict(cls, data: dict) -> "ScoreScale":
        return cls(tuple(map(float, data["cosine"])), tuple(map(float, data["same_subject"])),
                   float(data["near_duplicate"]))

    @classmethod
    def uncalibrated(cls, min_score: float) -> "ScoreScale":
        """For a model without a calibration: 50 % at its threshold, linear to 0 and 100 % at the ends,
        near-duplicates from 0.95 (raw backbone features put copies there)."""
        return cls((-1.0, min_score, 1.0), (0.0, 0.5, 1.0), max(0.95, min_score))


def fit(same: np.ndarray, different: np.ndarray, near_copies: np.ndarray, seed: int = 0) -> ScoreScale:
    """Fit the scale on cosine scores of same-subject pairs, different-subject pairs and
    near-identical copies (each photo against its own cropped, resized, recompressed copy).

    Up to 90 % the figure is the calibrated probability of the same subject; above, where that
    probability saturates, it keeps rising with the cosine, to 99 % at the near-duplicate cut-off
    and 100 % for identical photos, so copies still rank above other photos of the same subject."""
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.default_rng(seed)
    count = min(len(same), len(different))
    if count < 20 or len(near_copies) < 5:
        raise ValueError("too few validation pairs to calibrate scores")
    same = rng.choice(same, count, replace=False)
    different = rng.choice(different, count, replace=False)   # equal numbers: a prior of one half
    scores = np.concatenate([same, different])
    labels = np.concatenate([np.ones(count), np.zeros(count)])
    model = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip").fit(scores, labels)
    knots = np.unique(np.quantile(scores, np.linspace(0, 1, KNOTS)))
    calibrated = ScoreScale(tuple(np.concatenate([[-1.0], knots, [1.0]])),
                            tuple(np.concatenate([[0.0], np.maximum.accumulate(model.predict(knots)), [1.0]])), 1.0)
    very_similar = calibrated.cosine_for(100 * VERY_SIMILAR_AT)
    # near-duplicates: nearly every copy above it, and hardly any two different photos of one subject
    near = max(float(np.quantile(near_copies, 0.02)), float(np.quantile(same, 0.995)), very_similar + 0.01)
    kept = [(c, p) for c, p in zip(calibrated.cosine, calibrated.same_subject) if c < very_similar]
    cosine = [c for c, _ in kept] + [very_similar, near, 1.0]
    shown = [p for _, p in kept] + [VERY_SIMILAR_AT, 0.99, 1.0]
    return ScoreScale(tuple(map(float, cosine)), tuple(map(float, shown)), near)


def pair_scores(embeddings: np.ndarray, labels: np.ndarray, max_pairs: int = 200_000,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Cosine scores of (same-subject, different-subject) pairs among unit ``embeddings``."""
    similarity = embeddings @ embeddings.T
    upper = np.triu_indices(len(labels), k=1)
    scores = similarity[upper]
    same = labels[upper[0]] == labels[upper[1]]
    rng = np.random.default_rng(seed)
    pick = (lambda values: values if len(values) <= max_pairs else rng.choice(values, max_pairs, replace=False))
    return pick(scores[same]), pick(scores[~same])
