"""The typed records that cross the worker boundary, in both directions.

The GUI asks with a ``SimilarQuery`` and the worker answers with a
``SimilarAnswer`` of ``ScoredPhoto``s; library updates travel as ``Photos``
(``PhotoRecord``s) and ``Folders`` (``FolderInfo``s), a finished scan as a
``ScanReport``.  The two list types are
plain ``list`` subclasses so that a Qt signal declared with them hands the
very same Python object to the GUI thread (a ``Signal(list)`` would copy
100,000 records into a ``QVariantList`` on every update).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from album.library.records import FolderInfo, PhotoRecord

if TYPE_CHECKING:  # the scanner imports the catalogue (SQLAlchemy): not at start-up
    from album.library.scanner import ScanSummary

#: Matches fetched per question; the threshold slider filters them in the UI.
SIMILAR_K = 50
NOT_INDEXED_YET = "This photo is not indexed yet. Its similar photos appear as soon as indexing reaches it."


class Photos(list[PhotoRecord]):
    """Photo records, in the engine's order (newest first) unless said otherwise."""


class Folders(list[FolderInfo]):
    """The folders the user added."""


class Purpose(str, enum.Enum):
    """Which view asked a similarity question."""

    PANEL = "panel"        # the side panel's similar strip for the current photo
    RESULTS = "results"    # the results page ("Find similar", a chosen or dropped file)


@dataclass(frozen=True)
class ScoredPhoto:
    """One search result: the library record when the match is in the library, its path and score.

    ``score`` is what a person reads, the model's calibrated figure (0-1, shown as a percent: the
    same meaning for every model, see ``vision.calibration``); ``cosine`` is the raw similarity."""

    record: PhotoRecord | None
    path: str
    score: float
    band: str = ""
    cosine: float | None = None


@dataclass(frozen=True)
class SimilarQuery:
    """A question: photos similar to a library photo (``photo_id``) or to any file (``path``)."""

    photo_id: int | None = None
    path: str | None = None
    purpose: Purpose = Purpose.PANEL
    k: int = SIMILAR_K


@dataclass(frozen=True)
class SimilarAnswer:
    """The worker's answer: the photo asked about (None for an outside file), its matches, or an error."""

    query: SimilarQuery
    query_record: PhotoRecord | None
    matches: list[ScoredPhoto] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class ScanReport:
    """What a finished scan did, as the window tells it (the engine's ``ScanSummary``, counted)."""

    new: int = 0
    moved: int = 0
    changed: int = 0
    removed: int = 0
    unreadable: int = 0
    cancelled: bool = False

    @classmethod
    def of(cls, summary: ScanSummary) -> ScanReport:
        return cls(summary.new, summary.moved, summary.changed, summary.removed, len(summary.failed),
                   summary.cancelled)
