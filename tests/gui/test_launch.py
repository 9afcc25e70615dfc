"""Launching the app, the viewer, and the problems dialog."""

from __future__ import annotations

import gc
import logging
import subprocess
import sys
import time

import pytest
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from album.gui import launch
from album.gui.main_window import MainWindow
from album.gui.problems_dialog import ProblemsDialog
from album.gui.viewer import PhotoViewer

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def restore_globals(monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    app = QApplication.instance()
    style_sheet = app.styleSheet() if app else ""
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "album", False)]:
        root.removeHandler(handler)
        handler.close()
    if app:
        app.setStyleSheet(style_sheet)


def test_main_opens_the_window_on_the_chosen_library_and_logs(qtbot, tmp_path, restore_globals):
    library = tmp_path / "lib"
    seen = []

    def close_soon():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(100, close_soon)
            return
        seen.extend(windows)
        windows[0].close()

    QTimer.singleShot(100, close_soon)
    assert launch.main(["--library", str(library)]) == 0
    assert seen and seen[0].windowTitle() == "Album"
    assert (library / "logs" / "album.log").read_text().count("starting the desktop app") == 1
    assert not seen[0].bridge.thread.isRunning()


def test_once_the_model_is_loaded_the_app_keeps_what_it_holds_out_of_the_cycle_collector(qtbot, tmp_path,
                                                                                         restore_globals):
    frozen = []
    deadline = time.monotonic() + 120

    def close_when_settled():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows and (gc.get_freeze_count() or time.monotonic() > deadline):
            frozen.append(gc.get_freeze_count())
            windows[0].close()
            return
        QTimer.singleShot(100, close_when_settled)

    QTimer.singleShot(100, close_when_settled)
    assert launch.main(["--library", str(tmp_path / "lib")]) == 0
    assert frozen and frozen[0] > 100_000  # the modules, Qt, the engine and the loaded model
    assert gc.get_freeze_count() == 0  # the app closed: all of it may go


def test_excepthook_logs_and_reports_once(tmp_path, restore_globals, monkeypatch):
    from album.paths import LibraryPaths

    paths = LibraryPaths.at(tmp_path / "lib").ensure()
    launch.setup_logging(paths)
    shown = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.critical", lambda *args: shown.append(args))
    launch.install_excepthook(paths)
    for _ in range(2):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    assert len(shown) == 1
    assert "RuntimeError: boom" in paths.log_file.read_text()


def test_viewer_loads_off_thread_and_steps_with_arrow_keys(qtbot, tmp_path):
    paths = []
    for index, colour in enumerate(((200, 0, 0), (0, 200, 0))):
        path = tmp_path / f"{index}.png"
        Image.new("RGB", (300, 200), colour).save(path)
        paths.append(str(path))
    viewer = PhotoViewer(paths, 0)
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitUntil(lambda: not viewer.item.pixmap().isNull(), timeout=5000)
    qtbot.keyClick(viewer, Qt.Key_Right)
    assert viewer.current == 1
    qtbot.waitUntil(lambda: viewer.item.pixmap().toImage().pixelColor(5, 5).green() == 200, timeout=5000)
    qtbot.keyClick(viewer, Qt.Key_Plus)
    assert not viewer._fitted
    qtbot.keyClick(viewer, Qt.Key_0)
    assert viewer._fitted
    qtbot.keyClick(viewer, Qt.Key_Left)
    assert viewer.current == 0
    viewer.close()
    from PySide6.QtCore import QThreadPool

    QThreadPool.globalInstance().waitForDone(5000)


def test_problems_dialog_lists_files_with_reasons(qtbot):
    class Failure:
        path = "/photos/broken.jpg"
        failure = "damaged or truncated image"

    dialog = ProblemsDialog([Failure()], ["The folder /x is not available"], "/tmp/album.log")
    qtbot.addWidget(dialog)
    assert dialog.tree.topLevelItemCount() == 1
    assert dialog.tree.topLevelItem(0).text(1) == "damaged or truncated image"


def test_the_window_starts_without_the_catalogue_or_the_model():
    """The window shows while the library thread imports SQLAlchemy and PyTorch (start-up under 1 s)."""
    code = ("import sys; import album.gui.main_window; "
            "print(sorted(m for m in ('sqlalchemy', 'torch', 'album.engine') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
