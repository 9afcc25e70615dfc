"""The catalogue's subject groups: reads, the user's edits and the clustering's results.

A group is *automatic* until the user edits it (renames, merges, adds or
removes photos); then it is *confirmed*: its members at that moment are
pinned (``user``: must-links), the photos taken out are remembered
(``excluded``: cannot-links), and recomputation only ever adds photos to it.
Automatic groups and automatic memberships are replaced wholesale by each
recomputation (``replace_automatic``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update

from album.errors import UserFacingError
from album.library.catalogue.vectors import chunks
from album.library.records import GroupInfo, MemberRole, PhotoStatus
from album.library.schema import GroupMember, Meta, Photo, PhotoGroup

if TYPE_CHECKING:
    from album.library.catalogue.catalogue import Catalogue

GROUPING_STATE = "grouping"
#: memberships that put a photo in a group (``excluded`` keeps it out)
MEMBERS = (MemberRole.AUTO, MemberRole.USER)


class GroupStore:
    def __init__(self, catalogue: "Catalogue"):
        self._catalogue = catalogue

    # -- reading ---------------------------------------------------------------
    def list(self, ids: Sequence[int] | None = None) -> list[GroupInfo]:
        """Groups with at least one readable photo, largest first (then by name)."""
        with self._catalogue.session() as session:
            query = (select(PhotoGroup.id, PhotoGroup.name, PhotoGroup.confirmed, func.count(),
                            PhotoGroup.cover_id, func.min(GroupMember.photo_id))
                     .join(GroupMember, GroupMember.group_id == PhotoGroup.id)
                     .join(Photo, Photo.id == GroupMember.photo_id)
                     .where(GroupMember.role.in_(MEMBERS), Photo.status == PhotoStatus.OK)
                     .group_by(PhotoGroup.id))
            if ids is not None:
                query = query.where(PhotoGroup.id.in_(list(ids)))
            rows = session.execute(query).all()
        groups = [GroupInfo(gid, name, bool(confirmed), size, cover or first)
                  for gid, name, confirmed, size, cover, first in rows]
        return sorted(groups, key=lambda g: (-g.size, g.name.casefold(), g.id))

    def get(self, group_id: int) -> GroupInfo | None:
        found = self.list([group_id])
        return found[0] if found else None

    def by_name(self, name: str) -> GroupInfo | None:
        """The largest group called ``name`` (case-insensitive), if any."""
        with self._catalogue.session() as session:
            ids = list(session.scalars(select(PhotoGroup.id).where(func.lower(PhotoGroup.name) == name.lower())))
        found = self.list(ids) if ids else []
        return found[0] if found else None

    def exists(self, group_id: int) -> bool:
        with self._catalogue.session() as session:
            return session.get(PhotoGroup, group_id) is not None

    def members(self, group_id: int) -> list[int]:
        """The group's readable photos, pinned ones first."""
        with self._catalogue.session() as session:
            return list(session.scalars(
                select(GroupMember.photo_id).join(Photo, Photo.id == GroupMember.photo_id)
                .where(GroupMember.group_id == group_id, GroupMember.role.in_(MEMBERS),
                       Photo.status == PhotoStatus.OK)
                .order_by(GroupMember.role.desc(), GroupMember.photo_id)))

    def groups_of(self, photo_id: int) -> list[GroupInfo]:
        with self._catalogue.session() as session:
            ids = list(session.scalars(select(GroupMember.group_id).where(
                GroupMember.photo_id == photo_id, GroupMember.role.in_(MEMBERS))))
        return self.list(ids) if ids else []

    def memberships(self) -> list[tuple[int, int, MemberRole, bool]]:
        """Every (group id, photo id, role, group confirmed) row: what recomputation starts from."""
        with self._catalogue.session() as session:
            return [(g, p, MemberRole(r), bool(c)) for g, p, r, c in session.execute(
                select(GroupMember.group_id, GroupMember.photo_id, GroupMember.role, PhotoGroup.confirmed)
                .join(PhotoGroup, PhotoGroup.id == GroupMember.group_id))]

    def names(self) -> dict[int, tuple[str, bool]]:
        """Group id -> (name, named by the user)."""
        with self._catalogue.session() as session:
            return {gid: (name, bool(by_user)) for gid, name, by_user in session.execute(
                select(PhotoGroup.id, PhotoGroup.name, PhotoGroup.named_by_user))}

    # -- the user's edits ------------------------------------------------------
    def rename(self, group_id: int, name: str) -> None:
        name = _clean_name(name)
        with self._catalogue._writing() as session:
            self._require(session, group_id)
            session.execute(update(PhotoGroup).where(PhotoGroup.id == group_id).values(name=name, named_by_user=True))
            self._confirm(session, group_id)

    def create(self, name: str, photo_ids: Sequence[int]) -> int:
        """A new confirmed group of these photos (they leave automatic groups)."""
        name = _clean_name(name)
        with self._catalogue._writing() as session:
            group = PhotoGroup(name=name, named_by_user=True, confirmed=True, created_at=datetime.now())
            session.add(group)
            session.flush()
            self._pin(session, group.id, photo_ids)
            group.cover_id = next(iter(photo_ids), None)
            return group.id

    def add(self, group_id: int, photo_ids: Sequence[int]) -> None:
        with self._catalogue._writing() as session:
            self._require(session, group_id)
            self._confirm(session, group_id)
            self._pin(session, group_id, photo_ids)

    def remove(self, group_id: int, photo_ids: Sequence[int]) -> None:
        """Take photos out of a group for good: recomputation never puts them back into it."""
        with self._catalogue._writing() as session:
            self._require(session, group_id)
            self._confirm(session, group_id)
            for chunk in chunks(photo_ids):
                session.execute(delete(GroupMember).where(GroupMember.group_id == group_id,
                                                          GroupMember.photo_id.in_(chunk)))
            session.add_all(GroupMember(group_id=group_id, photo_id=p, role=MemberRole.EXCLUDED)
                            for p in dict.fromkeys(photo_ids))
            session.execute(update(PhotoGroup).where(PhotoGroup.id == group_id,
                                                     PhotoGroup.cover_id.in_(list(photo_ids))).values(cover_id=None))

    def merge(self, into_id: int, other_ids: Sequence[int]) -> None:
        """Fold groups into ``into_id``: their photos become its pinned members."""
        others = [gid for gid in dict.fromkeys(other_ids) if gid != into_id]
        with self._catalogue._writing() as session:
            for gid in (into_id, *others):
                self._require(session, gid)
            self._confirm(session, into_id)
            moved = list(session.scalars(select(GroupMember.photo_id).where(
                GroupMember.group_id.in_(others), GroupMember.role.in_(MEMBERS))))
            session.execute(delete(PhotoGroup).where(PhotoGroup.id.in_(others)))
            self._pin(session, into_id, moved)

    def dissolve(self, group_id: int) -> None:
        """Forget a group (its photos stay in the library; recomputation may group them again)."""
        with self._catalogue._writing() as session:
            self._require(session, group_id)
            session.execute(delete(PhotoGroup).where(PhotoGroup.id == group_id))

    @staticmethod
    def _require(session, group_id: int) -> None:
        if session.get(PhotoGroup, group_id) is None:
            raise UserFacingError(f"there is no group {group_id} (see 'album groups')")

    @staticmethod
    def _confirm(session, group_id: int) -> None:
        """The user has looked at this group: its members as they are now are theirs."""
        session.execute(update(PhotoGroup).where(PhotoGroup.id == group_id).values(confirmed=True))
        session.execute(update(GroupMember).where(GroupMember.group_id == group_id,
                                                  GroupMember.role == MemberRole.AUTO).values(role=MemberRole.USER))

    @staticmethod
    def _pin(session, group_id: int, photo_ids: Sequence[int]) -> None:
        """Make photos pinned members of a group; they leave any automatic group they were in."""
        photo_ids = list(dict.fromkeys(photo_ids))
        existing = set()
        for chunk in chunks(photo_ids):
            existing.update(session.scalars(select(Photo.id).where(Photo.id.in_(chunk))))
            automatic = select(PhotoGroup.id).where(PhotoGroup.confirmed.is_(False))
            session.execute(delete(GroupMember).where(GroupMember.photo_id.in_(chunk), (
                GroupMember.group_id == group_id) | GroupMember.group_id.in_(automatic)))
        session.add_all(GroupMember(group_id=group_id, photo_id=p, role=MemberRole.USER)
                        for p in photo_ids if p in existing)

    # -- clustering's results ----------------------------------------------------
    def state(self) -> dict:
        """What the last full recomputation saw (``{"model", "photos"}``), to tell when another is due."""
        with self._catalogue.session() as session:
            value = session.scalar(select(Meta.value).where(Meta.key == GROUPING_STATE))
        return json.loads(value) if value else {}

    def replace_automatic(self, groups: Sequence[tuple[int | None, str, Sequence[int]]],
                          joins: Mapping[int, Sequence[int]], state: dict) -> list[int]:
        """Replace every automatic group and membership in one transaction. ``groups``: (id to keep,
        or None for a new group; automatic name; members, most typical first); ``joins``: confirmed
        group id -> photos that clustering adds to it. Returns the automatic groups' ids, in order."""
        with self._catalogue._writing() as session:
            kept = [gid for gid, _, _ in groups if gid is not None]
            session.execute(delete(GroupMember).where(GroupMember.role == MemberRole.AUTO))
            session.execute(delete(PhotoGroup).where(PhotoGroup.confirmed.is_(False), PhotoGroup.id.not_in(kept)))
            ids = []
            for gid, name, members in groups:
                cover = members[0] if members else None
                if gid is None:
                    group = PhotoGroup(name=name, named_by_user=False, confirmed=False, cover_id=cover,
                                       created_at=datetime.now())
                    session.add(group)
                    session.flush()
                    gid = group.id
                else:
                    session.execute(update(PhotoGroup).where(PhotoGroup.id == gid).values(cover_id=cover))
                    session.execute(update(PhotoGroup).where(PhotoGroup.id == gid,
                                                             PhotoGroup.named_by_user.is_(False)).values(name=name))
                ids.append(gid)
                session.add_all(GroupMember(group_id=gid, photo_id=p, role=MemberRole.AUTO) for p in members)
            self._add_automatic(session, joins)
            session.merge(Meta(key=GROUPING_STATE, value=json.dumps(state)))
            return ids

    def add_automatic(self, joins: Mapping[int, Sequence[int]]) -> None:
        """New photos that clustering puts in existing groups (an incremental update)."""
        with self._catalogue._writing() as session:
            self._add_automatic(session, joins)

    @staticmethod
    def _add_automatic(session, joins: Mapping[int, Sequence[int]]) -> None:
        taken = {(g, p) for g, p in session.execute(select(GroupMember.group_id, GroupMember.photo_id))}
        live = set(session.scalars(select(PhotoGroup.id)))
        session.add_all(GroupMember(group_id=gid, photo_id=p, role=MemberRole.AUTO)
                        for gid, photos in joins.items() if gid in live
                        for p in photos if (gid, p) not in taken)


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise UserFacingError("a group needs a name")
    return name[:200]
