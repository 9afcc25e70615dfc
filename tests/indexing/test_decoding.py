"""Decoding in worker processes: a decoder that crashes or hangs costs one file, not the scan."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from album.engine import Album
from album.indexing.decoding import CRASHED, HUNG, NICENESS, DecodeJob, ProcessDecoder, decode_job
from album.indexing.indexer import model_input
from album.tasks import SynchronousExecutor
from tests.conftest import make_photo
from tests.indexing.hostile_decoder import hostile_decode, niceness


@pytest.fixture
def hostile_folder(photo_dir):
    make_photo(40).save(photo_dir / "crash_me.jpg")
    make_photo(41).save(photo_dir / "hang_me.jpg")
    return photo_dir


def test_a_crashing_or_hanging_decoder_marks_only_its_file_failed(library_paths, encoder, hostile_folder):
    decoder = ProcessDecoder(workers=2, decode=hostile_decode, timeout_s=4)
    with Album.open(library_paths, model=encoder, executor=SynchronousExecutor(), decoder=decoder) as album:
        album.add_folder(hostile_folder)
        started = time.monotonic()
        summary = album.scan()
        elapsed = time.monotonic() - started
        failed = dict(summary.failed)
        assert failed == {str(hostile_folder / "crash_me.jpg"): CRASHED, str(hostile_folder / "hang_me.jpg"): HUNG}
        status = album.status()
        assert (status.photos, status.indexed, status.failed) == (8, 8, 2)
        assert {p.path.rsplit("/", 1)[1] for p in album.failures()} == {"crash_me.jpg", "hang_me.jpg"}
        assert elapsed < 90, f"the scan took {elapsed:.0f} s"
        # the pool was replaced: the next photo decodes normally
        make_photo(42).save(hostile_folder / "after.jpg")
        assert album.scan().new == 1 and album.status().indexed == 9
    # no decoder is left behind (a hung one beside the crash would keep this process from exiting)
    deadline = time.monotonic() + 10
    while worker_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert worker_processes() == set()


def worker_processes() -> set[int]:
    """The live processes forked by this process's children (decoder workers come from the fork server);
    read from /proc (Linux; elsewhere none are seen)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, ValueError, IndexError):
            continue
        if entry.isdigit() and fields[0] != "Z":
            parents[int(entry)] = int(fields[1])
    children = {pid for pid, parent in parents.items() if parent == os.getpid()}
    return {pid for pid, parent in parents.items() if parent in children}


def test_worker_processes_decode_exactly_like_the_app_process(tmp_path, encoder):
    path = tmp_path / "p.jpg"
    make_photo(3).save(path, quality=90)
    job = DecodeJob(str(path), encoder.decode_size, ((encoder.features_id, encoder.preprocessing),))
    decoder = ProcessDecoder(workers=1)
    try:
        remote = decoder.result(decoder.submit(job), job)
    finally:
        decoder.close()
    local = decode_job(job)
    assert remote.error is None and remote.info == local.info
    from album.media.imageio import load_image

    image, _ = load_image(path, min_side=encoder.decode_size)
    expected = encoder.preprocess(image)
    assert (model_input([remote], encoder.features_id)[0] == expected).all()
    assert (model_input([local], encoder.features_id)[0] == expected).all()


def test_a_batch_is_normalised_exactly_as_each_photo_alone(tmp_path, encoder):
    """The batched normalisation gives the very values of ``Encoder.preprocess`` photo by photo."""
    from album.media.imageio import load_image

    decoded, expected = [], []
    for seed in range(5):
        path = tmp_path / f"{seed}.jpg"
        make_photo(seed, size=(300 + 40 * seed, 220)).save(path, quality=90)
        decoded.append(decode_job(DecodeJob(str(path), encoder.decode_size,
                                            ((encoder.features_id, encoder.preprocessing),))))
        expected.append(encoder.preprocess(load_image(path, min_side=encoder.decode_size)[0]))
    assert np.array_equal(model_input(decoded, encoder.features_id), np.stack(expected))


def test_starting_the_decoders_again_boots_nothing(monkeypatch):
    decoder = ProcessDecoder(workers=1)
    boots = []
    monkeypatch.setattr(decoder, "_boot", lambda: boots.append(decoder._executor()))
    try:
        decoder.start()
        deadline = time.monotonic() + 10
        while not boots and time.monotonic() < deadline:
            time.sleep(0.01)
        decoder.start()
        time.sleep(0.1)
        assert len(boots) == 1
    finally:
        decoder.close()


def test_the_decoders_yield_the_cores_to_the_app(tmp_path):
    job = DecodeJob(str(tmp_path / "any.jpg"), 64, ())
    decoder = ProcessDecoder(workers=1, decode=niceness)
    try:
        assert decoder.result(decoder.submit(job), job) == min(os.nice(0) + NICENESS, 19)
    finally:
        decoder.close()
