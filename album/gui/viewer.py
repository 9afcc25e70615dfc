"""The photo viewer: one photo fitted to the window, zoom, and next/previous.

Left/Right (or Page Up/Down) move through the list it was opened on, +/-
and the mouse wheel zoom, 0 fits the photo to the window again, Esc closes.
Full-size photos are decoded by a pool thread (``QImageReader`` with EXIF
orientation, capped at 4096 pixels), never on the GUI thread.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import QDialog, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QLabel, QVBoxLayout

MAX_SIDE = 4096
ZOOM_STEP = 1.25


class _LoadSignals(QObject):
    loaded = Signal(int, QImage, str)


class _LoadJob(QRunnable):
    def __init__(self, ticket: int, path: str, signals: _LoadSignals):
        super().__init__()
        self.ticket, self.path, self.signals = ticket, path, signals

    def run(self) -> None:
        reader = QImageReader(self.path)
        reader.setAutoTransform(True)
        size = reader.size()
        if size.isValid() and max(size.width(), size.height()) > MAX_SIDE:
            reader.setScaledSize(size.scaled(QSize(MAX_SIDE, MAX_SIDE), Qt.KeepAspectRatio))
        image = reader.read()
        self.signals.loaded.emit(self.ticket, image, "" if not image.isNull() else reader.errorString())


class PhotoViewer(QDialog):
    def __init__(self, paths: list[str], current: int = 0, parent=None):
        super().__init__(parent)
        QImageReader.supportedImageFormats()  # load Qt's image plugins here, not first in a pool thread
        self.setObjectName("viewer")
        self.setWindowTitle("Album")
        self.resize(1100, 760)
        self.paths = list(paths)
        self.current = current
        self._ticket = 0
        self._fitted = True
        self._signals = _LoadSignals(self)
        self._signals.loaded.connect(self._on_loaded)
        self.scene = QGraphicsScene(self)
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.SmoothTransformation)
        self.scene.addItem(self.item)
        self.view = QGraphicsView(self.scene)
        self.view.setRenderHints(QPainter.Antialiasing | QPainter.SmoothPixmapTransform)
        self.view.setDragMode(QGraphicsView.ScrollHandDrag)
        self.view.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.view.setFrameShape(QGraphicsView.NoFrame)
        self.view.setObjectName("viewerCanvas")
        self.view.wheelEvent = self._wheel
        self.caption = QLabel()
        self.caption.setObjectName("hint")
        self.caption.setAlignment(Qt.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)
        for keys, action in (((Qt.Key_Right, Qt.Key_PageDown, Qt.Key_Space), lambda: self.step(1)),
                             ((Qt.Key_Left, Qt.Key_PageUp, Qt.Key_Backspace), lambda: self.step(-1)),
                             ((Qt.Key_Plus, Qt.Key_Equal), lambda: self.zoom(ZOOM_STEP)),
                             ((Qt.Key_Minus,), lambda: self.zoom(1 / ZOOM_STEP)),
                             ((Qt.Key_0, Qt.Key_F), self.fit)):
            for key in keys:
                QShortcut(QKeySequence(key), self, action)
        self.show_photo(current)

    def show_photo(self, position: int) -> None:
        if not self.paths:
            return
        self.current = max(0, min(position, len(self.paths) - 1))
        path = self.paths[self.current]
        self._ticket += 1
        self.setWindowTitle(f"{os.path.basename(path)} — Album")
        self.caption.setText(f"{os.path.basename(path)}  ·  {self.current + 1} of {len(self.paths)}  ·  "
                             "← → next/previous, + − zoom, 0 fit, Esc close")
        QThreadPool.globalInstance().start(_LoadJob(self._ticket, path, self._signals))

    def step(self, delta: int) -> None:
        target = self.current + delta
        if 0 <= target < len(self.paths):
            self.show_photo(target)

    def zoom(self, factor: float) -> None:
        self._fitted = False
        self.view.scale(factor, factor)

    def fit(self) -> None:
        self._fitted = True
        if not self.item.pixmap().isNull():
            self.view.fitInView(self.item, Qt.KeepAspectRatio)

    def _on_loaded(self, ticket: int, image: QImage, error: str) -> None:
        if ticket != self._ticket:
            return  # the user moved on
        if image.isNull():
            self.item.setPixmap(QPixmap())
            self.caption.setText(f"Cannot show {os.path.basename(self.paths[self.current])}: {error}")
            return
        self.item.setPixmap(QPixmap.fromImage(image))
        self.scene.setSceneRect(self.item.boundingRect())
        self.view.resetTransform()
        self.fit()

    def _wheel(self, event) -> None:
        self.zoom(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        if self._fitted:
            self.fit()
