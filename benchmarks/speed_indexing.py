"""Indexing speed on camera photos: runtimes, JPEG decoders, the floor, end to end; prints a table.

    .venv/bin/python benchmarks/speed_indexing.py [--camera 300] [--cub 1000] [--camera-dir DIR]

Camera photos: ``--camera`` 12-megapixel JPEGs (4000 x 3000, quality 92)
made once from real photos of ``../shared/data`` (upscaled; kept in
``--camera-dir`` for later runs).  Figures, each from files on disk:

* the backbone's forward pass (batch 32, every core) in each runtime, with
  its largest difference from the eager PyTorch reference;
* decoding one photo to the model's input size with each decoder;
* the floor: one process decoding in draft mode and running the fastest
  runtime, batch by batch, nothing else;
* once loaded: ``Album.open``, ``warm_up`` and ``prepare_scan`` (as the app
  does at its start), then add the folder and scan (hash, decode,
  fingerprint, thumbnail, encode for similarity and for word search,
  commit, index, first grouping);
* end to end: open a new library, add the folder, scan, nothing loaded
  beforehand (the scan loads the models while it syncs and decodes);
* a new ``album scan`` process over a new library (every import included);
* the naive pipeline: full decode, eager model, one photo at a time;
* the same end to end on the 227 x 227 cub100 photos;
* encoding an outside image (drag and drop), decode included.

PyTorch is imported inside the functions, not at the top: the decoder
processes import the main script again, as the app's do its command line,
and torch would cost each of them a second or more of the scan's time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from speed_table import Figure, run_alone

if TYPE_CHECKING:
    import torch

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BATCH = 32


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--camera", type=int, default=300, help="12 MP JPEGs to index")
    parser.add_argument("--camera-dir", type=Path, default=Path(tempfile.gettempdir()) / "album-camera-12mp")
    parser.add_argument("--cub", type=int, default=1000, help="cub100 photos to index (227 x 227)")


def camera_photos(args) -> list[Path]:
    """``args.camera`` 12 MP JPEGs, made from real photos the first time."""
    args.camera_dir.mkdir(parents=True, exist_ok=True)
    sources = sorted(p for p in (args.data / "caltech50").rglob("*.jpg"))[:: 7][: args.camera]
    made = []
    for number, source in enumerate(sources):
        target = args.camera_dir / f"IMG_{number:05d}.jpg"
        if not target.exists():
            with Image.open(source) as image:
                image.convert("RGB").resize((4000, 3000), Image.BICUBIC).save(target, quality=92)
        made.append(target)
    return made


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:.1f} photos/s"


def _fresh(encoder) -> "torch.nn.Module":
    """A new copy of the encoder's backbone (a deep copy would share the network its forward calls)."""
    return encoder.backbone_spec.build().eval().requires_grad_(False)


def runtimes(encoder, reference_batch: "torch.Tensor") -> tuple[list[Figure], dict[str, float]]:
    """Forward-pass speed of each runtime on one batch, and its difference from eager PyTorch."""
    import torch

    from album.vision import graph_export, onnx_backbone, onnx_runtime

    backbone = _fresh(encoder)
    with torch.no_grad():
        reference = backbone(reference_batch).numpy()
        channels_last = _fresh(encoder).to(memory_format=torch.channels_last)
        traced = torch.jit.freeze(torch.jit.trace(channels_last, reference_batch[:1]))
    onnx = onnx_backbone.OnnxNetwork(onnx_runtime.session(graph_export.export_backbone(backbone, 224),
                                                          torch.get_num_threads()))
    candidates = {
        "eager PyTorch": lambda x: backbone(x).numpy(),
        "PyTorch channels-last": lambda x: channels_last(x.contiguous(memory_format=torch.channels_last)).numpy(),
        "TorchScript, frozen": lambda x: traced(x.contiguous(memory_format=torch.channels_last)).numpy(),
        "ONNX Runtime": lambda x: onnx(x.numpy()),
    }
    try:
        compiled = torch.compile(channels_last)
        compiled(reference_batch.contiguous(memory_format=torch.channels_last))
        candidates["torch.compile (inductor)"] = lambda x: compiled(
            x.contiguous(memory_format=torch.channels_last)).numpy()
    except Exception as exc:  # no C++ compiler, or inductor refuses: say so in the table
        print(f"torch.compile unavailable: {exc.__class__.__name__}: {str(exc)[:120]}")
    figures, rates = [], {}
    for name, run in candidates.items():
        with torch.no_grad():
            difference = float(np.abs(run(reference_batch) - reference).max())
            start, rounds = time.perf_counter(), 3
            for _ in range(rounds):
                run(reference_batch)
            rates[name] = rounds * BATCH / (time.perf_counter() - start)
        figures.append(Figure("Indexing", f"forward pass, {name} (batch 32, max |diff| {difference:.1e})",
                              f"{rates[name]:.1f} photos/s"))
    return figures, rates


