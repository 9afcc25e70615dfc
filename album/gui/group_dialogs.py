"""The small dialogs of the group edits: a name, and the choice of a group (or a new one).

``ask_name`` names a new group or renames one; ``choose_group`` picks the
group that photos join or that other groups are merged with: a filter field
over the groups (thousands of them stay quick to find: type, arrows, Enter)
and, when allowed, "New group…".  Both return None when the user cancels.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QInputDialog, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from album.gui.group_model import describe_group
from album.gui.messages import GroupEntry


@dataclass(frozen=True)
class GroupChoice:
    """An existing group (``group_id``), or a new one to be called ``name``."""

    group_id: int | None = None
    name: str = ""


def ask_name(parent: QWidget, title: str, label: str, text: str = "") -> str | None:
    """A group name typed by the user (None if cancelled or left empty)."""
    name, accepted = QInputDialog.getText(parent, title, label, QLineEdit.Normal, text)
    return name.strip() if accepted and name.strip() else None


def choose_group(parent: QWidget, title: str, label: str, groups: list[GroupEntry],
                 allow_new: bool = True) -> GroupChoice | None:
    dialog = ChooseGroupDialog(parent, title, label, groups, allow_new)
    return dialog.choice if dialog.exec() == QDialog.Accepted else None


class ChooseGroupDialog(QDialog):
    def __init__(self, parent: QWidget, title: str, label: str, groups: list[GroupEntry], allow_new: bool):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("chooseGroup")
        self.resize(380, 460)
        self.choice: GroupChoice | None = None
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Type to find a group")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._on_filter)
        self.list = QListWidget()
        for entry in groups:
            item = QListWidgetItem(f"{entry.info.name}    ({describe_group(entry)})")
            item.setData(Qt.UserRole, entry.info.id)
            item.setData(Qt.UserRole + 1, entry.info.name.casefold())
            self.list.addItem(item)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        self.filter.returnPressed.connect(self.accept)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.Ok)
        if allow_new:
            new = QPushButton("New group…")
            new.clicked.connect(self._new_group)
            buttons.addButton(new, QDialogButtonBox.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(label))
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.list.currentItemChanged.connect(lambda *_: self.ok_button.setEnabled(self._current() is not None))
        self.list.setCurrentRow(0)
        self.ok_button.setEnabled(self._current() is not None)
        self.filter.setFocus()

    def _current(self) -> int | None:
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item is not None and not item.isHidden() else None

    def _on_filter(self, text: str) -> None:
        wanted = text.strip().casefold()
        first = None
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setHidden(wanted not in item.data(Qt.UserRole + 1))
            if first is None and not item.isHidden():
                first = item
        self.list.setCurrentItem(first)
        self.ok_button.setEnabled(first is not None)

    def _new_group(self) -> None:
        name = ask_name(self, "New group", "Name of the new group:", self.filter.text().strip())
        if name:
            self.choice = GroupChoice(None, name)
            super().accept()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if event.key() in (Qt.Key_Up, Qt.Key_Down, Qt.Key_PageUp, Qt.Key_PageDown) and self.filter.hasFocus():
            self.list.keyPressEvent(event)  # arrows move through the list while typing in the filter
            return
        super().keyPressEvent(event)

    def accept(self) -> None:
        group_id = self._current()
        if group_id is None:
            return
        self.choice = GroupChoice(group_id)
        super().accept()
