"""The typed records that cross the worker boundary, in both directions.

The GUI asks with a ``SimilarQuery`` (photos like a photo or a file, or
photos that typed words describe) and the worker answers with a
``SimilarAnswer`` of ``ScoredPhoto``s; library updates travel as ``Photos``
(``PhotoRecord``s) and ``Folders`` (``FolderInfo``s), a finished scan as a
``ScanReport``.  Subject groups travel as ``Groups`` (each with its cover's
record) and are asked about with ``GroupRequest``s; near-duplicates as
``Duplicates`` (stacks of records, the keeper first).  The list types are
plain ``list`` subclasses so that a Qt signal declared with them hands the
very same Python object to the GUI thread (a ``Signal(list)`` would copy
100,000 records into a ``QVariantList`` on every update).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from album.library.records import FolderInfo, GroupInfo, PhotoRecord

if TYPE_CHECKING:  # the scanner imports the catalogue (SQLAlchemy): not at start-up
    from datetime import datetime

    from album.library.records import PersonalReport
    from album.library.scanner import ScanSummary

#: Matches fetched per question; the threshold slider filters them in the UI.
SIMILAR_K = 50
#: Matches fetched per word search (those above the text model's threshold).
WORDS_K = 100
NOT_INDEXED_YET = "This photo is not indexed yet. Its similar photos appear as soon as indexing reaches it."


class Photos(list[PhotoRecord]):
    """Photo records, in the engine's order (newest first) unless said otherwise."""


class Folders(list[FolderInfo]):
    """The folders the user added."""


class Purpose(str, enum.Enum):
    """Which view asked a similarity question."""

    PANEL = "panel"        # the side panel's similar strip for the current photo
    RESULTS = "results"    # the results page ("Find similar", a chosen or dropped file, typed words)


@dataclass(frozen=True)
class ScoredPhoto:
    """One search result: the library record when the match is in the library, its path and score.

    ``score`` is what a person reads, the model's calibrated figure (0-1, shown as a percent: the
    same meaning for every model, see ``vision.calibration``); ``cosine`` is the raw similarity
    (for a word search, both are the cosine in text space, and no badge shows it)."""

    record: PhotoRecord | None
    path: str
    score: float
    band: str = ""
    cosine: float | None = None


@dataclass(frozen=True)
class SimilarQuery:
    """A question: photos similar to a library photo (``photo_id``) or to any file (``path``), or
    photos that typed ``words`` describe."""

    photo_id: int | None = None
    path: str | None = None
    words: str | None = None
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


# -- subject groups and near-duplicates -------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupEntry:
    """A group as the Groups page shows it: the engine's ``GroupInfo`` and its cover photo's record."""

    info: GroupInfo
    cover: PhotoRecord | None


class Groups(list[GroupEntry]):
    """Every group, largest first."""


class GroupAction(str, enum.Enum):
    """What a ``GroupRequest`` asks: reads answer with a signal, edits change the groups and confirm them."""

    OPEN = "open"              # the group's photos (``groupOpened``)
    OF_PHOTO = "of_photo"      # the groups a photo is in (``photoGroupsReady``)
    RENAME = "rename"
    MERGE = "merge"            # fold ``other_ids`` into ``group_id``
    ADD = "add"
    CREATE = "create"          # a new group named ``name`` of ``photo_ids``
    REMOVE = "remove"          # take ``photo_ids`` out of ``group_id`` for good


EDITS = frozenset({GroupAction.RENAME, GroupAction.MERGE, GroupAction.ADD, GroupAction.CREATE, GroupAction.REMOVE})


@dataclass(frozen=True)
class GroupRequest:
    action: GroupAction
    group_id: int | None = None
    photo_ids: tuple[int, ...] = ()
    other_ids: tuple[int, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class GroupPhotos:
    """One group's page: the group (None when it is gone) and its photos, pinned ones first."""

    group_id: int
    info: GroupInfo | None
    photos: Photos


@dataclass(frozen=True)
class PhotoGroups:
    """The groups one photo is in (the side panel's Groups section)."""

    photo_id: int
    groups: list[GroupInfo]


@dataclass(frozen=True)
class GroupEdited:
    """An edit was made: what to tell the user, and the group it leaves the user looking at."""

    request: GroupRequest
    message: str
    group_id: int | None


@dataclass(frozen=True)
class DuplicateStack:
    """A stack of near-duplicates: ``kind`` "copy" or "burst", its photos with the suggested keeper first."""

    kind: str
    photos: tuple[PhotoRecord, ...]
    keep: int

    def others(self, keep: int | None = None) -> list[PhotoRecord]:
        """The photos that would go if ``keep`` (the suggestion by default) is kept."""
        keep = self.keep if keep is None else keep
        return [photo for photo in self.photos if photo.id != keep]


class Duplicates(list[DuplicateStack]):
    """Every stack: copies first, then bursts."""


@dataclass(frozen=True)
class TrashReport:
    """What moving photos to the trash did: the photos that went, and the files that could not (path, reason)."""

    trashed: tuple[int, ...]
    failed: list[tuple[str, str]] = field(default_factory=list)


# -- the personal model ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PersonalState:
    """The personal model in use (``active``, the engine's ``PersonalReport``; None: the standard model),
    when it was made, and what the task that just ended did: ``trained`` a new one (its report shows),
    ``undone`` it, or was ``cancelled``."""

    active: PersonalReport | None
    made_at: datetime | None = None
    trained: bool = False
    undone: bool = False
    cancelled: bool = False
