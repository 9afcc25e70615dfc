"""``album personalize`` from a terminal."""

from __future__ import annotations

from album.cli import main
from album.engine import Album
from album.paths import LibraryPaths
from tests.conftest import subject


def test_personalize_prints_before_and_after_and_undo(grouped, capsys, monkeypatch):
    paths, folder = grouped
    monkeypatch.delenv("ALBUM_LIBRARY", raising=False)
    with Album.open(LibraryPaths.at(paths.root)) as album:
        for n in range(2):
            album.groups.create(f"subject {n}", subject(album, folder, n))
    capsys.readouterr()
    assert main(["--library", str(paths.root), "personalize"]) == 0
    out = capsys.readouterr().out
    assert "similar-photo accuracy on your groups: " in out and "→" in out and "(2 groups, 6 photos" in out
    assert main(["--library", str(paths.root), "personalize", "--undo"]) == 0
    assert "default model" in capsys.readouterr().out


def test_personalize_without_groups_is_a_plain_error(grouped, capsys, monkeypatch):
    paths, _ = grouped
    monkeypatch.delenv("ALBUM_LIBRARY", raising=False)
    assert main(["--library", str(paths.root), "personalize"]) == 1
    assert "confirm at least 2 groups" in capsys.readouterr().err
