"""One group's page: its name, whether the user confirmed it, and its photos, with the edit actions.

Rename…, Merge with… (other groups fold into this one) and Remove from
group (the selected photos leave it for good: regrouping never puts them
back) are buttons here and entries of the photos' context menu; F2 renames,
Delete removes the selected photos, Esc goes back to the Groups page.
Every edit marks the group as confirmed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from album.gui.grid_view import PhotoGridView
from album.gui.group_model import CONFIRMED
from album.gui.messages import GroupPhotos
from album.gui.photo_model import PhotoListModel, PhotoRole
from album.gui.thumb_loader import ThumbnailLoader
from album.gui.view_or_message import ViewOrMessage
from album.library.records import PhotoRecord

CONFIRMED_TEXT = "✓ Confirmed: regrouping keeps it as it is"
AUTOMATIC_TEXT = "Made automatically: rename or edit it to keep it"


class GroupPage(QWidget):
    backRequested = Signal()
    renameRequested = Signal()
    mergeRequested = Signal()
    removeRequested = Signal()

    def __init__(self, loader: ThumbnailLoader, parent=None):
        super().__init__(parent)
        self.setObjectName("groupPage")
        self.group: GroupPhotos | None = None
        self._group_id: int | None = None
        self.model = PhotoListModel(loader=loader, parent=self)
        self.grid = PhotoGridView()
        self.grid.setModel(self.model)
        QShortcut(QKeySequence("F2"), self, self.renameRequested.emit, context=Qt.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence.Delete, self.grid, self._remove, context=Qt.WidgetShortcut)

        back = QPushButton("← Groups")
        back.setObjectName("backButton")
        back.setToolTip("Back to all groups (Esc)")
        back.setFocusPolicy(Qt.NoFocus)  # keys belong to the grid
        back.clicked.connect(self.backRequested)
        self.title = QLabel()
        self.title.setObjectName("resultsTitle")
        self.state = QLabel()
        self.count = QLabel()
        self.count.setObjectName("hint")
        self.rename_button = self._button("Rename…", "Give the group a name (F2)", self.renameRequested)
        self.merge_button = self._button("Merge with…", "Fold other groups into this one", self.mergeRequested)
        self.remove_button = self._button("Remove from group", "Take the selected photos out of this group "
                                          "for good (Delete)", self._remove)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title)
        row = QHBoxLayout()
        row.addWidget(self.state)
        row.addWidget(self.count)
        row.addStretch(1)
        text.addLayout(row)
        header = QHBoxLayout()
        header.setContentsMargins(12, 10, 12, 6)
        header.setSpacing(10)
        header.addWidget(back, 0, Qt.AlignTop)
        header.addLayout(text, 1)
        for button in (self.rename_button, self.merge_button, self.remove_button):
            header.addWidget(button, 0, Qt.AlignTop)

        self.stack = ViewOrMessage(self.grid)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        self.grid.selectionModel().selectionChanged.connect(self._update_buttons)
        self.show_loading(None, "")

    def _button(self, text: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.NoFocus)
        button.clicked.connect(slot)
        return button

    def group_id(self) -> int | None:
        """The group shown (or being opened)."""
        return self._group_id

    def show_loading(self, group_id: int | None, name: str) -> None:
        """Opening a group: its name (when known) until its photos arrive."""
        self.group = None
        self._group_id = group_id
        self.title.setText(name)
        self.state.setText("")
        self.count.setText("")
        self.model.set_photos([])
        self.stack.show_message("Loading the group…")
        self._update_buttons()

    def show_group(self, group: GroupPhotos) -> None:
        """The group's photos (the same group again keeps the selection and scroll position)."""
        self.group = group
        self._group_id = group.group_id
        info = group.info
        if info is None:
            self.title.setText("This group is gone")
            self.state.setText("It was merged into another group, or its photos left the library.")
            self.count.setText("")
            self.model.set_photos([])
        else:
            self.title.setText(info.name)
            self.state.setText(CONFIRMED_TEXT if info.confirmed else AUTOMATIC_TEXT)
            self.state.setStyleSheet(f"color: {CONFIRMED.name()};" if info.confirmed else "color: #9aa3ad;")
            self.count.setText(f"· {len(group.photos):,} photo{'s' if len(group.photos) != 1 else ''}")
            self.model.set_photos(group.photos)
        if self.model.rowCount():
            self.stack.show_view()
        else:
            self.stack.show_message("No photos in this group any more.")
        self._update_buttons()

    def selected_photos(self) -> list[PhotoRecord]:
        rows = sorted(index.row() for index in self.grid.selectionModel().selectedIndexes())
        return [self.model.index(row).data(PhotoRole) for row in rows]

    def _remove(self) -> None:
        if self.selected_photos():
            self.removeRequested.emit()

    def _update_buttons(self, *_args) -> None:
        present = self.group is not None and self.group.info is not None
        self.rename_button.setEnabled(present)
        self.merge_button.setEnabled(present)
        self.remove_button.setEnabled(present and bool(self.selected_photos()))
