"""A synthetic library of any size, for start-up, query and memory figures (not a test fixture).

    .venv/bin/python benchmarks/synthetic_library.py DIR [-n 100000] [--dim 1280] [--no-files] [--no-index]

``build_library(root, n)`` writes, in bulk (sqlite3 ``executemany``, one
transaction), a catalogue of ``n`` photos as a scan of real camera folders
would leave it: a few folders (``Camera``, ``Phone``, ...) by year and
month, sizes, file times, content hashes, dates taken, cameras, a few
unreadable files, an embedding of every readable photo by the default
similarity model and by word search's photo encoder (clustered unit
vectors: photos of the same subject lie close), subject groups over those
clusters, and the models recorded as the library's active encoders, exactly
as ``ActiveEncoders`` records them (the models are loaded once for that:
seconds).  Another ``dim`` makes vectors of a model of that dimension, for
catalogue and index figures (no network can query them).  Unless
``files=False``, every photo is a file on disk: one small real JPEG per
month folder and hard links to it for the others, so thumbnails can be made
(each photo has its own content hash, hence its own thumbnail) and a rescan
finds nothing changed.  ``index=True`` also builds and saves the vector
indexes, so that the first query does not rebuild them.

100,000 photos take about 20 s (measured: 16.7 s, loading the two models
included; a 1 GB catalogue) plus the two indexes, built by the app's own
code (``IndexSet``).  Vectors are made and written 10,000 at a time, so
their number does not bound the size (a million photos have not been tried).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from album.indexing.active import SIMILARITY, ActiveEncoders
from album.library.catalogue import Catalogue
from album.library.catalogue.groups import GROUPING_STATE
from album.library.records import MemberRole, PhotoStatus
from album.paths import LibraryPaths

ROOTS = ("Camera", "Phone", "Downloads", "Scans")
CAMERAS = ("Canon EOS 80D", "Pixel 7", None, "iPhone 13", "NIKON D750")
SUBJECTS = ("beach", "dog", "mountain", "birthday", "garden", "city", "cat", "snow", "lake", "forest", "sunset",
            "boat", "flowers", "bicycle", "bridge", "market")
#: photos of one subject (a cluster of vectors, and a group)
CLUSTER = 40
#: one photo in this many cannot be read
FAILED_EVERY = 1000
YEARS = 10
CHUNK = 10_000


def build_library(root: Path, n: int, dim: int = 1280, seed: int = 0, *, files: bool = True,
                  index: bool = True, text: bool = True) -> LibraryPaths:
    """A library of ``n`` photos under ``root/library`` (photos under ``root/photos``); see the module.
    ``text``: the photos have word search's vectors too, as in a library indexed with it installed (so
    that the app's first scan finds nothing to encode)."""
    root = Path(root).expanduser().resolve()
    paths = LibraryPaths.at(root / "library").ensure()
    rng = np.random.default_rng(seed)
    catalogue = Catalogue(paths.catalogue)
    try:
        models = _register_models(catalogue, text)
        model_id, model_dim = models[0]
        if dim != model_dim:  # not the default model's dimension: vectors of a model of its own
            model_id = f"{model_id}-synthetic{dim}"
            catalogue.set_active_models([{"id": model_id, "role": SIMILARITY, "source": None},
                                         *catalogue.active_models()[1:]])
            models[0] = (model_id, dim)
    finally:
        catalogue.close()
    layout = _Layout(root / "photos", n, rng)
    if files:
        _make_files(layout, root / "originals", rng)
    connection = sqlite3.connect(paths.catalogue)
    try:
        with connection:
            folder_ids = _insert_folders(connection, layout)
            _insert_photos(connection, layout, folder_ids, rng)
            for number, (vectors_of, vectors_dim) in enumerate(models):
                _insert_embeddings(connection, vectors_of, vectors_dim, n, seed + number, rng)
            _insert_groups(connection, model_id, n)
    finally:
        connection.close()
    if index:
        for vectors_of, vectors_dim in models:
            _build_index(paths, vectors_of, vectors_dim)
    return paths


