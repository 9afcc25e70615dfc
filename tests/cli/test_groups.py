"""``album groups``, ``album group ...``, ``album regroup`` and ``album duplicates`` from a terminal."""

from __future__ import annotations

import json

import pytest
from PIL import ImageEnhance

from album.cli import main
from tests.conftest import near_copy, packaged_photo


@pytest.fixture
def library(tmp_path, monkeypatch, real_photo_dir, capsys):
    """A scanned library of 12 real photos plus three edited copies of the coffee photo."""
    monkeypatch.delenv("ALBUM_LIBRARY", raising=False)
    coffee = packaged_photo("coffee.png")
    near_copy(coffee).save(real_photo_dir / "coffee_crop.jpg", quality=75)
    ImageEnhance.Brightness(coffee).enhance(1.2).save(real_photo_dir / "coffee_bright.jpg", quality=85)
    coffee.resize((coffee.width // 2, coffee.height // 2)).save(real_photo_dir / "coffee_small.png")
    lib = str(tmp_path / "lib")
    assert main(["--library", lib, "add", str(real_photo_dir)]) == 0
    assert main(["--library", lib, "scan"]) == 0
    capsys.readouterr()
    return lib, real_photo_dir


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def groups(capsys, lib) -> list[dict]:
    code, out, _ = run(capsys, "--library", lib, "groups", "--json")
    assert code == 0
    return json.loads(out)


def test_edits_from_the_terminal_survive_regroup(capsys, library):
    lib, folder = library
    coffees = [str(folder / n) for n in ("coffee.jpg", "coffee_crop.jpg", "coffee_bright.jpg", "coffee_small.png")]
    code, out, _ = run(capsys, "--library", lib, "group", "add", "Morning coffee", *coffees[:3])
    assert code == 0 and "Created group" in out
    (mine,) = [g for g in groups(capsys, lib) if g["name"] == "Morning coffee"]
    assert mine["confirmed"] is True and sorted(mine["paths"]) == sorted(coffees[:3])
    assert set(mine) == {"id", "name", "confirmed", "paths"}

    code, _, _ = run(capsys, "--library", lib, "group", "add", "Morning coffee", coffees[3])  # by name
    code, _, _ = run(capsys, "--library", lib, "group", "remove", str(mine["id"]), coffees[1])
    code, _, _ = run(capsys, "--library", lib, "group", "rename", str(mine["id"]), "Coffee")
    assert code == 0
    code, out, _ = run(capsys, "--library", lib, "regroup")
    assert code == 0 and "Grouping finished" in out
    (mine,) = [g for g in groups(capsys, lib) if g["id"] == mine["id"]]
    assert mine["name"] == "Coffee" and sorted(mine["paths"]) == sorted([coffees[0], coffees[2], coffees[3]])
    listed = groups(capsys, lib)
    assert [len(g["paths"]) for g in listed] == sorted((len(g["paths"]) for g in listed), reverse=True)


def test_merge_and_the_plain_errors(capsys, library):
    lib, folder = library
    run(capsys, "--library", lib, "group", "add", "A", str(folder / "horse.jpg"))
    run(capsys, "--library", lib, "group", "add", "B", str(folder / "rocket.jpg"))
    a, b = (next(g["id"] for g in groups(capsys, lib) if g["name"] == name) for name in "AB")
    code, out, _ = run(capsys, "--library", lib, "group", "merge", str(a), str(b))
    assert code == 0 and "Merged 1 group" in out
    assert [sorted(g["paths"]) for g in groups(capsys, lib) if g["id"] == a] == [
        sorted([str(folder / "horse.jpg"), str(folder / "rocket.jpg")])]
    code, _, err = run(capsys, "--library", lib, "group", "rename", "999", "x")
    assert code == 1 and "no group 999" in err
    code, _, err = run(capsys, "--library", lib, "group", "add", "C", str(folder / "missing.jpg"))
    assert code == 1 and "neither a photo id nor a photo of the library" in err
    code, _, err = run(capsys, "--library", lib, "group", "merge", str(a))
    assert code == 1 and "at least two groups" in err


def test_duplicates_lists_the_copies_with_the_one_to_keep(capsys, library):
    lib, folder = library
    code, out, _ = run(capsys, "--library", lib, "duplicates", "--json")
    assert code == 0
    stacks = json.loads(out)
    assert [(s["kind"], sorted(s["paths"])) for s in stacks] == [
        ("copy", sorted(str(folder / n) for n in ("coffee.jpg", "coffee_crop.jpg", "coffee_bright.jpg",
                                                   "coffee_small.png")))]
    assert stacks[0]["keep"] in (str(folder / "coffee.jpg"), str(folder / "coffee_bright.jpg"))
    code, out, _ = run(capsys, "--library", lib, "duplicates")
    assert code == 0 and "1 stack(s) of copies" in out and "keep " in out
