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

from PySide6.QtCore import QModelIndex, QPoint, QSettings, QSize, Qt, QThreadPool, QTimer
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QSizePolicy, QSlider, QSplitter,
                               QStackedWidget, QToolBar, QToolButton, QVBoxLayout, QWidget)

from album.gui import drop
from album.gui.bridge import LibraryBridge
from album.gui.folder_list import FolderList
from album.gui.grid_view import DEFAULT_TILE, MAX_TILE, MIN_TILE
from album.gui.library_page import LibraryPage
from album.gui.photo_actions import photo_menu
from album.gui.photo_model import PathRole, PhotoRole
from album.gui.problems_dialog import ProblemsDialog
from album.gui.results_view import ResultsView
from album.gui.side_panel import SidePanel
from album.gui.status_bar import AlbumStatusBar
from album.gui.thumb_loader import ThumbnailLoader
from album.gui.viewer import PhotoViewer
from album.gui.welcome import WelcomeView
from album.gui.worker import NOT_INDEXED_YET
from album.library.thumbnails import ThumbnailCache
from album.paths import RESOURCES, LibraryPaths

log = logging.getLogger(__name__)
WELCOME, LIBRARY, RESULTS = range(3)
BANNER_MS = 15000


def app_icon() -> QIcon:
    return QIcon(str(RESOURCES / "icons" / "album.svg"))


def describe_scan(summary) -> str:
    """``Up to date · 12 new, 3 moved`` (only what happened)."""
    if getattr(summary, "cancelled", False):
        return "Indexing stopped; it goes on at the next scan"
    counts = [(getattr(summary, name, 0), name) for name in ("new", "moved", "changed", "removed")]
    counts.append((len(getattr(summary, "failed", []) or []), "unreadable"))
    parts = [f"{count:,} {name}" for count, name in counts if count]
    return "Up to date" + (f" · {', '.join(parts)}" if parts else "")


class MainWindow(QMainWindow):
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
        self.banner = QWidget()
        self.banner.setObjectName("banner")
        self.banner.setAttribute(Qt.WA_StyledBackground, True)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.banner.hide)
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(12, 6, 6, 6)
        banner_layout.addWidget(self.banner_text, 1)
        banner_layout.addWidget(close, 0, Qt.AlignTop)
        self.banner.hide()
        self.banner_timer = QTimer(self, singleShot=True, interval=BANNER_MS, timeout=self.banner.hide)
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
        bar = QToolBar("Main")
        bar.setMovable(False)
        bar.setIconSize(QSize(18, 18))
        bar.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.addToolBar(bar)
        self.add_action = self._action(bar, "Add folder…", QKeySequence.Open, self.choose_folder_to_add,
                                       "Add a folder of photos to the library")
        self.remove_action = self._action(bar, "Remove folder", None, self.remove_chosen_folder,
                                          "Forget the folder chosen on the left (files stay on disk)")
        bar.addSeparator()
        self.find_file_action = self._action(bar, "Find similar to a file…", "Ctrl+Shift+F",
                                             self.choose_file_to_search, "Search with any image file")
        self.find_action = self._action(bar, "Find similar", "Ctrl+F", self.find_similar_to_current,
                                        "Find photos similar to the selected one")
        bar.addSeparator()
        self.pause_action = self._action(bar, "Pause indexing", None, None, "Pause or resume indexing")
        self.pause_action.setCheckable(True)
        self.problems_action = self._action(bar, "Problems", None, self.show_problems,
                                            "Files that could not be read, and recent messages")
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        bar.addWidget(spacer)
        bar.addWidget(QLabel("Size "))
        self.size_slider = QSlider(Qt.Horizontal)
        self.size_slider.setObjectName("sizeSlider")
        self.size_slider.setRange(MIN_TILE, MAX_TILE)
        self.size_slider.setValue(DEFAULT_TILE)
        self.size_slider.setFixedWidth(140)
        self.size_slider.setToolTip("Thumbnail size (Ctrl++ / Ctrl+-)")
        bar.addWidget(self.size_slider)
        self._action(self, "Bigger", "Ctrl++", lambda: self.size_slider.setValue(self.size_slider.value() + 24))
        self._action(self, "Smaller", "Ctrl+-", lambda: self.size_slider.setValue(self.size_slider.value() - 24))
        self._action(self, "Back", "Esc", self.show_library)

    def _action(self, owner, text, shortcut, slot, tip: str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
        if slot is not None:
            action.triggered.connect(slot)
        owner.addAction(action)
        return action

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

    def _on_ready(self) -> None:
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

    def _retry_panel(self) -> None:
        """Ask again for the selected photo's similar photos if it was waiting to be indexed."""
        record = self.side_panel.record
        if self._panel_waits_for_index and record is not None:
            self._panel_waits_for_index = False
            self.bridge.find_similar_to_photo(record.id, "panel")

    def _on_pause(self, paused: bool) -> None:
        self.pause_action.setChecked(paused)
        self.pause_action.setText("Resume indexing" if paused else "Pause indexing")
        self.bridge.set_paused(paused)

    def notify(self, message: str) -> None:
        """Show a plain-language message in the banner (and keep it for the Problems dialog)."""
        log.info("shown to user: %s", message)
        self.messages.append(message)
        self.banner_text.setText(message)
        self.banner.show()
        self.banner_timer.start()

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
        if self.pages.currentIndex() == RESULTS:
            self.side_panel.set_photo(item)
            self.bridge.find_similar_to_photo(item.id, "panel")
        elif row is not None:
            self.grid.select_row(row)

    def current_view(self):
        return self.results.grid if self.pages.currentIndex() == RESULTS else self.grid

    def find_similar_to_current(self) -> None:
        record = self.current_view().current_record() or self.side_panel.record
        if record is not None:
            self.find_similar(record)

    def find_similar(self, record) -> None:
        """Show the results view for a library photo."""
        self.results.show_searching(record, record.path)
        self.pages.setCurrentIndex(RESULTS)
        self._results_query = ("photo", record.id)
        self.bridge.find_similar_to_photo(record.id, "results")

    def find_similar_to_file(self, path: str) -> None:
        """Show the results view for any image file (it is not added to the library)."""
        self.results.show_searching(None, path)
        self.pages.setCurrentIndex(RESULTS)
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

    def show_library(self) -> None:
        if self._folders or self._all_photos:
            self.pages.setCurrentIndex(LIBRARY)
        else:
            self.pages.setCurrentIndex(WELCOME)

    # -- menus, viewer, dialogs -----------------------------------------------------------------------------
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