def decoders(files: list[Path], size: int) -> list[Figure]:
    """Milliseconds per 12 MP JPEG to an image whose shorter side is at least ``size``."""
    from album.media.imageio import load_image

    def pillow_full(path):
        with Image.open(path) as image:
            return image.convert("RGB")

    ways = {"Pillow draft (the app's loader)": lambda path: load_image(path, min_side=size),
            "Pillow, full size": pillow_full}
    try:
        import simplejpeg

        ways["simplejpeg, scaled in libjpeg-turbo"] = lambda path: simplejpeg.decode_jpeg(
            path.read_bytes(), min_height=size, min_width=size)
    except ImportError:
        pass
    figures = []
    for name, decode in ways.items():
        sample = files[:20]
        start = time.perf_counter()
        for path in sample:
            decode(path)
        figures.append(Figure("Indexing", f"decode a 12 MP JPEG to ≥ {size} px: {name}",
                              f"{(time.perf_counter() - start) / len(sample) * 1000:.0f} ms"))
    return figures


def _warm(encoder, files: list[Path]) -> None:
    """Load the runtime, bring the files into the page cache and let the first calls' set-up pass."""
    from album.media.imageio import load_image

    for path in files[:4]:
        encoder.embed_images([load_image(path, min_side=encoder.decode_size)[0]])
    for path in files:
        path.read_bytes()


def floor(files: list[Path], encoder) -> float:
    """Photos/s of a tight loop: draft decode and the encoder's own (fastest) forward pass."""
    from album.media.imageio import load_image

    _warm(encoder, files)
    start = time.perf_counter()
    for first in range(0, len(files), BATCH):
        tensors = [encoder.preprocess(load_image(path, min_side=encoder.decode_size)[0])
                   for path in files[first:first + BATCH]]
        encoder.features(np.stack(tensors))
    return len(files) / (time.perf_counter() - start)


def naive(files: list[Path], encoder) -> float:
    """Photos/s: full decode, eager PyTorch, one photo at a time."""
    import torch

    backbone = _fresh(encoder)
    with torch.no_grad():
        for _ in range(5):  # the first calls set kernels up (seconds each): not the pipeline's cost
            backbone(torch.zeros(1, 3, 224, 224))
    start = time.perf_counter()
    with torch.no_grad():
        for path in files:
            with Image.open(path) as image:
                backbone(torch.from_numpy(encoder.preprocess(image.convert("RGB")))[None])
    return len(files) / (time.perf_counter() - start)


def _copied(files: list[Path], scratch: str) -> Path:
    folder = Path(scratch) / "photos"
    folder.mkdir()
    for path in files:
        shutil.copyfile(path, folder / f"{path.parent.name}-{path.name}")
    return folder


def once_loaded(files: list[Path]) -> tuple[float, float, int]:
    """Seconds to open a new library and load what a scan needs (the models, their runtime, the decoders,
    the grouping code: ``warm_up`` and ``prepare_scan``, as the app does at its start), then to scan: every
    photo hashed, decoded, encoded, committed and indexed, the library grouped."""
    from album.engine import Album
    from album.paths import LibraryPaths

    with tempfile.TemporaryDirectory() as scratch:
        folder = _copied(files, scratch)
        start = time.perf_counter()
        with Album.open(LibraryPaths.at(Path(scratch) / "library")) as album:
            album.warm_up()
            album.prepare_scan()
            loaded = time.perf_counter()
            album.add_folder(folder)
            summary = album.scan()
            return loaded - start, time.perf_counter() - loaded, summary.new


