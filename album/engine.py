"""The engine: one photo library, as the CLI and the GUI use it.

``Album`` ties the catalogue, scanner, encoder and vector index together.
It is the single writer of its library; it is not thread-safe, so the GUI
owns one in its worker thread.  The CNN and the index load lazily, once:
commands that only read the catalogue (``status``) never import torch.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout
from sqlalchemy import select, update

from album.errors import LibraryError, UserFacingError
from album.library.catalogue import Catalogue
from album.library.scanner import Scanner, ScanSummary
from album.library.records import FolderInfo, LibraryStatus, PhotoRecord, PhotoStatus
from album.library.schema import Folder, Meta, Photo
from album.paths import LibraryPaths
from album.search.similar import Match, SimilarPhotos
from album.tasks import Cancelled, ProgressCallback, TaskControl

if TYPE_CHECKING:
    from album.vision.encoder import Encoder

__all__ = ["Album", "FolderInfo", "LibraryStatus", "Match", "PhotoRecord", "ScanSummary"]


class Album:
    DEFAULT_K = 20

    def __init__(self, paths: LibraryPaths, model: "str | Encoder" = "default", executor: Executor | None = None):
        self.paths = paths.ensure()
        self._closed = False
        self._lock = FileLock(paths.root / "album.lock")
        try:
            self._lock.acquire(timeout=0)
            self.read_only = False
        except Timeout:  # another album process (the app, a scan) is writing: we may only read
            self.read_only = True
        self.catalogue = Catalogue(paths.catalogue)
        self.model_choice = model if isinstance(model, str) else None
        self._own_executor = executor is None
        self.executor = executor or ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2),
                                                       thread_name_prefix="album-decode")
        self._encoder: Encoder | None = None
        if not isinstance(model, str):
            self._use_encoder(model)
        self._search: SimilarPhotos | None = None

    @classmethod
    def open(cls, paths: LibraryPaths, model: "str | Encoder" = "default", executor: Executor | None = None) -> "Album":
        """Open (or create) the library; ``model`` is a model choice for ``open_encoder`` or a loaded encoder."""
        return cls(paths, model, executor)

    def close(self) -> None:
        """Release the library (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._own_executor:
            self.executor.shutdown(wait=True, cancel_futures=True)
        self.catalogue.close()
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

    # -- the model ---------------------------------------------------------------
    @property
    def encoder(self) -> "Encoder":
        if self._encoder is None:
            from album.vision.modelfile import open_encoder

            self._use_encoder(open_encoder(self.model_choice))
        return self._encoder

    def _use_encoder(self, encoder: "Encoder") -> None:
        self._encoder = encoder
        if self.read_only:
            return
        self.catalogue.register_model(encoder.model_id, encoder.backbone_spec.name, encoder.dim,
                                      encoder.model_id.split("@", 1)[-1])  # the weights checksums
        with self.catalogue.session.begin() as session:
            session.merge(Meta(key="active_model", value=encoder.model_id))

    @property
    def search(self) -> SimilarPhotos:
        if self._search is None:
            self._search = SimilarPhotos(self.catalogue, self.encoder, self.paths.index_dir,
                                         persist=not self.read_only)
        return self._search

    def warm_up(self) -> None:
        """Load the CNN and the index now, so the first query is not slow."""
        self.search.ensure_index()

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
        for existing in self.folders():
            if folder.is_relative_to(existing.path):
                raise UserFacingError(f"{folder} is already in the library, as part of {existing.path}")
        added = self.catalogue.add_folder(str(folder))
        with self.catalogue.session.begin() as session:  # folders inside the new one merge into it
            inner = [f for f in session.scalars(select(Folder)) if f.id != added.id and Path(f.path).is_relative_to(folder)]
            for old in inner:
                session.execute(update(Photo).where(Photo.folder_id == old.id).values(folder_id=added.id))
                session.delete(old)
        return next(f for f in self.folders() if f.id == added.id)

    def remove_folder(self, path: str | os.PathLike[str]) -> int:
        """Forget a folder and its photos (the files on disk are untouched)."""
        self._require_writer()
        target = str(Path(path).expanduser().resolve())
        folder = next((f for f in self.folders() if f.path == target), None)
        if folder is None:
            raise UserFacingError(f"{target} is not one of the library's folders")
        removed = self.catalogue.remove_folder(folder.id)
        if self._search is not None:
            self._search.forget(removed)
        return len(removed)

    def folders(self) -> list[FolderInfo]:
        return [FolderInfo(f.id, f.path, count, os.path.isdir(f.path)) for f, count in self.catalogue.folders()]

    # -- scanning ----------------------------------------------------------------
    def scan(self, folders: list[str] | None = None, progress: ProgressCallback | None = None,
             control: TaskControl | None = None) -> ScanSummary:
        """Bring the library in line with the disk and encode what is new."""
        from album.indexing.indexer import Indexer  # imports torch: only when scanning

        self._require_writer()
        control = control or TaskControl()
        summary = ScanSummary()
        with self.catalogue.session() as session:
            chosen = list(session.scalars(select(Folder).order_by(Folder.path)))
        if folders is not None:
            wanted = {str(Path(f).expanduser().resolve()) for f in folders}
            chosen = [f for f in chosen if f.path in wanted]
        scanner = Scanner(self.catalogue, self.executor, exclude=(str(self.paths.root),))
        search = self.search
        try:
            changes = scanner.scan(chosen, summary, progress, control)
            search.apply(changes)
            Indexer(self.catalogue, self.encoder, self.executor).encode_pending(
                summary, search.add, progress, control, counted_new=changes.new)
        except Cancelled:
            summary.cancelled = True
        finally:
            search.save()
        return summary

    # -- reading -----------------------------------------------------------------
    def photos(self) -> list[PhotoRecord]:
        """Photos to show, newest first: encoded ones and those still waiting to be."""
        return [PhotoRecord(*row) for row in self.catalogue.photo_rows(("ok", "pending"))]

    def photo(self, photo_id: int) -> PhotoRecord | None:
        photo = self.catalogue.photo(photo_id)
        return _record(photo) if photo else None

    def photos_by_ids(self, ids) -> dict[int, PhotoRecord]:
        return {i: _record(p) for i, p in self.catalogue.photos_by_ids(ids).items()}

    def photo_at(self, path: str | os.PathLike[str]) -> PhotoRecord | None:
        """The library photo stored at ``path``, if any."""
        photo = self.catalogue.photo_by_path(str(Path(path).expanduser().resolve()))
        return _record(photo) if photo else None

    def failures(self) -> list[PhotoRecord]:
        return [PhotoRecord(*row) for row in self.catalogue.photo_rows(("failed",))]

    def status(self) -> LibraryStatus:
        counts = self.catalogue.count_photos()
        with self.catalogue.session() as session:
            model = session.scalar(select(Meta.value).where(Meta.key == "active_model"))
        indexed = self.catalogue.count_embeddings(model) if model else 0
        readable = counts.get("ok", 0) + counts.get("pending", 0)
        return LibraryStatus(photos=readable, indexed=indexed, pending=readable - indexed,
                             failed=counts.get("failed", 0), folders=[f.path for f in self.folders()], model=model, models=[])

    # -- similar photos ----------------------------------------------------------
    @property
    def default_min_score(self) -> float:
        return self.search.default_min_score

    def similar_to_photo(self, photo_id: int, k: int = DEFAULT_K, min_score: float | None = None) -> list[Match]:
        return self.search.similar_to_photo(photo_id, k, min_score)

    def similar_to_file(self, path: str | os.PathLike[str], k: int = DEFAULT_K,
                        min_score: float | None = None) -> list[Match]:
        return self.search.similar_to_file(Path(path), k, min_score)


def _record(photo: Photo) -> PhotoRecord:
    return PhotoRecord(*(getattr(photo, name) for name in PhotoRecord._fields))
