"""Adding and removing the library's folders, for the main window (toolbar, menu, first-run page).

Adding shows the library at once, busy, while the worker scans the folder;
removing asks first (album forgets the photos, the files stay on disk) and,
once the worker has removed it, replaces the last scan's summary in the
status bar, which spoke of photos that are gone now.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from album.gui.messages import Folders
from album.gui.pages import Page


class FolderActions(QObject):
    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.window = window
        self._removing: set[str] = set()

    def choose_folder_to_add(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Add a folder of photos", str(Path.home()))
        if folder:
            self.add_folder(folder)

    def add_folder(self, path: str) -> None:
        window = self.window
        window.bridge.add_folder(str(path))
        window.pages.set_page(Page.LIBRARY)
        window.library.set_context(busy=True)
        window.status.set_message(f"Adding {path}…")

    def remove_chosen_folder(self) -> None:
        folders = self.window.folder_list.folders()
        path = self.window.folder_list.chosen_folder_path()
        if path is None and len(folders) == 1:
            path = folders[0].path
        if path is None:
            self.window.notify("Choose the folder to remove in the list on the left first.")
            return
        answer = QMessageBox.question(self.window, "Remove folder",
                                      f"Remove {path} from the library?\n\nAlbum forgets its photos; "
                                      "the files stay on your disk.")
        if answer == QMessageBox.Yes:
            self.remove_folder(path)

    def remove_folder(self, path: str) -> None:
        self._removing.add(path)
        self.window.status.set_message(f"Removing {path}…")
        self.window.bridge.remove_folder(path)

    def on_folders(self, folders: Folders) -> None:
        """The library's folders now: say which ones asked to be removed are gone."""
        removed = self._removing - {f.path for f in folders}
        self._removing -= removed
        if removed:
            names = ", ".join(sorted(os.path.basename(path.rstrip(os.sep)) or path for path in removed))
            self.window.status.set_message(f"Removed {names} from the library")
