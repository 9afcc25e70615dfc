"""The main window: toolbar, folder sidebar, grid or results, side panel, status bar.

It wires the views to the ``LibraryBridge`` and never touches the engine:
every question goes to the worker thread, every answer comes back as a
signal.  Problems are shown in a dismissable banner and in the Problems
dialog, never as a crash.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSettings, Qt, QThreadPool
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QStackedWidget, QVBoxLayout,
                               QWidget)

from album.gui.banner import Banner
from album.gui.bridge import LibraryBridge
from album.gui.folder_list import FolderList
from album.gui.library_page import LibraryPage
from album.gui.photo_model import PathRole
from album.gui.problems_dialog import ProblemsDialog
from album.gui.results_view import ResultsView
from album.gui.search_actions import LIBRARY_PAGE, RESULTS_PAGE, WELCOME_PAGE, SimilaritySearch
from album.gui.side_panel import SidePanel
from album.gui.status_bar import AlbumStatusBar, describe_scan
from album.gui.thumb_loader import ThumbnailLoader
from album.gui.toolbar import MainToolBar
from album.gui.viewer import PhotoViewer
from album.gui.welcome import WelcomeView
from album.library.thumbnails import ThumbnailCache
from album.paths import RESOURCES, LibraryPaths

log = logging.getLogger(__name__)
WELCOME, LIBRARY, RESULTS = WELCOME_PAGE, LIBRARY_PAGE, RESULTS_PAGE


def app_icon() -> QIcon:
    return QIcon(str(RESOURCES / "icons" / "album.svg"))


class MainWindow(SimilaritySearch, QMainWindow):
    def __init__(self, paths: LibraryPaths, *, bridge: LibraryBridge | None = None):
        super().__init__()
        self.paths = paths
        self.setWindowTitle("Album")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self.settings = QSettings(str(paths.root / "gui.ini"), QSettings.IniFormat)
        self.loader = ThumbnailLoader(ThumbnailCache(paths.thumbnails), self)
        self.bridge = bridge or LibraryBridge(paths, self)
        self.bridge.setParent(self)
        self.messages: list[str] = []
        self.failures: list = []
        self._all_photos: list = []
        self._folders: list = []
        self._results_query = None
        self._opened = False
        self._viewer: PhotoViewer | None = None
        self._panel_waits_for_index = False
        self._build()
        self._connect()
        self._restore_settings()
        self.bridge.start()

    # -- layout ---------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.folder_list = FolderList()
        self.library = LibraryPage(self.loader)
        self.grid = self.library.grid
        self.photo_model = self.library.model
        self.results = ResultsView(self.loader)
        self.welcome = WelcomeView(app_icon())
        self.pages = QStackedWidget()
        for page in (self.welcome, self.library, self.results):
            self.pages.addWidget(page)
        self.banner = Banner()
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(0)
        centre_layout.addWidget(self.banner)
        self.drop_hint = QLabel("Drop the image to find the photos that look like it")
        self.drop_hint.setObjectName("dropHint")
        self.drop_hint.setAlignment(Qt.AlignCenter)
        self.drop_hint.hide()
        centre_layout.addWidget(self.drop_hint)
        centre_layout.addWidget(self.pages, 1)
        self.side_panel = SidePanel(self.loader)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setHandleWidth(1)
        self.splitter.addWidget(self.folder_list)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(self.side_panel)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([210, 720, 350])
        self.setCentralWidget(self.splitter)
        self.status = AlbumStatusBar()
        self.setStatusBar(self.status)
        self._build_toolbar()

    def _build_toolbar(self) -> None:
        self.toolbar = MainToolBar(self)
        self.addToolBar(self.toolbar)
        bar = self.toolbar
        self.add_action, self.remove_action = bar.add_action, bar.remove_action
        self.find_action, self.pause_action = bar.find_action, bar.pause_action
        self.size_slider = bar.size_slider
        bar.add_action.triggered.connect(self.choose_folder_to_add)
        bar.remove_action.triggered.connect(self.remove_chosen_folder)
        bar.find_file_action.triggered.connect(self.choose_file_to_search)
        bar.find_action.triggered.connect(self.find_similar_to_current)
        bar.problems_action.triggered.connect(self.show_problems)
        for shortcut, slot in (("Ctrl++", lambda: bar.grow(24)), ("Ctrl+=", lambda: bar.grow(24)),
                               ("Ctrl+-", lambda: bar.grow(-24)), ("Esc", self.show_library)):
            action = QAction(self)
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            self.addAction(action)

    def _connect(self) -> None:
        worker = self.bridge.worker
        worker.opened.connect(self._on_opened)
        worker.foldersChanged.connect(self._on_folders)
        worker.photosChanged.connect(self._on_photos)
        worker.failuresChanged.connect(self._on_failures)
        worker.progress.connect(self.status.show_progress)
        worker.busyChanged.connect(self._on_busy)
        worker.similarReady.connect(self._on_similar)
        worker.problem.connect(self.notify)
        worker.ready.connect(self._on_ready)
        worker.scanFinished.connect(self._on_scan_finished)
        self.bridge.notice.connect(self.notify)
        self.bridge.watchingChanged.connect(self.status.set_watching)
        self.status.pauseToggled.connect(self._on_pause)
        self.status.problemsClicked.connect(self.show_problems)
        self.pause_action.toggled.connect(self.status.pause_button.setChecked)
        self.welcome.addPicturesRequested.connect(self.add_folder)
        self.welcome.addFolderRequested.connect(self.choose_folder_to_add)
        self.folder_list.folderChosen.connect(self._apply_folder_filter)
        self.size_slider.valueChanged.connect(self._on_tile_size)
        self.grid.selectionModel().currentChanged.connect(self._on_current_photo)
        self.grid.photoActivated.connect(lambda index: self.open_viewer(self.grid, index))
        self.grid.menuRequested.connect(self._show_menu)
        self.results.grid.selectionModel().currentChanged.connect(self._on_current_photo)
        self.results.resultActivated.connect(lambda index: self.open_viewer(self.results.grid, index))
        self.results.resultMenuRequested.connect(self._show_menu)
        self.results.backRequested.connect(self.show_library)
        self.pages.currentChanged.connect(self._update_actions)
        self.side_panel.matchClicked.connect(self._on_match_clicked)
        self.side_panel.matchActivated.connect(lambda index: self.open_viewer(self.side_panel.similar_view, index))
        self.side_panel.matchMenuRequested.connect(self._show_menu)

    # -- library updates ------------------------------------------------------------------------------------
    def _on_opened(self, folders) -> None:
        self._opened = True
        self._on_folders(folders)
        self.status.set_message("Loading the model…")

    def _on_ready(self, default_threshold: float) -> None:
        self.side_panel.set_default_threshold(default_threshold)
        if not self.status.bar.isVisible():
            self.status.set_message("Ready")

    def _on_folders(self, folders) -> None:
        self._folders = list(folders)
        self._refresh_folder_list()
        if not self._folders:
            self.pages.setCurrentIndex(WELCOME)
            self.side_panel.set_photo(None)
        elif self.pages.currentIndex() == WELCOME:
            self.pages.setCurrentIndex(LIBRARY)
        self._update_actions()

    def _update_actions(self) -> None:
        on_welcome = self.pages.currentIndex() == WELCOME
        self.side_panel.setVisible(not on_welcome)
        self.remove_action.setEnabled(bool(self._folders))
        self.find_action.setEnabled(self.side_panel.record is not None and not on_welcome)

    def _on_photos(self, photos) -> None:
        self._all_photos = list(photos)
        self._retry_panel()
        self.status.set_photo_count(len(self._all_photos))
        self._refresh_folder_list()
        self._apply_folder_filter(self.folder_list.chosen_folder_id())

    def _refresh_folder_list(self) -> None:
        counts = Counter(photo.folder_id for photo in self._all_photos)
        self.folder_list.set_folders(self._folders, len(self._all_photos), counts)

    def _apply_folder_filter(self, folder_id) -> None:
        shown = self._all_photos if folder_id is None else [p for p in self._all_photos if p.folder_id == folder_id]
        self.photo_model.set_photos(shown)
        self.library.set_context(filtered=folder_id is not None)
        if self.pages.currentIndex() == RESULTS and self.sender() is self.folder_list:
            self.show_library()

    def _on_failures(self, failures) -> None:
        self.failures = list(failures)
        self.status.set_problem_count(len(self.failures))

    def _on_busy(self, busy: bool) -> None:
        self.status.set_busy(busy)
        self.library.set_context(busy=busy)

    def _on_scan_finished(self, summary) -> None:
        self.status.set_message(describe_scan(summary))
        self._retry_panel()

    def _on_pause(self, paused: bool) -> None:
        self.toolbar.set_paused(paused)
        self.bridge.set_paused(paused)

    def notify(self, message: str) -> None:
        """Show a plain-language message in the banner (and keep it for the Problems dialog)."""
        log.info("shown to user: %s", message)
        self.messages.append(message)
        self.banner.show_message(message)

    # -- folders --------------------------------------------------------------------------------------------
    def choose_folder_to_add(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos", str(Path.home()))
        if folder:
            self.add_folder(folder)

    def add_folder(self, path: str) -> None:
        self.bridge.add_folder(str(path))
        self.pages.setCurrentIndex(LIBRARY)
        self.library.set_context(busy=True)
        self.status.set_message(f"Adding {path}…")

    def remove_chosen_folder(self) -> None:
        path = self.folder_list.chosen_folder_path()
        if path is None and len(self._folders) == 1:
            path = self._folders[0].path
        if path is None:
            self.notify("Choose the folder to remove in the list on the left first.")
            return
        answer = QMessageBox.question(self, "Remove folder",
                                      f"Remove {path} from the library?\n\nAlbum forgets its photos; "
                                      "the files stay on your disk.")
        if answer == QMessageBox.Yes:
            self.remove_folder(path)

    def remove_folder(self, path: str) -> None:
        self.bridge.remove_folder(path)

    def show_library(self) -> None:
        if self._folders or self._all_photos:
            self.pages.setCurrentIndex(LIBRARY)
        else:
            self.pages.setCurrentIndex(WELCOME)

    # -- menus, viewer, dialogs -----------------------------------------------------------------------------
    def open_viewer(self, view, index: QModelIndex) -> None:
        model = view.model()
        paths = [model.index(row, 0).data(PathRole) for row in range(model.rowCount())]
        if self._viewer is not None:
            self._viewer.close()
        self._viewer = PhotoViewer(paths, index.row(), self)
        self._viewer.setAttribute(Qt.WA_DeleteOnClose)
        self._viewer.destroyed.connect(lambda: setattr(self, "_viewer", None))
        self._viewer.show()

    def show_problems(self) -> None:
        ProblemsDialog(self.failures, self.messages, str(self.paths.log_file), self).exec()

    def _on_tile_size(self, size: int) -> None:
        self.grid.set_tile_size(size)
        self.results.grid.set_tile_size(size)

    # -- settings and shutdown ------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = self.settings.value("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        size = self.settings.value("tile_size")
        if size is not None:
            self.size_slider.setValue(int(size))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("splitter", self.splitter.saveState())
        self.settings.setValue("tile_size", self.size_slider.value())
        self.settings.sync()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the worker thread, the watcher and the thumbnail pools (safe to call twice)."""
        if self._viewer is not None:
            self._viewer.close()
        self.bridge.shutdown()
        self.loader.shutdown()
        QThreadPool.globalInstance().waitForDone(5000)
