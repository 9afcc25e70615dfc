"""Dataset layouts (labelled folder, CUB-200-2011, Cars196), class ranges and the validation split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from album.vision.datasets import DataError, open_dataset, parse_class_range, split_validation


def _image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (10, 20, 30)).save(path)


def test_parse_class_range():
    assert parse_class_range("000-003") == {0, 1, 2, 3}
    assert parse_class_range("1-3, 7") == {1, 2, 3, 7}
    for bad in ("a-b", "5-2", ""):
        with pytest.raises(DataError):
            parse_class_range(bad)


def test_numbered_labelled_folder(tmp_path):
    for number, name in enumerate(["000.Albatross", "001.Ani", "002.Auklet", "003.Blackbird"]):
        for i in range(number + 1):
            _image(tmp_path / name / f"{i}.jpg")
    (tmp_path / "001.Ani" / "notes.txt").write_text("not a photo")
    data = open_dataset(tmp_path)
    assert data.layout == "folder"
    assert data.numbers == (0, 1, 2, 3)
    assert len(data) == 10
    test = data.select("002-003")
    assert test.classes == ("002.Auklet", "003.Blackbird")
    assert sorted(np.bincount(test.labels)) == [3, 4]
    with pytest.raises(DataError):
        data.select("50-99")


def test_unnumbered_folder_uses_sorted_positions(tmp_path):
    for name in ["zebra", "ant", "Faces"]:
        _image(tmp_path / name / "a.jpg")
    data = open_dataset(tmp_path)
    assert data.classes == ("Faces", "ant", "zebra")
    assert data.select("1-2").classes == ("ant", "zebra")


def test_cub_layout_and_standard_split(tmp_path):
    lines, labels = [], []
    for image_id in range(1, 9):
        class_id = 1 + ((image_id - 1) // 2) % 2 + (100 if image_id > 4 else 0)
        relative = f"{class_id:03d}.Bird/{image_id}.jpg"
        _image(tmp_path / "images" / relative)
        lines.append(f"{image_id} {relative}")
        labels.append(f"{image_id} {class_id}")
    (tmp_path / "images.txt").write_text("\n".join(lines) + "\n")
    (tmp_path / "image_class_labels.txt").write_text("\n".join(labels) + "\n")
    (tmp_path / "classes.txt").write_text("1 001.Bird\n2 002.Bird\n101 101.Bird\n102 102.Bird\n")
    data = open_dataset(tmp_path)
    assert data.layout == "cub200"
    assert data.numbers == (1, 2, 101, 102)
    assert data.standard_split == ("1-100", "101-200")
    assert len(data.select(data.standard_split[1])) == 4
    assert all(p.is_file() for p in data.paths)


def test_cars196_layout(tmp_path):
    savemat = pytest.importorskip("scipy.io").savemat
    annotations = np.zeros((1, 4), dtype=[("relative_im_path", "O"), ("class", "O")])
    for i, class_id in enumerate([1, 1, 99, 99]):
        _image(tmp_path / "car_ims" / f"{i:06d}.jpg")
        annotations[0, i] = (np.array([f"car_ims/{i:06d}.jpg"]), np.array([[class_id]], dtype=np.uint8))
    names = np.empty((1, 196), dtype=object)
    names[0, :] = [np.array([f"Car {i}"]) for i in range(1, 197)]
    savemat(str(tmp_path / "cars_annos.mat"), {"annotations": annotations, "class_names": names})
    data = open_dataset(tmp_path)
    assert data.layout == "cars196"
    assert data.numbers == (1, 99)
    assert data.classes == ("Car 1", "Car 99")
    assert data.standard_split == ("1-98", "99-196")
    assert len(data.select("99-196")) == 2


def test_validation_split_is_whole_classes_and_seeded(tmp_path):
    for c in range(10):
        for i in range(3):
            _image(tmp_path / f"{c:03d}.C" / f"{i}.jpg")
    data = open_dataset(tmp_path)
    train, val = split_validation(data, 0.2, seed=1)
    assert len(val.classes) == 2 and len(train.classes) == 8
    assert not set(train.classes) & set(val.classes)
    assert split_validation(data, 0.2, seed=1)[1].classes == val.classes
