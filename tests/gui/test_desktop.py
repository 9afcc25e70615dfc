"""``album install-desktop`` writes a menu entry and an icon under XDG_DATA_HOME."""

from __future__ import annotations

import configparser

from album.gui.desktop import install_desktop_entry


def test_install_desktop_entry_honours_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    written = install_desktop_entry()
    entry, icon = written
    assert entry == tmp_path / "share" / "applications" / "album.desktop"
    assert icon == tmp_path / "share" / "icons" / "hicolor" / "scalable" / "apps" / "album.svg"
    assert icon.read_text().lstrip().startswith("<svg")
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(entry)
    section = parser["Desktop Entry"]
    assert section["Type"] == "Application" and section["Name"] == "Album" and section["Icon"] == "album"
    assert "{exec}" not in section["Exec"] and section["Exec"]
    assert install_desktop_entry() == written  # idempotent
