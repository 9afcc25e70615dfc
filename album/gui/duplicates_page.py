"""The Duplicates page: stacks of copies of one shot, and (apart) bursts of similar shots.

Copies and Similar shots are two tabs of one list, so a burst is never
called a duplicate.  Each stack shows its photos with the one to keep
marked (largest resolution, original format, sharpest); right-click a
photo to keep it instead.  "Move the others to the trash…" (Delete) acts on
the selected stacks, or on every stack of the tab when none is selected,
and only after a confirmation that lists what is kept; the files go to the
system trash and the catalogue follows.  The page asks for a check the
first time it is shown, and again when the library changed since.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QHBoxLayout, QLabel, QListView, QMenu, QPushButton,
                               QSizePolicy, QVBoxLayout, QWidget)

from album.gui import trash_dialog
from album.gui.messages import Duplicates, DuplicateStack, TrashReport
from album.gui.photo_actions import COPY_PATH, OPEN_DEFAULT, SHOW_IN_FOLDER, copy_path, open_with_default_app, show_in_folder
from album.gui.stack_model import KeepRole, StackDelegate, StackListModel, StackRole, extras_size
from album.gui.side_panel import human_size
from album.gui.thumb_loader import ThumbnailLoader
from album.gui.view_or_message import ViewOrMessage
from album.library.records import PhotoRecord

COPY, BURST = "copy", "burst"
KEEP_THIS = "Keep this one instead"
TRASH_OTHERS = "Move the others to the trash…"
EMPTY = {COPY: "No duplicates found.\nCopies of a photo (resized, recompressed, edited, converted) appear here.",
         BURST: "No similar shots found.\nPhotos taken seconds apart with one camera appear here."}
UNFINISHED = "The check for duplicates did not finish.\nChoose “Check again” to start it over."


class StackView(QListView):
    """The stacks, one per row; clicks and the context menu know which photo of a row they are on."""

    photoClicked = Signal(object)               # PhotoRecord
    photoActivated = Signal(object)             # PhotoRecord (double-click, or Enter: the keeper)
    menuRequested = Signal(int, object, QPoint)  # row, PhotoRecord (or None), global position

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("stackList")
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.setMouseTracking(True)
        self.setContextMenuPolicy(Qt.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_menu)
        self.stack_delegate = StackDelegate(self)
        self.setItemDelegate(self.stack_delegate)

    def photo_at(self, point: QPoint) -> tuple[QModelIndex, PhotoRecord | None]:
        index = self.indexAt(point)
        if not index.isValid():
            return index, None
        return index, self.stack_delegate.photo_at(self.visualRect(index), index.data(StackRole),
                                                  index.data(KeepRole), point)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().mousePressEvent(event)
        _index, photo = self.photo_at(event.position().toPoint())
        if photo is not None and event.button() == Qt.LeftButton:
            self.photoClicked.emit(photo)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt naming
        _index, photo = self.photo_at(event.position().toPoint())
        if photo is not None:
            self.photoActivated.emit(photo)
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt naming
        index = self.currentIndex()
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and index.isValid():
            stack: DuplicateStack = index.data(StackRole)
            keep = self.model().keep_of(stack)
            self.photoActivated.emit(next(photo for photo in stack.photos if photo.id == keep))
            return
        super().keyPressEvent(event)

    def _on_menu(self, point: QPoint) -> None:
        index, photo = self.photo_at(point)
        if index.isValid():
            if not self.selectionModel().isSelected(index):
                self.setCurrentIndex(index)
            self.menuRequested.emit(index.row(), photo, self.viewport().mapToGlobal(point))


class DuplicatesPage(QWidget):
    checkRequested = Signal()
    trashRequested = Signal(tuple)     # photo ids, after the user confirmed

    def __init__(self, loader: ThumbnailLoader, parent=None):
        super().__init__(parent)
        self.setObjectName("duplicatesPage")
        self.model = StackListModel(loader, self)
        self.view = StackView()
        self.view.setModel(self.model)
        self.view.menuRequested.connect(self._show_menu)
        self.view.selectionModel().selectionChanged.connect(self._update_header)
        self.photoClicked, self.photoActivated = self.view.photoClicked, self.view.photoActivated
        self._all = Duplicates()
        self._kind = COPY
        self._state = "unchecked"        # unchecked, checking, checked, stale or failed (Check again retries)
        self._checked_once = False

        title = QLabel("Duplicates")
        title.setObjectName("resultsTitle")
        self.tabs = QButtonGroup(self)
        self.copies_button, self.bursts_button = QPushButton(), QPushButton()
        for button, kind, tip in ((self.copies_button, COPY, "Copies of one photo"),
                                  (self.bursts_button, BURST, "Shots taken seconds apart (not duplicates)")):
            button.setCheckable(True)
            button.setToolTip(tip)
            button.clicked.connect(lambda _checked, kind=kind: self.show_kind(kind))
            self.tabs.addButton(button)
        self.copies_button.setChecked(True)
        self.summary = QLabel()
        self.summary.setObjectName("hint")
        self.summary.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # never widens the window
        self.check_button = QPushButton("Check again")
        self.check_button.setToolTip("Look for duplicates again")
        self.check_button.clicked.connect(self.check)
        self.trash_button = QPushButton("Move the others to the trash…")
        self.trash_button.setToolTip("Keep the marked photo of each selected stack (of every stack when none is "
                                     "selected); the others go to the trash (Delete)")
        self.trash_button.clicked.connect(self.trash_extras)
        header = QHBoxLayout()
        header.setContentsMargins(14, 10, 14, 6)
        header.setSpacing(10)
        for widget, stretch in ((title, 0), (self.copies_button, 0), (self.bursts_button, 0), (self.summary, 1),
                                (self.check_button, 0), (self.trash_button, 0)):
            header.addWidget(widget, stretch)
        self.pages = ViewOrMessage(self.view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.pages, 1)
        self.view.installEventFilter(self)
        self._update_header()

    # -- checking -------------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)
        if self._state in ("unchecked", "stale"):
            self.check()

    def check(self) -> None:
        self._state = "checking"
        self._update_header()
        self.checkRequested.emit()

    def mark_stale(self) -> None:
        """The library changed: check again the next time the page is shown (now, if it is shown)."""
        if self._state == "checked":
            self._state = "stale"
            if self.isVisible():
                self.check()

    def check_failed(self) -> None:
        """The check ended without an answer: what was shown before stays, and Check again starts over."""
        self._state = "checked" if self._checked_once else "failed"
        self._update_header()

    def set_duplicates(self, stacks: Duplicates) -> None:
        self._checked_once = True
        self._state = "checked"
        self._all = Duplicates(stacks)
        self.show_kind(self._kind)

    def on_trashed(self, report: TrashReport) -> None:
        """Photos went to the trash: they leave their stacks (a stack of one is no stack)."""
        gone = set(report.trashed)
        left = []
        for stack in self._all:
            photos = tuple(photo for photo in stack.photos if photo.id not in gone)
            if len(photos) > 1:
                keep = stack.keep if stack.keep not in gone else photos[0].id
                left.append(DuplicateStack(stack.kind, photos, keep))
        self._all = Duplicates(left)
        self.show_kind(self._kind)

    def show_kind(self, kind: str) -> None:
        self._kind = kind
        (self.copies_button if kind == COPY else self.bursts_button).setChecked(True)
        self.model.set_stacks([stack for stack in self._all if stack.kind == kind])
        self._update_header()

    # -- trashing ---------------------------------------------------------------------------------------------
    def _chosen_rows(self) -> list[int]:
        rows = sorted(index.row() for index in self.view.selectionModel().selectedIndexes())
        return rows or list(range(self.model.rowCount()))

    def trash_extras(self, rows: list[int] | None = None) -> None:
        stacks = self.model.stacks()
        rows = self._chosen_rows() if rows is None else rows
        going = [photo for row in rows for photo in stacks[row].others(self.model.keep_of(stacks[row]))]
        kept = [photo for row in rows for photo in stacks[row].photos
                if photo.id == self.model.keep_of(stacks[row])]
        if going and trash_dialog.confirm_trash(self, going, kept):
            self.trashRequested.emit(tuple(photo.id for photo in going))

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt naming
        if watched is self.view and event.type() == event.Type.KeyPress and event.key() == Qt.Key_Delete:
            self.trash_extras()
            return True
        return super().eventFilter(watched, event)

    def _show_menu(self, row: int, photo: PhotoRecord | None, position: QPoint) -> None:
        menu = QMenu(self)
        menu.setObjectName("stackMenu")
        stack = self.model.stacks()[row]
        if photo is not None:
            keep = menu.addAction(KEEP_THIS)
            keep.setEnabled(photo.id != self.model.keep_of(stack))
            keep.triggered.connect(lambda: self.model.set_keep(row, photo.id))
            menu.addAction(OPEN_DEFAULT).triggered.connect(lambda: open_with_default_app(photo.path, self))
            menu.addAction(SHOW_IN_FOLDER).triggered.connect(lambda: show_in_folder(photo.path))
            menu.addAction(COPY_PATH).triggered.connect(lambda: copy_path(photo.path))
            menu.addSeparator()
        menu.addAction(TRASH_OTHERS).triggered.connect(lambda: self.trash_extras([row]))
        menu.exec(position)
        menu.deleteLater()

    # -- header and empty states ------------------------------------------------------------------------------
    def _update_header(self, *_args) -> None:
        copies = sum(1 for stack in self._all if stack.kind == COPY)
        counted = self._checked_once  # no count before the first answer
        self.copies_button.setText(f"Copies ({copies:,})" if counted else "Copies")
        self.bursts_button.setText(f"Similar shots ({len(self._all) - copies:,})" if counted else "Similar shots")
        stacks = self.model.stacks()
        extras = sum(len(stack.photos) - 1 for stack in stacks)
        space = sum(extras_size(stack, self.model.keep_of(stack)) for stack in stacks)
        checking = self._state == "checking"
        self.summary.setText("Looking for duplicates…" if checking else
                             f"{extras:,} photo{'s' if extras != 1 else ''} could go ({human_size(space)})"
                             if stacks else "")
        selected = len(self.view.selectionModel().selectedIndexes())
        if selected and not checking:
            self.summary.setText(f"{selected:,} stack{'s' if selected != 1 else ''} selected · "
                                 + self.summary.text())
        self.trash_button.setEnabled(bool(stacks) and not checking)
        if stacks:
            self.pages.show_view()
        else:
            self.pages.show_message("Looking for duplicates…\nThis reads every photo once; later checks are "
                                    "quicker." if checking or self._state == "unchecked" else
                                    UNFINISHED if self._state == "failed" else EMPTY[self._kind])
