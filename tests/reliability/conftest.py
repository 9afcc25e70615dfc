"""Shared helpers for the reliability tests: a tree fingerprint, the CLI in a subprocess, the default model.

``tree_fingerprint`` records every entry of a folder tree (type, mode, size,
modification time and, for files, a SHA-256 of the bytes; for folders their
listing and mtime, so a temporary file created and deleted again still shows).
``run_album`` runs ``python -m album`` in a child process with a clean
environment that never points at the home directory.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def tree_fingerprint(root: Path) -> dict[str, tuple]:
    """Everything observable about a folder tree, without following links."""
    found: dict[str, tuple] = {}
    for directory, subdirs, files in os.walk(root):
        info = os.lstat(directory)
        found[os.path.relpath(directory, root)] = ("dir", info.st_mode, info.st_mtime_ns,
                                                   tuple(sorted(subdirs + files)))
        for name in files + [d for d in subdirs if os.path.islink(os.path.join(directory, d))]:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if os.path.islink(path):
                found[os.path.relpath(path, root)] = ("link", os.readlink(path))
                continue
            with open(path, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
            found[os.path.relpath(path, root)] = ("file", info.st_mode, info.st_size, info.st_mtime_ns, digest)
    return found


def child_env(tmp: Path) -> dict[str, str]:
    """An environment for album child processes: HOME and XDG folders inside ``tmp``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ALBUM_", "XDG_"))}
    env.update(HOME=str(tmp / "home"), XDG_DATA_HOME=str(tmp / "home" / "data"),
               XDG_CACHE_HOME=str(tmp / "home" / "cache"), XDG_STATE_HOME=str(tmp / "home" / "state"),
               PYTHONPATH=str(REPO), PYTHONWARNINGS="error", QT_QPA_PLATFORM="offscreen")
    return env


def album_command(library: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "album", "--library", str(library), *args]


def run_album(tmp: Path, library: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(album_command(library, *args), cwd=REPO, env=child_env(tmp), capture_output=True,
                          text=True, timeout=timeout)


def start_album(tmp: Path, library: Path, *args: str, output: Path | None = None,
                mark: str | None = None) -> subprocess.Popen:
    """Start ``album`` in the background. With ``output`` its stdout and stderr go to that file (no pipe
    that a surviving grandchild could hold open); ``mark`` is put in its environment, which every
    process it starts inherits (see ``processes_marked``)."""
    env = child_env(tmp)
    if mark:
        env["ALBUM_TEST_MARK"] = mark
    if output is None:
        return subprocess.Popen(album_command(library, *args), cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    with open(output, "wb") as sink:
        return subprocess.Popen(album_command(library, *args), cwd=REPO, env=env, stdout=sink,
                                stderr=subprocess.STDOUT)


def processes_marked(mark: str) -> list[int]:
    """Ids of live processes whose environment holds ``ALBUM_TEST_MARK=mark`` (a child and its helpers)."""
    wanted = f"ALBUM_TEST_MARK={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if wanted in (entry / "environ").read_bytes().split(b"\0"):
                    status = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if status != "Z":
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="session")
def default_encoder():
    """The shipped default model (what ``album scan`` uses), loaded once."""
    from album.vision.modelfile import open_encoder

    return open_encoder("default", device="cpu")
