"""Plain, typed records of the library: what crosses from the engine to the CLI and the GUI.

``PhotoStatus`` is the one definition of a photo's state; ``PhotoRecord`` is a
photo as the user interfaces show it (a named tuple: 100,000 of them build in
a fraction of a second), and its field names are the column list the
catalogue selects, so the two can never drift apart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


class PhotoStatus(str, enum.Enum):
    """A photo's state in the catalogue (stored as its value)."""

    #: found by a scan, not decoded yet: no size, date or embedding
    PENDING = "pending"
    #: decoded at least once: its metadata is known and it is (or will be) encoded by every active model
    OK = "ok"
    #: unreadable: ``failure`` says why; never encoded
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def readable(cls) -> tuple["PhotoStatus", ...]:
        return (cls.OK, cls.PENDING)


class MemberRole(str, enum.Enum):
    """How a photo came to be (or not to be) in a group (stored as its value)."""

    #: put there by clustering; recomputation may move it
    AUTO = "auto"
    #: put or kept there by the user: a must-link
    USER = "user"
    #: taken out by the user: a cannot-link, never put back automatically
    EXCLUDED = "excluded"

    def __str__(self) -> str:
        return self.value


class PhotoRecord(NamedTuple):
    """One photo as the user interfaces show it."""

    id: int
    path: str
    folder_id: int
    size: int
    mtime_ns: int
    content_hash: str | None
    width: int | None
    height: int | None
    taken_at: datetime | None
    camera: str | None
    status: PhotoStatus
    failure: str | None

    @classmethod
    def of(cls, photo) -> "PhotoRecord":
        """The record of a catalogue row (anything with these attributes)."""
        return cls(*(getattr(photo, name) for name in cls._fields))


#: the catalogue columns behind ``PhotoRecord``, in order
PHOTO_COLUMNS: tuple[str, ...] = PhotoRecord._fields


class KnownPhoto(NamedTuple):
    """As much of a catalogued photo as a rescan compares with the disk."""

    id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str | None


@dataclass(frozen=True)
class FolderInfo:
    """A folder the user added, with its number of readable photos."""

    id: int
    path: str
    photos: int
    exists: bool


@dataclass(frozen=True)
class ModelStatus:
    """One active encoder of a library: its id, its role and how many photos it has encoded."""

    id: str
    role: str
    indexed: int


@dataclass(frozen=True)
class LibraryStatus:
    photos: int
    indexed: int
    pending: int
    failed: int
    folders: list[str]
    model: str | None
    models: list[ModelStatus]


@dataclass(frozen=True)
class GroupInfo:
    """A group of photos of one subject, as the user interfaces list it."""

    id: int
    name: str
    confirmed: bool
    size: int
    #: the photo that stands for the group (its most typical member)
    cover_id: int | None


@dataclass
class TrashResult:
    """Photos moved to the system trash, and the files that could not be moved (path, why)."""

    trashed: list[int] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class PersonalReport:
    """A personal model: how many of the user's groups and photos trained it, and how much better it
    finds held-out photos of those groups (``before``: the default model, ``after``: the personal one)."""

    groups: int
    photos: int
    #: 0-1, what ``measure`` says
    before: float
    after: float
    measure: str
    seconds: float
    #: the model file
    path: str

    def describe(self) -> str:
        """``similar-photo accuracy on your groups: 62% → 81% (12 groups, 140 photos, 35 s)``"""
        return (f"{self.measure}: {self.before:.0%} → {self.after:.0%} "
                f"({self.groups:,} groups, {self.photos:,} photos, {self.seconds:.0f} s)")
