"""Similar-photo queries, index building and memory at library scale; prints a markdown table.

    .venv/bin/python benchmarks/speed_queries.py [--sizes 10000,100000] [--queries 200] [--before 20000]
        [--uniform 10000] [--catalogue-sizes 1000000] [--scratch DIR]

For each of ``--sizes``, a synthetic catalogue of that many photos (bulk SQL
matching the schema) holds 1280-d embeddings drawn from a Gaussian mixture
on the sphere fitted to 4,958 real embeddings of the default model: variances
falling as i^-0.8 along the axes, clusters of 50 photos as spread as their
centres (participation ratio 97, mean cosine to the 1st / 10th neighbour
0.60 / 0.55; the real ones: 86, 0.59 / 0.49).  Queries are held-out vectors
of the same clusters.  Figures:

* rebuild: ``IndexSet.get`` with no saved index (batched read, axes
  fitted, insertion on every core, save), in vectors/s; and building an
  index of the same ``--before`` vectors as the first release did (a graph
  of the full vectors, M 16, ef_construction 200) and as now;
* catch-up: after another process added 0.5 %, removed 0.25 % and edited
  0.25 % of the photos, ``IndexSet.get`` in a fresh process's place (load
  the stale index, compare every vector, apply the difference, save);
* query latency p50 / p99 of ``VectorIndex.query`` (k = 10, one query at a
  time, each after an exact search; then the same queries in a row; with
  what the process held before frozen out of the cycle collector, as in the
  app) and of exact search (one matrix-vector product, argpartition), and
  recall@10 of the index against exact search; for reference, after each
  exact search, the time to read as many random rows as a query re-ranks
  from a plain array the size of the index's vectors (the machine's memory
  alone, without album's code); recall also on ``--uniform``
  uniform random unit vectors (no neighbourhood structure: the worst case);
* memory, in a child process: the RSS of opening the catalogue and answering
  a similar-photo query, before and after loading the index; the files' sizes.
  ``--catalogue-sizes`` measures the catalogue alone at more sizes.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
from threadpoolctl import threadpool_limits

from album.library.catalogue import Catalogue, EncodedPhoto
from album.search import code_scan, full_graph, projection
from album.search import index as index_module
from album.search.index import VectorIndex
from album.search.indexes import IndexSet
from speed_table import Figure, run_alone

SECTION = "Queries"
MODEL, DIM, K = "synthetic@1280", 1280, 10
SPECTRUM, SPREAD, CLUSTER = 0.8, 1.0, 50
PREVIOUS = {"M": 16, "EF_CONSTRUCTION": 200}
CHUNK = 10_000
MB = 1 << 20


@dataclass
class Timings:
    index: list[float]      # seconds of each index query
    index_cpu: list[float]  # the CPU time of each (apart from waiting for a core on a busy machine)
    exact: list[float]      # seconds of each exact search
    in_a_row: list[float]   # seconds of each index query when they follow each other (the caches warm)
    control: list[float]    # seconds of reading as many random rows of a plain array as the index re-ranks
    recall: float           # the index's mean recall@10 against exact search


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sizes = lambda text: [int(size) for size in text.split(",") if size]  # noqa: E731
    parser.add_argument("--sizes", type=sizes, default=[10_000, 100_000], help="library sizes (1000000 works)")
    parser.add_argument("--queries", type=int, default=200, help="queries timed at each size")
    parser.add_argument("--before", type=int, default=20_000,
                        help="vectors inserted with the previous and the current parameters (0: skip)")
    parser.add_argument("--uniform", type=int, default=10_000,
                        help="uniform random vectors for the worst-case recall (0: skip)")
    parser.add_argument("--catalogue-sizes", type=sizes, default=[], help="sizes measured for the catalogue alone")
    parser.add_argument("--scratch", type=Path, default=None, help="folder for the libraries (default: temporary)")


def figures(args) -> list[Figure]:
    found: list[Figure] = []
    with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
        if args.before:
            found += before_and_after(args.before)
        for size in args.sizes:
            found += at_size(Path(scratch) / f"library{size}", size, args.queries)
        if args.uniform:
            found += uniform_recall(args.uniform, args.queries)
        for size in args.catalogue_sizes:
            root = Path(scratch) / f"catalogue{size}"
            make_catalogue(root, size, np.random.default_rng(size))
            found += memory(root, size, with_index=False)
    return found


# -- synthetic vectors and catalogues ------------------------------------------------------------------
class Mixture:
    """The clustered unit vectors described above, drawn in chunks."""

    def __init__(self, clusters: int, rng: np.random.Generator):
        self.rng = rng
        self.scale = np.arange(1, DIM + 1, dtype=np.float32) ** (-SPECTRUM / 2)
        self.centres = rng.standard_normal((max(1, clusters), DIM), np.float32) * self.scale

    def draw(self, n: int) -> np.ndarray:
        vectors = self.centres[self.rng.integers(0, len(self.centres), n)]
        vectors += SPREAD * self.rng.standard_normal((n, DIM), np.float32) * self.scale
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def make_catalogue(root: Path, n: int, rng: np.random.Generator) -> Mixture:
    """A catalogue of ``n`` encoded photos under ``root`` (ids 1..n); returns their mixture."""
    mixture = Mixture(n // CLUSTER, rng)
    catalogue = Catalogue(root / "catalogue.sqlite3")
    folder = catalogue.add_folder("/photos").id
    catalogue.register_model(MODEL, "synthetic", DIM, "synthetic")
    catalogue.close()
    connection = sqlite3.connect(root / "catalogue.sqlite3")
    with connection:
        for start in range(1, n + 1, CHUNK):
            ids = range(start, min(n, start + CHUNK - 1) + 1)
            connection.executemany(
                "INSERT INTO photos (id, folder_id, path, size, mtime_ns, content_hash, width, height, taken_at,"
                " camera, status, added_at) VALUES (?, ?, ?, 3000000, 0, ?, 4000, 3000, ?, 'Pixel 7', 'ok', ?)",
                ((i, folder, f"/photos/{2015 + i % 10}/{i % 12 + 1:02d}/IMG_{i:07d}.jpg", f"v2:{i:040x}",
                  "2020-07-14 10:00:00.000000", "2024-01-01 00:00:00.000000") for i in ids))
            connection.executemany("INSERT INTO embeddings (photo_id, model_id, vector) VALUES (?, ?, ?)",
                                   zip(ids, [MODEL] * len(ids), map(np.ndarray.tobytes, mixture.draw(len(ids)))))
        connection.execute("UPDATE models SET generation = generation + 1 WHERE id = ?", (MODEL,))
    connection.close()
    return mixture


def change_behind(catalogue: Catalogue, n: int, mixture: Mixture) -> None:
    """Another process adds 0.5 %, removes 0.25 % and edits 0.25 % of the photos, by the writer's methods."""
    removed, edited = list(range(1, n + 1, 400)), list(range(201, n + 1, 400))
    catalogue.delete_photos(removed)
    with catalogue.scan_batch() as batch:
        added = [batch.add_photo(1, f"/photos/new/{k}.jpg", 1, 1, f"new{k}") for k in range(2 * len(removed))]
        for photo_id in edited:
            batch.mark_edited(photo_id, 1, 1, f"edited{photo_id}")
    hashes = {i: photo.content_hash for i, photo in catalogue.photos_by_ids(added + edited).items()}
    catalogue.mark_encoded([EncodedPhoto(i, hashes[i], 4000, 3000, None, None, {MODEL: vector})
                            for i, vector in zip(added + edited, mixture.draw(len(added) + len(edited)))])


