"""A view, or a message in its place: "Loading…", "No groups yet", "No duplicates found".

Every page whose content can be missing shows it this way, so the message
looks and behaves the same everywhere (centred, wrapped, styled as
``emptyState`` by the theme).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget


class ViewOrMessage(QStackedWidget):
    def __init__(self, view: QWidget, parent=None):
        super().__init__(parent)
        self.view = view
        self.message = QLabel()
        self.message.setObjectName("emptyState")
        self.message.setAlignment(Qt.AlignCenter)
        self.message.setWordWrap(True)
        self.addWidget(view)
        self.addWidget(self.message)

    def show_view(self) -> None:
        self.setCurrentIndex(0)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.setCurrentIndex(1)

    def showing_view(self) -> bool:
        return self.currentIndex() == 0
