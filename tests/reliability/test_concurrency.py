"""Two album processes on one library: the second only reads, or is refused in plain words.

Both orders are tried with the real ``album`` command in a child process:
the library held open by this process (as the app holds it) while the CLI
scans, adds and reads; and a CLI scan running while this process opens the
library.  Neither may end in a "database is locked" traceback or a damaged
catalogue.  Two ``Album`` objects in one process behave the same way.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time

import pytest

from album.engine import Album
from album.errors import LibraryError
from album.paths import LibraryPaths
from album.tasks import SynchronousExecutor
from tests.conftest import make_photo
from tests.reliability.conftest import run_album, start_album

BUSY = "being changed by another album process"


@pytest.fixture
def photo_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in range(100):
        make_photo(7000 + seed, (160, 120)).save(folder / f"p{seed:03d}.jpg", quality=85)
    return folder


def _assert_plain_failure(result, message: str) -> None:
    assert result.returncode == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "locked" not in result.stderr


def _integrity(database) -> list:
    connection = sqlite3.connect(database)
    try:
        return connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()


def test_the_cli_reads_or_is_refused_while_the_app_holds_the_library(tmp_path, photo_folder, encoder):
    paths = LibraryPaths.at(tmp_path / "library")
    with Album.open(paths, model=encoder, executor=SynchronousExecutor()) as app:
        app.add_folder(photo_folder)
        app.sync()
        assert not app.read_only
        _assert_plain_failure(run_album(tmp_path, paths.root, "scan"), BUSY)
        status = run_album(tmp_path, paths.root, "status", "--json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["photos"] == 100

        with Album.open(paths, model=encoder, executor=SynchronousExecutor()) as second:  # a second app
            assert second.read_only and second.status().photos == 100
            with pytest.raises(LibraryError, match=BUSY):
                second.scan()
            with pytest.raises(LibraryError, match=BUSY):
                second.add_folder(tmp_path)
            app.sync()  # the writer goes on while the reader is open
        assert app.status().photos == 100
    assert _integrity(paths.catalogue) == [("ok",)]
    with Album.open(paths, model=encoder, executor=SynchronousExecutor()) as later:
        assert not later.read_only  # the lock went with the app


def test_the_app_reads_while_a_cli_scan_runs(tmp_path, photo_folder, default_encoder):
    paths = LibraryPaths.at(tmp_path / "library")
    with Album.open(paths, model="default") as album:
        album.add_folder(photo_folder)
    scan = start_album(tmp_path, paths.root, "scan")
    try:
        deadline = time.monotonic() + 120
        while _count(paths.catalogue, "photos") < 100:  # its catalogue pass is done: encoding lies ahead
            assert scan.poll() is None and time.monotonic() < deadline, scan.communicate()
            time.sleep(0.05)
        with Album.open(paths, model=default_encoder, executor=SynchronousExecutor()) as app:
            assert app.read_only
            with pytest.raises(LibraryError, match=BUSY):
                app.scan()
            with pytest.raises(LibraryError, match=BUSY):
                app.add_folder(tmp_path)
            assert app.status().photos == 100
            app.similar_to_file(photo_folder / "p000.jpg", k=5, min_score=-1.0)  # what is indexed so far
            assert not list(paths.index_dir.glob("*.tmp"))
    finally:
        scan.send_signal(signal.SIGINT)  # Ctrl-C: the scan stops cleanly, the next one resumes
        out, err = scan.communicate(timeout=60)
    assert scan.returncode in (0, 130), err
    assert "Traceback" not in out + err and "locked" not in err
    assert _integrity(paths.catalogue) == [("ok",)]


def _count(database, table: str) -> int:
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
        try:
            return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error:
        return 0
