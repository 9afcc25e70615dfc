"""Shared fixtures: headless Qt, generated photos, a library in tmp, one CNN per test session."""

from __future__ import annotations

import io
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PIL import Image, ImageDraw

from album.paths import LibraryPaths
from album.tasks import SynchronousExecutor

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def make_photo(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A distinct synthetic 'photo': a smooth colour gradient with random shapes and texture."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    base = rng.uniform(0, 255, 3)
    slope = rng.uniform(-0.6, 0.6, (3, 2))
    pixels = np.stack([base[c] + slope[c, 0] * x + slope[c, 1] * y for c in range(3)], -1)
    pixels += rng.normal(0, 12, pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(4, 9))):
        x0, y0 = rng.integers(0, w * 3 // 4), rng.integers(0, h * 3 // 4)
        box = [int(x0), int(y0), int(x0 + rng.integers(w // 8, w // 2 + 1)), int(y0 + rng.integers(h // 8, h // 2 + 1))]
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image


class ModuleHead:
    """A PyTorch head as the encoder runs heads (numpy in, numpy out): the production numpy forward pass
    (``head_arrays``) for album's own heads, the module itself for any other test head."""

    def __init__(self, module):
        import torch

        self.module = module.eval()
        with torch.no_grad():
            self.dim = int(module(torch.zeros(1, module.in_features if hasattr(module, "in_features")
                                              else module.config()["dim"])).shape[1])

    def __call__(self, features: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            return self.module(torch.from_numpy(np.asarray(features, np.float32))).numpy()


def run_time_head(module):
    """The head an encoder runs for a PyTorch head module."""
    from album.vision.head import PersonalHead, ResidualHead
    from album.vision.head_arrays import head_arrays

    if isinstance(module, (ResidualHead, PersonalHead)):
        return head_arrays(module.config(), {name: tensor.numpy() for name, tensor in module.state_dict().items()})
    return ModuleHead(module)


def near_copy(image: Image.Image) -> Image.Image:
    """The same subject: cropped a little, resized and recompressed."""
    w, h = image.size
    cropped = image.crop((w // 16, h // 16, w - w // 16, h - h // 16)).resize((w * 3 // 4, h * 3 // 4))
    buffer = io.BytesIO()
    cropped.save(buffer, "JPEG", quality=70)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


@pytest.fixture(autouse=True)
def no_shipped_graphs(tmp_path_factory, monkeypatch):
    """Tests export and keep their graphs themselves, whether or not ``scripts/export_graphs.py`` has put
    graphs into this checkout's resources (a test of shipped graphs points ``SHIPPED`` at its own)."""
    from album.vision import graph_cache

    monkeypatch.setattr(graph_cache, "SHIPPED", tmp_path_factory.getbasetemp() / "no-shipped-graphs")


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    """A folder of 8 distinct generated JPEG photos."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in range(8):
        make_photo(seed).save(folder / f"photo_{seed}.jpg", quality=92)
    return folder


@pytest.fixture
def library_paths(tmp_path: Path) -> LibraryPaths:
    return LibraryPaths.at(tmp_path / "library")


@pytest.fixture(scope="session")
def encoder():
    """The bundled pretrained encoder, loaded once for the whole test session."""
    from album.vision.modelfile import open_encoder

    return open_encoder("pretrained", device="cpu")


@pytest.fixture
def album(library_paths, encoder):
    from album.engine import Album

    with Album.open(library_paths, model=encoder, executor=SynchronousExecutor()) as opened:
        yield opened


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


#: Real photographs shipped inside scikit-image (a test dependency): distinct subjects.
PACKAGED_PHOTOS = ("coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png", "astronaut.png",
                   "horse.png", "hubble_deep_field.jpg", "retina.jpg", "camera.png", "brick.png", "coins.png",
                   "page.png")


def packaged_photo(name: str) -> Image.Image:
    import skimage.data

    return Image.open(Path(skimage.data.__file__).parent / name).convert("RGB")


@pytest.fixture
def real_photo_dir(tmp_path: Path) -> Path:
    """A folder of 12 real photos of different subjects, as JPEGs."""
    folder = tmp_path / "real"
    folder.mkdir()
    for name in PACKAGED_PHOTOS:
        packaged_photo(name).save(folder / (Path(name).stem + ".jpg"), quality=90)
    return folder


@pytest.fixture
def grouped(tmp_path, library_paths):
    """A scanned library (default model) of 4 subjects x 3 shots and 6 other photos."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for subject in range(4):
        photo = make_photo(100 + subject)
        photo.save(folder / f"s{subject}_a.jpg", quality=92)
        near_copy(photo).save(folder / f"s{subject}_b.jpg", quality=80)
        photo.transpose(0).save(folder / f"s{subject}_c.jpg", quality=85)
    for other in range(6):
        make_photo(200 + other).save(folder / f"other_{other}.jpg", quality=90)
    from album.engine import Album

    with Album.open(library_paths, executor=SynchronousExecutor()) as album:
        album.add_folder(folder)
        album.scan()
    return library_paths, folder


def subject(album, folder: Path, number: int) -> list[int]:
    """The photo ids of one subject of ``grouped``."""
    return [album.photo_at(folder / f"s{number}_{shot}.jpg").id for shot in "abc"]
