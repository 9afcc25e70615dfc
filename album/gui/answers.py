"""How the worker answers: the engine's results made into the typed records of ``messages.py``.

Every function here takes the worker's ``Album`` and runs on the worker's
thread (``LibraryWorker`` is the only caller); none of them is ever called
from the GUI thread.  Similar photos come with their records and calibrated
scores (photos found by words with their cosines), groups with their covers' records, group edits with a sentence for
the status bar, duplicate stacks with their photos' records.
"""

from __future__ import annotations

import logging

from album.errors import UserFacingError
from album.gui.messages import (NOT_INDEXED_YET, DuplicateStack, Duplicates, GroupAction, GroupEdited, GroupEntry,
                                GroupPhotos, GroupRequest, Groups, Photos, PhotoGroups, ScoredPhoto, SimilarAnswer,
                                SimilarQuery, TrashReport)
from album.library.records import PhotoStatus

log = logging.getLogger(__name__)


def similar_answer(album, query: SimilarQuery) -> SimilarAnswer:
    """The photos similar to a library photo or to a file, scored as a person reads them, or the
    photos that words describe."""
    try:
        if query.words is not None:
            return _words_answer(album, query)
        if query.photo_id is not None:
            record = album.photo(query.photo_id)
            if record is None:
                return SimilarAnswer(query, None, error="This photo is no longer in the library.")
            if record.status == PhotoStatus.PENDING:
                return SimilarAnswer(query, record, error=NOT_INDEXED_YET)
            matches = album.similar_to_photo(query.photo_id, k=query.k, min_score=0.0)
        else:
            record = None
            matches = album.similar_to_file(query.path, k=query.k, min_score=0.0)
        records = album.photos_by_ids(m.photo_id for m in matches if m.photo_id is not None)
        scale = album.score_scale
        scored = [ScoredPhoto(records.get(m.photo_id), m.path, scale.percent(m.score) / 100, scale.band(m.score),
                              float(m.score)) for m in matches]
        return SimilarAnswer(query, record, scored)
    except UserFacingError as exc:
        return SimilarAnswer(query, None, error=str(exc))
    except Exception as exc:
        log.exception("similarity search failed")
        return SimilarAnswer(query, None, error=f"The search failed: {exc}")


def _words_answer(album, query: SimilarQuery) -> SimilarAnswer:
    matches = album.search_text(query.words, k=query.k)
    records = album.photos_by_ids(m.photo_id for m in matches)
    return SimilarAnswer(query, None, [ScoredPhoto(records.get(m.photo_id), m.path, float(m.score), "",
                                                   float(m.score)) for m in matches])


def group_list(album) -> Groups:
    """Every group, largest first, with its cover photo's record."""
    infos = album.groups.list()
    covers = album.photos_by_ids([info.cover_id for info in infos if info.cover_id is not None])
    return Groups(GroupEntry(info, covers.get(info.cover_id)) for info in infos)


def group_photos(album, group_id: int) -> GroupPhotos:
    """A group's page: its info and its photos' records (pinned ones first)."""
    info = album.groups.get(group_id)
    if info is None:
        return GroupPhotos(group_id, None, Photos())
    members = album.groups.members(group_id)
    records = album.photos_by_ids(members)
    return GroupPhotos(group_id, info, Photos(records[i] for i in members if i in records))


def photo_groups(album, photo_id: int) -> PhotoGroups:
    return PhotoGroups(photo_id, album.groups.of_photo(photo_id))


def apply_edit(album, request: GroupRequest) -> GroupEdited:
    """Make the edit; the sentence that says what was done, and the group the user is left looking at."""
    groups, action, count = album.groups, request.action, len(request.photo_ids)
    photos = f"{count:,} photo{'s' if count != 1 else ''}"
    target = request.group_id
    if action == GroupAction.CREATE:
        target = groups.create(request.name, list(request.photo_ids))
    elif action == GroupAction.RENAME:
        groups.rename(target, request.name)
    elif action == GroupAction.MERGE:
        groups.merge(target, list(request.other_ids))
    elif action == GroupAction.ADD:
        groups.add(target, list(request.photo_ids))
    elif action == GroupAction.REMOVE:
        groups.remove(target, list(request.photo_ids))
    else:
        raise ValueError(f"not an edit: {action}")
    info = groups.get(target)
    name = f"“{info.name}”" if info is not None else "the group"
    message = {GroupAction.CREATE: f"Made the group {name} of {photos}",
               GroupAction.RENAME: f"Renamed the group to {name}",
               GroupAction.MERGE: f"Merged {len(request.other_ids) + 1} groups into {name}",
               GroupAction.ADD: f"Added {photos} to {name}",
               GroupAction.REMOVE: f"Took {photos} out of {name}"}[action]
    return GroupEdited(request, message, target)


def duplicate_stacks(album, stacks) -> Duplicates:
    """The engine's stacks (photo ids, the keeper first) with their photos' records; copies first."""
    records = album.photos_by_ids([photo_id for stack in stacks for photo_id in stack.photo_ids])
    found = []
    for stack in stacks:
        photos = tuple(records[i] for i in stack.photo_ids if i in records)
        if len(photos) > 1:
            keep = stack.keep if stack.keep in records else photos[0].id
            found.append(DuplicateStack(stack.kind, photos, keep))
    found.sort(key=lambda stack: stack.kind != "copy")
    return Duplicates(found)


def trash(album, photo_ids: tuple[int, ...]) -> TrashReport:
    result = album.trash(list(photo_ids))
    return TrashReport(tuple(result.trashed), list(result.failed))
