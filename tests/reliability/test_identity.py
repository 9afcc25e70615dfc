"""Content identity: an edit anywhere is noticed, and libraries hashed the old way keep working.

Format-1 hashes covered the size and the first and last MiB, so a same-size
edit in the middle of a large file went unnoticed; format 2 (``v2:``) covers
every byte of photo-sized files and samples larger ones.  A library whose
rows still hold format-1 hashes is not re-encoded by the upgrade: unchanged
files are not hashed, and touched, moved and copied ones are recognised by
their format-1 hash computed in the same pass.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3

import pytest

from album.library.catalogue import Catalogue
from album.media.hashing import BLOCK, CHUNK, FULL_LIMIT, PREFIX, SAMPLES, content_hash, identify, legacy_hash
from tests.conftest import make_photo

MIDDLE_COMMENTS = 50  # JPEG comment segments of 64 kB after the header: about 3.1 MiB the decoder skips


def _padded_jpeg(path, seed: int) -> int:
    """A JPEG larger than 2 MiB whose middle is comment segments; returns the offset of a middle byte."""
    buffer = io.BytesIO()
    make_photo(seed).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    comment = b"\xff\xfe" + (65_000 + 2).to_bytes(2, "big") + bytes(65_000)
    path.write_bytes(data[:2] + comment * MIDDLE_COMMENTS + data[2:])
    return 2 + len(comment) * MIDDLE_COMMENTS // 2


def _flip(path, offset: int) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        value = handle.read(1)[0]
        handle.seek(offset)
        handle.write(bytes([value ^ 0x01]))


def test_a_same_size_edit_in_the_middle_changes_the_hash(tmp_path):
    path = tmp_path / "big.jpg"
    middle = _padded_jpeg(path, 1)
    size = path.stat().st_size
    assert CHUNK < middle < size - CHUNK
    before, old_before = content_hash(path), legacy_hash(path)
    _flip(path, middle)
    assert path.stat().st_size == size
    assert content_hash(path) != before and content_hash(path).startswith(PREFIX)
    assert legacy_hash(path) == old_before  # the gap format 1 had


def test_files_beyond_the_full_limit_are_sampled_across_their_whole_length(tmp_path):
    path = tmp_path / "huge.tif"
    size = FULL_LIMIT + 5 * CHUNK
    with open(path, "wb") as handle:
        handle.truncate(size)
    before = content_hash(path)
    span = size - 2 * CHUNK - BLOCK
    _flip(path, CHUNK + span * (SAMPLES // 2) // (SAMPLES - 1) + 10)  # inside a sampled block mid-file
    assert content_hash(path) != before


@pytest.fixture
def counted_encodes(monkeypatch) -> list[int]:
    encoded: list[int] = []
    original = Catalogue.mark_encoded

    def counting(self, results):
        encoded.extend(result.photo_id for result in results)
        return original(self, results)

    monkeypatch.setattr(Catalogue, "mark_encoded", counting)
    return encoded


def test_a_middle_edit_is_found_by_the_next_scan_and_reencoded(album, tmp_path, counted_encodes):
    folder = tmp_path / "photos"
    folder.mkdir()
    middle = _padded_jpeg(folder / "big.jpg", 2)
    album.add_folder(folder)
    album.scan()
    _flip(folder / "big.jpg", middle)
    os.utime(folder / "big.jpg", ns=(1_700_000_000_000_000_000,) * 2)  # editors change the file time
    counted_encodes.clear()
    summary = album.scan()
    assert (summary.changed, summary.unchanged, len(counted_encodes)) == (1, 0, 1)


def _make_legacy(database, photo_paths: dict[int, str]) -> None:
    """Rewrite the catalogue's hashes as a library made before format 2 holds them."""
    connection = sqlite3.connect(database)
    with connection:
        for photo_id, path in photo_paths.items():
            connection.execute("UPDATE photos SET content_hash = ? WHERE id = ?", (legacy_hash(path), photo_id))
    connection.close()


def test_a_library_hashed_the_old_way_is_not_reencoded_by_the_upgrade(album, photo_dir, library_paths,
                                                                       counted_encodes):
    album.add_folder(photo_dir)
    album.scan()
    photos = {p.path: p for p in album.photos()}
    _make_legacy(library_paths.catalogue, {p.id: path for path, p in photos.items()})
    counted_encodes.clear()

    assert album.scan().unchanged == 8                           # nothing changed: nothing hashed
    os.utime(photo_dir / "photo_0.jpg", ns=(1_600_000_000_000_000_000,) * 2)
    (photo_dir / "moved").mkdir()
    shutil.move(photo_dir / "photo_1.jpg", photo_dir / "moved" / "photo_1.jpg")
    shutil.copyfile(photo_dir / "photo_2.jpg", photo_dir / "copy of photo_2.jpg")
    make_photo(99).save(photo_dir / "photo_3.jpg", quality=92)    # a real edit
    make_photo(100).save(photo_dir / "new.jpg", quality=92)
    summary = album.scan()

    assert (summary.unchanged, summary.moved, summary.duplicates, summary.changed, summary.new) == (6, 1, 1, 1, 1)
    after = {p.path: p for p in album.photos()}
    assert after[str(photo_dir / "moved" / "photo_1.jpg")].id == photos[str(photo_dir / "photo_1.jpg")].id
    assert sorted(counted_encodes) == sorted([after[str(photo_dir / "photo_3.jpg")].id,
                                              after[str(photo_dir / "new.jpg")].id])
    assert after[str(photo_dir / "new.jpg")].content_hash == identify(photo_dir / "new.jpg").current
    assert after[str(photo_dir / "photo_3.jpg")].content_hash.startswith(PREFIX)
    assert album.status().pending == 0 and album.scan().unchanged == 10
