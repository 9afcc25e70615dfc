"""Content identity: stable across moves, changed by edits at either end, clear errors."""

from __future__ import annotations

import os

import pytest

from album.errors import UnreadableImage
from album.media.hashing import CHUNK, content_hash


def test_same_bytes_same_hash_wherever_they_live(tmp_path):
    data = os.urandom(5 * CHUNK)
    (tmp_path / "a.jpg").write_bytes(data)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.jpg").write_bytes(data)
    assert content_hash(tmp_path / "a.jpg") == content_hash(tmp_path / "sub" / "b.jpg")


@pytest.mark.parametrize("where", [0, -1])
def test_an_edit_at_the_start_or_end_changes_the_hash(tmp_path, where):
    data = bytearray(os.urandom(5 * CHUNK))
    (tmp_path / "a.jpg").write_bytes(data)
    data[where] ^= 0xFF
    (tmp_path / "b.jpg").write_bytes(data)
    assert content_hash(tmp_path / "a.jpg") != content_hash(tmp_path / "b.jpg")


def test_small_files_are_hashed_whole_and_size_counts(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"x" * 1000)
    (tmp_path / "b.jpg").write_bytes(b"x" * 1001)
    assert content_hash(tmp_path / "a.jpg") != content_hash(tmp_path / "b.jpg")


def test_errors_are_unreadable_images(tmp_path):
    with pytest.raises(UnreadableImage, match="no longer exists"):
        content_hash(tmp_path / "missing.jpg")
    with pytest.raises(UnreadableImage, match="is a directory"):
        content_hash(tmp_path)
