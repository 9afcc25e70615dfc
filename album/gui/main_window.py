"""The main window: toolbar and menus, folder sidebar, pages, side panel, status bar.

It lays the views out and wires them to the ``LibraryBridge`` and to the
``SearchController`` (the current photo and the searches); it never touches
the engine: every question goes to the worker thread, every answer comes back
as a signal.  Problems are shown in a dismissable banner and in the Problems
dialog, never as a crash.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, QSettings, Qt, QThreadPool
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from album.gui.banner import Banner
from album.gui.bridge import LibraryBridge
from album.gui.drop import DropTarget
from album.gui.folder_actions import FolderActions
from album.gui.duplicates_controller import DuplicatesController
from album.gui.duplicates_page import DuplicatesPage
from album.gui.folder_list import DUPLICATES, GROUPS, FolderList
from album.gui.group_page import GroupPage
from album.gui.groups_controller import GroupsController
from album.gui.groups_page import GroupsPage
from album.gui.library_page import LibraryPage
from album.gui.menus import MainMenus
from album.gui.messages import Folders, Photos, ScanReport
from album.gui.navigation import NavigationKeys
from album.gui.pages import LoadingView, Page, PageStack
from album.gui.personal_controller import PersonalController
from album.gui.photo_model import PathRole
from album.gui.photo_order import PhotoOrder
from album.gui.problems_dialog import ProblemsDialog
from album.gui.results_view import ResultsView
from album.gui.search_controller import SearchController
from album.gui.side_panel import SidePanel
from album.gui.status_bar import AlbumStatusBar, describe_scan
from album.gui.thumb_loader import ThumbnailLoader
from album.gui.toolbar import MainToolBar
from album.gui.viewer import PhotoViewer
from album.gui.welcome import WelcomeView
from album.gui.window_state import WindowState
from album.gui.word_search import WordSearchBar
from album.library.records import PhotoStatus
from album.library.thumbnails import ThumbnailCache
from album.paths import RESOURCES, LibraryPaths

log = logging.getLogger(__name__)

#: at most this long, the worker waits for the window to list the photos before loading the model
LISTING_WAIT_S = 5.0


def app_icon() -> QIcon:
    return QIcon(str(RESOURCES / "icons" / "album.svg"))


class MainWindow(QMainWindow):
    def __init__(self, paths: LibraryPaths, *, bridge: LibraryBridge | None = None):
        super().__init__()
        self.paths = paths
        self.setWindowTitle("Album")
        self.setWindowIcon(app_icon())
        self.resize(1280, 800)
        self.settings = QSettings(str(paths.root / "gui.ini"), QSettings.IniFormat)
        self.loader = ThumbnailLoader(ThumbnailCache(paths.thumbnails), self)
        self.bridge = bridge or LibraryBridge(paths, self)
        self.bridge.setParent(self)
        self.messages: list[str] = []
        self.failures = Photos()
        self._logged_failures: set[str] = set()
        self._all_photos = Photos()
        self._folders = Folders()
        self._order = PhotoOrder()
        self._opened = False
        self._viewer: PhotoViewer | None = None
        self.folder_actions = FolderActions(self)
        self._build()
        self.search = SearchController(self.bridge, self.pages, self.grid, self.results, self.side_panel,
                                       self.folder_list, self)
        self.groups = GroupsController(self.bridge, self.pages, self.groups_page, self.group_page, self.side_panel,
                                       self.search, self, self.status.set_message)
        self.duplicates = DuplicatesController(self.bridge, self.duplicates_page, self.search, self.status.set_message,
                                               self.notify, self.open_paths, self)
        self.personal = PersonalController(self.bridge, self.groups_page, self.status, self.banner, self.search,
                                           self)
        self.menus = MainMenus(self)
        self.navigation = NavigationKeys(self, self.current_view, self.go_back, self.go_forward)
        self.state = WindowState(self.settings, self)
        self._connect()
        self.state.restore()
        self.results.set_threshold(self.side_panel.threshold.value() / 100)
        self._update_actions()
        self.bridge.start(listing_wait_s=LISTING_WAIT_S)

    # -- layout ---------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.folder_list = FolderList()
        self.library = LibraryPage(self.loader)
        self.grid, self.photo_model = self.library.grid, self.library.model
        self.results = ResultsView(self.loader)
        self.welcome = WelcomeView(app_icon())
        self.groups_page, self.group_page = GroupsPage(self.loader), GroupPage(self.loader)
        self.duplicates_page = DuplicatesPage(self.loader)
        self.pages = PageStack({Page.LOADING: LoadingView(), Page.WELCOME: self.welcome,
                                Page.LIBRARY: self.library, Page.RESULTS: self.results, Page.GROUPS: self.groups_page,
                                Page.GROUP: self.group_page, Page.DUPLICATES: self.duplicates_page})
        self.banner = Banner()
        self.word_search = WordSearchBar()
        self.drop_hint = QLabel("Drop the image to find the photos that look like it")
        self.drop_hint.setObjectName("dropHint")
        self.drop_hint.setAlignment(Qt.AlignCenter)
        self.drop_hint.hide()
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(0)
        for widget, stretch in ((self.banner, 0), (self.drop_hint, 0), (self.word_search, 0), (self.pages, 1)):
            centre_layout.addWidget(widget, stretch)
        self.side_panel = SidePanel(self.loader)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setHandleWidth(1)
        for widget in (self.folder_list, centre, self.side_panel):
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([210, 720, 350])
        self.setCentralWidget(self.splitter)
        self.status = AlbumStatusBar()
        self.setStatusBar(self.status)
        self.toolbar = MainToolBar(self)
        self.addToolBar(self.toolbar)
        self.add_action, self.remove_action = self.toolbar.add_action, self.toolbar.remove_action
        self.find_action, self.pause_action = self.toolbar.find_action, self.toolbar.pause_action
        self.size_slider = self.toolbar.size_slider
        self.drops = DropTarget(self, self.drop_hint, self.paths.cache / "dropped")

    def _connect(self) -> None:
        bar, worker, search = self.toolbar, self.bridge.worker, self.search
        folders = self.folder_actions
        bar.add_action.triggered.connect(folders.choose_folder_to_add)
        bar.remove_action.triggered.connect(folders.remove_chosen_folder)
        bar.find_file_action.triggered.connect(search.choose_file_to_search)
        bar.find_action.triggered.connect(search.find_similar_to_current)
        bar.problems_action.triggered.connect(self.show_problems)
        worker.opened.connect(self._on_opened)
        worker.foldersChanged.connect(self._on_folders)
        worker.photosChanged.connect(self._on_photos)
        worker.failuresChanged.connect(self._on_failures)
        worker.progress.connect(self.status.show_progress)
        worker.indexProgress.connect(self.status.show_step)
        worker.busyChanged.connect(self._on_busy)
        worker.problem.connect(self.notify)
        worker.ready.connect(self._on_ready)
        worker.scanFinished.connect(self._on_scan_finished)
        worker.taskStarted.connect(self.status.set_message)
        worker.taskFinished.connect(self.status.set_message)
        worker.groupsChanged.connect(lambda groups: self.folder_list.set_group_count(len(groups)))
        self.bridge.notice.connect(self.notify)
        self.bridge.watchingChanged.connect(self.status.set_watching)
        self.status.pauseToggled.connect(self._on_pause)
        self.status.problemsClicked.connect(self.show_problems)
        self.pause_action.toggled.connect(self.status.pause_button.setChecked)
        self.welcome.addPicturesRequested.connect(folders.add_folder)
        self.welcome.addFolderRequested.connect(folders.choose_folder_to_add)
        self.folder_list.folderChosen.connect(self._apply_folder_filter)
        self.folder_list.pageChosen.connect(self.show_page)
        self.size_slider.valueChanged.connect(self._on_tile_size)
        self.drops.imageDropped.connect(search.find_similar_to_file)
        self.drops.refused.connect(self.notify)
        for view in (self.grid, self.results.grid, self.side_panel.similar_view, self.group_page.grid):
            view.photoActivated.connect(lambda index, view=view: self.open_viewer(view, index))
            view.menuRequested.connect(lambda index, position, view=view: self.groups.show_photo_menu(
                view, index, position))
        self.results.backRequested.connect(self.show_library)
        self.word_search.searchRequested.connect(search.find_by_words)
        self.word_search.cleared.connect(lambda: search.showing_words() and self.go_back())
        search.wordsShown.connect(self.word_search.show_words)
        self.side_panel.threshold.valueChanged.connect(lambda value: self.results.set_threshold(value / 100))
        self.pages.pageChanged.connect(self._update_actions)
        self.pages.pageChanged.connect(lambda page: self.folder_list.show_page(
            {Page.GROUPS: GROUPS, Page.GROUP: GROUPS, Page.DUPLICATES: DUPLICATES}.get(page)))
        search.currentChanged.connect(self._update_actions)

    def current_view(self):
        return {Page.RESULTS: self.results.grid, Page.GROUPS: self.groups_page.grid, Page.GROUP: self.group_page.grid,
                Page.DUPLICATES: self.duplicates_page.view}.get(self.pages.page(), self.grid)

    # -- library updates ------------------------------------------------------------------------------------
    def _on_opened(self, folders: Folders) -> None:
        self._opened = True
        self._on_folders(folders)
        self.status.set_message("Loading the model…")

    def _on_ready(self, default_threshold: float) -> None:
        self.state.apply_threshold(default_threshold)
        if not self.status.bar.isVisible():
            self.status.set_message("Ready")

    def _on_folders(self, folders: Folders) -> None:
        self._folders = Folders(folders)
        self._refresh_folder_list()
        self.folder_actions.on_folders(folders)
        if not self._folders:
            self.pages.set_page(Page.WELCOME)
            self.search.select(None)
        elif self.pages.page() in (Page.LOADING, Page.WELCOME):
            self.pages.set_page(Page.LIBRARY)
        self._update_actions()

    def _update_actions(self, *_args) -> None:
        page = self.pages.page()
        self.side_panel.setVisible(page not in (Page.WELCOME, Page.LOADING, Page.GROUPS))
        self.word_search.setVisible(page not in (Page.WELCOME, Page.LOADING))
        self.remove_action.setEnabled(bool(self._folders))
        self.find_action.setEnabled(self.search.current is not None and page not in (Page.WELCOME, Page.LOADING))
        self.menus.update(self.search.history)

    def _on_photos(self, photos: Photos) -> None:
        # the sizes the page and side panel shown with the folders give the grid, before it has photos to
        # lay out: laid out at one width, then at another, 100,000 photos took twice as long
        QCoreApplication.sendPostedEvents(None, QEvent.LayoutRequest)
        self._all_photos = Photos(self._order.arrange(photos))
        self.status.set_photo_count(len(self._all_photos))
        self.results.set_unindexed(sum(1 for photo in self._all_photos if photo.status == PhotoStatus.PENDING))
        self._refresh_folder_list()
        self._apply_folder_filter(self.folder_list.chosen_path())
        self.search.on_photos(self._all_photos)
        self.library.set_context(loading=False)
        self.state.restore_selection()
        self.bridge.photos_listed()

    def _refresh_folder_list(self) -> None:
        self.folder_list.set_folders(self._folders, self._all_photos)

    def _apply_folder_filter(self, folder: str | None) -> None:
        """Show the photos inside ``folder`` (a folder or subfolder path; None: all photos)."""
        prefix = None if folder is None else folder.rstrip(os.sep) + os.sep
        shown = self._all_photos if prefix is None else [p for p in self._all_photos if p.path.startswith(prefix)]
        self.photo_model.set_photos(shown)
        self.library.set_context(filtered=folder is not None)
        if self.pages.page() != Page.LIBRARY and self.sender() is self.folder_list:
            self.show_library()

    def _on_failures(self, failures: Photos) -> None:
        self.failures = Photos(failures)
        self.status.set_problem_count(len(self.failures))
        for record in self.failures:
            if record.path not in self._logged_failures:
                self._logged_failures.add(record.path)
                log.warning("cannot read %s: %s", record.path, record.failure or "unknown reason")

    def _on_busy(self, busy: bool) -> None:
        self.status.set_busy(busy)
        self.library.set_context(busy=busy)
        if busy:
            self._order.freeze()
        else:
            self._order.thaw()

    def _on_scan_finished(self, report: ScanReport) -> None:
        self.status.set_message(describe_scan(report))
        self.search.on_index_changed()

    def _on_pause(self, paused: bool) -> None:
        self.toolbar.set_paused(paused)
        self.bridge.set_paused(paused)

    def notify(self, message: str) -> None:
        """Show a plain-language message in the banner (and keep it for the Problems dialog)."""
        log.info("shown to user: %s", message)
        self.messages.append(message)
        self.banner.show_message(message)

    # -- pages ----------------------------------------------------------------------------------------------
    def show_library(self) -> None:
        self.pages.set_page(Page.LIBRARY if self._folders or self._all_photos else Page.WELCOME)

    def show_page(self, name: str) -> None:
        """The Groups or Duplicates page (``folder_list.GROUPS`` or ``DUPLICATES``)."""
        if name == GROUPS:
            self.groups.show_groups()
        else:
            self.pages.set_page(Page.DUPLICATES)
            self.duplicates_page.view.setFocus()

    def go_up(self) -> None:
        """Esc: from a group to the Groups page, from anywhere else to the library."""
        self.groups.show_groups() if self.pages.page() == Page.GROUP else self.show_library()

    def go_back(self) -> None:
        if self.pages.page() == Page.GROUP:
            self.groups.show_groups()
        elif self.pages.page() == Page.RESULTS and not self.search.back():
            self.leave_results()

    def leave_results(self) -> None:
        """Back to the page the searches began on (the library, the groups, a group, the duplicates)."""
        origin = self.search.origin
        self.show_library() if origin == Page.LIBRARY else self.pages.set_page(origin)

    def go_forward(self) -> None:
        self.search.forward()

    def set_show_names(self, shown: bool) -> None:
        for view in (self.grid, self.results.grid):
            view.set_show_names(shown)

    # -- viewer, dialogs ------------------------------------------------------------------------------------
    def open_viewer(self, view, index: QModelIndex) -> None:
        model = view.model()
        self.open_paths([model.index(row, 0).data(PathRole) for row in range(model.rowCount())], index.row())

    def open_paths(self, paths: list[str], row: int) -> None:
        """The viewer on ``paths``, showing the one at ``row``."""
        if self._viewer is not None:
            self._viewer.close()
        self._viewer = PhotoViewer(paths, row, self)
        self._viewer.setAttribute(Qt.WA_DeleteOnClose)
        self._viewer.destroyed.connect(lambda: setattr(self, "_viewer", None))
        self._viewer.show()

    def show_problems(self) -> None:
        ProblemsDialog(self.failures, self.messages, str(self.paths.log_file), self).exec()

    def _on_tile_size(self, size: int) -> None:
        self.grid.set_tile_size(size)
        self.results.grid.set_tile_size(size)

    # -- shutdown -------------------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.state.save()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the worker thread, the watcher and the thumbnail pools (safe to call twice)."""
        if self._viewer is not None:
            self._viewer.close()
        self.navigation.uninstall()
        self.bridge.shutdown()
        self.loader.shutdown()
        QThreadPool.globalInstance().waitForDone(5000)
