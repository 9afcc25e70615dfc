"""Decoding photos for the encoders, in worker processes that may crash without harm.

Image decoders are native code: a crafted file can crash one (a segfault)
or make it spin forever.  So the indexing pipeline decodes in a pool of
worker processes: a worker that dies or runs past a time limit costs only
the file it was decoding, which is marked failed with a plain reason, and
the pool is replaced.  When a crash breaks the pool, every file that was in
flight is retried alone, so only the culprit is blamed.

A job is plain data (path, decode size, the preprocessings wanted) and so is
its answer (metadata, the centre crops as 8-bit pixels, a quarter of the
bytes of float tensors, and the grid thumbnail as JPEG bytes), so they
cross process boundaries cheaply; the
crops are normalised in the app's process (``indexer.model_input``).  Tests (and
``Album`` with an injected executor) decode in-process with
``InProcessDecoder``, which has the same interface.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from album.errors import UnreadableImage
from album.library.thumbnails import thumbnail_jpeg
from album.media.fingerprint import fingerprint_image
from album.media.imageio import ImageInfo, load_image
from album.vision.cropping import Preprocessing, center_crop

log = logging.getLogger(__name__)

#: a decode that takes longer than this is taken for a hung decoder (a 100 MP PNG takes about 5 s here)
DECODE_TIMEOUT_S = 60.0
#: how much lower the decoders' scheduling priority is than the app's (see ``_quiet_worker``)
NICENESS = 5
CRASHED = "the image decoder crashed on this file"
HUNG = f"the image decoder did not finish this file within {DECODE_TIMEOUT_S:.0f} s"


@dataclass(frozen=True)
class DecodeJob:
    path: str
    decode_size: int
    #: features id -> how to preprocess for it
    preprocessing: tuple[tuple[str, Preprocessing], ...]
    #: the grid thumbnail to make from the same decode (its size), or 0 for none
    thumbnail_size: int = 0


def job_for(path: str, recipes: "Sequence[tuple[str, Preprocessing]]", thumbnail_size: int = 0) -> DecodeJob:
    """The job that decodes ``path`` for encoders of these (features id, preprocessing) recipes: to the
    largest size any of them resizes to, cropped once per features id."""
    preprocessing = dict(recipes)
    return DecodeJob(path, max(p.resize for p in preprocessing.values()), tuple(preprocessing.items()),
                     thumbnail_size)


@dataclass
class Decoded:
    info: ImageInfo | None = None
    #: features id -> the centre crop (crop x crop x 3, uint8) and how to normalise it
    crops: dict[str, tuple[np.ndarray, Preprocessing]] = field(default_factory=dict)
    error: str | None = None
    #: the photo's perceptual fingerprint (``media.fingerprint``), from the same decode
    fingerprint: bytes | None = None
    #: the grid's thumbnail (JPEG bytes, ``thumbnails.thumbnail_jpeg``) when the job asked for one
    thumbnail: bytes | None = None


def decode_job(job: DecodeJob) -> Decoded:
    """Decode one photo once: crop it for each backbone that needs it, fingerprint it and make its
    thumbnail."""
    try:
        image, info = load_image(job.path, min_side=max(job.decode_size, job.thumbnail_size))
    except UnreadableImage as exc:
        return Decoded(error=str(exc))
    return Decoded(info, {features_id: (np.asarray(center_crop(image, preprocessing)), preprocessing)
                          for features_id, preprocessing in job.preprocessing},
                   fingerprint=fingerprint_image(image).to_bytes(),
                   thumbnail=thumbnail_jpeg(image, job.thumbnail_size) if job.thumbnail_size else None)


class InProcessDecoder:
    """Decodes in an executor's threads (or synchronously, in tests): no crash isolation."""

    def __init__(self, executor: Executor, decode: Callable[[DecodeJob], Decoded] = decode_job):
        self.executor, self.decode = executor, decode

    def start(self) -> None:
        pass

    def submit(self, job: DecodeJob) -> Future:
        return self.executor.submit(self.decode, job)

    def result(self, future: Future, job: DecodeJob) -> Decoded:
        return future.result()

    def close(self) -> None:
        pass


