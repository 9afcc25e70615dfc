"""Training options: built from the command line in one place, self-checking, and a user's
mistakes reported as plain messages (exit 1), never as tracebacks."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

import pytest

from album.errors import UserFacingError
from album.paths import LibraryPaths
from album.vision import commands
from album.vision.datasets import DataError, open_dataset, parse_class_range
from album.vision.modelfile import DEFAULT_MODEL
from album.vision.options import DEFAULT_VIEWS, HeadConfig, TrainOptions
from album.vision.unlabeled import list_photos
from tests.conftest import make_photo


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="album")
    parser.add_argument("--library")
    commands.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_the_shipped_command_line_round_trips():
    """Parsing the shipped card's command gives options whose canonical command is that command."""
    command = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())["training"]["command"]
    options = commands.train_options(_parse(shlex.split(command)[1:] + ["--cache", "/tmp/c"]))
    assert options.command_line() == command
    assert options.config == HeadConfig()
    assert options.views == DEFAULT_VIEWS and options.cache == Path("/tmp/c")
    assert (options.data, options.mix, options.mix_train_classes) == ("../shared/data/cub100",
                                                                      "../shared/data/caltech50", "0-24")


def test_defaults_and_the_library_cache(tmp_path):
    options = commands.train_options(_parse(["--library", str(tmp_path), "train", "d", "--out", "m.safetensors",
                                             "--views", " center, aug0 ,"]))
    assert options.views == ("center", "aug0")
    assert options.cache == LibraryPaths.at(tmp_path).features
    assert options.out == Path("m.safetensors") and options.mode == "head" and options.seed == 0
    assert "--views center,aug0" in options.command_line()


@pytest.mark.parametrize("changes, message", [
    ({"out": "model.pt"}, "safetensors"),
    ({"views": ("center", "sideways")}, "unknown view"),
    ({"views": ()}, "no views"),
    ({"val_fraction": 1.0}, "val-fraction"),
    ({"mode": "everything"}, "unknown mode"),
    ({"data": None}, "either DATA"),
    ({"unlabeled": "photos"}, "either DATA"),
])
def test_options_check_themselves(changes, message):
    with pytest.raises(UserFacingError, match=message):
        TrainOptions(**{"out": "m.safetensors", "data": "d", **changes})


@pytest.fixture
def labelled(tmp_path) -> Path:
    root = tmp_path / "labelled"
    for c in range(3):
        (root / f"{c:03d}.C{c}").mkdir(parents=True)
        for i in range(2):
            make_photo(10 * c + i, (64, 48)).save(root / f"{c:03d}.C{c}" / f"{i}.jpg")
    return root


@pytest.mark.parametrize("problem", ["10-5", "abc", "", "1-2,x"])
def test_bad_class_ranges(problem, labelled):
    with pytest.raises(DataError, match="bad class range"):
        parse_class_range(problem)
    with pytest.raises(DataError):
        open_dataset(labelled).select(problem)


def test_user_mistakes_are_user_facing_errors(labelled, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "a class").mkdir()
    with pytest.raises(DataError, match="no class subfolders with photos"):
        open_dataset(tmp_path / "empty")
    with pytest.raises(DataError, match="is not a folder"):
        open_dataset(tmp_path / "missing")
    with pytest.raises(DataError, match="numbered 0-2"):
        open_dataset(labelled).select("050-099")
    with pytest.raises(DataError, match="at least two photos"):
        list_photos(tmp_path / "empty")
    with pytest.raises(DataError, match="is not a folder"):
        list_photos(tmp_path / "missing")
    assert issubclass(DataError, UserFacingError) and not issubclass(DataError, ValueError)


def _cli_error(argv: list[str], capsys) -> str:
    assert commands.main(argv) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err


@pytest.mark.parametrize("extra, message", [
    (["--train-classes", "10-5"], "the end is before the start"),
    (["--train-classes", "abc"], "bad class range 'abc'"),
    (["--train-classes", "050-099"], "no class of"),
    (["--test-classes", "7"], "no class of"),
    (["--mix", "MISSING"], "is not a folder"),
    (["--views", "center,bogus"], "unknown view 'bogus'"),
    (["--val-fraction", "1.5"], "val-fraction"),
])
def test_train_reports_mistakes_plainly(extra, message, labelled, tmp_path, capsys):
    extra = [str(tmp_path / "missing") if word == "MISSING" else word for word in extra]
    err = _cli_error(["train", str(labelled), "--out", str(tmp_path / "m.safetensors"), *extra], capsys)
    assert err.startswith("album train: ") and message in err
    assert not (tmp_path / "m.safetensors").exists()


def test_train_and_eval_report_missing_and_empty_folders(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    out = str(tmp_path / "m.safetensors")
    for folder in ("missing", "empty"):
        assert "album train: " in _cli_error(["train", str(tmp_path / folder), "--out", out], capsys)
        assert "album train: " in _cli_error(["train", "--unlabeled", str(tmp_path / folder), "--out", out], capsys)
        assert "album eval: " in _cli_error(["eval", str(tmp_path / folder), "--model", "histogram"], capsys)
    assert "album train: --out must name a .safetensors file" in _cli_error(
        ["train", str(tmp_path), "--out", str(tmp_path / "m.pt")], capsys)


def test_eval_of_classes_with_one_photo_each_is_a_plain_error(labelled, capsys):
    for folder in labelled.iterdir():
        (folder / "1.jpg").unlink()
    err = _cli_error(["eval", str(labelled), "--model", "histogram"], capsys)
    assert "each class needs at least two photos" in err
