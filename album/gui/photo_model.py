"""List models of photos for the grid, the similar strip and the results view.

``PhotoListModel`` holds the library's ``PhotoRecord``s in the grid's order
(``PhotoOrder``: newest first); ``MatchListModel`` holds scored matches of a
similarity search.  Both are virtualised: ``data()`` is cheap, every row has
the same size, and thumbnails come lazily from the shared ``ThumbnailLoader``
(a placeholder until they are ready, then ``dataChanged`` for that row).

Updating the library while indexing keeps the selection and scroll position:
when photos were only added (or only removed) the model inserts (or
removes) just those rows; anything else is a model reset.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from album.gui.messages import ScoredPhoto
from album.gui.thumb_loader import ThumbnailLoader
from album.library.thumbnails import cache_key, photo_key

PhotoRole = Qt.UserRole + 1      # the PhotoRecord (or None for a file outside the library)
PathRole = Qt.UserRole + 2       # the photo's file path
ScoreRole = Qt.UserRole + 3      # similarity 0..1 (results only)
FailureRole = Qt.UserRole + 4    # why no thumbnail could be made, or None

MAX_INCREMENTAL_RUNS = 500


def file_key(path: str) -> str:
    try:
        stat = os.stat(path)
        return cache_key(None, path, stat.st_mtime_ns, stat.st_size)
    except OSError:
        return cache_key(None, path)


def describe_date(record) -> str:
    if record is None or record.taken_at is None:
        return ""
    return record.taken_at.strftime("%d %b %Y, %H:%M")


class ThumbnailListModel(QAbstractListModel):
    """Common part: a list of items, each with a thumbnail key and a path."""

    def __init__(self, loader: ThumbnailLoader, thumb_size: int = 160, parent=None):
        super().__init__(parent)
        self.loader = loader
        self.thumb_size = thumb_size
        self._items: list = []
        self._shown: dict[str, set[int]] = {}   # thumbnail key -> rows the views asked to paint
        loader.thumbnailReady.connect(self._on_thumbnail)

    # -- item accessors (overridden) ---------------------------------------------------------------
    def _key(self, item) -> str:
        raise NotImplementedError

    @staticmethod
    def _path(item) -> str:
        return item.path

    @staticmethod
    def _record(item):
        return item

    # -- Qt model API ---------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items) or index.column() != 0:
            return None
        item = self._items[index.row()]
        if role == Qt.DecorationRole:
            key = self._key(item)
            self._shown.setdefault(key, set()).add(index.row())
            return self.loader.pixmap(key, self._path(item), self.thumb_size)
        if role == Qt.DisplayRole:
            return os.path.basename(self._path(item))
        if role == Qt.ToolTipRole:
            return self._tooltip(item)
        if role == PhotoRole:
            return self._record(item)
        if role == PathRole:
            return self._path(item)
        if role == FailureRole:
            return self.loader.failure(self._key(item))
        return None

    def _tooltip(self, item) -> str:
        lines = [os.path.basename(self._path(item))]
        date = describe_date(self._record(item))
        if date:
            lines.append(date)
        return "\n".join(lines)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.NoItemFlags
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemNeverHasChildren

    # -- helpers ----------------------------------------------------------------------------------------
    def items(self) -> list:
        return list(self._items)

    def item(self, row: int):
        return self._items[row]

    def set_thumb_size(self, size: int) -> None:
        if size != self.thumb_size:
            self.thumb_size = size
            if self._items:
                self.dataChanged.emit(self.index(0), self.index(len(self._items) - 1), [Qt.DecorationRole])

    def key_at(self, row: int) -> str:
        return self._key(self._items[row])

    def _reset(self, items: list) -> None:
        self.beginResetModel()
        self._items = list(items)
        self._shown.clear()
        self.endResetModel()

    def _on_thumbnail(self, key: str) -> None:
        # rows that moved since they were asked for are skipped: the view asks again when it repaints
        for row in self._shown.pop(key, ()):
            if row < len(self._items) and self._key(self._items[row]) == key:
                index = self.index(row)
                self.dataChanged.emit(index, index, [Qt.DecorationRole])


class PhotoListModel(ThumbnailListModel):
    """The library grid: ``PhotoRecord``s, newest first."""

    def _key(self, item) -> str:
        return photo_key(item)

    def _tooltip(self, item) -> str:
        text = super()._tooltip(item)
        if item.width and item.height:
            text += f"\n{item.width} × {item.height}"
        return text

    def row_of(self, photo_id: int) -> int | None:
        for row, record in enumerate(self._items):
            if record.id == photo_id:
                return row
        return None

    def set_photos(self, records: list) -> None:
        """Show these records, changing only the rows that differ when possible."""
        records = list(records)
        old_ids = [record.id for record in self._items]
        new_ids = [record.id for record in records]
        if old_ids == new_ids:
            if records == self._items:
                return
            self._items = records
            if records:
                self.dataChanged.emit(self.index(0), self.index(len(records) - 1))
            return
        if not self._items or not records:
            self._reset(records)
            return
        inserted = _runs(old_ids, new_ids)
        removed = None if inserted is not None else _runs(new_ids, old_ids)
        if inserted is not None:
            for start, count in inserted:
                self.beginInsertRows(QModelIndex(), start, start + count - 1)
                self._items[start:start] = records[start:start + count]
                self.endInsertRows()
            self._items = records
            self._shown.clear()
        elif removed is not None:
            for start, count in reversed(removed):
                self.beginRemoveRows(QModelIndex(), start, start + count - 1)
                del self._items[start:start + count]
                self.endRemoveRows()
            self._items = records
            self._shown.clear()
        else:
            self._reset(records)


def _runs(shorter: list[int], longer: list[int]) -> list[tuple[int, int]] | None:
    """If ``longer`` is ``shorter`` with items inserted (order kept), the inserted runs as
    (start row in ``longer``, count); None otherwise or when there are too many runs."""
    if len(longer) <= len(shorter):
        return None
    runs: list[tuple[int, int]] = []
    position = 0
    for row, item in enumerate(longer):
        if position < len(shorter) and shorter[position] == item:
            position += 1
            continue
        if runs and runs[-1][0] + runs[-1][1] == row:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((row, 1))
            if len(runs) > MAX_INCREMENTAL_RUNS:
                return None
    return runs if position == len(shorter) else None


class MatchListModel(ThumbnailListModel):
    """Scored matches, best first (the similar strip and the results view)."""

    def _key(self, item: ScoredPhoto) -> str:
        return photo_key(item.record) if item.record is not None else file_key(item.path)

    @staticmethod
    def _record(item: ScoredPhoto):
        return item.record

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.DisplayRole) -> Any:
        if role == ScoreRole and index.isValid() and 0 <= index.row() < len(self._items):
            return self._items[index.row()].score
        return super().data(index, role)

    def _tooltip(self, item: ScoredPhoto) -> str:
        band = f", {item.band}" if item.band else ""
        return f"{super()._tooltip(item)}\n{item.score:.0%} similar{band}"

    def set_matches(self, matches: list[ScoredPhoto]) -> None:
        self._reset(matches)
