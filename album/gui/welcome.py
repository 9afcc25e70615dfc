"""The first-run view: what album does, and buttons to add the Pictures folder or any folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


def pictures_folder() -> Path | None:
    """The system Pictures folder, if there is one."""
    location = QStandardPaths.writableLocation(QStandardPaths.PicturesLocation)
    return Path(location) if location and Path(location).is_dir() else None


class WelcomeView(QWidget):
    addPicturesRequested = Signal(str)
    addFolderRequested = Signal()

    def __init__(self, icon: QIcon | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("welcome")
        logo = QLabel()
        if icon is not None and not icon.isNull():
            logo.setPixmap(icon.pixmap(96, 96))
        logo.setAlignment(Qt.AlignCenter)
        title = QLabel("Welcome to Album")
        title.setObjectName("welcomeTitle")
        title.setAlignment(Qt.AlignCenter)
        text = QLabel("Album finds the photos that look alike: the same bird, the same place, the same face.\n"
                      "Add a folder of photos to begin. Album watches it and indexes new photos by itself;\n"
                      "it never changes, moves or uploads your files.")
        text.setObjectName("hint")
        text.setAlignment(Qt.AlignCenter)
        text.setWordWrap(True)
        self.pictures = pictures_folder()
        self.pictures_button = QPushButton(f"Add {self.pictures}" if self.pictures else "Add Pictures folder")
        self.pictures_button.setObjectName("primaryButton")
        self.pictures_button.setVisible(self.pictures is not None)
        self.pictures_button.clicked.connect(lambda: self.addPicturesRequested.emit(str(self.pictures)))
        self.folder_button = QPushButton("Choose a folder…")
        if self.pictures is None:
            self.folder_button.setObjectName("primaryButton")
        self.folder_button.clicked.connect(self.addFolderRequested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.pictures_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)
        drop_hint = QLabel("Tip: drop any image onto the window to find photos that look like it.")
        drop_hint.setObjectName("hint")
        drop_hint.setAlignment(Qt.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(logo)
        layout.addWidget(title)
        layout.addSpacing(8)
        layout.addWidget(text)
        layout.addSpacing(18)
        layout.addLayout(buttons)
        layout.addSpacing(24)
        layout.addWidget(drop_hint)
        layout.addStretch(3)
