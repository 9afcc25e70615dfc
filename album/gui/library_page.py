"""The library page: the grid, or a helpful message while it is empty (loading, looking, filtered)."""

from __future__ import annotations

from album.gui.grid_view import PhotoGridView
from album.gui.photo_model import PhotoListModel
from album.gui.thumb_loader import ThumbnailLoader
from album.gui.view_or_message import ViewOrMessage


class LibraryPage(ViewOrMessage):
    """The grid, or a centred message when there is nothing to show."""

    def __init__(self, loader: ThumbnailLoader, parent=None):
        grid = PhotoGridView()
        super().__init__(grid, parent)
        self.grid = grid
        self.model = PhotoListModel(loader=loader, parent=self)
        self.grid.setModel(self.model)
        self._busy = False
        self._filtered = False
        self._loading = True
        self.model.modelReset.connect(self._update)
        self.model.rowsInserted.connect(self._update)
        self.model.rowsRemoved.connect(self._update)
        self._update()

    def set_context(self, *, busy: bool | None = None, filtered: bool | None = None,
                    loading: bool | None = None) -> None:
        if loading is not None:
            self._loading = loading
        if busy is not None:
            self._busy = busy
        if filtered is not None:
            self._filtered = filtered
        self._update()

    def _update(self, *_args) -> None:
        if self.model.rowCount() > 0:
            self.show_view()
            return
        if self._loading:
            text = "Loading your photos…"
        elif self._busy:
            text = "Looking for photos…\nThey appear here as they are found."
        elif self._filtered:
            text = "No photos in this folder.\nPhotos album cannot read are listed under Problems."
        else:
            text = ("No photos yet.\nAdd a folder with the toolbar's “Add folder” button,\n"
                    "or drop an image here to find photos that look like it.")
        self.show_message(text)
