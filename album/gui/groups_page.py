"""The Groups page: every subject group as a card (cover, name, count), largest first.

A filter field narrows the cards by name (5,000 groups stay one scroll of a
virtualised grid).  Enter or a double-click opens a group, F2 renames the
current one, the context menu renames or merges the selected ones, and the
Regroup button recomputes the automatic groups (confirmed groups keep their
photos).  Until the library has groups the page says why.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from album.gui.grid_view import PhotoGridView
from album.gui.group_model import GroupListModel, GroupRole, GroupTileDelegate
from album.gui.messages import GroupEntry
from album.gui.thumb_loader import ThumbnailLoader
from album.gui.view_or_message import ViewOrMessage

GROUP_TILE = 190
NO_GROUPS = ("No groups yet: they appear after indexing.\n"
             "Photos of one subject (a pet, a place, a kind of thing) are gathered here.")


class GroupsPage(QWidget):
    groupActivated = Signal(int)                  # open this group
    menuRequested = Signal(QModelIndex, QPoint)   # a group card's context menu
    renameRequested = Signal()                    # F2 on the current group
    regroupRequested = Signal()

    def __init__(self, loader: ThumbnailLoader, parent=None):
        super().__init__(parent)
        self.setObjectName("groupsPage")
        self.model = GroupListModel(loader=loader, thumb_size=2 * GROUP_TILE, parent=self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseInsensitive)
        self.grid = PhotoGridView(tile_size=GROUP_TILE, delegate=GroupTileDelegate)
        self.grid.setObjectName("groupsGrid")
        self.grid.setModel(self.proxy)
        self.grid.photoActivated.connect(self._on_activated)
        self.grid.menuRequested.connect(self.menuRequested)
        QShortcut(QKeySequence("F2"), self.grid, self.renameRequested.emit, context=Qt.WidgetShortcut)

        title = QLabel("Groups")
        title.setObjectName("resultsTitle")
        self.summary = QLabel()
        self.summary.setObjectName("hint")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter groups by name")
        self.filter.setClearButtonEnabled(True)
        self.filter.setFixedWidth(220)
        self.filter.textChanged.connect(self._on_filter)
        self.regroup_button = QPushButton("Regroup")
        self.regroup_button.setToolTip("Group the photos again; groups you edited keep their photos")
        self.regroup_button.clicked.connect(self.regroupRequested)
        header = self.header = QHBoxLayout()   # the personal model's button joins it (``PersonalController``)
        header.setContentsMargins(14, 10, 14, 6)
        header.setSpacing(12)
        header.addWidget(title)
        header.addWidget(self.summary, 1)
        header.addWidget(self.filter)
        header.addWidget(self.regroup_button)

        self.stack = ViewOrMessage(self.grid)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        self._loaded = False
        self._update()

    def set_groups(self, groups: list[GroupEntry]) -> None:
        """Show these groups, keeping the current one current (by id) when it is still there."""
        current = self.current_group()
        self._loaded = True
        self.model.set_groups(groups)
        if current is not None:
            self.select_group(current.info.id)
        self._update()

    def select_group(self, group_id: int) -> bool:
        row = self.model.row_of(group_id)
        index = self.proxy.mapFromSource(self.model.index(row)) if row is not None else QModelIndex()
        if index.isValid():
            self.grid.setCurrentIndex(index)
            self.grid.scrollTo(index)
        return index.isValid()

    def current_group(self) -> GroupEntry | None:
        index = self.grid.currentIndex()
        return index.data(GroupRole) if index.isValid() else None

    def selected_groups(self) -> list[GroupEntry]:
        """The selected groups, largest first."""
        rows = sorted(index.row() for index in self.grid.selectionModel().selectedIndexes())
        return [self.proxy.index(row, 0).data(GroupRole) for row in rows]

    def _on_activated(self, index: QModelIndex) -> None:
        self.groupActivated.emit(index.data(GroupRole).info.id)

    def _on_filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self._update()

    def _update(self) -> None:
        groups = self.model.items()
        confirmed = sum(1 for entry in groups if entry.info.confirmed)
        text = f"{len(groups):,} group{'s' if len(groups) != 1 else ''}" if groups else ""
        if confirmed:
            text += f" · {confirmed:,} confirmed"
        if groups and self.proxy.rowCount() != len(groups):
            text += f" · {self.proxy.rowCount():,} shown"
        self.summary.setText(text)
        if self.proxy.rowCount():
            self.stack.show_view()
        elif not self._loaded:
            self.stack.show_message("Loading groups…")
        elif groups:
            self.stack.show_message(f"No group is called “{self.filter.text().strip()}”.")
        else:
            self.stack.show_message(NO_GROUPS)
