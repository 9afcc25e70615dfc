"""The classic colour-histogram baseline: a 512-bin HSV histogram per image.

Hue, saturation and value are each quantised into 8 bins (8x8x8 = 512); the
histogram is L1-normalised (a distribution of colours), square-rooted and
L2-normalised, so the cosine similarity used for the deep embeddings is the
Bhattacharyya coefficient of the two colour distributions (the Hellinger
kernel: a stronger baseline than plain cosine on counts, and the variant the
reference figures in ../shared/data/README.md match).  It is what "deep
features beat traditional features" is measured against.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from album.errors import UnreadableImage
from album.media.imageio import load_image
from album.tasks import ProgressCallback, ProgressMeter

BINS = 8
DIM = BINS ** 3
#: Images are decoded with their shorter side near this size (the histogram barely changes).
DECODE_SIDE = 256


def hsv_histogram(image: Image.Image) -> np.ndarray:
    """The 512-bin HSV histogram of an RGB image: L1-normalised, square-rooted, L2-normalised."""
    hsv = np.asarray(image.convert("RGB").convert("HSV"), dtype=np.uint16).reshape(-1, 3)
    quantised = (hsv * BINS) >> 8  # 0..255 -> 0..7
    index = (quantised[:, 0] * BINS + quantised[:, 1]) * BINS + quantised[:, 2]
    histogram = np.bincount(index, minlength=DIM).astype(np.float64)
    histogram = np.sqrt(histogram / max(histogram.sum(), 1.0))
    norm = np.linalg.norm(histogram)
    return (histogram / norm if norm > 0 else histogram).astype(np.float32)


def histogram_features(paths, workers: int = 2,
                       progress: ProgressCallback | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Histograms (N, 512) and a mask of the images that decoded; progress as the phase "histograms"."""
    def one(path):
        try:
            return hsv_histogram(load_image(path, min_side=DECODE_SIDE)[0]), True
        except UnreadableImage:
            return np.zeros(DIM, dtype=np.float32), False

    paths = list(paths)
    meter = ProgressMeter("histograms", len(paths), progress)
    meter.start()
    results = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(one, paths):
            results.append(result)
            meter.advance()
    return np.stack([h for h, _ in results]) if results else np.zeros((0, DIM), np.float32), \
        np.array([good for _, good in results], dtype=bool)
