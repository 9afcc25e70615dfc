"""The left sidebar: "All photos", each library folder and, under it, its subfolders, with photo counts;
then the Groups and Duplicates pages.

Choosing a folder or subfolder shows only the photos inside it (``folderChosen``
carries the folder's path, or None for all photos; choosing the folder shown
again goes back to it from another page).  A folder that is not on disk any
more is marked so the user can remove it or reconnect the drive.  The tree
keeps what was expanded and chosen when the library changes.  Choosing
Groups or Duplicates emits ``pageChosen`` ("groups" or "duplicates").
"""

from __future__ import annotations

import os
from collections import Counter
from operator import attrgetter

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHeaderView, QLabel, QListWidget, QListWidgetItem, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from album.library.records import FolderInfo, PhotoRecord

PathRole = Qt.UserRole + 1      # the folder's path (None for "All photos")
RootRole = Qt.UserRole + 2      # the path of the library folder it belongs to
GROUPS, DUPLICATES = "groups", "duplicates"


def directories(photos: list[PhotoRecord]) -> Counter[str]:
    """Photos directly in each directory. (Paths are absolute and normalised: the directory is what comes
    before the last separator, found in a tenth of the time ``os.path.dirname`` takes.)"""
    return Counter([path[:path.rfind(os.sep)] or os.sep for path in map(attrgetter("path"), photos)])


def folder_counts(photos: list[PhotoRecord], direct: Counter[str] | None = None) -> Counter[str]:
    """Photos in each directory, counting those in its subdirectories too (``direct``: ``directories``
    of the photos, when known)."""
    direct = directories(photos) if direct is None else direct
    counts: Counter[str] = Counter()
    for directory, count in direct.items():
        while True:
            counts[directory] += count
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
    return counts


