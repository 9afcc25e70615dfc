"""The confirmation before photos go to the trash: what goes, and what is kept.

Nothing is moved without it.  "Move 3 photos to the trash?" names the
photos kept (and, in the details, every file going and staying); the
default button is Cancel, so Enter alone never trashes anything.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import QMessageBox, QWidget

from album.gui.side_panel import human_size
from album.library.records import PhotoRecord

SHOWN_NAMES = 4
MOVE = "Move to Trash"


def _names(photos: list[PhotoRecord]) -> str:
    names = [os.path.basename(photo.path) for photo in photos[:SHOWN_NAMES]]
    if len(photos) > SHOWN_NAMES:
        names.append(f"and {len(photos) - SHOWN_NAMES:,} more")
    return ", ".join(names)


def trash_box(parent: QWidget, going: list[PhotoRecord], kept: list[PhotoRecord]) -> QMessageBox:
    count = len(going)
    box = QMessageBox(QMessageBox.Warning, "Move to the trash",
                      f"Move {count:,} photo{'s' if count != 1 else ''} to the trash?", QMessageBox.Cancel, parent)
    box.setObjectName("confirmTrash")
    box.setInformativeText(
        f"Kept: {_names(kept)}.\n\nThe others ({human_size(sum(p.size for p in going))}) go to the system trash, "
        "where you can restore them; album forgets them.")
    box.setDetailedText("\n".join([f"goes:  {photo.path}" for photo in going]
                                  + [f"stays: {photo.path}" for photo in kept]))
    box.addButton(MOVE, QMessageBox.DestructiveRole)
    box.setDefaultButton(QMessageBox.Cancel)
    return box


def confirm_trash(parent: QWidget, going: list[PhotoRecord], kept: list[PhotoRecord]) -> bool:
    """Ask before moving ``going`` to the trash; True only if the user said so."""
    box = trash_box(parent, going, kept)
    box.exec()
    return box.buttonRole(box.clickedButton()) == QMessageBox.DestructiveRole
