"""Subject groups over a catalogue: recomputation keeps the user's choices; new photos join groups."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from album.errors import LibraryError, UserFacingError
from album.groups.subject_groups import SubjectGroups
from album.library.catalogue import Catalogue, EncodedPhoto

MODEL = "test-model"
DIM = 16


def subject_vectors(subject: int, count: int, rng) -> np.ndarray:
    """Photos of one subject: a shared direction plus a little noise."""
    centre = np.zeros(DIM, np.float32)
    centre[subject] = 1.0
    vectors = centre + rng.normal(0, 0.08, (count, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class Library:
    """A catalogue with hand-made embeddings, and a stand-in for the similarity model."""

    def __init__(self, tmp_path):
        self.catalogue = Catalogue(tmp_path / "c.sqlite3")
        self.folder = self.catalogue.add_folder(str(tmp_path / "photos"))
        self.catalogue.register_model(MODEL, "test", DIM, "x")
        self.rng = np.random.default_rng(0)
        self.count = 0
        # the "classifier" says class (subject) for features pointing at that subject
        self.encoder = SimpleNamespace(model_id=MODEL, features_id="feat",
                                       label_features=lambda f: np.eye(1000)[np.asarray(f)[:, :DIM].argmax(1)])
        self.writable = True
        self.groups = SubjectGroups(self.catalogue, lambda: self.encoder, self._require_writer)

    def _require_writer(self):
        if not self.writable:
            raise LibraryError("read-only")

    def add(self, subject: int, count: int) -> list[int]:
        vectors = subject_vectors(subject, count, self.rng)
        with self.catalogue.scan_batch() as batch:
            ids = [batch.add_photo(self.folder.id, f"/p/{self.count + i}.jpg", 1, 1, f"h{self.count + i}")
                   for i in range(count)]
        self.catalogue.mark_encoded([
            EncodedPhoto(photo_id, f"h{self.count + i}", 8, 8, None, None, {MODEL: vector}, {"feat": vector})
            for i, (photo_id, vector) in enumerate(zip(ids, vectors))])
        self.count += count
        return ids


@pytest.fixture
def library(tmp_path):
    library = Library(tmp_path)
    yield library
    library.catalogue.close()


def test_regroup_finds_subjects_names_them_and_leaves_strays_out(library):
    dogs, cats = library.add(2, 12), library.add(5, 8)
    stray = library.add(9, 1)
    summary = library.groups.regroup()
    groups = library.groups.list()
    assert [(set(library.groups.members(g.id)), g.name, g.confirmed) for g in groups] == [
        (set(dogs), "great white shark", False), (set(cats), "electric ray", False)]  # ImageNet classes 2, 5
    assert library.groups.of_photo(stray[0]) == []
    assert (summary.photos, summary.groups, summary.grouped) == (21, 2, 20)
    assert groups[0].cover_id in dogs


def test_the_users_choices_survive_regrouping(library):
    dogs, cats = library.add(2, 12), library.add(5, 8)
    library.groups.regroup()
    dog_group, cat_group = (g.id for g in library.groups.list())
    library.groups.rename(dog_group, "Rex")
    library.groups.remove(dog_group, dogs[:2])           # not Rex after all
    library.groups.add(dog_group, cats[:1])              # ... but this one is
    library.groups.regroup()
    rex = library.groups.get(dog_group)
    assert (rex.name, rex.confirmed) == ("Rex", True)
    assert set(library.groups.members(dog_group)) == set(dogs[2:]) | {cats[0]}
    assert cat_group in {g.id for g in library.groups.list()}  # much the same: keeps its id
    assert cats[0] not in library.groups.members(cat_group)


def test_new_photos_join_a_confirmed_group_on_regrouping_unless_taken_out(library):
    dogs = library.add(2, 10)
    library.groups.regroup()
    (group,) = library.groups.list()
    library.groups.remove(group.id, dogs[:1])
    more = library.add(2, 4)
    library.groups.regroup()
    members = set(library.groups.members(group.id))
    assert set(more) <= members and dogs[0] not in members


def test_new_photos_join_the_group_they_clearly_belong_to(library):
    library.add(2, 10)
    library.groups.regroup()
    (group,) = library.groups.list()
    newcomer, outsider = library.add(2, 1), library.add(7, 1)
    assert library.groups.update(newcomer + outsider) is False  # two photos: no full recomputation due
    assert newcomer[0] in library.groups.members(group.id)
    assert library.groups.of_photo(outsider[0]) == []


def test_a_full_regroup_is_due_first_and_after_many_new_photos(library):
    library.add(2, 10)
    assert library.groups.update([]) is True  # never grouped
    library.groups.regroup()
    assert library.groups.update([]) is False
    fresh = library.add(4, 60)
    assert library.groups.update(fresh) is True


def test_edits_need_the_writer_and_known_photos(library):
    dogs = library.add(2, 5)
    with pytest.raises(UserFacingError, match="no photo with id 999"):
        library.groups.create("Rex", [dogs[0], 999])
    library.writable = False
    with pytest.raises(LibraryError):
        library.groups.create("Rex", dogs)
    assert library.groups.resolve("Rex") is None
