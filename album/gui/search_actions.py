"""How the main window searches: the selected photo's similar photos, "Find similar",
searching with any file (chosen or dropped), and routing the worker's answers.

``SimilaritySearch`` is a mixin of ``MainWindow``; it uses the window's side
panel, results view, grid, bridge and folder list.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QPoint
from PySide6.QtWidgets import QFileDialog

from album.gui import drop
from album.gui.photo_actions import photo_menu
from album.gui.photo_model import PathRole, PhotoRole
from album.gui.worker import NOT_INDEXED_YET

#: The pages of the window's central stack.
WELCOME_PAGE, LIBRARY_PAGE, RESULTS_PAGE = range(3)


class SimilaritySearch:
    """Selection, searching and drops, for ``MainWindow``."""

    _panel_waits_for_index = False
    _results_query = None

    # -- selection and searching ----------------------------------------------------------------------------
    def _on_current_photo(self, current: QModelIndex, _previous=None) -> None:
        record = current.data(PhotoRole) if current.isValid() else None
        if record is None:
            return
        self.side_panel.set_photo(record)
        self.bridge.find_similar_to_photo(record.id, "panel")
        self._update_actions()

    def _on_match_clicked(self, item) -> None:
        if not hasattr(item, "id"):
            return
        row = self.photo_model.row_of(item.id)
        if row is None and self.folder_list.chosen_folder_id() is not None:
            self.folder_list.list.setCurrentRow(0)
            row = self.photo_model.row_of(item.id)
        if self.pages.currentIndex() == RESULTS_PAGE:
            self.side_panel.set_photo(item)
            self.bridge.find_similar_to_photo(item.id, "panel")
        elif row is not None:
            self.grid.select_row(row)

    def current_view(self):
        return self.results.grid if self.pages.currentIndex() == RESULTS_PAGE else self.grid

    def find_similar_to_current(self) -> None:
        record = self.current_view().current_record() or self.side_panel.record
        if record is not None:
            self.find_similar(record)

    def find_similar(self, record) -> None:
        """Show the results view for a library photo."""
        self.results.show_searching(record, record.path)
        self.pages.setCurrentIndex(RESULTS_PAGE)
        self._results_query = ("photo", record.id)
        self.bridge.find_similar_to_photo(record.id, "results")

    def find_similar_to_file(self, path: str) -> None:
        """Show the results view for any image file (it is not added to the library)."""
        self.results.show_searching(None, path)
        self.pages.setCurrentIndex(RESULTS_PAGE)
        self._results_query = ("file", str(path))
        self.bridge.find_similar_to_file(str(path), "results")

    def choose_file_to_search(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Find photos similar to…", str(Path.home()),
                                              "Images (*.jpg *.jpeg *.png *.webp *.bmp *.gif *.tif *.tiff *.heic)")
        if path:
            self.find_similar_to_file(path)

    def _on_similar(self, answer) -> None:
        query = answer.query
        if query.purpose == "panel":
            record = self.side_panel.record
            if record is not None and query.photo_id == record.id:
                self.side_panel.show_similar(answer.matches, answer.error)
                self._panel_waits_for_index = answer.error == NOT_INDEXED_YET
            return
        asked = ("photo", query.photo_id) if query.photo_id is not None else ("file", query.path)
        if asked == self._results_query:
            self.results.show_results(answer.matches, answer.error, outside=query.path is not None)

    def _retry_panel(self) -> None:
        """Ask again for the selected photo's similar photos if it was waiting to be indexed."""
        record = self.side_panel.record
        if self._panel_waits_for_index and record is not None:
            self._panel_waits_for_index = False
            self.bridge.find_similar_to_photo(record.id, "panel")

    # -- context menu ---------------------------------------------------------------------------------------
    def context_menu_for(self, index: QModelIndex):
        path = index.data(PathRole)
        record = index.data(PhotoRole)
        if record is not None:
            return photo_menu(self, path, lambda: self.find_similar(record))
        return photo_menu(self, path, lambda: self.find_similar_to_file(path))

    def _show_menu(self, index: QModelIndex, position: QPoint) -> None:
        menu = self.context_menu_for(index)
        menu.exec(position)
        menu.deleteLater()

    # -- drag and drop --------------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if drop.can_search_with(event.mimeData()):
            event.acceptProposedAction()
            self.drop_hint.show()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.drop_hint.hide()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if drop.can_search_with(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.drop_hint.hide()
        path = drop.image_for_search(event.mimeData(), self.paths.cache / "dropped")
        if path is None:
            self.notify("Only image files, or images from other apps, can be dropped here to search with.")
            return
        event.acceptProposedAction()
        self.find_similar_to_file(path)
