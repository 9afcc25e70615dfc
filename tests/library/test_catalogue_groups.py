"""The catalogue's groups: the user's edits pin, exclude and survive recomputation."""

from __future__ import annotations

import pytest

from album.errors import UserFacingError
from album.library.catalogue import Catalogue, EncodedPhoto
from album.library.records import MemberRole


@pytest.fixture
def catalogue(tmp_path):
    catalogue = Catalogue(tmp_path / "c.sqlite3")
    folder = catalogue.add_folder(str(tmp_path / "photos"))
    with catalogue.scan_batch() as batch:
        added = [batch.add_photo(folder.id, str(tmp_path / "photos" / f"{i}.jpg"), 100, 1, f"hash{i}")
                 for i in range(10)]
    catalogue.mark_encoded([EncodedPhoto(photo_id, f"hash{i}", 8, 8, None, None) for i, photo_id in enumerate(added)])
    yield catalogue
    catalogue.close()


def ids(catalogue) -> list[int]:
    return sorted(p.id for p in catalogue.photo_rows())


def test_automatic_groups_are_listed_largest_first_with_their_cover(catalogue):
    p = ids(catalogue)
    small, large = catalogue.groups.replace_automatic(
        [(None, "seashore", [p[0], p[1]]), (None, "tabby cat", [p[5], p[4], p[3]])], {}, {"photos": 10})
    listed = catalogue.groups.list()
    assert [(g.id, g.name, g.size, g.confirmed, g.cover_id) for g in listed] == [
        (large, "tabby cat", 3, False, p[5]), (small, "seashore", 2, False, p[0])]
    assert [g.id for g in catalogue.groups.groups_of(p[4])] == [large]
    assert catalogue.groups.state() == {"photos": 10}


def test_editing_a_group_confirms_it_and_pins_its_members(catalogue):
    p = ids(catalogue)
    (group,) = catalogue.groups.replace_automatic([(None, "dog", p[:4])], {}, {})
    catalogue.groups.rename(group, "  Rex  ")
    info = catalogue.groups.get(group)
    assert (info.name, info.confirmed, info.size) == ("Rex", True, 4)
    roles = {photo: role for g, photo, role, _ in catalogue.groups.memberships() if g == group}
    assert set(roles.values()) == {MemberRole.USER}


def test_user_choices_survive_recomputation(catalogue):
    p = ids(catalogue)
    rex, other = catalogue.groups.replace_automatic([(None, "dog", p[:4]), (None, "cat", p[4:7])], {}, {})
    catalogue.groups.remove(rex, [p[3]])           # a cannot-link
    catalogue.groups.add(rex, [p[8]])              # a must-link
    catalogue.groups.rename(rex, "Rex")
    # recomputation: clustering now finds a group of p[3], p[7], p[9]; it may add p[9] to Rex
    new = catalogue.groups.replace_automatic([(other, "cat", [p[3], p[7], p[9]])], {rex: [p[9]]}, {})
    assert new == [other]
    assert sorted(catalogue.groups.members(rex)) == sorted([p[0], p[1], p[2], p[8], p[9]])
    assert catalogue.groups.get(rex).name == "Rex"
    assert catalogue.groups.members(other) == [p[3], p[7], p[9]]


def test_merge_folds_groups_into_one_and_forgets_the_others(catalogue):
    p = ids(catalogue)
    a, b, c = catalogue.groups.replace_automatic(
        [(None, "a", p[:3]), (None, "b", p[3:5]), (None, "c", p[5:6])], {}, {})
    catalogue.groups.merge(a, [b, c])
    assert sorted(catalogue.groups.members(a)) == p[:6]
    assert not catalogue.groups.exists(b) and not catalogue.groups.exists(c)
    assert catalogue.groups.get(a).confirmed


def test_creating_a_group_takes_photos_out_of_automatic_groups(catalogue):
    p = ids(catalogue)
    (auto,) = catalogue.groups.replace_automatic([(None, "bird", p[:5])], {}, {})
    mine = catalogue.groups.create("My bike", [p[0], p[1], 999_999])  # an unknown id is ignored
    assert catalogue.groups.members(mine) == [p[0], p[1]]
    assert catalogue.groups.members(auto) == p[2:5]
    assert catalogue.groups.by_name("my BIKE").id == mine
    assert catalogue.groups.get(mine).cover_id == p[0]


def test_bad_edits_get_plain_errors(catalogue):
    with pytest.raises(UserFacingError, match="no group 42"):
        catalogue.groups.rename(42, "x")
    with pytest.raises(UserFacingError, match="needs a name"):
        catalogue.groups.create("   ", ids(catalogue)[:1])


def test_groups_only_count_readable_photos(catalogue):
    p = ids(catalogue)
    (group,) = catalogue.groups.replace_automatic([(None, "dog", p[:3])], {}, {})
    catalogue.delete_photos([p[0]])
    assert catalogue.groups.get(group).size == 2
    catalogue.delete_photos(p[1:3])
    assert catalogue.groups.list() == []
