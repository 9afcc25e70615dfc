"""Similar-photo queries and the vector index as a rebuildable cache."""

from __future__ import annotations

import json

import numpy as np
import pytest

from album.engine import Album
from album.errors import UserFacingError
from album.tasks import SynchronousExecutor
from tests.conftest import near_copy, packaged_photo


@pytest.fixture
def library(album, real_photo_dir):
    """12 real photos of different subjects plus a cropped, resized, recompressed copy of one."""
    near_copy(packaged_photo("coffee.png")).save(real_photo_dir / "coffee_edit.jpg", quality=75)
    album.add_folder(real_photo_dir)
    album.scan()
    return album


def _id(album, name):
    return next(p.id for p in album.photos() if p.path.endswith(name))


def test_a_near_copy_is_the_top_hit(library):
    matches = library.similar_to_photo(_id(library, "coffee.jpg"), k=5, min_score=0.0)
    assert matches[0].path.endswith("coffee_edit.jpg")
    assert matches[0].score > 0.85
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_unrelated_photos_stay_below_the_default_threshold(library):
    matches = library.similar_to_photo(_id(library, "coffee.jpg"))
    assert [m.path.rsplit("/", 1)[-1] for m in matches] == ["coffee_edit.jpg"]
    assert all(m.score >= library.default_min_score for m in matches)


def test_results_never_include_the_query_and_respect_k(library):
    query = _id(library, "rocket.jpg")
    matches = library.similar_to_photo(query, k=3, min_score=-1.0)
    assert len(matches) == 3 and query not in [m.photo_id for m in matches]


def test_query_with_an_outside_image_does_not_add_it(library, tmp_path):
    outside = tmp_path / "dropped.png"
    near_copy(packaged_photo("chelsea.png")).save(outside)
    matches = library.similar_to_file(outside, k=3)
    assert [m.path.rsplit("/", 1)[-1] for m in matches] == ["chelsea.jpg"]
    assert library.status().photos == 13


def test_bad_queries_get_clear_errors(library, tmp_path):
    with pytest.raises(UserFacingError, match="no photo 999"):
        library.similar_to_photo(999)
    (tmp_path / "fake.jpg").write_text("no")
    with pytest.raises(UserFacingError):
        library.similar_to_file(tmp_path / "fake.jpg")
    with pytest.raises(UserFacingError, match="at least 1"):
        library.similar_to_photo(_id(library, "horse.jpg"), k=0)


def _results(album):
    return [(m.photo_id, m.score) for m in album.similar_to_photo(_id(album, "coffee.jpg"), k=12, min_score=-1)]


def _reopen(album, encoder):
    album.close()
    return Album.open(album.paths, model=encoder, executor=SynchronousExecutor())


@pytest.mark.parametrize("damage", ["delete", "corrupt", "truncate", "stale"])
def test_a_missing_damaged_or_stale_index_is_rebuilt_with_the_same_results(library, encoder, damage):
    expected = _results(library)
    index_file = library.search.index.path
    assert index_file.is_file()
    if damage == "delete":
        index_file.unlink()
    elif damage == "corrupt":
        data = bytearray(index_file.read_bytes())
        data[100:200] = b"\x00" * 100
        index_file.write_bytes(bytes(data))
    elif damage == "truncate":
        index_file.write_bytes(index_file.read_bytes()[:1000])
    else:
        meta = json.loads(index_file.with_suffix(".json").read_text())
        meta["generation"] -= 1
        index_file.with_suffix(".json").write_text(json.dumps(meta))
    reopened = _reopen(library, encoder)
    try:
        assert _results(reopened) == expected
        assert index_file.is_file()
    finally:
        reopened.close()


def test_an_index_from_another_model_is_never_used(library, encoder):
    index = library.search.index
    other = type(index)(index.path.parent, "another-model", encoder.dim)
    other.rebuild(np.array([1]), np.ones((1, encoder.dim), np.float32) / np.sqrt(encoder.dim), 0)
    other.path.rename(index.path)
    other.meta_path.rename(index.meta_path)
    reopened = _reopen(library, encoder)
    try:
        assert len(_results(reopened)) == 12
    finally:
        reopened.close()


def test_a_second_process_may_search_but_not_write(library, encoder, tmp_path):
    from album.errors import LibraryError

    expected = _results(library)
    reader = Album.open(library.paths, model=encoder, executor=SynchronousExecutor())
    try:
        assert reader.read_only and not library.read_only
        assert _results(reader) == expected
        for write in (lambda: reader.scan(), lambda: reader.add_folder(tmp_path),
                      lambda: reader.remove_folder(library.folders()[0].path)):
            with pytest.raises(LibraryError, match="another album process"):
                write()
    finally:
        reader.close()
    library.close()
    writer = Album.open(library.paths, model=encoder, executor=SynchronousExecutor())
    assert not writer.read_only  # the lock is released on close
    writer.close()
