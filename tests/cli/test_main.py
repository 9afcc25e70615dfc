"""The album command, end to end, in a subprocess-free way (main(argv))."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from album.cli import main
from tests.conftest import near_copy, packaged_photo


@pytest.fixture
def library_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("ALBUM_LIBRARY", raising=False)
    return tmp_path / "lib"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_scan_similar_status(capsys, library_dir, real_photo_dir, tmp_path):
    near_copy(packaged_photo("coffee.png")).save(real_photo_dir / "coffee_edit.jpg", quality=75)
    lib = str(library_dir)
    code, out, _ = run(capsys, "--library", lib, "add", str(real_photo_dir))
    assert code == 0 and "Added" in out

    code, out, _ = run(capsys, "--library", lib, "scan")
    assert code == 0 and "13 new" in out

    code, out, _ = run(capsys, "--library", lib, "similar", str(real_photo_dir / "coffee.jpg"), "--json")
    results = json.loads(out)
    assert code == 0 and results[0]["path"] == str(real_photo_dir / "coffee_edit.jpg")
    assert set(results[0]) == {"path", "photo_id", "score"} and results[0]["score"] > 0.8
    assert str(real_photo_dir / "coffee.jpg") not in [r["path"] for r in results]

    code, out, _ = run(capsys, "--library", lib, "similar", str(results[0]["photo_id"]), "-k", "1", "--json")
    assert json.loads(out)[0]["path"] == str(real_photo_dir / "coffee.jpg")

    outside = tmp_path / "outside.png"
    near_copy(packaged_photo("rocket.jpg")).save(outside)
    code, out, _ = run(capsys, "--library", lib, "similar", str(outside), "--min-score", "0.6")
    assert code == 0 and out.split()[1] == str(real_photo_dir / "rocket.jpg")

    code, out, _ = run(capsys, "--library", lib, "status", "--json")
    status = json.loads(out)
    assert status["photos"] == 13 and status["indexed"] == 13 and status["failed"] == 0
    assert status["folders"] == [str(real_photo_dir)] and status["model"].startswith("efficientnet_lite0@")
    assert status["models"][0] == {"id": status["model"], "role": "similarity", "indexed": 13}
    assert [(m["role"], m["indexed"]) for m in status["models"][1:]] == [("text", 13)]  # word search

    shutil.move(real_photo_dir / "horse.jpg", real_photo_dir / "pony.jpg")
    (real_photo_dir / "coins.jpg").unlink()
    code, out, _ = run(capsys, "--library", lib, "scan")
    assert "0 new, 1 moved, 0 changed, 11 unchanged, 1 removed, 0 failed" in out


def test_library_from_environment(capsys, tmp_path, monkeypatch, photo_dir):
    monkeypatch.setenv("ALBUM_LIBRARY", str(tmp_path / "envlib"))
    assert run(capsys, "add", str(photo_dir))[0] == 0
    assert (tmp_path / "envlib" / "catalogue.sqlite3").is_file()
    code, out, _ = run(capsys, "status")
    assert code == 0 and str(photo_dir) in out and str(tmp_path / "envlib") in out


def test_user_errors_are_plain_messages(capsys, library_dir, tmp_path):
    lib = str(library_dir)
    code, _, err = run(capsys, "--library", lib, "add", str(tmp_path / "missing"))
    assert code == 1 and "is not a folder" in err and "Traceback" not in err
    code, _, err = run(capsys, "--library", lib, "scan")
    assert code == 1 and "no folders yet" in err
    code, _, err = run(capsys, "--library", lib, "similar", "not-a-file.jpg")
    assert code == 1 and "neither an image file nor a photo id" in err


def test_internal_errors_are_logged_with_a_traceback(capsys, library_dir, monkeypatch):
    from album.engine import Album

    def broken(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(Album, "status", broken)
    code, _, err = run(capsys, "--library", str(library_dir), "status")
    assert code == 2 and "internal error" in err
    log = (library_dir / "logs" / "album.log").read_text()
    assert "Traceback" in log and "RuntimeError: boom" in log


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path, photo_dir):
    """`album status --json | head -1` where head has gone: no traceback, no "internal error", nothing
    logged, and the exit status of a closed pipe."""
    import os
    import subprocess
    import sys

    library = tmp_path / "piped"
    assert main(["--library", str(library), "add", str(photo_dir)]) == 0
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before album writes a byte
    try:
        result = subprocess.run([sys.executable, "-m", "album", "--library", str(library), "status", "--json"],
                                stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert result.stderr == "" and result.returncode == 141
    log = library / "logs" / "album.log"
    assert not log.exists() or "Traceback" not in log.read_text()


def test_head_reads_one_line_and_album_ends_quietly(tmp_path, photo_dir):
    import subprocess
    import sys

    library = tmp_path / "piped"
    assert main(["--library", str(library), "add", str(photo_dir)]) == 0
    command = f"{sys.executable} -m album --library {library} status --json | head -1"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert result.stdout == "{\n" and result.stderr == "" and result.returncode == 0


#: what loads a network: seconds of imports that commands without a model must not pay
HEAVY_MODULES = ("torch", "torchvision", "timm", "sentence_transformers", "onnxruntime")


def test_commands_that_need_no_model_never_import_torch(grouped):
    """`album status`, `album groups`, `album similar` of a library photo (by id or by path) and
    `album --help` read the catalogue, the stored vectors and the index: no PyTorch (seconds) at start."""
    import subprocess
    import sys

    library, folder = grouped
    lib = str(library.root)
    photo = str(folder / "s0_a.jpg")
    commands = [["--help"], ["status"], ["status", "--json"], ["groups"], ["groups", "--json"],
                ["similar", photo, "--json"], ["similar", "1", "-k", "3"]]
    code = (f"import json, sys\nfrom album.cli import main\nheavy = {HEAVY_MODULES!r}\nfound = {{}}\n"
            f"for argv in {commands!r}:\n"
            "    try:\n"
            f"        code = main(['--library', {lib!r}, *argv])\n"
            "    except SystemExit as exc:  # --help\n"
            "        code = exc.code\n"
            "    assert code == 0, argv\n"
            "    found[' '.join(argv)] = [m for m in heavy if m in sys.modules]\n"
            "print(json.dumps(found))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    imported = json.loads(result.stdout.splitlines()[-1])
    assert imported == {" ".join(argv): [] for argv in commands}


@pytest.fixture
def catalogued(tmp_path) -> Path:
    """A library of 6 photos encoded by two models and one unreadable (the previous version's, migrated)."""
    from album.engine import Album
    from album.paths import LibraryPaths

    paths = LibraryPaths.at(tmp_path / "catalogued").ensure()
    shutil.copy(Path(__file__).parents[1] / "library" / "data" / "catalogue-v3.sqlite3", paths.catalogue)
    Album.open(paths).close()
    return paths.root


def test_status_reads_the_catalogue_without_sqlalchemy_or_numpy(catalogued):
    """`album status` (0.5 s at most on 100,000 photos) cannot pay for importing them (0.3-0.5 s)."""
    import subprocess
    import sys

    code = ("import json, sys\nfrom album.cli import main\n"
            f"assert main(['--library', {str(catalogued)!r}, 'status', '--json']) == 0\n"
            f"print(json.dumps([m for m in ('sqlalchemy', 'numpy', *{HEAVY_MODULES!r}) if m in sys.modules]))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
    assert json.loads("\n".join(result.stdout.splitlines()[:-1]))["models"][1]["role"] == "text"


@pytest.mark.parametrize("argv", [["status"], ["status", "--json"]])
def test_status_prints_the_same_as_through_the_engine(catalogued, capsys, monkeypatch, argv):
    from album.library import status_reader

    fast = run(capsys, "--library", str(catalogued), *argv)
    monkeypatch.setattr(status_reader, "read_status", lambda database: None)
    assert run(capsys, "--library", str(catalogued), *argv) == fast
    assert fast[0] == 0 and "+text:054b2934" in fast[1]  # the second model, in either form


def test_similar_without_the_network_answers_as_with_it(grouped, capsys):
    """The same matches, scores and readable percentages as when the model is loaded."""
    from album.engine import Album

    library, folder = grouped
    photo = str(folder / "s1_a.jpg")
    code, out, _ = run(capsys, "--library", str(library.root), "similar", photo, "-k", "5")
    with Album.open(library) as album:
        album.warm_up()  # the network loaded
        matches = album.similar_to_photo(album.photo_at(photo).id, 5)
        scale = album.score_scale
    assert code == 0 and out.splitlines() == [
        f"{m.score:.3f}  {m.path}  ({scale.percent(m.score)} %, {scale.band(m.score)})" for m in matches]


def test_search_by_words_prints_the_photos_best_first(capsys, library_dir, real_photo_dir):
    lib = str(library_dir)
    run(capsys, "--library", lib, "add", str(real_photo_dir))
    run(capsys, "--library", lib, "scan")

    code, out, _ = run(capsys, "--library", lib, "search", "a", "cat", "--json")
    results = json.loads(out)
    assert code == 0 and results[0]["path"] == str(real_photo_dir / "chelsea.jpg")
    assert all(set(r) == {"path", "photo_id", "score"} for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)

    code, out, _ = run(capsys, "--library", lib, "search", "motorcycle", "-k", "3", "--min-score", "-1")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3 and lines[0].split()[1] == str(real_photo_dir / "motorcycle_left.jpg")

    code, out, _ = run(capsys, "--library", lib, "search", "a dog on the beach")
    assert code == 0 and "No photos match" in out  # none of these photos: nothing above the threshold
