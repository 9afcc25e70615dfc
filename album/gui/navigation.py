"""Keys and mouse buttons that navigate belong to the photos, wherever the focus is.

After dragging a slider or pressing a button, arrow keys, Home/End and
Page Up/Down still move through the photos (unless a text field has the
focus: there they edit).  The mouse's Back and Forward buttons step through
the searches anywhere in the window.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (QAbstractItemView, QAbstractSpinBox, QApplication, QComboBox, QLineEdit,
                               QPlainTextEdit, QTextEdit, QWidget)

NAVIGATION_KEYS = {Qt.Key_Left, Qt.Key_Right, Qt.Key_Up, Qt.Key_Down, Qt.Key_Home, Qt.Key_End, Qt.Key_PageUp,
                   Qt.Key_PageDown}
TEXT_INPUTS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox, QComboBox)


class NavigationKeys(QObject):
    """An application event filter for ``window``; ``view()`` is the grid that gets the keys."""

    def __init__(self, window: QWidget, view: Callable[[], QAbstractItemView],
                 back: Callable[[], None] | None = None, forward: Callable[[], None] | None = None):
        super().__init__(window)
        self.window, self.view, self.back, self.forward = window, view, back, forward
        QApplication.instance().installEventFilter(self)

    def uninstall(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt naming
        kind = event.type()
        if kind == QEvent.KeyPress and event.key() in NAVIGATION_KEYS and not event.modifiers() & Qt.AltModifier:
            return self._redirect(watched, event)
        if kind == QEvent.MouseButtonPress and self._inside(watched):
            step = {Qt.BackButton: self.back, Qt.ForwardButton: self.forward}.get(event.button())
            if step is not None:
                step()
                return True
        return False

    def _inside(self, watched) -> bool:
        return isinstance(watched, QWidget) and watched.window() is self.window

    def _redirect(self, watched, event) -> bool:
        if watched is not QApplication.focusWidget() or not self._inside(watched):
            return False
        if isinstance(watched, (QAbstractItemView, *TEXT_INPUTS)):
            return False
        view = self.view()
        if not view.isVisible():
            return False
        view.setFocus(Qt.OtherFocusReason)
        QApplication.sendEvent(view, event.clone())
        return True
