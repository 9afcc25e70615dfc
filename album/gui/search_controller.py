"""The current photo and the searches made from it, for the main window.

``SearchController`` is the one owner of the *current photo*: the grid, the
results page, the side panel and the actions (Find similar, the context menu)
all follow it, so they never disagree.  It asks the worker (through the
bridge) for the current photo's similar photos, for "Find similar"
results and for the photos that typed words describe, routes the answers to the side panel or the results page, keeps the
side panel fresh while indexing changes the photo's record, and keeps the
searches in a Back/Forward history.  Its collaborators are passed in; it
knows nothing else of the window.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, QPoint, Signal
from PySide6.QtWidgets import QAbstractItemView, QApplication, QFileDialog, QLineEdit, QMenu, QWidget

from album.gui.bridge import LibraryBridge
from album.gui.folder_list import FolderList
from album.gui.grid_view import PhotoGridView
from album.gui.messages import NOT_INDEXED_YET, Photos, Purpose, ScoredPhoto, SimilarAnswer
from album.gui.pages import Page, PageStack
from album.gui.photo_actions import photo_menu
from album.gui.photo_model import PathRole, PhotoListModel, PhotoRole
from album.gui.results_view import ResultsView
from album.gui.search_history import Search, SearchHistory
from album.gui.side_panel import SidePanel
from album.library.records import PhotoRecord, PhotoStatus

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.bmp *.gif *.tif *.tiff *.heic)"


class SearchController(QObject):
    currentChanged = Signal()          # ``current`` is another photo (or None)
    wordsShown = Signal(str)           # a search is shown (typed, or by Back/Forward): its words, or ""

    def __init__(self, bridge: LibraryBridge, pages: PageStack, grid: PhotoGridView, results: ResultsView,
                 side_panel: SidePanel, folder_list: FolderList, dialog_parent: QWidget):
        super().__init__(dialog_parent)
        self.bridge, self.pages, self.grid, self.results = bridge, pages, grid, results
        self.side_panel, self.folder_list, self.dialog_parent = side_panel, folder_list, dialog_parent
        self.photo_model: PhotoListModel = grid.model()
        self.current: PhotoRecord | None = None
        self.history = SearchHistory()
        #: the page the results page was opened from: Back from the first search returns there
        self.origin = Page.LIBRARY
        self._panel_waits_for_index = False
        self._syncing = False
        grid.selectionModel().currentChanged.connect(self._on_view_current)
        results.grid.selectionModel().currentChanged.connect(self._on_view_current)
        side_panel.matchClicked.connect(self._on_match_clicked)
        for signal in (self.photo_model.modelReset, self.photo_model.layoutChanged, self.photo_model.rowsInserted):
            signal.connect(self._sync_grid)
        pages.pageChanged.connect(self._on_page)
        bridge.worker.similarReady.connect(self._on_similar)

    # -- the current photo ----------------------------------------------------------------------------------
    def select(self, record: PhotoRecord | None) -> None:
        """Make ``record`` the current photo everywhere: side panel, grid, actions."""
        if record is not None and self.current is not None and record.id == self.current.id:
            self._update_record(record)
            return
        self.current = record
        self.side_panel.set_photo(record)
        if record is not None:
            self.bridge.find_similar_to_photo(record.id, Purpose.PANEL)
        self._sync_grid()
        self.currentChanged.emit()

    def select_id(self, photo_id: int) -> bool:
        """Make the library photo with this id current (e.g. restored at start-up); False if not shown."""
        row = self.photo_model.row_of(photo_id)
        if row is not None:
            self.select(self.photo_model.item(row))
        return row is not None

    def follow(self, view: QAbstractItemView) -> None:
        """Make the photo current whenever it becomes current in ``view`` (another page's grid)."""
        view.selectionModel().currentChanged.connect(self._on_view_current)

    def _on_view_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._syncing and current.isValid() and current.data(PhotoRole) is not None:
            self.select(current.data(PhotoRole))

    def _on_match_clicked(self, item: PhotoRecord | ScoredPhoto) -> None:
        if not isinstance(item, PhotoRecord):
            return  # a file outside the library: only the viewer and the menu apply
        if self.photo_model.row_of(item.id) is None and self.folder_list.chosen_path() is not None:
            self.folder_list.show_all()
        self.select(item)

    def _sync_grid(self, *_args) -> None:
        """Select the current photo in the library grid (or nothing, when the grid does not show it)."""
        if self._syncing or self.pages.page() != Page.LIBRARY:
            return  # the page's own views follow it; the grid catches up when it is shown
        row = self.photo_model.row_of(self.current.id) if self.current is not None else None
        if row is not None and self.grid.currentIndex().row() == row and self.grid.selectionModel().isSelected(
                self.grid.currentIndex()):
            return
        self._syncing = True
        try:
            selection = self.grid.selectionModel()
            if row is None:
                selection.clearSelection()
                selection.setCurrentIndex(QModelIndex(), QItemSelectionModel.NoUpdate)
            else:
                index = self.photo_model.index(row)
                selection.setCurrentIndex(index, QItemSelectionModel.ClearAndSelect)
                self.grid.scrollTo(index, QAbstractItemView.EnsureVisible)
        finally:
            self._syncing = False

    def _on_page(self, page: Page) -> None:
        if page != Page.RESULTS:
            self.wordsShown.emit("")  # no word search is on screen any more: the field shows none
        if page == Page.LIBRARY:
            self._sync_grid()
            self.grid.setFocus()
        elif page == Page.RESULTS and not isinstance(QApplication.focusWidget(), QLineEdit):
            self.results.grid.setFocus()  # but not while the words are being typed

    # -- keeping the side panel fresh -----------------------------------------------------------------------
    def on_photos(self, photos: Photos) -> None:
        """The library changed: refresh the current photo's details (and matches once it is indexed);
        a photo that left the library is current no more."""
        if self.current is None:
            return
        fresh = next((record for record in photos if record.id == self.current.id), None)
        if fresh is None:
            self.select(None)
            return
        self._update_record(fresh)
        self._retry_panel()

    def on_index_changed(self) -> None:
        """A scan finished: the current photo's similar photos may have changed."""
        if self.current is not None:
            self._panel_waits_for_index = False
            self.bridge.find_similar_to_photo(self.current.id, Purpose.PANEL)

    def _update_record(self, record: PhotoRecord) -> None:
        if record == self.current:
            return
        was_pending = self.current.status == PhotoStatus.PENDING
        self.current = record
        self.side_panel.update_record(record)
        if was_pending and record.status == PhotoStatus.OK:
            self._panel_waits_for_index = True
        self.currentChanged.emit()

    def _retry_panel(self) -> None:
        """Ask again for the current photo's similar photos if it was waiting to be indexed."""
        if self._panel_waits_for_index and self.current is not None:
            self._panel_waits_for_index = False
            self.bridge.find_similar_to_photo(self.current.id, Purpose.PANEL)

    # -- searching ------------------------------------------------------------------------------------------
    def find_similar_to_current(self) -> None:
        if self.current is not None:
            self.find_similar(self.current)

    def find_similar(self, record: PhotoRecord) -> None:
        """Show the results page for a library photo."""
        self._run(self.history.push(Search(record=record)))

    def find_similar_to_file(self, path: str) -> None:
        """Show the results page for any image file (it is not added to the library)."""
        self._run(self.history.push(Search(path=str(path))))

    def find_by_words(self, words: str) -> None:
        """Show the results page for typed words; typing on refines the word search shown (one entry
        in the history), rather than adding a search per pause."""
        shown = self.showing_words()
        if shown is not None and shown.words == words:
            return
        search = Search(words=words)
        self._run(self.history.replace(search) if shown is not None else self.history.push(search))

    def showing_words(self) -> Search | None:
        """The word search on the results page, if one is shown."""
        search = self.history.current() if self.pages.page() == Page.RESULTS else None
        return search if search is not None and search.words is not None else None

    def choose_file_to_search(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Find photos similar to…", str(Path.home()),
                                              IMAGE_FILTER)
        if path:
            self.find_similar_to_file(path)

    def back(self) -> bool:
        """The previous search, or False when there is none (the caller shows the library)."""
        search = self.history.back()
        if search is not None:
            self._run(search)
        return search is not None

    def forward(self) -> bool:
        """The next search (or, from the library, the search left last); False when there is none."""
        search = self.history.current() if self.pages.page() != Page.RESULTS else None
        search = search or self.history.forward()
        if search is not None:
            self._run(search)
        return search is not None

    def _run(self, search: Search) -> None:
        if self.pages.page() in (Page.LIBRARY, Page.GROUPS, Page.GROUP, Page.DUPLICATES):
            self.origin = self.pages.page()
        self.wordsShown.emit(search.words or "")
        if search.words is not None:
            self.results.show_searching_words(search.words)
            self.pages.set_page(Page.RESULTS)
            self.bridge.find_by_words(search.words)
            return
        self.results.show_searching(search.record, search.query_path)
        self.pages.set_page(Page.RESULTS)
        if search.record is not None:
            self.bridge.find_similar_to_photo(search.record.id, Purpose.RESULTS)
        else:
            self.bridge.find_similar_to_file(search.query_path, Purpose.RESULTS)

    def _on_similar(self, answer: SimilarAnswer) -> None:
        query = answer.query
        if query.purpose == Purpose.PANEL:
            if self.current is not None and query.photo_id == self.current.id:
                self.side_panel.show_similar(answer.matches, answer.error)
                self._panel_waits_for_index = answer.error == NOT_INDEXED_YET
            return
        search = self.history.current()
        if search is not None and search.answers(query):
            self.results.show_results(answer.matches, answer.error, outside=query.path is not None)

    # -- context menu ---------------------------------------------------------------------------------------
    def context_menu_for(self, index: QModelIndex) -> QMenu:
        path = index.data(PathRole)
        record = index.data(PhotoRole)
        if record is not None:
            return photo_menu(self.dialog_parent, path, lambda: self.find_similar(record))
        return photo_menu(self.dialog_parent, path, lambda: self.find_similar_to_file(path))

    def show_menu(self, index: QModelIndex, position: QPoint) -> None:
        menu = self.context_menu_for(index)
        menu.exec(position)
        menu.deleteLater()