def _register_models(catalogue: Catalogue, text: bool) -> list[tuple[str, int]]:
    """The default similarity model (and word search's photo encoder) recorded as the library's, by the
    code that records them, so that the entries are what a real library holds: their ids and dimensions."""
    encoders = ActiveEncoders(catalogue, "default", writable=True)
    return [(encoder.model_id, encoder.dim) for encoder in (encoders.all() if text else [encoders.get(SIMILARITY)])]


class _Layout:
    """Where each photo lives (month folders under a few roots) and when it was taken; paths are plain
    strings (a million ``Path`` objects cost seconds)."""

    def __init__(self, photos: Path, n: int, rng: np.random.Generator):
        self.roots = [os.path.join(photos, name) for name in ROOTS]
        start = datetime(2024, 12, 31) - timedelta(days=365 * YEARS)
        self.taken = [start + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, YEARS * 365 * 86400, n))]
        self.root_of = rng.choice(len(ROOTS), n, p=(0.5, 0.3, 0.1, 0.1))
        self.folder_of = [f"{self.roots[r]}/{t.year}/{t.year}-{t.month:02d}" for r, t in zip(self.root_of, self.taken)]
        self.files = [f"{folder}/IMG_{i:07d}.jpg" for i, folder in enumerate(self.folder_of, 1)]
        #: the real file of each month folder, when files are made
        self.stats: dict[str, os.stat_result] = {}


def _insert_folders(connection: sqlite3.Connection, layout: _Layout) -> list[int]:
    ids = []
    for folder in layout.roots:
        cursor = connection.execute("INSERT INTO folders (path, added_at) VALUES (?, ?)",
                                    (folder, _sql_time(datetime.now())))
        ids.append(cursor.lastrowid)
    return ids


def _make_files(layout: _Layout, originals: Path, rng: np.random.Generator) -> None:
    """One small real JPEG per month folder (kept in ``originals``, outside the library's folders), and
    a hard link to it for every photo of that folder."""
    from PIL import Image

    for folder in [originals, *layout.roots]:
        os.makedirs(folder, exist_ok=True)
    made = {}
    for number, folder in enumerate(sorted(set(layout.folder_of))):
        os.makedirs(folder, exist_ok=True)
        pixels = rng.integers(0, 255, (3, 4, 3), dtype=np.uint8)
        made[folder] = original = os.path.join(originals, f"{number:05d}.jpg")
        Image.fromarray(pixels).resize((640, 480), Image.BICUBIC).save(original, quality=85)
        layout.stats[folder] = os.stat(original)
    for file, folder in zip(layout.files, layout.folder_of):
        os.link(made[folder], file)


