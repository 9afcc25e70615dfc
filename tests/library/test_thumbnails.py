"""The thumbnail disk cache: sizes, keys, atomic concurrent writes, unreadable files."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from album.errors import UnreadableImage
from album.library.thumbnails import SIZE_STEPS, ThumbnailCache, cache_key, size_step


def make_photo(path, size=(900, 600), colour=(200, 40, 40)):
    Image.new("RGB", size, colour).save(path, quality=90)
    return path


def test_makes_a_jpeg_no_larger_than_the_size_step(tmp_path):
    photo = make_photo(tmp_path / "a.jpg")
    cache = ThumbnailCache(tmp_path / "thumbs")
    key = cache_key("abc123", photo)
    thumb = cache.get(photo, key, 200)
    assert thumb == cache.path_for(key, 200) and thumb.suffix == ".jpg"
    with Image.open(thumb) as image:
        assert max(image.size) == 256 and image.size == (256, 171)
    assert cache.cached(key, 256) == thumb
    assert cache.cached(key, 512) is None


def test_reuses_the_file_and_rounds_sizes_to_steps(tmp_path):
    photo = make_photo(tmp_path / "a.jpg")
    cache = ThumbnailCache(tmp_path / "thumbs")
    first = cache.get(photo, "k1", 100)
    mtime = first.stat().st_mtime_ns
    assert cache.get(photo, "k1", 128).stat().st_mtime_ns == mtime
    assert size_step(1) == SIZE_STEPS[0] and size_step(10_000) == SIZE_STEPS[-1]


def test_key_without_hash_depends_on_path_and_mtime(tmp_path):
    assert cache_key(None, "/a.jpg", 1) != cache_key(None, "/a.jpg", 2)
    assert cache_key(None, "/a.jpg", 1) != cache_key(None, "/b.jpg", 1)
    assert cache_key("deadbeef", "/a.jpg", 1) == cache_key("deadbeef", "/b.jpg", 2) == "deadbeef"


def test_concurrent_requests_leave_one_complete_file(tmp_path):
    photo = make_photo(tmp_path / "a.jpg", size=(2000, 1500))
    cache = ThumbnailCache(tmp_path / "thumbs")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: cache.get(photo, "same", 256), range(16)))
    assert len(set(results)) == 1
    with Image.open(results[0]) as image:
        image.load()
    assert [p.name for p in results[0].parent.iterdir()] == [results[0].name]


def test_unreadable_photo_raises_plain_error_and_writes_nothing(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    cache = ThumbnailCache(tmp_path / "thumbs")
    with pytest.raises(UnreadableImage):
        cache.get(broken, "bad", 128)
    assert cache.disk_usage() == 0


def test_forget_removes_every_size(tmp_path):
    photo = make_photo(tmp_path / "a.jpg")
    cache = ThumbnailCache(tmp_path / "thumbs")
    cache.get(photo, "k", 128)
    cache.get(photo, "k", 512)
    assert cache.forget("k") == 2
    assert cache.cached("k", 128) is None
