"""``album install-desktop``: a freedesktop menu entry and icon for the user.

Writes ``$XDG_DATA_HOME/applications/album.desktop`` (``~/.local/share`` when
XDG_DATA_HOME is unset) from ``resources/album.desktop`` and copies the icon
to ``$XDG_DATA_HOME/icons/hicolor/scalable/apps/album.svg``.  The entry runs
the installed ``album-gui`` script when there is one, else this Python with
``-m album``.  Qt-free.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from album.paths import RESOURCES


def data_home() -> Path:
    configured = os.environ.get("XDG_DATA_HOME")
    return Path(configured) if configured and os.path.isabs(configured) else Path.home() / ".local" / "share"


def launch_command() -> str:
    script = Path(sys.executable).with_name("album-gui")
    if script.is_file() and os.access(script, os.X_OK):
        return shlex.quote(str(script))
    found = shutil.which("album-gui")
    if found:
        return shlex.quote(found)
    return f"{shlex.quote(sys.executable)} -m album"


def install_desktop_entry(base: Path | None = None) -> list[Path]:
    """Install the menu entry and icon; returns the files written."""
    base = Path(base) if base is not None else data_home()
    entry = base / "applications" / "album.desktop"
    icon = base / "icons" / "hicolor" / "scalable" / "apps" / "album.svg"
    entry.parent.mkdir(parents=True, exist_ok=True)
    icon.parent.mkdir(parents=True, exist_ok=True)
    template = (RESOURCES / "album.desktop").read_text(encoding="utf-8")
    entry.write_text(template.replace("{exec}", launch_command()), encoding="utf-8")
    entry.chmod(0o755)
    shutil.copyfile(RESOURCES / "icons" / "album.svg", icon)
    _refresh_caches(base)
    return [entry, icon]


def _refresh_caches(base: Path) -> None:
    """Tell the desktop about the new entry when the usual tools exist (best effort)."""
    for command in (["update-desktop-database", str(base / "applications")],
                    ["gtk-update-icon-cache", "-q", "-t", str(base / "icons" / "hicolor")]):
        if shutil.which(command[0]):
            try:
                subprocess.run(command, capture_output=True, timeout=10, check=False)
            except (OSError, subprocess.SubprocessError):
                pass
