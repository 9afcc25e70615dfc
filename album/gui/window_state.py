"""What the window remembers across restarts, in the library's ``gui.ini``.

Geometry, splitter, thumbnail size, file names on tiles, the similarity
threshold, the selected photo, the grid's scroll position and the page
(the library, or the results of a search from a library photo).  The photo
and page come back once the library's photos have arrived.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

from album.gui.pages import Page


def _int(value, default: int | None = None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class WindowState:
    def __init__(self, settings: QSettings, window: QMainWindow):
        self.settings, self.window = settings, window
        self._threshold_set = False   # not before the model's default is known
        self._selection_pending = True

    def restore(self) -> None:
        """What can be restored before the library opens."""
        window, settings = self.window, self.settings
        geometry = settings.value("geometry")
        if geometry is not None:
            window.restoreGeometry(geometry)
        splitter = settings.value("splitter")
        if splitter is not None:
            window.splitter.restoreState(splitter)
        size = _int(settings.value("tile_size"))
        if size is not None:
            window.size_slider.setValue(size)
        names = settings.value("show_names") in (True, "true")
        window.menus.names_action.setChecked(names)
        window.set_show_names(names)

    def apply_threshold(self, default: float) -> None:
        """The threshold the user chose last time, or the model's calibrated default."""
        saved = _int(self.settings.value("threshold"))
        panel = self.window.side_panel
        self._threshold_set = True
        if saved is None:
            panel.set_default_threshold(default)
        else:
            panel.threshold.setValue(saved)

    def restore_selection(self) -> None:
        """The selected photo, scroll position and page, from the first update that has photos."""
        window = self.window
        if not self._selection_pending or window.photo_model.rowCount() == 0:
            return
        self._selection_pending = False
        photo_id = _int(self.settings.value("photo"))
        scroll = _int(self.settings.value("scroll"))
        if scroll is not None:
            window.grid.verticalScrollBar().setValue(scroll)
        if photo_id is not None:
            window.search.select_id(photo_id)
        if _int(self.settings.value("page")) != Page.RESULTS:
            return
        search_row = window.photo_model.row_of(_int(self.settings.value("search"), -1))
        if search_row is not None:
            window.search.find_similar(window.photo_model.item(search_row))

    def save(self) -> None:
        window, settings = self.window, self.settings
        settings.setValue("geometry", window.saveGeometry())
        settings.setValue("splitter", window.splitter.saveState())
        settings.setValue("tile_size", window.size_slider.value())
        settings.setValue("show_names", window.menus.names_action.isChecked())
        if self._threshold_set:
            settings.setValue("threshold", window.side_panel.threshold.value())
        current = window.search.current
        settings.setValue("photo", current.id if current is not None else "")
        settings.setValue("scroll", window.grid.verticalScrollBar().value())
        search = window.search.history.current()
        on_results = window.pages.page() == Page.RESULTS and search is not None and search.record is not None
        settings.setValue("page", int(Page.RESULTS if on_results else Page.LIBRARY))
        settings.setValue("search", search.record.id if on_results else "")
        settings.sync()
