"""The actions on one photo, as offered by its context menu: Find similar, Open with
the default application, Show in folder, Copy path.

When no application can open the photo the user is told so, and offered
Show in folder and Copy path instead."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

log = logging.getLogger(__name__)

FIND_SIMILAR = "Find similar"
OPEN_DEFAULT = "Open with default application"
SHOW_IN_FOLDER = "Show in folder"
COPY_PATH = "Copy path"


def open_with_default_app(path: str, parent: QWidget | None = None) -> bool:
    """Open the photo in the desktop's default application; if there is none, say so (over ``parent``)."""
    if QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
        return True
    log.warning("no application could open %s", path)
    if parent is not None:
        no_application(parent, path)
    return False


def no_application(parent: QWidget, path: str) -> QMessageBox:
    """A (non-blocking) message: nothing could open the photo; Show in folder or Copy path instead."""
    box = QMessageBox(QMessageBox.Information, "Cannot open the photo",
                      f"No application on this computer is set up to open {os.path.basename(path)}.",
                      QMessageBox.Close, parent)
    box.setObjectName("noApplication")
    box.setInformativeText("You can open it from your file manager, or copy its path into another program.")
    box.addButton(SHOW_IN_FOLDER, QMessageBox.ActionRole).clicked.connect(lambda: show_in_folder(path))
    box.addButton(COPY_PATH, QMessageBox.ActionRole).clicked.connect(lambda: copy_path(path))
    box.setAttribute(Qt.WA_DeleteOnClose)
    box.open()
    return box


def show_in_folder(path: str) -> bool:
    """Open the file manager at the photo, selecting it when the file manager supports that."""
    if shutil.which("dbus-send"):
        uri = QUrl.fromLocalFile(path).toString()
        try:
            result = subprocess.run(
                ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.FileManager1",
                 "/org/freedesktop/FileManager1", "org.freedesktop.FileManager1.ShowItems",
                 f"array:string:{uri}", "string:"], capture_output=True, timeout=3, check=False)
            if result.returncode == 0:
                return True
        except (OSError, subprocess.SubprocessError):
            pass
    return QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))


def copy_path(path: str) -> None:
    QGuiApplication.clipboard().setText(path)


def photo_menu(parent: QWidget, path: str, find_similar) -> QMenu:
    """A context menu for the photo at ``path``; ``find_similar()`` runs the search."""
    menu = QMenu(parent)
    menu.setObjectName("photoMenu")
    similar = menu.addAction(FIND_SIMILAR)
    similar.setShortcut("Ctrl+F")
    similar.triggered.connect(find_similar)
    menu.addSeparator()
    menu.addAction(OPEN_DEFAULT).triggered.connect(lambda: open_with_default_app(path, parent))
    menu.addAction(SHOW_IN_FOLDER).triggered.connect(lambda: show_in_folder(path))
    menu.addAction(COPY_PATH).triggered.connect(lambda: copy_path(path))
    return menu
