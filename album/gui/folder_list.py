"""The left sidebar: "All photos" and each library folder with its photo count.

Choosing a folder shows only its photos in the grid; a folder that is not
on disk any more is marked so the user can remove it or reconnect the drive.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

FolderIdRole = Qt.UserRole + 1
FolderPathRole = Qt.UserRole + 2


class FolderList(QWidget):
    folderChosen = Signal(object)   # folder id, or None for all photos

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("folderSidebar")
        self.setAttribute(Qt.WA_StyledBackground, True)
        title = QLabel("LIBRARY")
        title.setObjectName("sidebarTitle")
        self.list = QListWidget()
        self.list.setObjectName("folderList")
        self.list.setFrameShape(QListWidget.NoFrame)
        self.list.currentItemChanged.connect(self._on_current)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 12, 8, 8)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        self.setMinimumWidth(170)
        self._folders: list = []
        self._updating = False
        self.set_folders([], 0)

    def set_folders(self, folders, total: int, counts: dict | None = None) -> None:
        """Show these ``FolderInfo``s, keeping the current choice; ``counts`` (folder id to
        photos shown) overrides the catalogue's counts, which leave out photos not yet indexed."""
        chosen = self.chosen_folder_id()
        self._folders = list(folders)
        self._updating = True
        self.list.clear()
        everything = QListWidgetItem(f"All photos\t{total:,}")
        everything.setData(FolderIdRole, None)
        self.list.addItem(everything)
        current = everything
        for folder in self._folders:
            name = os.path.basename(folder.path.rstrip(os.sep)) or folder.path
            count = counts.get(folder.id, 0) if counts is not None else folder.photos
            label = f"{name}\t{count:,}" if folder.exists else f"⚠ {name}\tmissing"
            item = QListWidgetItem(label)
            item.setData(FolderIdRole, folder.id)
            item.setData(FolderPathRole, folder.path)
            item.setToolTip(folder.path if folder.exists else f"{folder.path}\nThis folder is not on disk right now.")
            self.list.addItem(item)
            if folder.id == chosen:
                current = item
        self.list.setCurrentItem(current)
        self._updating = False

    def folders(self) -> list:
        return list(self._folders)

    def chosen_folder_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(FolderIdRole) if item is not None else None

    def chosen_folder_path(self) -> str | None:
        item = self.list.currentItem()
        return item.data(FolderPathRole) if item is not None else None

    def _on_current(self, current, _previous) -> None:
        if not self._updating:
            self.folderChosen.emit(current.data(FolderIdRole) if current is not None else None)