def end_to_end(files: list[Path]) -> tuple[float, int]:
    """Seconds from opening a new library to the end of its first scan, nothing loaded beforehand: the scan
    loads the models while it looks at the disk and decodes the first new photos (PyTorch and timm are
    imported already in this process)."""
    from album.engine import Album
    from album.paths import LibraryPaths

    with tempfile.TemporaryDirectory() as scratch:
        folder = _copied(files, scratch)
        start = time.perf_counter()
        with Album.open(LibraryPaths.at(Path(scratch) / "library")) as album:
            album.add_folder(folder)
            summary = album.scan()
        return time.perf_counter() - start, summary.new


def scan_command(files: list[Path]) -> float:
    """Seconds of a new ``album scan`` process over a new library holding ``files`` (added beforehand):
    Python's start, every import and the model load included."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = _copied(files, scratch)
        command = [sys.executable, "-m", "album", "--library", str(Path(scratch) / "library")]
        subprocess.run([*command, "add", str(folder)], check=True, capture_output=True)
        start = time.perf_counter()
        subprocess.run([*command, "scan"], check=True, capture_output=True)
        return time.perf_counter() - start


def outside_image(files: list[Path], encoder) -> float:
    """Median milliseconds to decode and encode one outside file (the drag-and-drop query)."""
    from album.media.imageio import load_image

    times = []
    for path in files:
        start = time.perf_counter()
        encoder.embed_images([load_image(path, min_side=encoder.decode_size)[0]])
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def figures(args) -> list[Figure]:
    import torch

    from album.vision.modelfile import open_encoder

    files = camera_photos(args)
    encoder = open_encoder("default")
    batch = torch.from_numpy(np.stack([encoder.preprocess(Image.open(path).convert("RGB"))
                                       for path in files[:BATCH]]))
    found, rates = runtimes(encoder, batch)
    found += decoders(files, encoder.decode_size)
    floor_rate = floor(files, encoder)
    found.append(Figure("Indexing", f"floor: draft decode + {encoder.runtime} forward, one process, "
                                    f"{len(files)} 12 MP JPEGs", f"{floor_rate:.1f} photos/s"))
    total, count = end_to_end(files)  # first: nothing a scan loads (the grouping code) is imported yet
    load, scan, count = once_loaded(files)
    rate = count / scan
    found.append(Figure("Indexing", "open a new library, load both encoders and the grouping code, start the "
                                    "decoders",
                        f"{load:.1f} s"))
    found.append(Figure("Indexing", f"indexing {count} 12 MP JPEGs once loaded (hash, decode, thumbnail, "
                                    "fingerprint, both encoders, commit, index, grouping)",
                        f"{scan:.1f} s ({rate:.1f} photos/s)", "≥ 40 photos/s", rate >= 40))
    found.append(Figure("Indexing", f"end to end with the model load, {count} 12 MP JPEGs (open a new library, "
                                    "add, scan; PyTorch and timm imported already)",
                        f"{total:.1f} s ({count / total:.1f} photos/s)", "≥ 40 photos/s", count / total >= 40))
    command = scan_command(files)
    found.append(Figure("Indexing", f"a new `album scan` process, {len(files)} 12 MP JPEGs (every import "
                                    "included)", f"{command:.1f} s ({len(files) / command:.1f} photos/s)"))
    found.append(Figure("Indexing", "indexing once loaded / floor", f"{rate / floor_rate:.2f}", "≥ 0.85",
                        rate / floor_rate >= 0.85))
    naive_rate = naive(files[:30], encoder)
    found.append(Figure("Indexing", "naive pipeline (full decode, eager, one at a time)",
                        f"{naive_rate:.1f} photos/s; indexing is {rate / naive_rate:.1f}x faster"))
    cub = sorted((args.data / "cub100").rglob("*.jpg"))[: args.cub]
    if cub:
        load, scan, count = once_loaded(cub)
        found.append(Figure("Indexing", f"indexing {count} cub100 photos (227 x 227) once loaded",
                            f"{scan:.1f} s ({count / scan:.1f} photos/s)"))
    for label, sample in (("12 MP JPEG", files[:15]),
                          ("cub100 photo", sorted((args.data / "cub100").rglob("*.jpg"))[:15])):
        if sample:
            milliseconds = outside_image(sample, encoder)
            found.append(Figure("Queries", f"encode an outside {label} (drag and drop: decode + model)",
                                f"{milliseconds:.0f} ms", "< 150 ms", milliseconds < 150))
    return found


if __name__ == "__main__":
    run_alone(__doc__, add_arguments, figures)
