"""Hostile and odd files: one scan over a folder of all of them.

Each file is either decoded correctly or recorded as failed with a reason a
person can read, the scan goes on to the end, nothing hangs and the peak
memory of the process stays bounded (measured with the kernel's VmHWM,
reset before the scan).  The upright photo behind EXIF orientations 1-8 is
what the encoder and the thumbnails see.  A folder removed while watched is
reported, and its photos are kept as an unplugged drive's are.
"""

from __future__ import annotations

import builtins
import io
import os
import shutil
import struct
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from album.library.records import PhotoStatus
from album.library.thumbnails import ThumbnailCache, cache_key
from album.library.watcher import FolderWatcher
from album.media import hashing, imageio
from tests.conftest import make_photo

#: what EXIF orientation n asks the viewer to do, and so how an upright photo is stored under it
STORED = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
          4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,
          7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}
#: peak memory the scan may add to the test process (a 100-megapixel JPEG decoded in draft mode)
MEMORY_BOUND = 600 * 2**20


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb() -> bytes:
    """A tiny PNG that claims 60,000 x 60,000 pixels."""
    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + _png_chunk(b"IEND", b""))


def _jpeg(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, **options)
    return buffer.getvalue()


def _hostile_folder(root) -> dict[str, str]:
    """Write the files; returns name -> "ok" or a fragment of the reason it must fail with."""
    expect: dict[str, str] = {}
    good = _jpeg(make_photo(1))

    def put(name: str, data: bytes, outcome: str = "ok") -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        expect[name] = outcome

    put("empty.jpg", b"", "not an image")
    put("truncated.jpg", good[: len(good) // 3], "damaged or truncated")
    put("text.jpg", b"these are my holiday notes\n" * 20, "not an image")
    buffer = io.BytesIO()
    make_photo(2).save(buffer, "PNG")
    put("png named.jpg", buffer.getvalue())                               # wrong extension, real image
    put("bomb.png", _bomb(), "too large")
    huge = Image.new("L", (10_000, 10_000), 90)
    ImageDraw.Draw(huge).ellipse((2000, 2000, 8000, 7000), fill=200)
    put("hundred megapixels.jpg", _jpeg(huge))
    sixteen = Image.fromarray((np.linspace(0, 65535, 240 * 320).reshape(240, 320)).astype(np.uint16))
    buffer = io.BytesIO()
    sixteen.save(buffer, "PNG")
    put("sixteen bit.png", buffer.getvalue())
    put("cmyk.jpg", _jpeg(make_photo(3).convert("CMYK")))
    palette = make_photo(4).convert("P", palette=Image.Palette.ADAPTIVE)
    buffer = io.BytesIO()
    palette.save(buffer, "PNG", transparency=0)
    put("palette transparent.png", buffer.getvalue())
    frames = [make_photo(seed, (120, 90)).convert("P") for seed in (5, 6, 7)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    put("animated.gif", buffer.getvalue())
    upright = make_photo(42)
    for orientation, stored in STORED.items():
        exif = Image.Exif()
        exif[0x0112] = orientation
        pixels = upright if stored is None else upright.transpose(stored)
        put(f"orientation/{orientation}.jpg", _jpeg(pixels, exif=exif))
    put("corrupt exif.jpg", good[:2] + b"\xff\xe1\x00\x40Exif\x00\x00MM\x00\x2a\xff\xff\xff\xff" + bytes(46) + good[2:])
    for name in ("with spaces.jpg", "日本の写真.jpg", "фото.jpg", "emoji 📷🌅.jpg", "new\nline.jpg"):
        put(name, _jpeg(make_photo(len(expect))))
    put("x" * 251 + ".jpg", good)                                          # the longest name allowed
    deep = "/".join(["d" * 200] * 17)                                      # a path of about 3,500 characters
    put(f"{deep}/deep.jpg", _jpeg(make_photo(50)))
    (root / "loop").symlink_to(root, target_is_directory=True)             # a folder that contains itself
    (root / "self.jpg").symlink_to(root / "self.jpg")                      # a link to itself
    put("forbidden.jpg", _jpeg(make_photo(51)), "permission denied")
    put("vanishing.jpg", _jpeg(make_photo(52)), "gone")
    put("changing.jpg", _jpeg(make_photo(53)))
    return expect


def _peak_memory() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_one_scan_over_every_hostile_file(album, tmp_path, library_paths, monkeypatch):
    root = tmp_path / "hostile"
    root.mkdir()
    expect = _hostile_folder(root)
    real_open, real_read = builtins.open, imageio.read_bytes

    def guarded_open(path, *args, **kwargs):  # tests run as root, who may read any file: deny one here
        name = os.path.basename(os.fspath(path))
        if name == "forbidden.jpg":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        if name == "vanishing.jpg":  # deleted after the walk saw it, before it was hashed
            os.unlink(path)
        return real_open(path, *args, **kwargs)

    def changing_read(path):  # rewritten after it was hashed, before it was decoded
        if os.path.basename(os.fspath(path)) == "changing.jpg" and not changing_read.done:
            changing_read.done = True
            make_photo(54).save(path, quality=90)
        return real_read(path)

    changing_read.done = False
    monkeypatch.setattr(hashing, "open", guarded_open, raising=False)
    monkeypatch.setattr(imageio, "read_bytes", changing_read)
    album.add_folder(root)
    Path("/proc/self/clear_refs").write_text("5")  # restart the peak-memory count here
    baseline, started = _peak_memory(), time.monotonic()
    summary = album.scan()
    elapsed, peak = time.monotonic() - started, _peak_memory() - baseline
    monkeypatch.undo()

    rows = {os.path.relpath(p.path, root): p for p in album.photos() + album.failures()}
    outcome = {name: "ok" if row.status == PhotoStatus.OK else row.failure for name, row in rows.items()}
    wanted = {name: reason for name, reason in expect.items() if reason != "gone"}
    assert outcome.keys() == wanted.keys()
    for name, reason in wanted.items():
        assert reason in outcome[name], f"{name!r}: {outcome[name]!r}"
    assert {path for path, _ in summary.failed} == {str(root / n) for n, r in wanted.items() if r != "ok"}
    assert not summary.cancelled and elapsed < 120 and peak < MEMORY_BOUND, (elapsed, peak)
    print(f"hostile scan: {len(expect)} files in {elapsed:.1f} s, peak memory +{peak / 2**20:.0f} MiB")

    encoder, cache = album.encoder, ThumbnailCache(library_paths.thumbnails)
    upright = make_photo(42)
    reference = album.catalogue.embedding(rows["orientation/1.jpg"].id, encoder.model_id)
    expected_thumb = np.asarray(upright.resize((256, 192)), np.float32)
    scores = {}
    for orientation, stored in STORED.items():
        row = rows[f"orientation/{orientation}.jpg"]
        assert (row.width, row.height) == (320, 240)
        scores[orientation] = float(album.catalogue.embedding(row.id, encoder.model_id) @ reference)
        if stored is not None:
            scores[-orientation] = float(encoder.embed_images([upright.transpose(stored)])[0] @ reference)
        thumb = cache.image(row.path, cache_key(row.content_hash, row.path), 256)
        assert thumb.size == (256, 192) and np.abs(np.asarray(thumb, np.float32) - expected_thumb).mean() < 12
    assert min(scores[o] for o in STORED) > 0.99  # every orientation: the upright photo
    assert max(scores[-o] for o in STORED if o != 1) < 0.95  # not what the stored pixels show

    again = album.scan()  # the file rewritten mid-scan is seen as edited and encoded afresh
    assert (again.changed, len(again.failed)) == (1, 0)


def test_a_folder_removed_while_watched_is_reported_and_its_photos_kept(album, photo_dir):
    reports: list[set[str]] = []
    notices: list[str] = []
    watcher = FolderWatcher(reports.append, notices.append, debounce_s=0.1)
    try:
        watcher.set_folders([photo_dir])
        album.add_folder(photo_dir)
        assert album.sync().new == 8
        shutil.rmtree(photo_dir)
        deadline = time.monotonic() + 10
        while not reports and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reports and str(photo_dir) in set().union(*reports)
        summary = album.sync()
        assert summary.missing_folders == [str(photo_dir)] and summary.removed == 0
        assert album.status().photos == 8 and not album.folders()[0].exists
        watcher.set_folders([photo_dir])  # watching it again is refused with a plain notice, not an error
    finally:
        watcher.stop()
    assert any("not available right now" in notice for notice in notices) or watcher.folders == [str(photo_dir)]
