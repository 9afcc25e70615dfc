"""Starting the desktop app: ``album`` with no arguments, or the ``album-gui`` script.

``run_app(paths)`` checks that Qt's windowing plugin can load (see
``platform_check``), creates the QApplication, logs to the library's log file,
installs an excepthook (a bug is logged with its traceback and reported once
in an "internal error" dialog; the app keeps running), shows the main window
and runs the event loop until the window closes.  Start-up runs the library
side beside the window's: the engine's modules are imported on a thread of
their own from the first moment (beside Qt's: 0.65 s instead of 1.1 s in
turn), and the library's worker starts before the window's modules are
imported (``open_early``), opening the library and reading its photos, which
with 100,000 photos takes longer than building the window.  Once the model is
loaded, what the app holds is kept out of the cycle collector (``_settle``).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import signal
import sys
import threading
import traceback

from album.errors import UserFacingError
from album.paths import LibraryPaths

log = logging.getLogger("album.gui")


def setup_logging(paths: LibraryPaths) -> None:
    """Log to the library's rotating log file (the same set-up as the CLI's; safe to repeat)."""
    from album.logs import setup_logging as setup_album_logging

    setup_album_logging(paths)


def install_excepthook(paths: LibraryPaths) -> None:
    """Log unexpected exceptions; show the first one to the user in a dialog."""
    reported = []

    def hook(kind, value, tb):
        log.error("internal error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        if reported:
            return
        reported.append(value)
        from PySide6.QtWidgets import QApplication, QMessageBox

        if QApplication.instance() is not None:
            QMessageBox.critical(None, "Album: internal error",
                                 f"Something went wrong inside Album ({kind.__name__}: {value}).\n\n"
                                 f"You can keep working. Details are in {paths.log_file}; "
                                 "please include them if you report the problem.")

    sys.excepthook = hook


def route_qt_messages() -> None:
    """Send Qt's own warnings to the log file instead of the terminal."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
    qt_log = logging.getLogger("qt")

    def handler(kind, _context, message):
        qt_log.log(levels.get(kind, logging.WARNING), "%s", message)

    previous = qInstallMessageHandler(handler)
    if previous is not None:  # someone (e.g. pytest-qt) already collects Qt's messages: leave theirs
        qInstallMessageHandler(previous)


def quit_on_signals(window) -> dict:
    """Ctrl-C or SIGTERM close the window cleanly (the worker finishes its batch, the library is
    released); returns the previous handlers."""
    from PySide6.QtCore import QTimer

    def close(*_args):
        window.close()

    previous = {}
    for name in ("SIGINT", "SIGTERM"):
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, close)
    heartbeat = QTimer(window)  # lets Python run its signal handlers while Qt's event loop waits
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(300)
    return previous


def run_app(paths: LibraryPaths, argv: list[str] | None = None) -> int:
    """Open the main window on this library and run until it closes; returns the exit code."""
    threading.Thread(target=importlib.import_module, args=("album.engine",), name="album-preload",
                     daemon=True).start()
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    paths.ensure()
    setup_logging(paths)
    install_excepthook(paths)
    route_qt_messages()
    log.info("starting the desktop app on %s", paths.root)
    app = QApplication.instance()
    if app is None:
        from album.gui.platform_check import choose_platform

        choose_platform()  # plain words (and Wayland) when X11's system libraries are missing
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    from album.gui.bridge import LibraryBridge

    bridge = LibraryBridge(paths)
    bridge.worker.ready.connect(_settle)
    bridge.open_early()
    try:
        window = _main_window(app, paths, bridge)
    except BaseException:
        bridge.shutdown()
        raise
    window.show()
    previous_handlers = quit_on_signals(window)
    try:
        code = app.exec()
    finally:
        window.shutdown()
        for number, handler in previous_handlers.items():
            signal.signal(number, handler)
        gc.unfreeze()
    log.info("desktop app closed")
    return code


def _settle(_threshold: float) -> None:
    """The model is loaded: what the app holds now (the modules, Qt, the engine, the networks, the listed
    photos; about 570,000 objects) lives about as long as it does, so it is moved out of the cycle
    collector's sight (``gc.freeze``). A full collection of it took 0.25-0.54 s here, a stall of the
    window or of a search each time the collector chose to make one (as it does while photos are listed
    and searched); reference counting still frees whatever of it is let go."""
    gc.freeze()


def _main_window(app, paths: LibraryPaths, bridge):
    """The app's name, icon and theme, and the main window on ``bridge``."""
    from album.gui.main_window import MainWindow, app_icon
    from album.gui.theme import apply_theme

    app.setApplicationName("album")
    app.setApplicationDisplayName("Album")
    app.setDesktopFileName("album")
    app.setWindowIcon(app_icon())
    apply_theme(app)
    return MainWindow(paths, bridge=bridge)


def main(argv: list[str] | None = None) -> int:
    """The GUI-script entry point: ``album-gui [--library DIR]``."""
    parser = argparse.ArgumentParser(prog="album-gui", description="Open the Album desktop app.")
    parser.add_argument("--library", metavar="DIR", help="library folder (default: your user data folder)")
    args, qt_args = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    try:
        return run_app(LibraryPaths.resolve(args.library), [sys.argv[0], *qt_args])
    except UserFacingError as exc:
        print(f"album: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
