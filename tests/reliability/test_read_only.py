"""The app never writes into a photo folder.

A folder tree of photos (JPEG with an EXIF orientation, PNG, a sub-folder,
a damaged file, a text file, a hidden file, a link) is fingerprinted, then
the library adds it, syncs, scans, watches it, answers similar queries (by
photo and by file) and makes thumbnails; the tree must be byte-identical
afterwards, down to folder listings and modification times, so not even a
temporary file came and went.  The library's own folders are elsewhere.
"""

from __future__ import annotations

import os
import time

from PIL import Image

from album.library.thumbnails import ThumbnailCache, cache_key
from album.library.watcher import FolderWatcher
from tests.conftest import make_photo
from tests.reliability.conftest import tree_fingerprint


def _photo_tree(root):
    (root / "trip" / "day 1").mkdir(parents=True)
    for seed in range(4):
        make_photo(seed).save(root / f"p{seed}.jpg", quality=90)
    make_photo(10).save(root / "trip" / "beach.png")
    exif = Image.Exif()
    exif[0x0112] = 6
    make_photo(11).save(root / "trip" / "day 1" / "rotated.jpg", exif=exif)
    (root / "trip" / "broken.jpg").write_bytes((root / "p0.jpg").read_bytes()[:2000])
    (root / "notes.txt").write_text("not a photo")
    (root / ".hidden.jpg").write_bytes((root / "p1.jpg").read_bytes())
    (root / "link.jpg").symlink_to(root / "p2.jpg")
    old = time.time() - 86_400  # an old, stable time stamp on every entry
    for directory, subdirs, files in os.walk(root):
        for name in files + subdirs:
            os.utime(os.path.join(directory, name), (old, old), follow_symlinks=False)
    os.utime(root, (old, old))


def test_adding_scanning_watching_searching_and_thumbnails_never_touch_the_photos(album, tmp_path, library_paths):
    root = tmp_path / "photos"
    root.mkdir()
    _photo_tree(root)
    before = tree_fingerprint(root)

    changes: list[set[str]] = []
    watcher = FolderWatcher(changes.append, debounce_s=0.1, ignore=[library_paths.root])
    try:
        watcher.set_folders([root])
        album.add_folder(root)
        synced = album.sync()
        assert synced.new == 7 and not synced.failed  # the damaged file is found out when decoded
        scanned = album.scan()
        assert scanned.unchanged == 7 and len(scanned.failed) == 1 and album.status().indexed == 6
        photos = album.photos()
        assert album.similar_to_photo(photos[0].id, k=5)
        assert album.similar_to_file(root / "p3.jpg", k=5)[0].path == str(root / "p3.jpg")
        cache = ThumbnailCache(library_paths.thumbnails)
        for photo in photos:
            for size in (128, 400):
                cache.get(photo.path, cache_key(photo.content_hash, photo.path), size)
        assert album.scan().unchanged == 7
        time.sleep(0.3)  # let the watcher see anything that happened
    finally:
        watcher.stop()

    assert changes == []  # nothing happened in the folder, so the watcher saw nothing either
    assert tree_fingerprint(root) == before
    assert not any(root in path.parents for path in library_paths.root.rglob("*"))