class ProcessDecoder:
    """Decodes in worker processes; a crash or a hang costs one file (see the module docstring)."""

    def __init__(self, workers: int | None = None, decode: Callable[[DecodeJob], Decoded] = decode_job,
                 timeout_s: float | None = None):
        self.workers = workers or max(1, min(4, os.cpu_count() or 1))
        self.decode = decode
        self.timeout_s = DECODE_TIMEOUT_S if timeout_s is None else timeout_s
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the worker processes now, from a side thread (starting them blocks for seconds while the
        server process they fork from imports the decoder), so neither the caller nor the first scan
        waits for them. Once they are started, it does nothing."""
        if self._pool is not None:
            return
        threading.Thread(target=self._boot, daemon=True, name="decoder-start").start()

    def _boot(self) -> None:
        pool = self._executor()
        for _ in range(self.workers):
            pool.submit(_ready)

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:  # the side thread of ``start`` and the scan may ask at once
            if self._pool is None:
                self._pool = _new_pool(self.workers)
            return self._pool

    def submit(self, job: DecodeJob) -> Future:
        pool = self._executor()
        try:
            future = pool.submit(self.decode, job)
        except BrokenProcessPool:
            self._replace(pool)
            pool = self._executor()
            future = pool.submit(self.decode, job)
        future.pool = pool  # which pool to replace if this one breaks
        return future

    def result(self, future: Future, job: DecodeJob) -> Decoded:
        """The answer for ``job``; a crash or hang is retried alone to tell the culprit from the
        innocent files that were in flight beside it."""
        try:
            return future.result(timeout=self.timeout_s)
        except BrokenProcessPool:
            self._replace(future.pool)
        except TimeoutError:
            log.warning("decoding %s timed out; restarting the decoder processes", job.path)
            self._replace(future.pool)
        return self._alone(job)

    def _alone(self, job: DecodeJob) -> Decoded:
        pool = _new_pool(1)
        try:
            return pool.submit(self.decode, job).result(timeout=self.timeout_s)
        except BrokenProcessPool:
            log.warning("the image decoder crashed on %s", job.path)
            return Decoded(error=CRASHED)
        except TimeoutError:
            log.warning("the image decoder hung on %s", job.path)
            _kill(pool)
            return Decoded(error=HUNG)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Retire ``broken`` (if it is still the current pool: a later one is healthy) and kill its
        processes: one may be stuck in a hung decode beside the one that crashed, and a broken pool's
        manager waits for each to end (so would this process, on exiting)."""
        _kill(broken)
        if broken is self._pool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _new_pool(workers: int) -> ProcessPoolExecutor:
    # Workers fork from a clean server process that has imported the decoder (no torch: 0.4 s) once:
    # forking the app itself, which runs threads, is unsafe, and a fresh interpreter per worker is slow.
    # Each worker also imports the main script again (multiprocessing's rule; ``python -m`` modules are
    # spared): album's own imports only the command line, and a script that imports torch at its top costs
    # every worker a second or more.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_quiet_worker)


def _kill(pool: ProcessPoolExecutor) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):  # None once shut down
        process.kill()


def _ready() -> bool:
    return True


def _quiet_worker() -> None:
    """Worker processes ignore Ctrl-C (the main process decides when work stops), end when the app ends,
    even when it was killed, and yield the cores to the app's model threads: on equal terms they ran
    ahead of the model, filled the window and sat idle while the app committed a batch, leaving a core
    unused (a 300-photo scan here: 0.6-1.0 idle core-seconds, 0.3-0.4 at niceness 5, and 6 % faster)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(NICENESS)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=lambda: (parent.join(), os._exit(1)), daemon=True, name="watch-parent").start()
