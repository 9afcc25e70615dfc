"""Drops onto the window: a local image file to search with.

Accepted: file URLs of photos (from a file manager), a ``text/uri-list`` or
plain text holding such a URL or path, or raw image data (saved to a
temporary file under the library's cache so the engine can read it).  The
file is only compared, never added to the library.  ``DropTarget`` watches
the window's drag events, shows the drop hint and emits ``imageDropped(path)``.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from album.media.imageio import is_photo_path


def local_image_paths(mime: QMimeData) -> list[str]:
    """Local photo files named by the drop, in order."""
    urls = list(mime.urls()) if mime.hasUrls() else []
    if not urls and mime.hasText():
        for line in mime.text().splitlines():
            line = line.strip()
            if line:
                urls.append(QUrl(line) if "://" in line else QUrl.fromLocalFile(line))
    paths = []
    for url in urls:
        if url.isLocalFile():
            path = url.toLocalFile()
            if is_photo_path(path) and Path(path).is_file():
                paths.append(path)
    return paths


def can_search_with(mime: QMimeData) -> bool:
    return bool(local_image_paths(mime)) or mime.hasImage()


def image_for_search(mime: QMimeData, scratch: Path) -> str | None:
    """The path of the image to search with, saving dropped image data under ``scratch``; None if none."""
    paths = local_image_paths(mime)
    if paths:
        return paths[0]
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            scratch.mkdir(parents=True, exist_ok=True)
            target = scratch / f"dropped-{time.strftime('%Y%m%d-%H%M%S')}.png"
            if image.save(str(target), "PNG"):
                return str(target)
    return None


class DropTarget(QObject):
    """Makes ``window`` accept image drops; ``hint`` is shown while an image is dragged over it."""

    imageDropped = Signal(str)   # the image to search with
    refused = Signal(str)        # why the drop could not be used, in plain words

    def __init__(self, window: QWidget, hint: QWidget, scratch: Path):
        super().__init__(window)
        self.hint, self.scratch = hint, scratch
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt naming
        kind = event.type()
        if kind in (QEvent.DragEnter, QEvent.DragMove):
            if can_search_with(event.mimeData()):
                event.acceptProposedAction()
                self.hint.show()
            return True
        if kind == QEvent.DragLeave:
            self.hint.hide()
            return True
        if kind == QEvent.Drop:
            self.hint.hide()
            path = image_for_search(event.mimeData(), self.scratch)
            if path is None:
                self.refused.emit("Only image files, or images from other apps, can be dropped here to search with.")
            else:
                event.acceptProposedAction()
                self.imageDropped.emit(path)
            return True
        return False
