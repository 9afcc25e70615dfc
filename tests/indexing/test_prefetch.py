"""Decoding new photos ahead while the encoders load: taken only when the indexer's own job equals it."""

from __future__ import annotations

from torch import nn

from album.engine import Album
from album.indexing import indexer
from album.indexing.decoding import InProcessDecoder
from album.indexing.prefetch import Prefetch
from album.library.scanner import ScanSummary
from album.library.thumbnails import INDEXING_SIZE, ThumbnailCache
from album.paths import LibraryPaths
from album.tasks import SynchronousExecutor, TaskControl
from album.vision.cropping import Preprocessing
from tests.indexing.test_indexer import decodes, tiny_encoder  # noqa: F401 - the fixture

__all__ = ["decodes"]


class CountingDecoder(InProcessDecoder):
    """Decodes synchronously and counts the jobs it was given."""

    def __init__(self):
        super().__init__(SynchronousExecutor())
        self.jobs = []

    def submit(self, job):
        self.jobs.append(job)
        return super().submit(job)


def _pending(album, photo_dir, *encoders):
    for number, encoder in enumerate(encoders):  # known to the catalogue
        album.attach_encoder(encoder, f"test{number}")
    album.add_folder(photo_dir)
    album.sync()
    return sorted(album.catalogue.photos_by_ids(album.catalogue.lacking(album.encoder.model_id)).values(),
                  key=lambda photo: photo.id)


def _encode(album, encoders, decoder, thumbnails, prefetch=None, paths_of=None) -> dict:
    """model id -> photo id -> vector; with ``paths_of`` (photos): model id -> path -> vector bytes."""
    found = {}
    run = indexer.Indexer(album.catalogue, encoders, decoder, thumbnails, prefetch)
    run.encode_pending(ScanSummary(), lambda model_id, ids, vectors: found.setdefault(model_id, {}).update(
        zip(ids, vectors)), None, TaskControl())
    if paths_of is not None:
        paths = {photo.id: photo.path for photo in paths_of}
        return {model_id: {paths[i]: v.tobytes() for i, v in vectors.items()} for model_id, vectors in found.items()}
    return found


def test_the_indexer_takes_the_decodes_asked_for_ahead_and_decodes_the_rest(album, photo_dir, tmp_path, decodes):
    first, second = tiny_encoder(7), tiny_encoder(7, head=nn.Linear(12, 6))
    photos = _pending(album, photo_dir, first, second)
    decoder, thumbnails = CountingDecoder(), ThumbnailCache(tmp_path / "thumbs")
    recipes = [(first.features_id, first.preprocessing), (second.features_id, second.preprocessing)]
    prefetch = Prefetch.start(decoder, photos, recipes, thumbnails, limit=5)
    assert len(prefetch) == 5 and [job.path for job in decoder.jobs] == [p.path for p in photos[:5]]
    assert {job.thumbnail_size for job in decoder.jobs} == {INDEXING_SIZE}
    found = _encode(album, [first, second], decoder, thumbnails, prefetch)
    assert len(decoder.jobs) == 8 and set(decodes.values()) == {1}  # 5 ahead + 3 by the indexer, once each
    assert len(prefetch) == 0
    # the same vectors as without decoding ahead, in another library of the same photos
    with Album.open(LibraryPaths.at(tmp_path / "other"), model=album.encoder, executor=SynchronousExecutor()) as other:
        again = _encode(other, [first, second], CountingDecoder(), ThumbnailCache(tmp_path / "thumbs2"),
                        paths_of=_pending(other, photo_dir, first, second))
    paths = {photo.id: photo.path for photo in photos}
    for model_id, vectors in found.items():
        assert {paths[i]: v.tobytes() for i, v in vectors.items()} == again[model_id]


def test_a_wrong_guess_costs_decodes_never_a_wrong_input(album, photo_dir, decodes):
    first = tiny_encoder(8)
    photos = _pending(album, photo_dir, first)
    decoder = CountingDecoder()
    prefetch = Prefetch.start(decoder, photos, [(first.features_id, Preprocessing(48, 40))], None)
    assert len(prefetch) == 8
    found = _encode(album, [first], decoder, None, prefetch)
    assert len(found[first.model_id]) == 8 and set(decodes.values()) == {2}
    assert {job.decode_size for job in decoder.jobs[8:]} == {first.preprocessing.resize}
    assert len(prefetch) == 8  # nobody took them: the scan cancels them
    prefetch.cancel()
    assert len(prefetch) == 0


def test_nothing_is_asked_for_when_the_recipes_are_not_known(album, photo_dir):
    decoder = CountingDecoder()
    assert len(Prefetch.start(decoder, _pending(album, photo_dir), None, None)) == 0 and decoder.jobs == []


def test_a_new_library_decodes_each_new_photo_once_while_its_models_load(library_paths, photo_dir, decodes):
    """The recipes expected of the shipped models before they load are theirs: nothing is decoded twice."""
    with Album.open(library_paths, executor=SynchronousExecutor()) as album:
        album.add_folder(photo_dir)
        assert album.encoders.loaded() is None
        assert album.scan().new == 8
        assert len(decodes) == 8 and set(decodes.values()) == {1}
        assert all(album.catalogue.count_embeddings(e.model_id) == 8 for e in album.encoders.all())
