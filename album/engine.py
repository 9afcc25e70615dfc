"""The engine: one photo library, as the CLI and the GUI use it.

``Album`` ties the catalogue, scanner, active encoders, indexing pipeline
and vector indexes together.  It is the single writer of its library; it is
not thread-safe, so the GUI owns one in its worker thread.  The CNNs and the
indexes load lazily, once: commands that only read the catalogue
(``status``, ``groups``) never import torch, and neither does a search from
a library photo: its vector is stored, and the model's id, dimension,
threshold and score scale come from the catalogue and the model's card
(``ActiveEncoders.facts``).  Only encoding an image loads a network.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from album.errors import LibraryError, UserFacingError
from album.groups.personal_model import active_report, stored_choice
from album.groups.subject_groups import GroupingSummary, SubjectGroups
from album.indexing.active import SIMILARITY, ActiveEncoders
from album.library.catalogue import Catalogue
from album.library.records import (FolderInfo, LibraryStatus, ModelStatus, PersonalReport, PhotoRecord, PhotoStatus,
                                   TrashResult)
from album.paths import LibraryPaths
from album.search.indexes import IndexSet
from album.tasks import Cancelled, ProgressCallback, TaskControl
from album.vision import graph_cache

if TYPE_CHECKING:  # the scanner and the image search import Pillow: not for reading the catalogue
    from album.duplicates.stacks import Stack
    from album.library.scanner import IndexChanges, ScanSummary
    from album.search.similar import Match, SimilarPhotos
    from album.search.text_search import TextSearch
    from album.vision.calibration import ScoreScale
    from album.vision.encoder import Encoder

__all__ = ["Album", "TrashResult", "FolderInfo", "LibraryStatus", "ModelStatus", "PhotoRecord"]

log = logging.getLogger(__name__)


class Album:
    DEFAULT_K = 20

    def __init__(self, paths: LibraryPaths, model: "str | Encoder" = "default", executor: Executor | None = None,
                 decoder=None):
        self.paths = paths.ensure()
        self._closed = False
        self._lock = FileLock(paths.lock)
        try:
            self._lock.acquire(timeout=0)
            self.read_only = False
        except Timeout:  # another album process (the app, a scan) is writing: we may only read
            self.read_only = True
        self.catalogue = Catalogue(paths.catalogue)
        # models then load from their kept ONNX graphs, not exporting them again; a read-only process only
        # reads them, and never takes the place of a writer's folder
        self._keeps_graphs = not self.read_only or graph_cache.folder() is None
        if self._keeps_graphs:
            graph_cache.keep_in(paths.graphs, writable=not self.read_only)
        self._own_executor = executor is None
        self.executor = executor or ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2),
                                                       thread_name_prefix="album-io")
        #: decodes photos for the encoders: worker processes (a crashing decoder costs one file), or
        #: the injected executor's threads (tests run synchronously)
        self._decoder = decoder
        if model == "default":  # the library's personal model while it has one (``personalize``)
            model = stored_choice(self.catalogue, paths.models) or model
        self.encoders = ActiveEncoders(self.catalogue, model, writable=not self.read_only)
        self.indexes = IndexSet(self.catalogue, paths.index_dir, persist=not self.read_only)
        self._search: SimilarPhotos | None = None
        self._text_search: TextSearch | None = None
        #: subject groups: listing, the user's edits, recomputation
        self.groups = SubjectGroups(self.catalogue, lambda: self.encoder, self._require_writer)

    @classmethod
    def open(cls, paths: LibraryPaths, model: "str | Encoder" = "default", executor: Executor | None = None,
             decoder=None) -> "Album":
        """Open (or create) the library; ``model`` (the similarity model) is a model choice for
        ``open_encoder`` or a loaded encoder; ``executor`` runs file hashing (and decoding, when it is
        injected); ``decoder`` (an ``indexing.decoding`` decoder) overrides how photos are decoded."""
        return cls(paths, model, executor, decoder)

    def close(self) -> None:
        """Release the library (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.encoders.close()
        if self._decoder is not None:
            self._decoder.close()
        if self._own_executor:
            self.executor.shutdown(wait=True, cancel_futures=True)
        self.catalogue.close()
        if self._keeps_graphs:
            graph_cache.keep_in(None)
        if not self.read_only:
            self._lock.release()

    def _require_writer(self) -> None:
        if self.read_only:
            raise LibraryError(
                f"the library {self.paths.root} is being changed by another album process (the app or "
                "a scan); close it or wait for it to finish, then try again")

    def __enter__(self) -> "Album":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the models --------------------------------------------------------------
    @property
    def encoder(self) -> "Encoder":
        """The image-similarity model."""
        return self.encoders.get(SIMILARITY)

    def attach_encoder(self, encoder: "Encoder", role: str, source: str | None = None) -> None:
        """Add (or replace) the encoder of ``role``; the next scan or ``encode_pending`` encodes what it
        lacks, decoding each photo once for every encoder that needs it."""
        self._require_writer()
        self.encoders.attach(encoder, role, source)  # the search follows (``search``)

    def personalize(self, progress: ProgressCallback | None = None,
                    control: TaskControl | None = None) -> PersonalReport:
        """Fine-tune the similarity model on the user's confirmed groups, make it the library's and
        re-encode from the kept features (no decoding); regrouping keeps the confirmed groups."""
        self._require_writer()
        from album.groups.personal_model import train

        report, encoder = train(self.catalogue, self.paths.models, progress, control)
        self.attach_encoder(encoder, SIMILARITY, source=report.path)
        self.encode_pending(progress, control)
        return report

    def undo_personalize(self) -> None:
        """Back to the default similarity model at once (its vectors are still stored)."""
        from album.vision.modelfile import open_encoder

        self.attach_encoder(open_encoder("default"), SIMILARITY, source="default")

    def personal_model(self) -> PersonalReport | None:
        """The active personal model's report; None while the default model is active."""
        return active_report(self.catalogue, self.paths.models)

    @property
    def search(self) -> SimilarPhotos:
        """Similar photos by the similarity model: the loaded encoder, or until one is needed only its
        facts, which serve every search from a library photo (``similar_to_file`` loads the encoder)."""
        from album.search.similar import SimilarPhotos

        model = self.encoders.loaded(SIMILARITY) or self.encoders.facts(SIMILARITY)
        if self._search is None or self._search.encoder is not model:
            self._search = SimilarPhotos(self.catalogue, model, self.indexes)
        return self._search

    def warm_up(self) -> None:
        """Start the decoder processes (they boot on another core meanwhile) and load the CNN (into its
        inference runtime) and the index, so the first query and the first scan do not wait for them."""
        if not self.read_only:
            self.decoder.start()
        log.info("similarity model runs in %s", self.encoders.get(SIMILARITY).runtime)
        self.search.ensure_index()

    def prepare_scan(self) -> None:
        """Load now what a scan needs besides the photos, so that it does only per-photo work: the decoder
        processes, every active encoder and the runtime of each backbone they run, and the grouping code
        (scikit-learn: about 1 s to import). A scan that starts without it loads them itself."""
        self._require_writer()
        self.decoder.start()
        _prepare_encoders(self.encoders.all())

    # -- folders -----------------------------------------------------------------
    def add_folder(self, path: str | os.PathLike[str]) -> FolderInfo:
        self._require_writer()
        folder = Path(path).expanduser().resolve()
        if not folder.is_dir():
            raise UserFacingError(f"{folder} is not a folder")
        if not os.access(folder, os.R_OK | os.X_OK):
            raise UserFacingError(f"album may not read {folder} (permission denied)")
        if folder == self.paths.root or folder.is_relative_to(self.paths.root):
            raise UserFacingError(f"{folder} is album's own library folder")
        existing = self.folders()
        for known in existing:
            if folder.is_relative_to(known.path):
                raise UserFacingError(f"{folder} is already in the library, as part of {known.path}")
        added = self.catalogue.add_folder(str(folder))
        self.catalogue.merge_folders(added.id, [f.id for f in existing if Path(f.path).is_relative_to(folder)])
        return next(f for f in self.folders() if f.id == added.id)

    def remove_folder(self, path: str | os.PathLike[str]) -> int:
        """Forget a folder and its photos (the files on disk are untouched)."""
        self._require_writer()
        target = str(Path(path).expanduser().resolve())
        folder = next((f for f in self.folders() if f.path == target), None)
        if folder is None:
            raise UserFacingError(f"{target} is not one of the library's folders")
        self._load_indexes()
        removed = self.catalogue.remove_folder(folder.id)
        self.indexes.remove(removed)
        self.indexes.save()
        return len(removed)

    def folders(self) -> list[FolderInfo]:
        return [FolderInfo(f.id, f.path, count, os.path.isdir(f.path)) for f, count in self.catalogue.folders()]

    # -- scanning and encoding -----------------------------------------------------
    def scan(self, folders: list[str] | None = None, progress: ProgressCallback | None = None,
             control: TaskControl | None = None) -> ScanSummary:
        """Bring the library in line with the disk and encode what is new, for every active encoder."""
        return self._run(folders, progress, control, encode=True)

    def sync(self, folders: list[str] | None = None, progress: ProgressCallback | None = None,
             control: TaskControl | None = None) -> ScanSummary:
        """The catalogue part of a scan only (seconds): new files are recorded as pending, moves are
        followed, deleted files go. It may run inside a long ``scan`` (from its progress callback or
        checkpoint); that scan then encodes the new photos before it ends."""
        return self._run(folders, progress, control, encode=False)

    def encode_pending(self, progress: ProgressCallback | None = None,
                       control: TaskControl | None = None) -> ScanSummary:
        """Encode what any active encoder lacks (a model attached later), without looking at the disk."""
        return self._run([], progress, control, encode=True)

    def _run(self, folders: list[str] | None, progress: ProgressCallback | None, control: TaskControl | None,
             encode: bool) -> ScanSummary:
        from album.library.scanner import ScanSummary

        self._require_writer()
        control = control or TaskControl()
        summary = ScanSummary()
        if encode:  # the models load while the disk is looked at and the first new photos decode
            self.decoder.start()
            self.encoders.load_in_background(then=_prepare_encoders)
        self._load_indexes()  # so that they follow the changes instead of being rebuilt afterwards
        encoded: list[int] = []

        def on_vectors(model_id: str, ids: list[int], vectors) -> None:
            self.indexes.add(model_id, ids, vectors)
            if model_id == self.encoder.model_id:
                encoded.extend(ids)

        prefetch = None
        try:
            changes = self._sync(folders, summary, progress, control)
            if encode:
                from album.indexing.prefetch import PREFETCH, Prefetch
                from album.library.thumbnails import ThumbnailCache

                thumbnails = ThumbnailCache(self.paths.thumbnails)
                first_new = self.catalogue.photos_by_ids(sorted(changes.new)[:PREFETCH]).values()
                prefetch = Prefetch.start(self.decoder, list(first_new), self.encoders.expected_recipes(), thumbnails)
                encoders = self.encoders.all()  # loading them records them as active
                self._load_indexes()  # a model that became active just now
                from album.indexing.indexer import Indexer  # only when encoding

                Indexer(self.catalogue, encoders, self.decoder, thumbnails, prefetch).encode_pending(
                    summary, on_vectors, progress, control, counted_new=changes.new)
                if self.groups.update(encoded):  # many new photos: regroup, in the background of the app
                    self.indexes.save()
                    self.groups.regroup(progress, control)
        except Cancelled:
            summary.cancelled = True
        finally:
            if prefetch is not None:
                prefetch.cancel()
            self.encoders.stop_preparing()  # a rescan that found nothing need not wait for scikit-learn to import
            self.indexes.save()
        return summary

    def _sync(self, folders: list[str] | None, summary: ScanSummary, progress: ProgressCallback | None,
              control: TaskControl) -> IndexChanges:
        from album.library.scanner import IndexChanges, Scanner

        every = [folder for folder, _ in self.catalogue.folders()]
        chosen = every
        if folders is not None:
            wanted = {str(Path(f).expanduser().resolve()) for f in folders}
            chosen = [f for f in every if f.path in wanted]
        if not chosen:
            return IndexChanges()
        others = [f for f in every if f not in chosen]
        changes = Scanner(self.catalogue, self.executor, exclude=(str(self.paths.root),)).scan(
            chosen, summary, progress, control, others)
        self.indexes.remove(changes.removed)
        self.indexes.add_copies(changes.added)
        return changes

    @property
    def decoder(self):
        if self._decoder is None:
            from album.indexing.decoding import InProcessDecoder, ProcessDecoder

            self._decoder = ProcessDecoder() if self._own_executor else InProcessDecoder(self.executor)
        return self._decoder

    def _load_indexes(self) -> None:
        """Load (or rebuild) the index of every active model, from the catalogue alone: no CNN is
        loaded to forget a folder or record new files."""
        dims = self.catalogue.model_dims()
        for entry in self.catalogue.active_models():
            if entry["id"] in dims:
                self.indexes.get(entry["id"], dims[entry["id"]])

    def regroup(self, progress: ProgressCallback | None = None, control: TaskControl | None = None) -> GroupingSummary:
        """Recompute the automatic subject groups (the user's confirmed groups keep their photos)."""
        return self.groups.regroup(progress, control)

    # -- near-duplicates -----------------------------------------------------------
    def duplicates(self, progress: ProgressCallback | None = None, control: TaskControl | None = None) -> list["Stack"]:
        """Stacks of copies of one shot, then bursts ("similar shots"), each with a photo to keep."""
        from album.duplicates.finder import DuplicateFinder, thresholds_for

        index = self.search.ensure_index()
        finder = DuplicateFinder(self.catalogue, self.executor, keep_fingerprints=not self.read_only)
        return finder.stacks(index.model_id, index.neighbours, thresholds_for(self.score_scale),
                             progress, control)

    def trash(self, photo_ids: list[int]) -> TrashResult:
        """Move photos' files to the system trash (never unlinked) and forget them; a file that cannot be
        trashed is kept, and listed with the reason."""
        self._require_writer()
        from send2trash import send2trash
        from send2trash.exceptions import TrashPermissionError

        result = TrashResult()
        for photo_id, record in self.photos_by_ids(photo_ids).items():
            try:
                send2trash(record.path)
            except FileNotFoundError:
                pass  # already gone: forget it all the same
            except (OSError, TrashPermissionError) as exc:
                result.failed.append((record.path, str(exc) or type(exc).__name__))
                continue
            result.trashed.append(photo_id)
        if result.trashed:
            self._load_indexes()
            self.catalogue.delete_photos(result.trashed)
            self.indexes.remove(result.trashed)
            self.indexes.save()
        return result

    # -- reading -----------------------------------------------------------------
    def photos(self) -> list[PhotoRecord]:
        """Photos to show, newest first: encoded ones and those still waiting to be."""
        return self.catalogue.photo_rows(PhotoStatus.readable())

    def photo(self, photo_id: int) -> PhotoRecord | None:
        photo = self.catalogue.photo(photo_id)
        return PhotoRecord.of(photo) if photo else None

    def photos_by_ids(self, ids) -> dict[int, PhotoRecord]:
        return {i: PhotoRecord.of(p) for i, p in self.catalogue.photos_by_ids(ids).items()}

    def photo_at(self, path: str | os.PathLike[str]) -> PhotoRecord | None:
        """The library photo stored at ``path``, if any."""
        photo = self.catalogue.photo_by_path(str(Path(path).expanduser().resolve()))
        return PhotoRecord.of(photo) if photo else None

    def failures(self) -> list[PhotoRecord]:
        return self.catalogue.photo_rows((PhotoStatus.FAILED,))

    def status(self) -> LibraryStatus:
        counts = self.catalogue.count_photos()
        models = [ModelStatus(entry["id"], entry["role"], self.catalogue.count_embeddings(entry["id"]))
                  for entry in self.catalogue.active_models()]
        similarity = next((m for m in models if m.role == SIMILARITY), None)
        indexed = similarity.indexed if similarity else 0
        readable = sum(counts.get(status, 0) for status in PhotoStatus.readable())
        return LibraryStatus(photos=readable, indexed=indexed, pending=readable - indexed,
                             failed=counts.get(PhotoStatus.FAILED, 0), folders=[f.path for f in self.folders()],
                             model=similarity.id if similarity else None, models=models)

    # -- similar photos ----------------------------------------------------------
    @property
    def default_min_score(self) -> float:
        return self.search.default_min_score

    @property
    def score_scale(self) -> "ScoreScale":
        """How the similarity model's cosine scores read to a person (percent and band)."""
        return self.encoders.facts(SIMILARITY).score_scale

    def similar_to_photo(self, photo_id: int, k: int = DEFAULT_K, min_score: float | None = None) -> list[Match]:
        return self.search.similar_to_photo(photo_id, k, min_score)

    def similar_to_file(self, path: str | os.PathLike[str], k: int = DEFAULT_K,
                        min_score: float | None = None) -> list[Match]:
        self.encoders.get(SIMILARITY)  # the image is encoded: the search then follows the loaded model
        return self.search.similar_to_file(Path(path), k, min_score)

    # -- words -------------------------------------------------------------------
    @property
    def text_search(self) -> TextSearch:
        """Photos found by words (the sentence encoder loads on the first query, or with ``text_search.load``)."""
        if self._text_search is None:
            from album.search.text_search import TextSearch

            self._text_search = TextSearch(self.catalogue, self.indexes)
        return self._text_search

    def search_text(self, words: str, k: int = DEFAULT_K, min_score: float | None = None) -> list[Match]:
        """Library photos that ``words`` describe ("a dog on the beach"), best first, scored as
        ``text_search`` explains; results stop at the text model's threshold (its card's
        ``search.min_score``) unless ``min_score`` is given."""
        return self.text_search.search(words, k, min_score)


def _prepare_encoders(encoders: list["Encoder"], enough: Callable[[], bool] = lambda: False) -> None:
    """Load what a scan needs besides the encoders themselves: the runtime of each backbone they run, and
    the grouping code (scikit-learn: about 1 s to import); each step only while ``enough`` is False."""
    from album.indexing.indexer import runners

    for encoder in runners(encoders).values():
        if enough():
            return
        log.info("%s runs in %s", encoder.model_id, encoder.runtime)
    if not enough():
        import_module("album.groups.clustering")