class FolderList(QWidget):
    folderChosen = Signal(object)   # str path, or None for all photos
    pageChosen = Signal(str)        # GROUPS or DUPLICATES

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("folderSidebar")
        self.setAttribute(Qt.WA_StyledBackground, True)
        title = QLabel("LIBRARY")
        title.setObjectName("sidebarTitle")
        self.tree = QTreeWidget()
        self.tree.setObjectName("folderList")
        self.tree.setFrameShape(QTreeWidget.NoFrame)
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(2)
        self.tree.setIndentation(14)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeToContents)
        self.tree.currentItemChanged.connect(self._on_current)
        self.tree.itemClicked.connect(self._on_clicked)
        organise = QLabel("ORGANISE")
        organise.setObjectName("sidebarTitle")
        self.pages = QListWidget()
        self.pages.setObjectName("folderList")
        self.pages.setFrameShape(QListWidget.NoFrame)
        for name, text, tip in ((GROUPS, "Groups", "Photos gathered by subject"),
                                (DUPLICATES, "Duplicates", "Copies of one photo, and similar shots")):
            item = QListWidgetItem(text, self.pages)
            item.setData(PathRole, name)
            item.setToolTip(tip)
        self.pages.setFixedHeight(2 * self.pages.sizeHintForRow(0) + 8)
        self.pages.itemClicked.connect(lambda item: self.pageChosen.emit(item.data(PathRole)))
        self.pages.itemActivated.connect(lambda item: self.pageChosen.emit(item.data(PathRole)))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 12, 8, 8)
        layout.addWidget(title)
        layout.addWidget(self.tree, 1)
        layout.addSpacing(8)
        layout.addWidget(organise)
        layout.addWidget(self.pages)
        self.setMinimumWidth(170)
        self._folders: list[FolderInfo] = []
        self._updating = False
        self._chosen_now = False
        self.set_folders([], [])
        self.tree.topLevelItem(0).setText(1, "")  # no count before the library has said

    def set_folders(self, folders: list[FolderInfo], photos: list[PhotoRecord]) -> None:
        """Show these folders, their subfolders and the number of ``photos`` in each."""
        chosen = self.chosen_path()
        expanded = {item.data(0, PathRole) for item in self._items() if item.isExpanded()}
        self._folders = list(folders)
        direct = directories(photos)
        counts = folder_counts(photos, direct)
        self._updating = True
        self.tree.clear()
        everything = self._item(self.tree, "All photos", f"{len(photos):,}", None, None)
        current = everything
        subfolders = sorted(direct)
        for folder in self._folders:
            name = os.path.basename(folder.path.rstrip(os.sep)) or folder.path
            count = f"{counts.get(folder.path, 0):,}" if folder.exists else "missing"
            root = self._item(self.tree, ("" if folder.exists else "⚠ ") + name, count, folder.path, folder.path)
            root.setToolTip(0, folder.path if folder.exists else f"{folder.path}\nThis folder is not on disk right now.")
            items = {folder.path: root}
            prefix = folder.path.rstrip(os.sep) + os.sep
            for directory in subfolders:
                if directory.startswith(prefix):
                    self._subfolder(items, directory, counts)
        for item in self._items():
            if item.data(0, PathRole) in expanded:
                item.setExpanded(True)
            if item.data(0, PathRole) == chosen:
                current = item
        self.tree.setCurrentItem(current)
        self._updating = False

    def _subfolder(self, items: dict[str, QTreeWidgetItem], directory: str, counts: Counter[str]) -> QTreeWidgetItem:
        item = items.get(directory)
        if item is None:
            parent = self._subfolder(items, os.path.dirname(directory), counts)
            item = self._item(parent, os.path.basename(directory), f"{counts[directory]:,}", directory,
                              parent.data(0, RootRole))
            item.setToolTip(0, directory)
            items[directory] = item
        return item

    @staticmethod
    def _item(parent, name: str, count: str, path: str | None, root: str | None) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [name, count])
        item.setData(0, PathRole, path)
        item.setData(0, RootRole, root)
        item.setTextAlignment(1, Qt.AlignRight | Qt.AlignVCenter)
        return item

    def _items(self) -> list[QTreeWidgetItem]:
        found, stack = [], [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        while stack:
            item = stack.pop()
            found.append(item)
            stack.extend(item.child(i) for i in range(item.childCount()))
        return found

    def folders(self) -> list[FolderInfo]:
        return list(self._folders)

    def chosen_path(self) -> str | None:
        """The chosen folder or subfolder (None: all photos)."""
        item = self.tree.currentItem()
        return item.data(0, PathRole) if item is not None else None

    def chosen_folder_path(self) -> str | None:
        """The library folder the chosen folder or subfolder belongs to (None: all photos)."""
        item = self.tree.currentItem()
        return item.data(0, RootRole) if item is not None else None

    def show_all(self) -> None:
        """Choose "All photos"."""
        self.tree.setCurrentItem(self.tree.topLevelItem(0))

    def set_group_count(self, count: int) -> None:
        self.pages.item(0).setText(f"Groups  ·  {count:,}" if count else "Groups")

    def show_page(self, name: str | None) -> None:
        """Mark the page shown: Groups or Duplicates (its entry), or None (the folders)."""
        row = {GROUPS: 0, DUPLICATES: 1}.get(name)
        if row is None:
            self.pages.clearSelection()
            self.pages.setCurrentRow(-1)
        else:
            self.pages.setCurrentRow(row)
        if row is not None:
            self.tree.clearSelection()
        elif self.tree.currentItem() is not None:
            self.tree.currentItem().setSelected(True)

    def _on_current(self, current, _previous) -> None:
        if not self._updating:
            self._chosen_now = True
            self.folderChosen.emit(current.data(0, PathRole) if current is not None else None)

    def _on_clicked(self, item, _column) -> None:
        if not self._chosen_now and item is self.tree.currentItem():
            self.folderChosen.emit(item.data(0, PathRole))  # the folder already chosen: show it again
        self._chosen_now = False