def _insert_photos(connection: sqlite3.Connection, layout: _Layout, folder_ids: list[int],
                   rng: np.random.Generator) -> None:
    sizes = rng.integers(1_500_000, 6_000_000, len(layout.files))
    hashes = rng.bytes(20 * len(layout.files))
    added = _sql_time(datetime.now())

    def rows():
        for i, (file, folder, taken) in enumerate(zip(layout.files, layout.folder_of, layout.taken)):
            stat = layout.stats.get(folder)
            size, mtime_ns = (stat.st_size, stat.st_mtime_ns) if stat else (int(sizes[i]), _ns(taken))
            failed = (i + 1) % FAILED_EVERY == 0
            yield (i + 1, folder_ids[layout.root_of[i]], file, size, mtime_ns,
                   "v2:" + hashes[20 * i:20 * i + 20].hex(), None if failed else 4000, None if failed else 3000,
                   None if failed else _sql_time(taken), None if failed else CAMERAS[i % len(CAMERAS)],
                   (PhotoStatus.FAILED if failed else PhotoStatus.OK).value,
                   "damaged or truncated image (synthetic)" if failed else None, added)

    connection.executemany(
        "INSERT INTO photos (id, folder_id, path, size, mtime_ns, content_hash, width, height, taken_at, camera,"
        " status, failure, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())


def _readable(n: int) -> np.ndarray:
    ids = np.arange(1, n + 1)
    return ids[ids % FAILED_EVERY != 0]


def _insert_embeddings(connection: sqlite3.Connection, model_id: str, dim: int, n: int, seed: int,
                       rng: np.random.Generator) -> None:
    """Unit vectors near one centre per ``CLUSTER`` consecutive photos (a subject: cosine about 0.6
    between its photos, about 0 to others), made and written in chunks."""
    connection.execute("INSERT OR IGNORE INTO models (id, backbone, dim, checksum, generation, created_at)"
                       " VALUES (?, 'efficientnet_lite0', ?, 'synthetic', 0, ?)",
                       (model_id, dim, _sql_time(datetime.now())))
    ids = _readable(n)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        clusters = (chunk - 1) // CLUSTER
        first = int(clusters[0])
        centres = np.stack([_centre(seed, cluster, dim) for cluster in range(first, int(clusters[-1]) + 1)])
        vectors = centres[clusters - first] + rng.standard_normal((len(chunk), dim), np.float32) * (0.8 / dim ** 0.5)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        connection.executemany("INSERT INTO embeddings (photo_id, model_id, vector) VALUES (?, ?, ?)",
                               ((int(i), model_id, vector.astype("<f4").tobytes())
                                for i, vector in zip(chunk, vectors)))
    connection.execute("UPDATE models SET generation = generation + 1 WHERE id = ?", (model_id,))


def _centre(seed: int, cluster: int, dim: int) -> np.ndarray:
    centre = np.random.default_rng([seed, cluster]).standard_normal(dim, np.float32)
    return centre / np.linalg.norm(centre)


def _insert_groups(connection: sqlite3.Connection, model_id: str, n: int) -> None:
    """One automatic group per subject, named like the classifier names them, covered by its first photo;
    recorded as the last grouping, so that opening the library does not regroup it."""
    ids = _readable(n)
    clusters = (ids - 1) // CLUSTER
    created = _sql_time(datetime.now())
    connection.executemany(
        "INSERT INTO photo_groups (id, name, named_by_user, confirmed, cover_id, created_at) VALUES (?, ?, 0, 0, ?, ?)",
        ((int(c) + 1, SUBJECTS[int(c) % len(SUBJECTS)], int(c) * CLUSTER + 1, created) for c in np.unique(clusters)))
    connection.executemany("INSERT INTO group_members (group_id, photo_id, role) VALUES (?, ?, ?)",
                           ((int(c) + 1, int(i), MemberRole.AUTO.value) for i, c in zip(ids, clusters)))
    connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                       (GROUPING_STATE, json.dumps({"model": model_id, "photos": len(ids)})))


def _build_index(paths: LibraryPaths, model_id: str, dim: int) -> None:
    """The model's vector index, built and saved as an open library would (so no query rebuilds it)."""
    from album.search.indexes import IndexSet

    catalogue = Catalogue(paths.catalogue)
    try:
        IndexSet(catalogue, paths.index_dir).get(model_id, dim)
    finally:
        catalogue.close()


def _sql_time(when: datetime) -> str:
    """A time as SQLAlchemy stores a ``DateTime`` in SQLite."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")


def _ns(when: datetime) -> int:
    return int(when.timestamp() * 1e9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path,
                        help="an empty folder: the library goes in ROOT/library, photos in ROOT/photos")
    parser.add_argument("-n", type=int, default=100_000, help="photos (default 100,000)")
    parser.add_argument("--dim", type=int, default=1280, help="embedding dimension (default: the default model's)")
    parser.add_argument("--no-files", action="store_true", help="make no photo files (their folders are missing)")
    parser.add_argument("--no-index", action="store_true", help="leave the vector index to be built on first use")
    args = parser.parse_args()
    started = time.perf_counter()
    paths = build_library(args.root, args.n, args.dim, files=not args.no_files, index=not args.no_index)
    print(f"{args.n:,} photos in {paths.root} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
