"""Readable names for automatic groups, from the CNN's own ImageNet classifier.

Each member's class probabilities come from its stored backbone features
(no photo is decoded again); the group is named after the class that is
most often its members' top label, ties going to the higher mean
probability, e.g. "golden retriever" or "seashore". The user can rename a
group; such a name is never recomputed.
"""

from __future__ import annotations

import numpy as np

#: the most typical members a name is drawn from (enough for a stable vote, cheap for huge groups)
VOTERS = 30
#: the name of a group whose members' features are not available (a model without a classifier)
UNNAMED = "Group"


def group_name(probabilities: np.ndarray, names: list[str]) -> str:
    """The name of a group from its members' (M, classes) class probabilities."""
    if len(probabilities) == 0:
        return UNNAMED
    votes = np.bincount(probabilities.argmax(axis=1), minlength=probabilities.shape[1])
    tied = np.flatnonzero(votes == votes.max())
    best = tied[np.argmax(probabilities[:, tied].mean(axis=0))]
    return names[int(best)]
