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
    """It aborts the process on files named crash*, and hangs on hang*."""
    name = os.path.basename(job.path)
    if name.startswith("crash"):
        os.abort()
    if name.startswith("hang"):
        time.sleep(3600)
    return decode_job(job)


def niceness(job: DecodeJob) -> int:
    """The niceness of the worker process that got ``job``."""
    return os.nice(0)
