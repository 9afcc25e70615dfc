"""The indexing pipeline: several encoders per library, one decode per photo, heads over kept features."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from album.engine import Album
from album.indexing import decoding, indexer
from album.library.thumbnails import INDEXING_SIZE, ThumbnailCache, cache_key
from album.media.hashing import content_hash
from album.tasks import SynchronousExecutor
from album.vision.backbones import BackboneSpec, Preprocessing
from album.vision.encoder import Encoder
from album.vision.networks import PooledBackbone
from tests.conftest import make_photo, run_time_head


def tiny_encoder(seed: int = 0, head: nn.Module | None = None) -> Encoder:
    """A small, fast test encoder with a backbone of its own (12-d features from 32 px crops)."""
    torch.manual_seed(seed)
    network = nn.Sequential(nn.Conv2d(3, 12, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    spec = BackboneSpec(name="tiny", title="tiny test backbone", dim=12, preprocessing=Preprocessing(40, 32),
                        bundled=True, build=lambda: PooledBackbone(network, network, network),
                        weights_id=lambda: f"seed{seed}")
    return Encoder(spec, run_time_head(head) if head is not None else None,
                   head_checksum=f"head{seed}" if head is not None else None)


@pytest.fixture
def decodes(monkeypatch) -> Counter:
    """Counts how often each file is decoded by the pipeline."""
    counts: Counter = Counter()
    original = decoding.load_image

    def counting(path, *args, **kwargs):
        counts[str(path)] += 1
        return original(path, *args, **kwargs)

    monkeypatch.setattr(decoding, "load_image", counting)
    return counts


def test_a_second_encoder_gets_its_vectors_from_the_same_single_decode(album, photo_dir, decodes):
    second = tiny_encoder()
    album.attach_encoder(second, "test")
    album.add_folder(photo_dir)
    summary = album.scan()
    assert summary.new == 8
    assert len(decodes) == 8 and set(decodes.values()) == {1}
    status = album.status()
    assert [(m.role, m.indexed) for m in status.models] == [("similarity", 8), ("test", 8)]
    assert status.model == album.encoder.model_id and status.indexed == 8 and status.pending == 0
    ids, vectors = album.catalogue.embeddings(second.model_id)
    assert vectors.shape == (8, 12) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    # each model answers from its own index
    index = album.indexes.get(second.model_id, second.dim)
    assert index.live == 8 and index.path != album.search.index.path


def test_a_model_attached_later_encodes_only_what_it_lacks_with_progress(album, photo_dir, decodes):
    album.add_folder(photo_dir)
    album.scan()
    decodes.clear()
    second = tiny_encoder(1)
    album.attach_encoder(second, "test")
    (photo_dir / "photo_0.jpg").unlink()
    reports = []
    summary = album.scan(progress=reports.append)
    assert summary.removed == 1 and summary.new == 0
    assert len(decodes) == 7 and set(decodes.values()) == {1}  # for the new model only
    indexing = [r for r in reports if r.phase == "Indexing"]
    assert (indexing[0].done, indexing[-1].done, indexing[-1].total) == (0, 7, 7)
    assert album.catalogue.count_embeddings(second.model_id) == 7
    assert album.catalogue.count_embeddings(album.encoder.model_id) == 7


def test_a_new_head_over_a_kept_backbone_decodes_nothing(album, photo_dir, encoder, decodes):
    from album.vision.head import ResidualHead

    album.add_folder(photo_dir)
    album.scan()
    decodes.clear()
    head = ResidualHead(encoder.dim, hidden=8)
    torch.nn.init.normal_(head.up.weight, std=0.05)
    personal = Encoder(encoder.backbone_spec, run_time_head(head), head_checksum="cafe0001")
    album.attach_encoder(personal, "personal")
    album.encode_pending()
    assert not decodes
    ids, vectors = album.catalogue.embeddings(personal.model_id)
    assert len(ids) == 8
    # the same vectors as encoding each photo afresh (up to the float16 features kept)
    photo = album.photo(int(ids[0]))
    from album.media.imageio import load_image

    image, _ = load_image(photo.path, min_side=encoder.decode_size)
    fresh = personal.embed_images([image])[0]
    assert float(fresh @ vectors[0]) > 0.999


def test_photos_edited_or_deleted_while_encoding_are_not_marked_with_stale_vectors(album, photo_dir, monkeypatch):
    album.add_folder(photo_dir)
    album.sync()
    victims = sorted(p.id for p in album.photos())[:2]
    original = indexer.Indexer._encode_batch

    def meanwhile(self, batch, on_vectors):
        make_photo(99).save(photo_dir / "photo_1.jpg", quality=92)  # edited since it was decoded
        (photo_dir / "photo_0.jpg").unlink()
        album.sync()
        return original(self, batch, on_vectors)

    monkeypatch.setattr(indexer.Indexer, "_encode_batch", meanwhile)
    monkeypatch.setattr(indexer, "BATCH_SIZE", 100)
    album.encode_pending()
    monkeypatch.setattr(indexer.Indexer, "_encode_batch", original)
    assert album.photo(victims[0]) is None
    album.encode_pending()  # the edited photo is encoded again, from its new content
    edited = album.photo_at(photo_dir / "photo_1.jpg")
    assert edited.status == "ok" and album.status().pending == 0
    assert album.catalogue.count_embeddings(album.encoder.model_id) == 7


def test_photos_found_during_a_long_encode_are_encoded_before_it_ends(album, photo_dir, monkeypatch):
    album.add_folder(photo_dir)
    copied = []
    original = indexer.Indexer._encode_batch

    def then_a_photo_arrives(self, batch, on_vectors):
        original(self, batch, on_vectors)
        if not copied:  # a sync between two batches, as the app runs one when the watcher reports
            make_photo(50).save(photo_dir / "late.jpg", quality=90)
            copied.append(album.sync())

    monkeypatch.setattr(indexer, "BATCH_SIZE", 2)
    monkeypatch.setattr(indexer.Indexer, "_encode_batch", then_a_photo_arrives)
    summary = album.scan()
    assert copied and copied[0].new == 1
    assert summary.new == 8 and album.status().pending == 0 and album.status().photos == 9


def test_the_active_set_is_kept_in_the_catalogue(library_paths, encoder, photo_dir):
    with Album.open(library_paths, model=encoder, executor=SynchronousExecutor()) as album:
        album.attach_encoder(tiny_encoder(), "test")
        assert [e["role"] for e in album.catalogue.active_models()] == ["similarity", "test"]
    with Album.open(library_paths, model=encoder, executor=SynchronousExecutor()) as album:
        # an encoder attached in-process without a source cannot be loaded again: it is dropped
        assert [e["role"] for e in album.catalogue.active_models()] == ["similarity"]


def test_indexing_makes_the_grid_thumbnails_from_its_own_decode(album, photo_dir, decodes, tmp_path):
    cache = ThumbnailCache(album.paths.thumbnails)
    first = sorted(photo_dir.rglob("*.jpg"))[0]  # its thumbnail, made before indexing, is kept as it is
    made_before = cache.get(first, cache_key(content_hash(first), first), INDEXING_SIZE)
    before = made_before.stat().st_mtime_ns
    album.add_folder(photo_dir)
    assert album.scan().new == 8
    assert set(decodes.values()) == {1}  # one decode per photo made the vectors and the thumbnails
    photos = album.catalogue.photo_rows()  # as the grid reads them
    assert len(photos) == 8
    reference = ThumbnailCache(tmp_path / "reference")
    for photo in photos:
        key = cache_key(photo.content_hash, photo.path, photo.mtime_ns, photo.size)
        cached = cache.cached(key, INDEXING_SIZE)
        assert cached is not None
        with Image.open(cached) as thumbnail, Image.open(reference.get(photo.path, key, INDEXING_SIZE)) as made:
            assert thumbnail.size == made.size and max(thumbnail.size) == INDEXING_SIZE
            difference = np.abs(np.asarray(thumbnail, np.int16) - np.asarray(made, np.int16))
            assert difference.mean() < 2
    assert made_before.stat().st_mtime_ns == before


def test_encoders_sharing_a_backbone_run_it_once_in_the_first_of_them(album, photo_dir, monkeypatch):
    first, second = tiny_encoder(3), tiny_encoder(3, head=nn.Linear(12, 6))
    assert first.features_id == second.features_id
    assert indexer.runners([album.encoder, first, second]) == {album.encoder.features_id: album.encoder,
                                                                 first.features_id: first}
    album.attach_encoder(first, "a")
    album.attach_encoder(second, "b")
    ran = Counter()
    original = Encoder.features

    def counting(self, batch):
        ran[self.model_id] += len(batch)
        return original(self, batch)

    monkeypatch.setattr(Encoder, "features", counting)
    album.add_folder(photo_dir)
    assert album.scan().new == 8
    assert ran == {album.encoder.model_id: 8, first.model_id: 8}
    assert album.catalogue.count_embeddings(second.model_id) == 8


def test_prepare_scan_loads_each_backbone_runtime_and_the_grouping_code(album, monkeypatch):
    import sys

    from album.vision import onnx_runtime

    first, second = tiny_encoder(4), tiny_encoder(4, head=nn.Linear(12, 6))
    album.attach_encoder(first, "a")
    album.attach_encoder(second, "b")
    album.encoder.runtime  # the session's encoder keeps its runtime for the other tests
    loaded = []
    original = onnx_runtime.obtain

    def obtain(name, export, threads, what):
        loaded.append(name)
        return original(name, export, threads, what)

    monkeypatch.setattr(onnx_runtime, "obtain", obtain)
    monkeypatch.delitem(sys.modules, "album.groups.clustering")
    album.prepare_scan()
    assert "album.groups.clustering" in sys.modules
    assert loaded == [f"backbone {first.features_id} crop 32"]  # the two share one backbone
    assert first.runtime == "onnxruntime"
    assert album.encoders.loaded("a") is first and album.encoders.loaded("b") is second