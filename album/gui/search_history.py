"""Back and Forward through the searches of the results page, like a web browser's history.

A ``Search`` is "photos similar to this library photo", "... to this file"
or "photos of these words".  Searching anew drops the searches after the one
shown (as following a link does); typing on in the search field refines the
word search shown (``replace``) rather than adding one per pause; Back from
the first search leaves the results page.
"""

from __future__ import annotations

from dataclasses import dataclass

from album.gui.messages import SimilarQuery
from album.library.records import PhotoRecord

MAX_SEARCHES = 100


@dataclass(frozen=True)
class Search:
    record: PhotoRecord | None = None   # a library photo ...
    path: str | None = None             # ... or any image file
    words: str | None = None            # ... or typed words

    @property
    def query_path(self) -> str:
        return self.record.path if self.record is not None else str(self.path)

    def answers(self, query: SimilarQuery) -> bool:
        """Whether the worker's answer to ``query`` belongs to this search."""
        if self.words is not None or query.words is not None:
            return query.words == self.words
        if self.record is not None:
            return query.photo_id == self.record.id
        return query.photo_id is None and query.path == self.path


class SearchHistory:
    def __init__(self) -> None:
        self._searches: list[Search] = []
        self._position = -1       # the search shown; -1: none (the library)

    def push(self, search: Search) -> Search:
        del self._searches[self._position + 1:]
        self._searches.append(search)
        del self._searches[:-MAX_SEARCHES]
        self._position = len(self._searches) - 1
        return search

    def replace(self, search: Search) -> Search:
        """Put ``search`` in place of the one shown (the words typed on); the searches after it go."""
        if self._position >= 0:
            del self._searches[self._position:]
            self._position -= 1
        return self.push(search)

    def current(self) -> Search | None:
        return self._searches[self._position] if self._position >= 0 else None

    def back(self) -> Search | None:
        """Step back: the search to show, or None when stepping back leaves the searches."""
        if self._position >= 0:
            self._position -= 1
        return self.current()

    def forward(self) -> Search | None:
        """Step forward: the search to show, or None at the newest one."""
        if self._position + 1 >= len(self._searches):
            return None
        self._position += 1
        return self.current()

    def can_go_back(self) -> bool:
        return self._position >= 0

    def can_go_forward(self) -> bool:
        return self._position + 1 < len(self._searches)
