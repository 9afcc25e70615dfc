"""Stacks of near-duplicates: copies of one shot, and bursts of similar shots taken seconds apart.

The engine hands over candidate pairs (nearest neighbours of the library's
similarity model with a cosine of at least ``CANDIDATE_COSINE``) with the
facts and fingerprints of their photos.  A candidate pair is

* a **copy** when the pictures themselves match: the perceptual hashes are
  within ``hash_distance`` bits (resized, recompressed, re-saved, brightened
  copies), or else one picture, cropped by up to 12 % a side, correlates with
  the other at ``alignment`` or more (``Fingerprint.alignment``), and then
  the photos, decoded again at a finer scale, still match in their detail
  (``verify.fine_alignment`` at least ``fine_alignment``: the finder's
  ``verified``; without it only the fingerprints are checked).  A high
  cosine alone is not enough: the model puts different photos of one subject
  close together.  Two photos whose EXIF dates differ are never copies (a copy
  keeps its original's date; frames of a burst within one second still have
  to pass the picture check).
* a **burst** pair when it is not a copy, both have an EXIF
  ``taken_at`` (never the file times) at most ``burst_seconds`` apart, the
  cameras agree when both are known, and the cosine is at least the candidates'.

Copy stacks are the connected components of copy pairs.  Burst stacks are
the connected components of burst pairs between *shots*: a photo with copies
takes part through its copy stack's keeper, so a burst lists each shot once
and never holds two copies of one frame.  Each stack lists its keeper first
(``keeper.choose_keeper``), then the other photos by id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from album.media.fingerprint import Fingerprint
from album.duplicates.keeper import choose_keeper, preference


@dataclass(frozen=True)
class PhotoFacts:
    photo_id: int
    path: str
    size: int
    width: int
    height: int
    taken_at: datetime | None  # EXIF DateTimeOriginal only, naive local time
    camera: str | None
    modified_ns: int = 0  # the file's modification time: an edited or re-saved copy is newer than its original


@dataclass(frozen=True)
class Stack:
    kind: Literal["copy", "burst"]
    photo_ids: tuple[int, ...]  # the keeper first, then by id
    keep: int


@dataclass(frozen=True)
class Thresholds:
    candidate_cosine: float  # below it, a pair is neither a copy nor a burst
    hash_distance: int  # at most this many differing bits: a copy
    alignment: float  # otherwise, a cropped alignment at least this good: a copy
    fine_alignment: float  # and then the fine check (``verify.fine_alignment``) at least this good
    burst_seconds: float  # EXIF times at most this far apart: a burst pair


#: The similarity model's calibrated figure (``ScoreScale.cosine_for``) from which a pair is a candidate.
CANDIDATE_PERCENT = 90
#: Calibrated with ``benchmarks/duplicates.py --split train`` (6 photos of each of cub100 classes 000-049
#: and the first 25 caltech50 folders, 9 edits of 120 of them; the reported classes played no part):
#: * candidate_cosine: the default model's cosine at 90 %; the lowest cosine of 1080 copies was 0.36,
#:   the 1 % quantile of the hardest edit (crop + resize + colour + JPEG) 0.45;
#: * hash_distance: uncropped copies (resized, recompressed, re-saved, brightened, recoloured) were
#:   within 10 bits, their 95 % within 4; different photos 10 or more apart (one real duplicate in
#:   caltech50 at 4);
#: * alignment: the lowest of the copies' was 0.79 (cropped ones; 1 % quantile 0.82), different photos
#:   of one class reached 0.76 once in 1125 pairs beside two real duplicates (0.84, 0.96), photos of
#:   different classes 0.55. Catalogue shots of one motorbike model in other colours (caltech50's
#:   Motorbikes, a training class) align at 0.75-0.96: 3.7 % of its candidate pairs passed 0.75, 1.9 %
#:   pass 0.80, which keeps 99.6 % of 540 fresh copies of 60 training photos (0.75: 99.8 %);
#: * fine_alignment (``verify``, band 0.7-2.5 px of a 128 px square): 720 fresh copies of 80 training photos
#:   (9 edits) scored 0.72 at the lowest (crop + resize + colour + JPEG), 1 % quantile 0.88, 5 % 0.92; the
#:   750 candidate pairs of caltech50 Motorbikes, airplanes and Faces (10 neighbours each) the fingerprints
#:   call copies scored a median 0.62: 0.80 keeps 99.7 % of the copies and 91 of those pairs (88 Motorbikes,
#:   some of them real duplicates; 0 airplanes, 3 Faces), 0.75 keeps 99.9 % and 159; a finer band (0.5-1.8)
#:   kept 78 at 99.7 % but with less margin (copies' 1 % quantile 0.81);
#: * burst_seconds: a few seconds between frames; longer bursts chain through their frames.
THRESHOLDS = Thresholds(candidate_cosine=0.30, hash_distance=6, alignment=0.80, fine_alignment=0.80,
                        burst_seconds=5.0)
#: pairs of the default model below this cosine are not even candidates (another model: its
#: scale's ``cosine_for(CANDIDATE_PERCENT)``)
CANDIDATE_COSINE = THRESHOLDS.candidate_cosine


def is_copy(cosine: float, first: Fingerprint, second: Fingerprint, first_facts: PhotoFacts,
            second_facts: PhotoFacts, thresholds: Thresholds = THRESHOLDS) -> bool:
    if cosine < thresholds.candidate_cosine:
        return False
    if first_facts.taken_at and second_facts.taken_at and first_facts.taken_at != second_facts.taken_at:
        return False
    return (first.hash_distance(second) <= thresholds.hash_distance
            or first.alignment(second) >= thresholds.alignment)


def is_burst(cosine: float, first: PhotoFacts, second: PhotoFacts, thresholds: Thresholds = THRESHOLDS) -> bool:
    """Burst frames (to be asked only of pairs that are not copies)."""
    if first.taken_at is None or second.taken_at is None or cosine < thresholds.candidate_cosine:
        return False
    if first.camera and second.camera and first.camera != second.camera:
        return False
    return abs((first.taken_at - second.taken_at).total_seconds()) <= thresholds.burst_seconds


def coarse_copies(pairs: Iterable[tuple[int, int, float]], facts: Mapping[int, PhotoFacts],
                  fingerprints: Mapping[int, Fingerprint], thresholds: Thresholds = THRESHOLDS) -> list[tuple[int, int]]:
    """The pairs (ids) that ``is_copy`` accepts: the ones the fine check is asked about."""
    return [(first, second) for first, second, cosine in pairs
            if first != second and first in facts and second in facts and first in fingerprints
            and second in fingerprints and is_copy(cosine, fingerprints[first], fingerprints[second], facts[first],
                                                   facts[second], thresholds)]


def find_stacks(pairs: Iterable[tuple[int, int, float]], facts: Mapping[int, PhotoFacts],
                fingerprints: Mapping[int, Fingerprint], thresholds: Thresholds = THRESHOLDS,
                verified: Callable[[int, int], bool] | None = None) -> list[Stack]:
    """Copy stacks, then burst stacks, each with its suggested keeper (pairs: ids and embedding cosine).

    A pair whose photo lacks facts is skipped; one that lacks a fingerprint (an unreadable
    file) can still be a burst pair, never a copy.  With ``verified``, a pair ``is_copy`` accepts
    is a copy only when ``verified(first, second)`` too (the fine check), else it may be a burst."""
    sharpness = {photo_id: print_.sharpness for photo_id, print_ in fingerprints.items()}
    copies: dict[int, set[int]] = {}
    others = []
    for first, second, cosine in pairs:
        if first == second or first not in facts or second not in facts:
            continue
        if ((verified is None or verified(first, second))  # first: it is cheap, and ``is_copy`` is not
                and first in fingerprints and second in fingerprints
                and is_copy(cosine, fingerprints[first], fingerprints[second], facts[first], facts[second],
                            thresholds)):
            copies.setdefault(first, set()).add(second)
            copies.setdefault(second, set()).add(first)
        else:
            others.append((first, second, cosine))
    stacks = [_stack("copy", members, facts, sharpness) for members in _around_originals(copies, facts, sharpness)]
    shot = {member: stack.keep for stack in stacks for member in stack.photo_ids}
    bursts = _Groups()
    for first, second, cosine in others:
        if shot.get(first, first) != shot.get(second, second) and is_burst(cosine, facts[first], facts[second],
                                                                           thresholds):
            bursts.join(shot.get(first, first), shot.get(second, second))
    stacks += [_stack("burst", members, facts, sharpness) for members in bursts.groups()]
    return stacks


def _around_originals(copies: Mapping[int, set[int]], facts: Mapping[int, PhotoFacts],
                      sharpness: Mapping[int, float]) -> list[list[int]]:
    """Copy stacks: the best photo left (the keeper's preference) takes every copy of itself still
    free, and so on. Each photo of a stack is a copy of the stack's first photo, never only a copy of a
    copy: chains of look-alikes (catalogue shots of one product, each like the next) do not stack."""
    order = sorted(copies, key=lambda i: preference(facts[i], sharpness.get(i, 0.0)), reverse=True)
    taken: set[int] = set()
    stacks = []
    for original in order:
        if original in taken:
            continue
        members = [original, *sorted(c for c in copies[original] if c not in taken)]
        if len(members) > 1:
            taken.update(members)
            stacks.append(members)
    return stacks


def _stack(kind: Literal["copy", "burst"], members: list[int], facts: Mapping[int, PhotoFacts],
           sharpness: Mapping[int, float]) -> Stack:
    keep = choose_keeper((facts[member] for member in members), sharpness)
    return Stack(kind, (keep, *sorted(member for member in members if member != keep)), keep)


class _Groups:
    """Union-find over photo ids: connected components of the pairs joined."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}

    def _root(self, item: int) -> int:
        parent = self._parent.setdefault(item, item)
        while parent != item:
            self._parent[item] = self._parent[parent]  # path halving
            item, parent = parent, self._parent[parent]
        return item

    def join(self, first: int, second: int) -> None:
        self._parent[self._root(first)] = self._root(second)

    def groups(self) -> list[list[int]]:
        """Components of two or more ids, each sorted, ordered by their smallest id."""
        members: dict[int, list[int]] = {}
        for item in sorted(self._parent):
            members.setdefault(self._root(item), []).append(item)
        return [group for group in members.values() if len(group) > 1]
