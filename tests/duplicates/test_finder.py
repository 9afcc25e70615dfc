"""A library's near-duplicate stacks, end to end: scan, stack, move the extra copies to the trash."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image, ImageEnhance

from album.duplicates import finder
from album.errors import LibraryError

EDITS = {
    "coffee": lambda image, folder: image.resize((image.width * 3 // 5, image.height * 3 // 5)).save(
        folder / "coffee_small.jpg", quality=60),
    "rocket": lambda image, folder: image.save(folder / "rocket_export.png"),
    "horse": lambda image, folder: ImageEnhance.Brightness(image).enhance(1.3).save(
        folder / "horse_brighter.jpg", quality=85),
}


@pytest.fixture
def edited_dir(real_photo_dir):
    """12 real photos, and an edited copy of three of them."""
    for name, edit in EDITS.items():
        edit(Image.open(real_photo_dir / f"{name}.jpg").convert("RGB"), real_photo_dir)
    return real_photo_dir


@pytest.fixture
def trash(tmp_path, monkeypatch):
    """send2trash, pointed at a folder of the test's own."""
    bin_ = tmp_path / "trash"
    bin_.mkdir()
    monkeypatch.setattr("send2trash.send2trash", lambda path: shutil.move(path, bin_))
    return bin_


def stacked_names(album, stacks) -> list[tuple[str, list[str]]]:
    records = album.photos_by_ids([p for s in stacks for p in s.photo_ids])
    return sorted((s.kind, sorted(records[p].path.rsplit("/", 1)[1] for p in s.photo_ids)) for s in stacks)


def test_edited_copies_stack_with_their_original_and_nothing_else_does(album, edited_dir):
    album.add_folder(edited_dir)
    album.scan()
    stacks = album.duplicates()
    assert stacked_names(album, stacks) == [
        ("copy", ["coffee.jpg", "coffee_small.jpg"]),
        ("copy", ["horse.jpg", "horse_brighter.jpg"]),
        ("copy", ["rocket.jpg", "rocket_export.png"])]
    keepers = {album.photo(s.keep).path.rsplit("/", 1)[1] for s in stacks}
    assert {"coffee.jpg", "rocket.jpg"} <= keepers  # the larger one; the camera format over a PNG export
    assert all(s.photo_ids[0] == s.keep for s in stacks)


def test_fingerprints_come_from_indexing_so_only_likely_copies_are_decoded_again(album, edited_dir, monkeypatch):
    album.add_folder(edited_dir)
    album.scan()
    monkeypatch.setattr("album.duplicates.finder.fingerprint", lambda path: pytest.fail(f"fingerprinted {path}"))
    decoded = []
    real_square = finder.fine_square
    monkeypatch.setattr(finder, "fine_square", lambda path: decoded.append(path) or real_square(path))
    assert len(album.duplicates()) == 3
    assert len(decoded) == len(set(decoded)) == 6  # the three pairs the fine check compares, once each


def test_trash_moves_the_files_and_the_library_forgets_them(album, edited_dir, trash):
    album.add_folder(edited_dir)
    album.scan()
    extra = [p for s in album.duplicates() for p in s.photo_ids if p != s.keep]
    result = album.trash(extra)
    assert sorted(result.trashed) == sorted(extra) and result.failed == []
    assert sorted(p.name for p in trash.iterdir()) == ["coffee_small.jpg", "horse_brighter.jpg", "rocket_export.png"]
    assert album.status().photos == 12 and album.duplicates() == []
    assert all(m.photo_id not in extra for m in album.similar_to_photo(album.photos()[0].id, k=20, min_score=-1))


def test_a_file_that_cannot_be_trashed_is_kept_and_reported(album, edited_dir, monkeypatch):
    album.add_folder(edited_dir)
    album.scan()

    def refuse(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr("send2trash.send2trash", refuse)
    victim = album.photos()[0]
    result = album.trash([victim.id])
    assert result.trashed == [] and result.failed[0][0] == victim.path
    assert album.photo(victim.id) is not None


def test_a_read_only_session_may_not_trash(album, library_paths, encoder, edited_dir):
    from album.engine import Album
    from album.tasks import SynchronousExecutor

    album.add_folder(edited_dir)
    album.scan()
    with Album.open(library_paths, model=encoder, executor=SynchronousExecutor()) as reader:
        assert reader.read_only and len(reader.duplicates()) == 3
        with pytest.raises(LibraryError):
            reader.trash([album.photos()[0].id])
