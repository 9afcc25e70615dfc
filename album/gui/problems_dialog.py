"""The "Problems" dialog: files album could not read, each with the reason in plain words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout


class ProblemsDialog(QDialog):
    def __init__(self, failures, messages: list[str] | None = None, log_file: str | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Problems")
        self.resize(760, 420)
        layout = QVBoxLayout(self)
        failures = list(failures)
        intro = QLabel(f"{len(failures):,} file{'s' if len(failures) != 1 else ''} could not be read. "
                       "They stay where they are; album skips them until they change."
                       if failures else "Every photo could be read.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if failures:
            self.tree = QTreeWidget()
            self.tree.setHeaderLabels(["File", "Reason"])
            self.tree.setRootIsDecorated(False)
            self.tree.setAlternatingRowColors(True)
            for record in failures:
                item = QTreeWidgetItem([record.path, record.failure or "unknown reason"])
                item.setToolTip(0, record.path)
                self.tree.addTopLevelItem(item)
            self.tree.header().setSectionResizeMode(0, QHeaderView.Stretch)
            self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeToContents)
            layout.addWidget(self.tree, 1)
        if messages:
            recent = QLabel("Recent messages:\n" + "\n".join(f"• {message}" for message in messages[-8:]))
            recent.setWordWrap(True)
            recent.setTextInteractionFlags(Qt.TextSelectableByMouse)
            layout.addWidget(recent)
        if log_file:
            where = QLabel(f"Each unreadable file is also listed, with its reason, in the log: {log_file}")
            where.setWordWrap(True)
            where.setObjectName("hint")
            where.setTextInteractionFlags(Qt.TextSelectableByMouse)
            layout.addWidget(where)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
