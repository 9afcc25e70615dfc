"""Crash safety: ``album scan`` killed with SIGKILL at random moments.

200 small generated photos are made once for the module.  Each trial adds
them to a fresh library, starts ``python -m album --library L scan`` in a
child process and kills it (SIGKILL) at a moment drawn from a seeded random
generator: either a random time into start-up and the catalogue pass, or
just after the catalogue holds a random number of embeddings (anywhere in
the encoding, including between a batch's commit and the index save).
After each kill:

* the catalogue passes ``PRAGMA integrity_check``;
* a saved index whose sidecar claims the catalogue's generation holds
  exactly the catalogue's embeddings (otherwise it is stale and rebuilt on
  open), and the index an opened library uses agrees with the catalogue;
* the next scan re-encodes none of the photos already committed;
* no process the scan started (decoder workers) outlives it by more than
  a few seconds (for now an expected failure, reported as XFAIL: see
  docs/reliability.md, "Changes needed").

The default run makes 2 trials and, after each, checks what the next scan
would encode (its catalogue pass, then the encoder's plan: exactly the
photos without a vector).  ``ALBUM_CRASH_TRIALS=20`` runs 20 trials and
lets the next scan run to the end each time, counting every photo encoded
(see docs/reliability.md for the command and timings).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time

import numpy as np
import pytest

from album.engine import Album
from album.library.catalogue import Catalogue
from album.paths import LibraryPaths
from album.search.index import VectorIndex
from album.tasks import SynchronousExecutor
from tests.conftest import make_photo
from tests.reliability.conftest import processes_marked, start_album

PHOTOS = 200
CRASH_TRIALS = int(os.environ.get("ALBUM_CRASH_TRIALS", "2"))
#: the long run finishes the next scan after every kill; the default run checks its plan
FULL_RESUME = "ALBUM_CRASH_TRIALS" in os.environ


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crash") / "photos"
    folder.mkdir()
    for seed in range(PHOTOS):
        make_photo(5000 + seed, (160, 120)).save(folder / f"p{seed:03d}.jpg", quality=85)
    return folder


def _count(database, query: str) -> int:
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
        try:
            return connection.execute(query).fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error:  # not created yet
        return 0


def _kill_at_random(process, database, rng: random.Random) -> str:
    """Wait for the drawn moment, then SIGKILL; returns a description of the moment."""
    target = rng.randint(0, PHOTOS)
    if target == 0 or rng.random() < 0.25:
        delay = rng.uniform(0.0, 8.0)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        moment = f"{delay:.2f} s after start"
    else:
        while process.poll() is None and _count(database, "SELECT count(*) FROM embeddings") < target:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.2))
        moment = f"after >= {target} embeddings"
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return moment


def _orphans(mark: str, grace_s: float = 5.0) -> list[int]:
    """Processes of the killed scan still alive after ``grace_s``; they are then ended (ours, by id)."""
    deadline = time.monotonic() + grace_s
    while (left := processes_marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def _check_catalogue(database) -> set[int]:
    connection = sqlite3.connect(database, timeout=5)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        paths = connection.execute("SELECT path FROM photos").fetchall()
        assert len(paths) == len(set(paths)) <= PHOTOS
        return {row[0] for row in connection.execute("SELECT photo_id FROM embeddings")}
    finally:
        connection.close()


def _check_saved_index(paths: LibraryPaths, encoder, committed: set[int]) -> str:
    with Album.open(paths, model=encoder, executor=SynchronousExecutor()) as album:
        generation = album.catalogue.generation(encoder.model_id)
    saved = VectorIndex(paths.index_dir, encoder.model_id, encoder.dim)
    if not saved.load(generation):
        return "stale"
    assert saved.live == len(committed)
    return "current"


def _planned(paths: LibraryPaths, encoder, committed: set[int]) -> list[int]:
    """The photos the next scan would encode: its catalogue pass runs, then the encoder plans."""
    with Album.open(paths, model=encoder, executor=SynchronousExecutor()) as album:
        assert album.indexes.get(encoder.model_id, encoder.dim).live == len(committed)
        summary = album.sync()
        assert not summary.failed and summary.new + summary.unchanged == PHOTOS
        return sorted(album.catalogue.lacking(encoder.model_id))  # what the encoding pass takes up


def _resume(paths: LibraryPaths, encoder, committed: set[int], monkeypatch) -> list[int]:
    encoded: list[int] = []
    original = Catalogue.mark_encoded

    def counting(self, results):  # where every encoded photo is committed
        encoded.extend(result.photo_id for result in results)
        return original(self, results)

    monkeypatch.setattr(Catalogue, "mark_encoded", counting)
    with Album.open(paths, model=encoder) as album:  # decoding in threads, as the app does
        index = album.indexes.get(encoder.model_id, encoder.dim)  # loaded, or rebuilt from the catalogue
        assert index.live == len(committed)
        summary = album.scan()
        assert not summary.failed and not summary.cancelled
        status = album.status()
        assert (status.photos, status.indexed, status.pending) == (PHOTOS, PHOTOS, 0)
        assert album.indexes.get(encoder.model_id, encoder.dim).live == PHOTOS
        ids, vectors = album.catalogue.embeddings(encoder.model_id)
        probe = int(ids[len(ids) // 2])
        assert album.similar_to_photo(probe, k=1, min_score=-1.0)[0].photo_id != probe
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    monkeypatch.undo()
    return encoded


def test_sigkill_during_scan_never_corrupts_and_the_next_scan_resumes(photo_folder, tmp_path, default_encoder,
                                                                     monkeypatch):
    rng = random.Random(20261128)
    report = []
    outlived = []
    for trial in range(CRASH_TRIALS):
        paths = LibraryPaths.at(tmp_path / f"library{trial}")
        with Album.open(paths, model="default") as album:  # no model is loaded to add a folder
            album.add_folder(photo_folder)
        started = time.monotonic()
        mark = f"crash-{os.getpid()}-{trial}"
        process = start_album(tmp_path, paths.root, "scan", output=tmp_path / f"scan{trial}.txt", mark=mark)
        moment = _kill_at_random(process, paths.catalogue, rng)
        killed_after = time.monotonic() - started
        orphans = _orphans(mark)
        committed = _check_catalogue(paths.catalogue)
        index_state = _check_saved_index(paths, default_encoder, committed)
        resumed = time.monotonic()
        if FULL_RESUME:
            encoded = _resume(paths, default_encoder, committed, monkeypatch)
        else:
            encoded = _planned(paths, default_encoder, committed)
        assert not set(encoded) & committed, "photos committed before the kill were encoded again"
        assert len(encoded) == PHOTOS - len(committed)
        report.append(f"trial {trial}: killed {moment} ({killed_after:.1f} s, exit {process.returncode}), "
                      f"{len(committed)} committed, saved index {index_state}, "
                      f"{len(orphans)} processes outlived it, {'resume encoded' if FULL_RESUME else 'next scan plans'} "
                      f"{len(encoded)} in {time.monotonic() - resumed:.1f} s")
        if orphans:
            outlived.append(trial)
    print("\n".join(report))
    assert not outlived, f"decoder worker processes outlived the killed scan in trials {outlived}"
