"""Decoding a scan's new photos while the encoders load.

In a new process the encoders take a while to load (their runtimes; where
no graph is shipped or kept, importing PyTorch and building the networks:
seconds), and the decoder processes would sit idle meanwhile.  So once a scan has found its new photos, it asks
the decoders for the first of them at once, with the jobs the indexer will
ask for, made from what is known of the encoders before they load
(``ActiveEncoders.expected_recipes``).  The indexer takes a decode from here
only when its own job equals it (same file, sizes and preprocessing), so a
wrong guess costs the wasted decodes, never a wrong vector.

Torch-free: it runs while another thread loads the encoders.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

from album.indexing.decoding import DecodeJob, job_for
from album.library.thumbnails import INDEXING_SIZE, ThumbnailCache, photo_key

if TYPE_CHECKING:
    from album.library.schema import Photo
    from album.vision.cropping import Preprocessing

#: photos decoded ahead while the encoders load: about what the decoders finish in the seconds a new process
#: takes to load them here (roughly 150 KB each until the indexer takes them)
PREFETCH = 256


def thumbnail_size(thumbnails: ThumbnailCache | None, photo: "Photo") -> int:
    """The grid thumbnail to make while decoding ``photo``: none when it is cached already (or not made)."""
    if thumbnails is None or thumbnails.cached(photo_key(photo), INDEXING_SIZE):
        return 0
    return INDEXING_SIZE


class Prefetch:
    """Decodes asked for ahead of the indexer, by their jobs."""

    def __init__(self, decoder):
        self.decoder = decoder
        self._futures: dict[DecodeJob, Future] = {}

    @classmethod
    def start(cls, decoder, photos: Sequence["Photo"], recipes: "Sequence[tuple[str, Preprocessing]] | None",
              thumbnails: ThumbnailCache | None, limit: int = PREFETCH) -> "Prefetch":
        """Ask the decoders for the first ``limit`` of ``photos`` (in the indexer's order: by id) for encoders
        of these recipes; none when the recipes are not known."""
        prefetch = cls(decoder)
        if recipes:
            for photo in sorted(photos, key=lambda p: p.id)[:limit]:
                job = job_for(photo.path, recipes, thumbnail_size(thumbnails, photo))
                prefetch._futures[job] = decoder.submit(job)
        return prefetch

    def __len__(self) -> int:
        return len(self._futures)

    def take(self, job: DecodeJob) -> Future | None:
        """The decode asked for with exactly this job, if any (each is taken once)."""
        return self._futures.pop(job, None)

    def cancel(self) -> None:
        """Drop the decodes nobody took (the encoders wanted other jobs, or the scan stopped)."""
        for future in self._futures.values():
            future.cancel()
        self._futures.clear()
