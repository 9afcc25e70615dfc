"""The sidebar: library folders with their subfolders as a tree, counts, and choosing one filters the grid."""

from __future__ import annotations

import os

import pytest

from album.gui.folder_list import FolderList, directories, folder_counts
from album.gui.messages import Folders, Photos
from album.library.records import FolderInfo
from tests.gui.conftest import record

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

PHOTOS = [record(1, folder="/lib/2020"), record(2, folder="/lib/2020/summer"), record(3, folder="/lib"),
          record(4, folder="/lib/2021")]


def texts(item) -> tuple[str, str]:
    return item.text(0), item.text(1)


def test_subfolders_form_a_tree_with_counts(qtbot):
    sidebar = FolderList()
    qtbot.addWidget(sidebar)
    sidebar.set_folders([FolderInfo(1, "/lib", 4, True), FolderInfo(2, "/gone", 0, False)], PHOTOS)
    tree = sidebar.tree
    assert [texts(tree.topLevelItem(i)) for i in range(3)] == [("All photos", "4"), ("lib", "4"),
                                                               ("⚠ gone", "missing")]
    lib = tree.topLevelItem(1)
    assert [texts(lib.child(i)) for i in range(lib.childCount())] == [("2020", "2"), ("2021", "1")]
    assert texts(lib.child(0).child(0)) == ("summer", "1")
    assert folder_counts(PHOTOS)["/lib/2020"] == 2


def test_the_chosen_subfolder_and_expansion_survive_updates(qtbot):
    sidebar = FolderList()
    qtbot.addWidget(sidebar)
    folders = [FolderInfo(1, "/lib", 4, True)]
    sidebar.set_folders(folders, PHOTOS)
    chosen = []
    sidebar.folderChosen.connect(chosen.append)
    lib = sidebar.tree.topLevelItem(1)
    lib.setExpanded(True)
    sidebar.tree.setCurrentItem(lib.child(0))
    assert chosen == ["/lib/2020"]
    sidebar.set_folders(folders, [*PHOTOS, record(5, folder="/lib/2020")])
    assert sidebar.chosen_path() == "/lib/2020" and sidebar.chosen_folder_path() == "/lib"
    assert sidebar.tree.topLevelItem(1).isExpanded()
    assert sidebar.tree.currentItem().text(1) == "3"
    assert chosen == ["/lib/2020"], "an update is not a new choice"


def test_choosing_a_subfolder_shows_only_its_photos(qtbot, stub_window):
    window = stub_window()
    worker = window.bridge.worker
    worker.foldersChanged.emit(Folders([FolderInfo(1, "/lib", 4, True)]))
    worker.photosChanged.emit(Photos(PHOTOS))
    lib = window.folder_list.tree.topLevelItem(1)
    window.folder_list.tree.setCurrentItem(lib.child(0))
    assert sorted(window.photo_model.item(r).id for r in range(window.photo_model.rowCount())) == [1, 2]
    window.folder_list.show_all()
    assert window.photo_model.rowCount() == 4


def test_directories_are_what_os_path_dirname_says():
    photos = [record(1, folder="/lib/2020"), record(2, folder="/lib/2020"), record(3, folder="")]
    assert directories(photos) == {"/lib/2020": 2, "/": 1}
    assert set(directories(photos)) == {os.path.dirname(p.path) for p in photos}
