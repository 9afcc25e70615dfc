"""A bare desktop: the missing system libraries named in plain words, or Wayland instead."""

from __future__ import annotations

import pytest

from album.errors import UserFacingError
from album.gui.platform_check import choose_platform, missing_libraries, plugin_path

LDD_OUTPUT = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxkbcommon-x11.so.0 => /lib/x86_64-linux-gnu/libxkbcommon-x11.so.0 (0x00007f72)
\tlibxcb-keysyms.so.1 => not found
"""


def test_every_missing_library_is_found_in_ldds_answer():
    assert missing_libraries(plugin_path("xcb"), run=lambda command: LDD_OUTPUT) == [
        "libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


def test_on_x11_the_user_is_told_every_package_and_the_command():
    environ = {"DISPLAY": ":0"}
    with pytest.raises(UserFacingError) as raised:
        choose_platform(environ, missing_for=lambda name: ["libxcb-cursor.so.0", "libxcb-icccm.so.4"])
    message = str(raised.value)
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4" in message
    assert "sudo dnf install xcb-util-cursor xcb-util-wm" in message
    assert "QT_QPA_PLATFORM" not in environ


def test_on_wayland_the_app_uses_wayland_instead():
    environ = {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}
    missing = {"xcb": ["libxcb-cursor.so.0"], "wayland": []}
    assert choose_platform(environ, missing_for=missing.__getitem__) == "wayland"
    assert environ["QT_QPA_PLATFORM"] == "wayland"


def test_nothing_changes_when_x11_can_load_or_the_user_chose():
    assert choose_platform({"DISPLAY": ":0"}, missing_for=lambda name: []) is None
    chosen = {"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}
    assert choose_platform(chosen, missing_for=lambda name: ["libxcb-cursor.so.0"]) is None
    assert chosen["QT_QPA_PLATFORM"] == "offscreen"


def test_this_machines_xcb_plugin_is_checked_for_real():
    plugin = plugin_path("xcb")
    assert plugin is not None and isinstance(missing_libraries(plugin), list)
