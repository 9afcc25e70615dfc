"""A dismissable message strip above the photos, for problems explained in plain words and for offers.

It hides itself after a while; every problem is also kept for the Problems
dialog (by the window).  An offer (``show_offer``) adds a button that does
what it offers only when clicked: nothing starts by itself.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

SHOW_MS = 15000
OFFER_MS = 60000


class Banner(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.action_button = QPushButton()
        self.action_button.setObjectName("bannerAction")
        self.action_button.clicked.connect(self._act)
        self.action_button.hide()
        self._on_action: Callable[[], None] | None = None
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button, 0, Qt.AlignVCenter)
        layout.addWidget(close, 0, Qt.AlignTop)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SHOW_MS)
        self.timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str) -> None:
        self._on_action = None
        self.action_button.hide()
        self._show(text, SHOW_MS)

    def show_offer(self, text: str, button: str, on_action: Callable[[], None]) -> None:
        """``text`` with a ``button`` that calls ``on_action`` (and hides the banner) when clicked."""
        self._on_action = on_action
        self.action_button.setText(button)
        self.action_button.show()
        self._show(text, OFFER_MS)

    def offering(self) -> bool:
        return self.isVisible() and self._on_action is not None

    def text(self) -> str:
        return self.label.text()

    def _show(self, text: str, ms: int) -> None:
        self.label.setText(text)
        self.show()
        self.timer.start(ms)

    def _act(self) -> None:
        on_action, self._on_action = self._on_action, None
        self.hide()
        if on_action is not None:
            on_action()
