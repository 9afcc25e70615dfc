"""Indexing and query speed on real photos: prints a markdown table of measured figures.

    .venv/bin/python benchmarks/indexing.py [--data ../shared/data/cub100] [--limit N] [--model default]

Builds a fresh library in a temporary folder (the photos are only read),
times the first scan (hash + decode + encode + index), a rescan with
nothing changed, a rescan after moving every photo to another folder,
similar-photo queries by library photo and by outside file, and how long
a new head over the same backbone (a personal model) takes to re-encode a
library of 10,000 photos from the kept backbone features.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from album.engine import Album
from album.paths import LibraryPaths

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cub100"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=1000, help="photos to copy into the test library")
    parser.add_argument("--model", default="default")
    parser.add_argument("--rehead", type=int, default=10_000, help="library size for the re-heading figure")
    parser.add_argument("--decoder", choices=("processes", "threads"), default="processes",
                        help="decode in worker processes (the app's default) or in threads (no crash isolation)")
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"{args.data} not found")
    with tempfile.TemporaryDirectory() as scratch:
        photos = Path(scratch) / "photos"
        files = sorted(p for p in args.data.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})[: args.limit]
        for i, source in enumerate(files):
            target = photos / source.parent.name / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        rows = []
        decoder = None
        if args.decoder == "threads":
            from concurrent.futures import ThreadPoolExecutor

            from album.indexing.decoding import InProcessDecoder

            decoder = InProcessDecoder(ThreadPoolExecutor(max(2, os.cpu_count() or 2)))
        with Album.open(LibraryPaths.at(Path(scratch) / "lib"), model=args.model, decoder=decoder) as album:
            start = time.perf_counter()
            album.warm_up()
            rows.append(("model load + empty index", f"{time.perf_counter() - start:.2f} s"))
            album.add_folder(photos)
            start = time.perf_counter()
            summary = album.scan()
            elapsed = time.perf_counter() - start
            rows.append((f"first scan of {summary.new:,} photos", f"{elapsed:.1f} s ({summary.new / elapsed:.1f} photos/s)"))
            start = time.perf_counter()
            album.scan()
            rows.append(("rescan, nothing changed", f"{time.perf_counter() - start:.2f} s"))
            moved = Path(scratch) / "photos" / "moved"
            moved.mkdir()
            for folder in [p for p in photos.iterdir() if p != moved]:
                os.rename(folder, moved / folder.name)
            start = time.perf_counter()
            summary = album.scan()
            rows.append((f"rescan after moving all ({summary.moved:,} moved, re-encoded 0)",
                         f"{time.perf_counter() - start:.2f} s"))
            ids = [p.id for p in album.photos()[:200]]
            timings = []
            for photo_id in ids:
                start = time.perf_counter()
                album.similar_to_photo(photo_id, k=20)
                timings.append(time.perf_counter() - start)
            rows.append(("similar to a library photo (k=20), median / p95",
                         f"{statistics.median(timings) * 1e3:.1f} / {sorted(timings)[int(len(timings) * .95)] * 1e3:.1f} ms"))
            timings = []
            for path in files[:30]:
                start = time.perf_counter()
                album.similar_to_file(path, k=20)
                timings.append(time.perf_counter() - start)
            rows.append(("similar to an outside file (decode + encode + search), median",
                         f"{statistics.median(timings) * 1e3:.0f} ms"))
    rows.append(("decode a 12-megapixel JPEG: draft mode to 256 px / full size", _decode_timings()))
    rows.append(_rehead_timing(args.model, args.rehead))
    print(f"\n| {args.data.name}, {len(files)} photos, model {args.model}, decoding in {args.decoder}, "
          f"{os.cpu_count()} cores | measured |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


def _decode_timings() -> str:
    """Median decode time of a generated 4000 x 3000 JPEG, in draft mode and in full."""
    import io

    import numpy as np
    from PIL import Image

    from album.media.imageio import decode

    pixels = (np.random.default_rng(0).random((375, 500, 3)) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).resize((4000, 3000), Image.BILINEAR).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()

    def median_ms(min_side):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            decode(data, min_side)
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1e3

    return f"{median_ms(256):.0f} ms / {median_ms(None):.0f} ms"


def _rehead_timing(model: str, count: int) -> tuple[str, str]:
    """A library of ``count`` photos encoded by ``model`` (their backbone features kept), then a new
    head over the same backbone attached: the time to encode them all for it, and how many were decoded."""
    import numpy as np

    from concurrent.futures import ThreadPoolExecutor

    from album.indexing.decoding import InProcessDecoder, decode_job
    from album.library.catalogue import EncodedPhoto
    from album.vision.encoder import Encoder
    from album.vision.head import ResidualHead
    from album.vision.modelfile import open_encoder

    encoder = open_encoder(model, device="cpu")
    rng = np.random.default_rng(0)
    decoded = []
    counting = InProcessDecoder(ThreadPoolExecutor(2), lambda job: decoded.append(job) or decode_job(job))
    with tempfile.TemporaryDirectory() as scratch, \
            Album.open(LibraryPaths.at(Path(scratch) / "lib"), model=encoder, decoder=counting) as album:
        folder = album.catalogue.add_folder("/photos")
        with album.catalogue.scan_batch() as batch:
            ids = [batch.add_photo(folder.id, f"/photos/{n}.jpg", 1, 1, f"h{n}") for n in range(count)]
        features = np.abs(rng.normal(size=(count, encoder.backbone_spec.dim))).astype(np.float16)
        vectors = encoder.embed_features(features)
        for start in range(0, count, 1000):
            album.catalogue.mark_encoded([
                EncodedPhoto(ids[n], f"h{n}", 100, 100, None, None, {encoder.model_id: vectors[n]},
                             {encoder.features_id: features[n]}) for n in range(start, min(start + 1000, count))])
        album.warm_up()  # the similarity model's index, as an open library has it
        head = ResidualHead(encoder.backbone_spec.dim, hidden=256)
        personal = Encoder(encoder.backbone_spec, head, head_checksum="bench001", preprocessing=encoder.preprocessing)
        album.attach_encoder(personal, "personal")
        start = time.perf_counter()
        album.encode_pending()
        elapsed = time.perf_counter() - start
        assert album.catalogue.count_embeddings(personal.model_id) == count and not decoded
    return (f"a new head over the kept backbone features: re-encode {count:,} photos, index included "
            f"(0 decoded)", f"{elapsed:.1f} s ({count / elapsed:,.0f} photos/s)")


if __name__ == "__main__":
    main()
