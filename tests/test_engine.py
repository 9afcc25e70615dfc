"""The engine facade: several encoders per library, status, and the catalogue-only sync."""

from __future__ import annotations

import sys

from album.engine import Album
from album.paths import LibraryPaths
from tests.conftest import make_photo


def test_status_reads_the_catalogue_without_loading_a_model(tmp_path, photo_dir):
    code = (
        "import sys\n"
        "from album.engine import Album\n"
        "from album.paths import LibraryPaths\n"
        f"album = Album.open(LibraryPaths.at({str(tmp_path / 'lib')!r}))\n"
        f"album.add_folder({str(photo_dir)!r})\n"
        "status = album.status()\n"
        "assert status.photos == 0 and status.models == [] and status.model is None\n"
        "assert 'torch' not in sys.modules, 'status imported torch'\n"
        "album.close()\n")
    import subprocess

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_sync_records_new_photos_as_pending_in_moments_and_scan_encodes_them(album, photo_dir):
    album.add_folder(photo_dir)
    summary = album.sync()
    status = album.status()
    assert summary.new == 8 and (status.photos, status.pending, status.indexed) == (8, 8, 0)
    assert {p.status for p in album.photos()} == {"pending"}
    (photo_dir / "photo_2.jpg").unlink()
    make_photo(77).save(photo_dir / "new.jpg")
    summary = album.sync()
    assert (summary.new, summary.removed) == (1, 1)
    album.scan()
    assert album.status().pending == 0 and album.status().indexed == 8


def test_encode_pending_encodes_without_looking_at_the_disk(album, photo_dir):
    album.add_folder(photo_dir)
    album.sync()
    make_photo(78).save(photo_dir / "unseen.jpg")
    summary = album.encode_pending()
    assert summary.new == 0 and album.status().photos == 8 and album.status().indexed == 8


def test_the_similarity_model_can_be_chosen_per_session(library_paths, encoder, photo_dir):
    with Album.open(library_paths, model=encoder) as album:
        album.add_folder(photo_dir)
        album.scan()
        assert album.status().model == encoder.model_id
    with Album.open(LibraryPaths.at(library_paths.root), model=encoder) as again:
        assert again.status().models[0].role == "similarity" and again.status().indexed == 8


def test_forgetting_a_folder_never_loads_a_model(tmp_path, photo_dir, encoder):
    """`album remove` reads the catalogue and the index only: no PyTorch, and the index follows."""
    import subprocess

    library = tmp_path / "lib"
    with Album.open(LibraryPaths.at(library), model=encoder) as album:
        album.add_folder(photo_dir)
        album.scan()
    code = ("import sys\nfrom album.engine import Album\nfrom album.paths import LibraryPaths\n"
            f"album = Album.open(LibraryPaths.at({str(library)!r}))\n"
            f"assert album.remove_folder({str(photo_dir)!r}) == 8\n"
            "assert 'torch' not in sys.modules, 'removing a folder imported torch'\n"
            "album.close()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    with Album.open(LibraryPaths.at(library), model=encoder) as album:
        assert album.status().photos == 0 and album.search.index.live == 0


def test_a_search_from_a_library_photo_needs_no_network(grouped):
    """The recorded model's id and dimension and its card's threshold and score scale serve it: the
    same facts as the loaded model's."""
    from album.indexing.active import ModelFacts

    library, folder = grouped
    with Album.open(library) as album:
        photo = album.photo_at(folder / "s0_a.jpg").id
        matches = album.similar_to_photo(photo, 5)
        facts, scale = album.encoders.facts(), album.score_scale
        assert album.encoders.loaded() is None, "the network was loaded"
        assert facts == ModelFacts.of(album.encoder) and scale == album.encoder.score_scale
        assert album.similar_to_photo(photo, 5) == matches  # now with the network loaded


def test_a_card_that_is_not_the_recorded_model_s_loads_the_model(grouped):
    """A model file replaced since the library recorded its model (another checksum) is not trusted."""
    library, _ = grouped
    with Album.open(library) as album:
        similarity = next(e for e in album.catalogue.active_models() if e["role"] == "similarity")
        stale = similarity["id"].rsplit("+", 1)[0] + "+00000000"
        album.catalogue.register_model(stale, "efficientnet_lite0", 1280, "00000000")
        album.catalogue.set_active_models([{**similarity, "id": stale}])
    with Album.open(library) as album:
        facts = album.encoders.facts()
        assert album.encoders.loaded() is not None
        assert facts.model_id == album.encoder.model_id == similarity["id"] != stale


def test_the_shipped_model_is_named_alike_with_and_without_torch():
    from album.indexing import active
    from album.vision import modelfile

    assert active.DEFAULT_MODEL == modelfile.DEFAULT_MODEL
