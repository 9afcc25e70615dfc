"""A library's subject groups: recomputation, incremental updates and the user's edits.

``regroup`` clusters every photo's similarity embedding (``clustering``),
keeping the user's choices: photos pinned to a confirmed group stay there,
other photos may *join* a confirmed group they clearly belong to (never one
they were taken out of), and the rest are clustered into automatic groups,
which keep their id (and so their place in the app) when they come out much
the same as before.  ``update`` puts newly encoded photos into the groups
they clearly belong to, and says when enough photos arrived ungrouped for a
full recomputation to be due.  Automatic groups are named by ``naming``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from album.errors import UserFacingError
from album.groups.params import UNGROUPED, GroupingParams
from album.groups.naming import VOTERS, group_name
from album.library.catalogue import Catalogue
from album.library.records import GroupInfo, MemberRole
from album.tasks import Progress, ProgressCallback, TaskControl

if TYPE_CHECKING:
    from album.vision.encoder import Encoder

GROUPING_PHASE = "Grouping photos"
#: a full recomputation is due once this share of the library arrived since the last one ...
DUE_SHARE = 0.1
#: ... and at least this many photos
DUE_MINIMUM = 50


@dataclass
class GroupingSummary:
    photos: int = 0
    groups: int = 0
    grouped: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        share = self.grouped / self.photos if self.photos else 0.0
        return (f"{self.groups:,} groups hold {self.grouped:,} of {self.photos:,} photos ({share:.0%}) "
                f"in {self.seconds:.1f} s")


class SubjectGroups:
    def __init__(self, catalogue: Catalogue, encoder: Callable[[], "Encoder"], require_writer: Callable[[], None],
                 params: GroupingParams = GroupingParams()):
        self._catalogue = catalogue
        self._store = catalogue.groups
        self._encoder = encoder  # loads the similarity model on first use
        self._require_writer = require_writer
        self.params = params

    # -- reading ---------------------------------------------------------------
    def list(self) -> list[GroupInfo]:
        return self._store.list()

    def get(self, group_id: int) -> GroupInfo | None:
        return self._store.get(group_id)

    def members(self, group_id: int) -> list[int]:
        return self._store.members(group_id)

    def exists(self, group_id: int) -> bool:
        return self._store.exists(group_id)

    def of_photo(self, photo_id: int) -> list[GroupInfo]:
        return self._store.groups_of(photo_id)

    def resolve(self, name_or_id: str) -> GroupInfo | None:
        """A group by id ("12") or by name ("Rex")."""
        if name_or_id.strip().isdigit():
            found = self._store.get(int(name_or_id))
            if found is not None or not self._store.exists(int(name_or_id)):
                return found
            return GroupInfo(int(name_or_id), "", True, 0, None)  # exists, but holds no readable photo now
        return self._store.by_name(name_or_id)

    # -- the user's edits (each one confirms the group) --------------------------
    def rename(self, group_id: int, name: str) -> None:
        self._require_writer()
        self._store.rename(group_id, name)

    def merge(self, into_id: int, other_ids: Sequence[int]) -> None:
        self._require_writer()
        self._store.merge(into_id, other_ids)

    def add(self, group_id: int, photo_ids: Sequence[int]) -> None:
        self._require_writer()
        self._store.add(group_id, self._known(photo_ids))

    def create(self, name: str, photo_ids: Sequence[int]) -> int:
        self._require_writer()
        return self._store.create(name, self._known(photo_ids))

    def remove(self, group_id: int, photo_ids: Sequence[int]) -> None:
        self._require_writer()
        self._store.remove(group_id, photo_ids)

    def dissolve(self, group_id: int) -> None:
        self._require_writer()
        self._store.dissolve(group_id)

    def _known(self, photo_ids: Sequence[int]) -> list[int]:
        found = self._catalogue.photos_by_ids(photo_ids)
        missing = [i for i in photo_ids if i not in found]
        if missing:
            raise UserFacingError(f"no photo with id {missing[0]} in the library")
        return list(photo_ids)

    # -- recomputation -----------------------------------------------------------
    def regroup(self, progress: ProgressCallback | None = None, control: TaskControl | None = None) -> GroupingSummary:
        """Recompute every automatic group from the embeddings, keeping the user's choices."""
        self._require_writer()
        started = time.perf_counter()
        control = control or TaskControl()
        encoder = self._encoder()
        ids, vectors = self._catalogue.embeddings(encoder.model_id)
        _report(progress, 0, len(ids))
        position = {int(photo_id): row for row, photo_id in enumerate(ids)}
        pinned, excluded, previous = self._user_choices(position)
        control.checkpoint()
        joins = self._join_confirmed(ids, vectors, position, pinned, excluded)
        taken = {p for members in pinned.values() for p in members} | {p for ps in joins.values() for p in ps}
        rest = np.array([row for row, photo_id in enumerate(ids) if int(photo_id) not in taken], np.int64)
        from album.groups.clustering import cluster  # scikit-learn: only when grouping

        labels = cluster(vectors[rest], self.params) if len(rest) else np.zeros(0, np.int64)
        control.checkpoint()
        clusters = self._ordered_clusters(ids, vectors, rest, labels)
        names = self._names(encoder, clusters)
        reused = _match_previous(clusters, previous)
        self._store.replace_automatic(list(zip(reused, names, clusters)), joins,
                                      {"model": encoder.model_id, "photos": len(ids)})
        grouped = len(taken) + sum(len(c) for c in clusters)
        _report(progress, len(ids), len(ids))
        return GroupingSummary(len(ids), len(self._store.list()), grouped, time.perf_counter() - started)

    def update(self, new_ids: Sequence[int]) -> bool:
        """Put newly encoded photos into the groups they clearly belong to; True when a full
        recomputation is due (first grouping, another model, or many photos arrived ungrouped)."""
        self._require_writer()
        state = self._store.state()
        model_id = self._encoder().model_id
        count = self._catalogue.count_embeddings(model_id)
        if state.get("model") != model_id:
            return count >= self.params.min_size
        if new_ids:
            ids, vectors = self._catalogue.embeddings(model_id)
            self._assign_new(ids, vectors, set(new_ids))
        before = int(state.get("photos", 0))
        return count - before >= max(DUE_MINIMUM, DUE_SHARE * before)

    def _assign_new(self, ids: np.ndarray, vectors: np.ndarray, new: set[int]) -> None:
        position = {int(photo_id): row for row, photo_id in enumerate(ids)}
        group_of: dict[int, int] = {}
        excluded: dict[int, set[int]] = {}
        for gid, photo_id, role, _ in self._store.memberships():
            if role is MemberRole.EXCLUDED:
                excluded.setdefault(gid, set()).add(photo_id)
            elif photo_id in position and photo_id not in new:
                group_of.setdefault(photo_id, gid)
        fresh = [p for p in new if p in position and p not in group_of]
        members = [(gid, photo_id) for photo_id, gid in group_of.items()]
        joins = self._joins(vectors, position, fresh, members, excluded)
        if joins:
            self._store.add_automatic(joins)

    def _user_choices(self, position: dict[int, int]):
        """Confirmed groups' pinned photos and exclusions, and the automatic groups as they were."""
        pinned: dict[int, list[int]] = {}
        excluded: dict[int, set[int]] = {}
        previous: dict[int, set[int]] = {}
        for gid, photo_id, role, confirmed in self._store.memberships():
            if role is MemberRole.EXCLUDED:
                excluded.setdefault(gid, set()).add(photo_id)
            elif confirmed and role is MemberRole.USER and photo_id in position:
                pinned.setdefault(gid, []).append(photo_id)
            elif not confirmed:
                previous.setdefault(gid, set()).add(photo_id)
        return pinned, excluded, previous

    def _join_confirmed(self, ids, vectors, position, pinned, excluded) -> dict[int, list[int]]:
        """Photos outside every confirmed group that clearly belong to one (and were never taken out of it)."""
        members = [(gid, p) for gid, photos in pinned.items() for p in photos]
        taken = {p for _, p in members}
        candidates = [int(p) for p in ids if int(p) not in taken]
        return self._joins(vectors, position, candidates, members, excluded)

    def _joins(self, vectors: np.ndarray, position: dict[int, int], candidates: list[int],
               members: list[tuple[int, int]], excluded: dict[int, set[int]]) -> dict[int, list[int]]:
        """Group id -> the candidates that clearly belong to it (``clustering.assign`` against the
        (group, photo) ``members``), leaving out photos the user took out of that group."""
        if not candidates or not members:
            return {}
        from album.groups.clustering import assign  # scikit-learn: only when grouping

        labels = assign(vectors[[position[p] for p in candidates]], vectors[[position[p] for _, p in members]],
                        np.array([gid for gid, _ in members], np.int64), self.params)
        joins: dict[int, list[int]] = {}
        for photo_id, gid in zip(candidates, labels.tolist()):
            if gid != UNGROUPED and photo_id not in excluded.get(gid, set()):
                joins.setdefault(gid, []).append(photo_id)
        return joins

    @staticmethod
    def _ordered_clusters(ids, vectors, rows: np.ndarray, labels: np.ndarray) -> list[list[int]]:
        """Each cluster's photo ids, most typical (closest to the cluster's centre) first; largest first."""
        clusters = []
        for label in range(int(labels.max(initial=UNGROUPED)) + 1):
            members = rows[labels == label]
            centre = vectors[members].mean(axis=0)
            order = np.argsort(-(vectors[members] @ centre), kind="stable")
            clusters.append([int(ids[row]) for row in members[order]])
        return clusters

    def _names(self, encoder: "Encoder", clusters: list[list[int]]) -> list[str]:
        from album.vision.imagenet_labels import class_names

        names = class_names()
        voters = [photo_id for members in clusters for photo_id in members[:VOTERS]]
        found, features = self._catalogue.features(encoder.features_id, voters)
        if len(found) == 0:
            return [group_name(np.zeros((0, len(names))), names) for _ in clusters]
        probabilities = encoder.label_features(features)
        row_of = {photo_id: row for row, photo_id in enumerate(found)}
        return [group_name(probabilities[[row_of[p] for p in members[:VOTERS] if p in row_of]], names)
                for members in clusters]


def _match_previous(clusters: list[list[int]], previous: dict[int, set[int]]) -> list[int | None]:
    """The id of the automatic group each cluster continues (most members in common, more than half
    of both), so that a recomputation that changes little keeps groups where they were."""
    owner = {p: gid for gid, photos in previous.items() for p in photos}
    used: set[int] = set()
    result: list[int | None] = []
    for members in clusters:
        common = Counter(owner[p] for p in members if p in owner)
        match = None
        if common:
            gid, count = common.most_common(1)[0]
            if gid not in used and 2 * count > len(members) and 2 * count > len(previous[gid]):
                match = gid
                used.add(gid)
        result.append(match)
    return result


def _report(progress: ProgressCallback | None, done: int, total: int) -> None:
    if progress is not None:
        progress(Progress(GROUPING_PHASE, done, total, 0.0, None))
