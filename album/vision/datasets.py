"""Labelled image sets for training and evaluation, and their class splits.

Three layouts are recognised:

* a labelled folder: one subfolder per class, the folder name being the class
  (``../shared/data/cub100``, ``../shared/data/caltech50``);
* CUB-200-2011: ``images.txt``, ``image_class_labels.txt``, ``classes.txt``
  and ``images/`` (standard split: classes 1-100 train, 101-200 test);
* Stanford Cars196: ``cars_annos.mat`` and ``car_ims/`` (standard split:
  classes 1-98 train, 99-196 test; reading the .mat file needs scipy).

Every class has a *number*: its id in CUB/Cars, the leading number of its
folder name (``050.Tree_Swallow`` is 50), or, when folder names carry no
number, its 0-based position in sorted order.  Class ranges such as
``000-049`` or ``1-100,150`` select classes by number.  A validation split is
carved from the training classes (whole classes, never images), so the test
classes are never used for any choice.  A set that cannot be used as asked
(a missing folder, no photos, a malformed range, a range that selects no
class) is a ``DataError``: the user's mistake, told in plain words.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from album.errors import UserFacingError
from album.media.imageio import is_photo_path

_LEADING_NUMBER = re.compile(r"^(\d+)")


class DataError(UserFacingError):
    """A training or evaluation set that cannot be used as asked (the user's mistake)."""


@dataclass(frozen=True)
class LabelledImages:
    """Image paths with integer labels; ``classes[label]`` names each label."""

    root: Path
    layout: str
    paths: tuple[Path, ...]
    labels: np.ndarray
    classes: tuple[str, ...]
    numbers: tuple[int, ...]
    standard_split: tuple[str, str] | None = None

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, class_labels) -> "LabelledImages":
        """The images of some classes, relabelled 0..n-1 in the order of ``class_labels``."""
        wanted = [int(c) for c in class_labels]
        remap = {old: new for new, old in enumerate(wanted)}
        keep = [i for i, label in enumerate(self.labels) if int(label) in remap]
        return LabelledImages(
            self.root, self.layout, tuple(self.paths[i] for i in keep),
            np.array([remap[int(self.labels[i])] for i in keep], dtype=np.int64),
            tuple(self.classes[c] for c in wanted), tuple(self.numbers[c] for c in wanted),
        )

    def select(self, spec: str | None) -> "LabelledImages":
        """The classes whose numbers are in a range spec (all classes when ``spec`` is None)."""
        if spec is None:
            return self
        numbers = parse_class_range(spec)
        chosen = [label for label, number in enumerate(self.numbers) if number in numbers]
        if not chosen:
            numbered = f" (its classes are numbered {min(self.numbers)}-{max(self.numbers)})" if self.numbers else ""
            raise DataError(f"no class of {self.root} is numbered in {spec!r}{numbered}")
        return self.subset(chosen)


def parse_class_range(spec: str) -> set[int]:
    """``"000-049"`` -> {0..49}; ``"1-100,150"`` -> {1..100, 150}; anything else is a ``DataError``."""
    numbers: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d+)\s*(?:-\s*(\d+))?", part)
        if not match:
            raise DataError(f"bad class range {part!r}: use e.g. 000-049 or 1-100,150")
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
        if high < low:
            raise DataError(f"bad class range {part!r}: the end is before the start")
        numbers.update(range(low, high + 1))
    return numbers


def open_dataset(root: str | Path) -> LabelledImages:
    """Recognise the layout of ``root`` and list its labelled images."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"{root} is not a folder")
    if (root / "images.txt").is_file() and (root / "image_class_labels.txt").is_file():
        return _open_cub(root)
    if (root / "cars_annos.mat").is_file():
        return _open_cars(root)
    return _open_folder(root)


def _open_folder(root: Path) -> LabelledImages:
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    paths, labels, classes = [], [], []
    for folder in folders:
        files = sorted(p for p in folder.rglob("*") if p.is_file() and is_photo_path(p))
        if not files:
            continue
        paths += files
        labels += [len(classes)] * len(files)
        classes.append(folder.name)
    if not classes:
        raise DataError(f"{root} has no class subfolders with photos in them")
    numbered = [_LEADING_NUMBER.match(name) for name in classes]
    if all(numbered) and len({int(m.group(1)) for m in numbered}) == len(classes):
        numbers = tuple(int(m.group(1)) for m in numbered)
    else:
        numbers = tuple(range(len(classes)))
    return LabelledImages(root, "folder", tuple(paths), np.array(labels, dtype=np.int64), tuple(classes), numbers)


def _read_pairs(path: Path) -> list[tuple[int, str]]:
    pairs = []
    for line in path.read_text().splitlines():
        if line.strip():
            key, value = line.split(maxsplit=1)
            pairs.append((int(key), value.strip()))
    return pairs


def _from_ids(root: Path, layout: str, files: list[Path], class_ids: list[int], names: dict[int, str],
              split: tuple[str, str]) -> LabelledImages:
    ids = sorted(set(class_ids))
    label_of = {cid: label for label, cid in enumerate(ids)}
    return LabelledImages(
        root, layout, tuple(files), np.array([label_of[c] for c in class_ids], dtype=np.int64),
        tuple(names.get(c, str(c)) for c in ids), tuple(ids), split,
    )


def _open_cub(root: Path) -> LabelledImages:
    images = dict(_read_pairs(root / "images.txt"))
    labels = {image_id: int(value) for image_id, value in _read_pairs(root / "image_class_labels.txt")}
    names = {cid: name for cid, name in _read_pairs(root / "classes.txt")} if (root / "classes.txt").is_file() else {}
    order = sorted(images)
    files = [root / "images" / images[i] for i in order]
    return _from_ids(root, "cub200", files, [labels[i] for i in order], names, ("1-100", "101-200"))


def _open_cars(root: Path) -> LabelledImages:
    try:
        from scipy.io import loadmat
    except ImportError:
        raise DataError("reading Stanford Cars annotations (cars_annos.mat) needs scipy: pip install scipy") from None
    mat = loadmat(str(root / "cars_annos.mat"))
    annotations = mat["annotations"][0]
    files = [root / str(a["relative_im_path"][0]) for a in annotations]
    class_ids = [int(np.asarray(a["class"]).ravel()[0]) for a in annotations]
    names = {}
    if "class_names" in mat:
        names = {i + 1: str(np.asarray(n).ravel()[0]) for i, n in enumerate(mat["class_names"].ravel())}
    return _from_ids(root, "cars196", files, class_ids, names, ("1-98", "99-196"))


def split_validation(data: LabelledImages, fraction: float = 0.2, seed: int = 0) -> tuple[LabelledImages, LabelledImages]:
    """(train, validation): a seeded ``fraction`` of the classes (at least one) held out whole."""
    labels = list(range(len(data.classes)))
    count = max(1, round(len(labels) * fraction)) if len(labels) > 1 else 0
    held = set(random.Random(seed).sample(labels, count))
    return data.subset([c for c in labels if c not in held]), data.subset(sorted(held))
