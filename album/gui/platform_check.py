"""Before Qt starts: can its windowing plugin load on this desktop?

On a Linux desktop without the few system libraries Qt's X11 (xcb) plugin
needs, Qt itself stops with a message that names only one of them.  Here
the plugin's missing libraries are found first (``ldd``), and the user is
told in plain words which packages to install, with the apt and dnf
commands.  Where a Wayland session is running and Qt's Wayland plugin can
load, album uses that instead and only logs the advice.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, MutableMapping
from pathlib import Path

from album.errors import UserFacingError

log = logging.getLogger(__name__)

#: library -> (Debian/Ubuntu package, Fedora package)
PACKAGES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
}


def plugin_path(name: str) -> Path | None:
    """Qt's platform plugin ``name`` (``xcb``, ``wayland``) as shipped with PySide6."""
    import PySide6

    found = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / f"libq{name}.so"
    return found if found.is_file() else None


def missing_libraries(plugin: Path, run: Callable[[list[str]], str] | None = None) -> list[str]:
    """The libraries the dynamic linker cannot find for ``plugin`` (empty when ``ldd`` is absent)."""
    if run is None:
        if shutil.which("ldd") is None:
            return []
        run = lambda command: subprocess.run(command, capture_output=True, text=True, timeout=20).stdout  # noqa: E731
    missing = []
    for line in run(["ldd", str(plugin)]).splitlines():
        name, _, target = line.strip().partition(" => ")
        if target.strip() == "not found" and name.strip() not in missing:
            missing.append(name.strip())
    return missing


def advice(missing: list[str]) -> str:
    debian = sorted({PACKAGES.get(name, (name, name))[0] for name in missing})
    fedora = sorted({PACKAGES.get(name, (name, name))[1] for name in missing})
    return (f"the desktop app needs system libraries that are not installed: {', '.join(missing)}. "
            f"Install them with:\n    sudo apt install {' '.join(debian)}      (Debian, Ubuntu)\n"
            f"    sudo dnf install {' '.join(fedora)}      (Fedora)\n"
            "then start album again. The album command (add, scan, similar, status) works without them.")


def choose_platform(environ: MutableMapping[str, str] | None = None,
                    missing_for: Callable[[str], list[str]] | None = None) -> str | None:
    """Set ``QT_QPA_PLATFORM`` to Wayland when X11 cannot work but Wayland can; raise a plain
    ``UserFacingError`` when neither can. Returns the platform chosen here (None: Qt's own choice)."""
    environ = os.environ if environ is None else environ
    if not sys.platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return None
    if missing_for is None:
        def missing_for(name: str) -> list[str]:
            plugin = plugin_path(name)
            return missing_libraries(plugin) if plugin is not None else ["the Qt plugin " + name]
    on_wayland = bool(environ.get("WAYLAND_DISPLAY"))
    if not environ.get("DISPLAY") and not on_wayland:
        return None  # no desktop session at all: Qt's own message says so
    missing_x11 = missing_for("xcb")
    if not missing_x11:
        return None
    if on_wayland and not missing_for("wayland"):
        log.warning("using Wayland: Qt's X11 plugin cannot load (%s)", ", ".join(missing_x11))
        environ["QT_QPA_PLATFORM"] = "wayland"
        return "wayland"
    raise UserFacingError(advice(missing_x11))

