"""The app's look: Fusion style with a dark palette and one stylesheet for every window and dialog."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#1e2127"
SURFACE = "#252930"
SIDEBAR = "#1a1d22"
TEXT = "#e6e8eb"
MUTED = "#9aa3ad"
ACCENT = "#4c9aff"
DISABLED = "#5b626d"

STYLESHEET = f"""
QMainWindow, QDialog {{ background: {BACKGROUND}; }}
QToolBar {{ background: {SURFACE}; border: none; border-bottom: 1px solid #14161a; padding: 4px 6px; spacing: 4px; }}
QToolBar QToolButton {{ color: {TEXT}; padding: 5px 10px; border-radius: 5px; }}
QToolBar QToolButton:hover {{ background: #323741; }}
QToolBar QToolButton:disabled {{ color: {DISABLED}; background: transparent; }}
QToolBar QToolButton:checked {{ background: #3a4150; }}
QStatusBar {{ background: {SURFACE}; color: {MUTED}; border-top: 1px solid #14161a; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 8px; }}
QStatusBar QToolButton {{ color: {TEXT}; padding: 1px 8px; border: 1px solid #3a3f48; border-radius: 4px; }}
QProgressBar {{ background: #343944; border: none; border-radius: 4px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 4px; }}
#folderSidebar {{ background: {SIDEBAR}; }}
#sidebarTitle {{ color: {MUTED}; font-size: 8pt; font-weight: bold; letter-spacing: 1px; padding: 0 6px 6px 6px; }}
#folderList {{ background: {SIDEBAR}; color: {TEXT}; outline: none; show-decoration-selected: 1; }}
#folderList::item {{ padding: 5px 2px; border: none; }}
#folderList::item:selected, #folderList::branch:selected {{ background: #2f3642; color: white; }}
#folderList::item:hover:!selected, #folderList::branch:hover:!selected {{ background: #23272e; }}
#photoGrid, #resultsGrid {{ background: {BACKGROUND}; }}
#similarView {{ background: {SURFACE}; }}
#sidePanel, #sidePanel QStackedWidget {{ background: {SURFACE}; }}
#photoTitle {{ color: white; font-size: 12pt; font-weight: bold; }}
#resultsTitle, #welcomeTitle {{ color: white; font-size: 15pt; font-weight: bold; }}
#welcomeTitle {{ font-size: 22pt; }}
#sectionTitle {{ color: white; font-weight: bold; }}
#meta {{ color: {TEXT}; }}
#hint {{ color: {MUTED}; }}
#emptyState {{ color: {MUTED}; font-size: 12pt; }}
#preview {{ background: #1b1e23; border-radius: 6px; color: {MUTED}; }}
#queryImage {{ background: #1b1e23; border-radius: 6px; }}
#dropHint {{ background: {ACCENT}; color: white; font-weight: bold; padding: 14px; }}
#banner {{ background: #4a3b1c; color: #ffe2a8; border-radius: 6px; }}
#banner QLabel {{ color: #ffe2a8; }}
#primaryButton {{ background: {ACCENT}; color: white; border: none; border-radius: 6px; padding: 8px 18px; font-weight: bold; }}
#primaryButton:disabled {{ background: #3a4150; color: {MUTED}; }}
QPushButton {{ background: #2d323b; color: {TEXT}; border: 1px solid #3a3f48; border-radius: 5px; padding: 6px 14px; }}
QPushButton:hover {{ background: #363c47; }}
QPushButton:default {{ border-color: {ACCENT}; }}
QPushButton:disabled {{ color: {DISABLED}; }}
QTreeView, QListView {{ background: {SURFACE}; alternate-background-color: #2a2e36; color: {TEXT}; border: none; outline: none; selection-background-color: #34404f; }}
QHeaderView::section {{ background: {SIDEBAR}; color: {MUTED}; border: none; padding: 5px 8px; }}
QMenuBar {{ background: {SURFACE}; color: {TEXT}; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: #3a4150; }}
QMenu {{ background: #2b3038; color: {TEXT}; border: 1px solid #3a3f48; padding: 4px; }}
QMenu::item {{ padding: 5px 24px 5px 14px; border-radius: 4px; }}
QMenu::item:disabled {{ color: {DISABLED}; }}
QMenu::separator {{ height: 1px; background: #3a3f48; margin: 4px 8px; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 0; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 0; }}
QScrollBar::handle {{ background: #4a505b; border-radius: 4px; min-height: 30px; min-width: 30px; margin: 2px; }}
QScrollBar::handle:hover {{ background: #5c6370; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
#viewer, #viewerCanvas {{ background: #121417; }}
#problemsButton {{ color: #f0b35a; border: none; padding: 0 8px; }}
QSplitter::handle {{ background: #14161a; }}
QToolTip {{ background: #2d323b; color: {TEXT}; border: 1px solid #444a55; }}
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in ((QPalette.Window, BACKGROUND), (QPalette.WindowText, TEXT), (QPalette.Base, SURFACE),
                         (QPalette.AlternateBase, "#2a2e36"), (QPalette.Text, TEXT), (QPalette.Button, "#2d323b"),
                         (QPalette.ButtonText, TEXT), (QPalette.Highlight, ACCENT),
                         (QPalette.HighlightedText, "white"), (QPalette.ToolTipBase, "#2d323b"),
                         (QPalette.ToolTipText, TEXT), (QPalette.PlaceholderText, MUTED), (QPalette.Link, ACCENT)):
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.Disabled, QPalette.Text, QColor(MUTED))
    palette.setColor(QPalette.Disabled, QPalette.ButtonText, QColor(MUTED))
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)
