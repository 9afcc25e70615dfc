"""The search field above the photos: typed words search the library as you type.

``WordSearchBar`` asks once the typing pauses (``DELAY_MS``), so a query is
made per word rather than per key; Enter asks at once.  Emptying the field
(or its clear button) says so with ``cleared``, so the window can leave a
word search's results.  The answers show on the results page, like "Find
similar" (``SearchController.find_by_words``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QWidget

#: how long the typing must pause before the words are searched
DELAY_MS = 300


class WordSearchBar(QWidget):
    searchRequested = Signal(str)   # the words, spaces tidied
    cleared = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("wordSearchBar")
        self.edit = QLineEdit()
        self.edit.setObjectName("wordSearch")
        self.edit.setPlaceholderText("Search photos by words: a dog on the beach, red flowers, a sailing boat…")
        self.edit.setClearButtonEnabled(True)
        self.edit.setFocusPolicy(Qt.ClickFocus)  # Tab and the arrows stay with the photos
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 4)
        layout.addWidget(self.edit)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self._ask)
        self.edit.textEdited.connect(self._on_edited)
        self.edit.returnPressed.connect(self._ask)

    def start_typing(self) -> None:
        """Put the keyboard in the field, its words selected (Ctrl+K)."""
        self.edit.setFocus(Qt.ShortcutFocusReason)
        self.edit.selectAll()

    def show_words(self, words: str) -> None:
        """Show the words of the search on screen (Back and Forward), without searching again."""
        if " ".join(self.edit.text().split()) != words:
            self._timer.stop()
            self.edit.setText(words)

    def _on_edited(self, text: str) -> None:
        if text.strip():
            self._timer.start()
        else:
            self._timer.stop()
            self.cleared.emit()

    def _ask(self) -> None:
        self._timer.stop()
        words = " ".join(self.edit.text().split())
        if words:
            self.searchRequested.emit(words)
