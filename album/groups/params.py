"""How subject groups are made: the parameters, and the label of a photo in no group.

Kept apart from ``clustering`` (scikit-learn, scipy) so that code which only reads or edits groups
loads neither.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the label of a photo that fits no group well
UNGROUPED = -1


@dataclass(frozen=True)
class GroupingParams:
    """How groups are made.

    Chosen on the validation classes only (benchmarks/groups.py; cub100 and caltech50 classes held
    out of the default model's training): merge_similarity is the loosest value of 0.30 / 0.35 / 0.40
    that keeps pairwise precision >= 0.95 on both validation sets (0.30 gave 0.876 on cub100's);
    min_size 3 kept more photos grouped than 5 at the same precision; dropping members far from
    their group's centre changed nothing measurable after average linkage, so there is no such step.
    """

    merge_similarity: float = 0.35  # average cosine between two groups needed to merge them
    min_size: int = 3  # smallest group kept
    neighbours: int = 15  # nearest photos looked at for links