# -- figures ----------------------------------------------------------------------------------------------
def before_and_after(n: int) -> list[Figure]:
    """Building an index of the same ``n`` vectors as the first release did (a graph of the full vectors,
    M 16, ef_construction 200), then as now."""
    vectors = Mixture(n // CLUSTER, np.random.default_rng(1)).draw(n)
    with mock.patch.multiple(full_graph, **PREVIOUS), mock.patch.object(projection, "PROJECT_FROM", n + 1):
        before = _insertion_rate(vectors)
    now = _insertion_rate(vectors)
    return [Figure(SECTION, f"index of {n:,} vectors built as before: full vectors, M {PREVIOUS['M']} / "
                            f"ef_construction {PREVIOUS['EF_CONSTRUCTION']}", f"{before:,.0f} vectors/s"),
            Figure(SECTION, f"index of {n:,} vectors built now: {_searcher(n)}",
                   f"{now:,.0f} vectors/s ({now / before:.1f}x)", "≥ 10x before", now >= 10 * before)]


def _searcher(n: int) -> str:
    """How an index of ``n`` vectors searches."""
    if projection.Projection.wanted(n, DIM):
        return (f"scan of 4-bit codes of {projection.PROJECTED_DIM} principal axes (faiss), "
                f"{code_scan.SCAN_CANDIDATES:,} scored on the axes, {index_module.CANDIDATES} re-ranked")
    return (f"hnswlib graph of the full vectors, M {full_graph.M} / ef_construction {full_graph.EF_CONSTRUCTION}, "
            f"ef {max(full_graph.MIN_EF_SEARCH, 2 * K)}")


def _insertion_rate(vectors: np.ndarray) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        VectorIndex(Path(scratch), MODEL, DIM).rebuild(np.arange(len(vectors)), vectors, 0, save=False)
        return len(vectors) / (time.perf_counter() - started)


def at_size(root: Path, n: int, queries: int) -> list[Figure]:
    rng = np.random.default_rng(n)
    mixture = make_catalogue(root, n, rng)
    catalogue = Catalogue(root / "catalogue.sqlite3")
    started = time.perf_counter()
    ids, vectors = catalogue.embeddings(MODEL)
    read = time.perf_counter() - started
    started = time.perf_counter()
    index = IndexSet(catalogue, root / "index").get(MODEL, DIM)
    rebuild = time.perf_counter() - started
    found = [Figure(SECTION, f"rebuild from the catalogue, {n:,} vectors (read {read / rebuild:.0%} of it, "
                             "save included)", f"{rebuild:.1f} s ({n / rebuild:,.0f} vectors/s)")]
    timings = latency(index, ids, vectors, mixture.draw(queries))
    p99, cpu_p99 = np.percentile(timings.index, 99), np.percentile(timings.index_cpu, 99)
    found += [Figure(SECTION, f"similar-photo query ({_searcher(n)}), {n:,} vectors",
                     f"{_percentiles(timings.index)} (CPU time p99 {cpu_p99 * 1000:.2f} ms)", "p99 ≤ 5 ms",
                     p99 <= 0.005),
              Figure(SECTION, f"the same queries in a row, {n:,} vectors (above, each follows an exact search that "
                              "streams every vector through the caches)", _percentiles(timings.in_a_row)),
              Figure(SECTION, f"for reference, no album code: {index_module.CANDIDATES} random rows read from an array "
                              f"of {n:,} half-precision vectors written beside the index, after each exact search",
                     _percentiles(timings.control)),
              Figure(SECTION, f"similar-photo query (exact numpy search, one thread), {n:,} vectors",
                     _percentiles(timings.exact)),
              Figure(SECTION, f"recall@10 vs exact, clustered vectors, {n:,}", f"{timings.recall:.3f}", "≥ 0.98",
                     timings.recall >= 0.98)]
    del vectors
    found += memory(root, n, with_index=True)
    change_behind(catalogue, n, mixture)
    started = time.perf_counter()
    IndexSet(catalogue, root / "index").get(MODEL, DIM)
    seconds = time.perf_counter() - started
    found.append(Figure(SECTION, f"catch-up of a stale saved index, {n:,} vectors, 1 % changed (load, compare, "
                                 "apply, save)", f"{seconds:.1f} s ({n / seconds:,.0f} vectors/s)"))
    catalogue.close()
    return found


def latency(index: VectorIndex, ids: np.ndarray, vectors: np.ndarray, queries: np.ndarray) -> Timings:
    """Each index query's and each exact query's time, and the index's recall@10 against exact search.
    What the process holds is first moved out of the cycle collector's sight, as the app does once its
    model is loaded (``gui/launch.py``)."""
    index.query(queries[0], K)  # warm
    gc.freeze()
    timings = Timings([], [], [], [], [], 0.0)
    recalls = []
    control = np.ones((len(vectors), DIM), np.float16)  # written once, as a loaded index's vectors are
    rows = np.random.default_rng(3).integers(0, len(control), (len(queries), index_module.CANDIDATES))
    for query, control_rows in zip(queries, rows):
        started, started_cpu = time.perf_counter(), time.thread_time()
        hits = index.query(query, K)
        timings.index.append(time.perf_counter() - started)
        timings.index_cpu.append(time.thread_time() - started_cpu)
        with threadpool_limits(1, "blas"):  # BLAS threads waiting on busy cores took 20 ms where one takes 0.5
            started = time.perf_counter()
            scores = vectors @ query
            best = np.argpartition(-scores, K)[:K]
            truth = ids[best[np.argsort(-scores[best])]]
            timings.exact.append(time.perf_counter() - started)
        started = time.perf_counter()
        control[np.sort(control_rows)].astype(np.float32).sum()
        timings.control.append(time.perf_counter() - started)
        recalls.append(len({i for i, _ in hits} & set(truth.tolist())) / K)
    timings.recall = float(np.mean(recalls))
    for query in queries:
        started = time.perf_counter()
        index.query(query, K)
        timings.in_a_row.append(time.perf_counter() - started)
    gc.unfreeze()
    return timings


def uniform_recall(n: int, queries: int) -> list[Figure]:
    rng = np.random.default_rng(2)
    vectors = rng.standard_normal((n + queries, DIM), np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with tempfile.TemporaryDirectory() as scratch:
        index = VectorIndex(Path(scratch), MODEL, DIM)
        index.rebuild(np.arange(n), vectors[:n], 0, save=False)
        recall = latency(index, np.arange(n), vectors[:n], vectors[n:]).recall
    return [Figure(SECTION, f"recall@10 vs exact, uniform random vectors (worst case), {n:,}", f"{recall:.3f}")]


def memory(root: Path, n: int, with_index: bool) -> list[Figure]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_probe, args=(root, with_index, results))
    child.start()
    probe = results.get()
    child.join()
    database = (root / "catalogue.sqlite3").stat().st_size
    found = [Figure(SECTION, f"catalogue of {n:,} photos: file; RSS of a process that opened it and looked up "
                             "a photo's vector (its imports alone)",
                    f"{database / MB:,.0f} MB; {probe['opened'] / MB:,.0f} MB ({probe['imports'] / MB:,.0f} MB)"),
             Figure(SECTION, f"reading all {n:,} vectors of the catalogue in batches (page cache warm): time; "
                             "peak RSS", f"{probe['read_s']:.1f} s ({n / probe['read_s']:,.0f} vectors/s); "
                                         f"{probe['read_peak'] / MB:,.0f} MB")]
    if with_index:
        size = sum(path.stat().st_size for path in (root / "index").iterdir() if path.suffix != ".json")
        found.append(Figure(SECTION, f"index of {n:,} vectors: files (searcher and vectors); RSS it adds when "
                                     "loaded; the process's RSS after a similar-photo query (peak)",
                            f"{size / MB:,.0f} MB; {(probe['loaded'] - probe['read']) / MB:,.0f} MB; "
                            f"{probe['loaded'] / MB:,.0f} MB ({probe['peak'] / MB:,.0f} MB)"))
    return found


def _probe(root: Path, with_index: bool, results) -> None:
    """In a fresh process, RSS: after the imports; after opening the catalogue and reading a vector; after
    reading every vector in batches (and its time and peak); after loading the index and answering a
    similar-photo query; the peak."""
    probe = {"imports": _rss()}
    catalogue = Catalogue(root / "catalogue.sqlite3")
    vector = catalogue.embedding(1, MODEL)
    catalogue.photos_by_ids([1])
    probe["opened"] = _rss()
    started = time.perf_counter()
    for _ in catalogue.embedding_batches(MODEL):
        pass
    probe.update(read_s=time.perf_counter() - started, read=_rss(), read_peak=_rss("VmHWM"))
    if with_index:
        index = IndexSet(catalogue, root / "index", persist=False).get(MODEL, DIM)
        catalogue.photos_by_ids([i for i, _ in index.query(vector, K + 1)])
        probe["loaded"] = _rss()
    catalogue.close()
    probe["peak"] = _rss("VmHWM")
    results.put(probe)


def _rss(field: str = "VmRSS") -> int:
    """This process's resident memory (VmHWM: its peak; getrusage's counts the parent's before exec)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(field + ":"))


def _percentiles(seconds: list[float]) -> str:
    p50, p99 = np.percentile(seconds, [50, 99]) * 1000
    return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"


if __name__ == "__main__":
    run_alone(__doc__, add_arguments, figures)
