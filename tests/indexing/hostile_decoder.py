"""A decoder with native bugs, for the crash-isolation tests, in a module of its own (and one that
reports how its worker process is scheduled).

The worker processes unpickle ``hostile_decode`` by importing this module;
it imports only the decoder (no PyTorch, no test module), so a freshly
started worker is ready well within the tests' short decode time limit.
"""

from __future__ import annotations

import os
import time

from album.indexing.decoding import DecodeJob, Decoded, decode_job


def hostile_decode(job: DecodeJob) -> Decoded:
    """It aborts the process on files named crash* (after a second, so that a hang* beside it has begun
    hanging in the other worker), and hangs on hang* (for a minute)."""
    name = os.path.basename(job.path)
    if name.startswith("crash"):
        time.sleep(1)
        os.abort()
    if name.startswith("hang"):
        time.sleep(60)  # far beyond the tests' decode limit; not so long that a leaked worker could stall a run
    return decode_job(job)


def niceness(job: DecodeJob) -> int:
    """The niceness of the worker process that got ``job``."""
    return os.nice(0)
