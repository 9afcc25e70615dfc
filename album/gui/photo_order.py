"""The grid's order: newest first, and still while indexing reads the photos' dates.

The engine lists photos by date taken, or by file time while the date is not
known yet, so during the first indexing photos would jump around as their
dates are read and a click would land on whatever moved under the pointer.
``PhotoOrder`` sorts the same way but, while a scan runs (``freeze``), keeps
each photo's sort key as it was when the photo was first shown; ``thaw`` (the
scan ended) lets the next update re-sort once with the real dates.
"""

from __future__ import annotations

from datetime import datetime, timezone

from album.library.records import PhotoRecord

SortKey = tuple[datetime, int]


def sort_key(record: PhotoRecord) -> SortKey:
    """Date taken, else file time (as the catalogue orders it: UTC), newest first; then by id."""
    when = record.taken_at
    if when is None:
        when = datetime.fromtimestamp(record.mtime_ns / 1e9, timezone.utc).replace(tzinfo=None)
    return when, -record.id


class PhotoOrder:
    def __init__(self) -> None:
        self._frozen = False
        self._keys: dict[int, SortKey] = {}

    def freeze(self) -> None:
        """Keep every shown photo where it is until ``thaw``; new photos take their place by file time."""
        self._frozen = True

    def thaw(self) -> None:
        self._frozen = False

    def arrange(self, records: list[PhotoRecord]) -> list[PhotoRecord]:
        """These records in the grid's order."""
        if self._frozen:
            keys = {record.id: self._keys.get(record.id) or sort_key(record) for record in records}
        else:
            keys = {record.id: sort_key(record) for record in records}
        self._keys = keys
        return sorted(records, key=lambda record: keys[record.id], reverse=True)
