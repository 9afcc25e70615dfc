"""The desktop app end to end, headless: real engine and CNN, generated photos."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from album.gui.pages import Page
from album.gui.photo_actions import FIND_SIMILAR
from album.gui.photo_model import PhotoRole
from tests.conftest import make_photo, near_copy
from tests.gui.conftest import TIMEOUT_MS, indexed_window, wait_until_indexed

# the offscreen platform plugin says this about every top-level window; it is not a problem of ours
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_first_run_shows_welcome_then_adding_a_folder_shows_its_photos(qtbot, make_window, album_dir):
    window = make_window()
    qtbot.waitUntil(lambda: window._opened, timeout=TIMEOUT_MS)
    assert window.pages.page() == Page.WELCOME
    window.folder_actions.add_folder(str(album_dir))
    wait_until_indexed(qtbot, window, 9)
    assert window.pages.page() == Page.LIBRARY
    assert "9 photos" in window.status.photo_count.text()
    assert window.folder_list.tree.topLevelItemCount() == 2  # "All photos" and the folder
    qtbot.waitUntil(lambda: window.photo_model.index(0).data(Qt.DecorationRole) is not None, timeout=TIMEOUT_MS)
    assert any(window.paths.thumbnails.rglob("*.jpg")), "thumbnails are cached on disk"
    qtbot.waitUntil(lambda: "Watching 1 folder" in window.status.watching.text(), timeout=TIMEOUT_MS)


def test_selecting_a_photo_fills_the_similar_panel(qtbot, make_window, album_dir):
    window = indexed_window(qtbot, make_window, album_dir)
    window.side_panel.threshold.setValue(0)
    row = next(r for r in range(9) if window.photo_model.index(r).data(PhotoRole).path.endswith("photo_0.jpg"))
    window.grid.setCurrentIndex(window.photo_model.index(row))
    assert window.side_panel.title.text() == "photo_0.jpg"
    qtbot.waitUntil(lambda: window.side_panel.similar_model.rowCount() == 8, timeout=TIMEOUT_MS)
    matches = window.side_panel.visible_matches()
    assert matches[0].path.endswith("photo_0_copy.jpg"), "the near copy is the best match"
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    window.side_panel.threshold.setValue(int(matches[0].score * 100))
    assert 1 <= window.side_panel.similar_model.rowCount() < 8, "the threshold slider filters the list"


def test_context_menu_find_similar_shows_results(qtbot, make_window, album_dir):
    window = indexed_window(qtbot, make_window, album_dir)
    menu = window.search.context_menu_for(window.photo_model.index(0))
    actions = [a.text() for a in menu.actions() if a.text()]
    assert actions == [FIND_SIMILAR, "Open with default application", "Show in folder", "Copy path"]
    next(a for a in menu.actions() if a.text() == FIND_SIMILAR).trigger()
    assert window.pages.page() == Page.RESULTS
    qtbot.waitUntil(lambda: window.results.model.rowCount() > 0, timeout=TIMEOUT_MS)
    scores = [item.score for item in window.results.model.items()]
    assert scores == sorted(scores, reverse=True)
    # go on searching from a result
    first = window.results.model.index(0)
    next(a for a in window.search.context_menu_for(first).actions() if a.text() == FIND_SIMILAR).trigger()
    qtbot.waitUntil(lambda: window.results.model.rowCount() > 0, timeout=TIMEOUT_MS)
    assert "similar to" in window.results.title.text()


def drop_on(window, mime: QMimeData) -> None:
    position = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(position.toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(position, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, event)


def test_dropping_an_outside_image_searches_without_adding_it(qtbot, make_window, album_dir, tmp_path):
    window = indexed_window(qtbot, make_window, album_dir)
    outside = tmp_path / "outside.png"
    near_copy(make_photo(3)).save(outside)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(outside))])
    drop_on(window, mime)
    assert window.pages.page() == Page.RESULTS
    qtbot.waitUntil(lambda: window.results.model.rowCount() > 0, timeout=TIMEOUT_MS)
    assert window.results.model.items()[0].path.endswith("photo_3.jpg")
    assert window.photo_model.rowCount() == 9, "the dropped file is not added to the library"


def test_dropping_image_data_searches_with_it(qtbot, make_window, album_dir):
    window = indexed_window(qtbot, make_window, album_dir)
    mime = QMimeData()
    image = make_photo(5)
    mime.setImageData(QImage(image.tobytes(), image.width, image.height, 3 * image.width, QImage.Format_RGB888).copy())
    drop_on(window, mime)
    qtbot.waitUntil(lambda: window.results.model.rowCount() > 0, timeout=TIMEOUT_MS)
    assert window.results.model.items()[0].path.endswith("photo_5.jpg")


def test_a_photo_copied_into_a_watched_folder_appears(qtbot, make_window, album_dir, tmp_path):
    window = indexed_window(qtbot, make_window, album_dir)
    qtbot.waitUntil(lambda: "Watching 1 folder" in window.status.watching.text(), timeout=TIMEOUT_MS)
    source = tmp_path / "new.jpg"
    make_photo(42).save(source)
    shutil.copy(source, album_dir / "new.jpg")
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == 10, timeout=TIMEOUT_MS)
    (album_dir / "photo_7.jpg").unlink()
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == 9, timeout=TIMEOUT_MS)


def test_unreadable_files_and_removing_a_folder(qtbot, make_window, album_dir):
    (album_dir / "broken.jpg").write_bytes(b"this is not a jpeg")
    window = indexed_window(qtbot, make_window, album_dir)
    qtbot.waitUntil(lambda: len(window.failures) == 1, timeout=TIMEOUT_MS)
    assert window.status.problems_button.isVisible()
    assert "1 unreadable file" in window.status.problems_button.text()
    assert window.failures[0].failure
    window.folder_actions.remove_folder(str(album_dir))
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == 0, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.pages.page() == Page.WELCOME, timeout=TIMEOUT_MS)
    assert (album_dir / "photo_1.jpg").exists(), "removing a folder never touches the files"


def test_adding_a_missing_folder_is_explained(qtbot, make_window, tmp_path):
    window = make_window()
    qtbot.waitUntil(lambda: window._opened, timeout=TIMEOUT_MS)
    window.folder_actions.add_folder(str(tmp_path / "nowhere"))
    qtbot.waitUntil(window.banner.isVisible, timeout=TIMEOUT_MS)
    assert "not a folder" in window.banner.text()


def test_questions_are_answered_while_indexing_is_paused(qtbot, make_window, album_dir, tmp_path):
    window = indexed_window(qtbot, make_window, album_dir)
    more = tmp_path / "more"
    more.mkdir()
    for seed in range(20, 24):
        make_photo(seed).save(more / f"more_{seed}.jpg")
    window.status.pause_button.setChecked(True)
    assert window.pause_action.isChecked()
    window.folder_actions.add_folder(str(more))
    qtbot.waitUntil(lambda: window.status.bar.isVisible(), timeout=TIMEOUT_MS)
    window.side_panel.threshold.setValue(0)
    window.grid.setCurrentIndex(window.photo_model.index(0))
    qtbot.waitUntil(lambda: window.side_panel.similar_model.rowCount() > 0, timeout=TIMEOUT_MS)
    assert window.status.bar.isVisible() and window.photo_model.rowCount() < 13, "the scan is still paused"
    window.status.pause_button.setChecked(False)
    wait_until_indexed(qtbot, window, 13)


def test_a_library_locked_by_another_process_opens_read_only(qtbot, make_window, album):
    window = make_window()
    qtbot.waitUntil(window.banner.isVisible, timeout=TIMEOUT_MS)
    assert "Another album process" in window.banner.text()
    assert not window.status.bar.isVisible()


def test_a_folder_that_disappears_is_reported_in_plain_words(qtbot, make_window, album_dir, tmp_path):
    window = indexed_window(qtbot, make_window, album_dir)
    qtbot.waitUntil(lambda: "Watching 1 folder" in window.status.watching.text(), timeout=TIMEOUT_MS)
    album_dir.rename(tmp_path / "moved_away")
    window.bridge.rescan()
    qtbot.waitUntil(lambda: window.banner.isVisible() and "not available" in window.banner.text(),
                    timeout=TIMEOUT_MS)
    assert "missing" in window.folder_list.tree.topLevelItem(1).text(1)
    qtbot.waitUntil(lambda: "Watching 0 folders" in window.status.watching.text(), timeout=TIMEOUT_MS)


def test_scores_read_as_calibrated_percents_from_a_threshold_of_50(qtbot, make_window, album_dir):
    """The slider starts at 50 % (the calibrated start of "similar") for every model, and a near copy
    reads as at least 95 % (a near-duplicate from 99 %); tests/vision/test_calibration.py checks
    unrelated real photos."""
    window = indexed_window(qtbot, make_window, album_dir)
    assert window.side_panel.threshold.value() == 50
    window.side_panel.threshold.setValue(0)
    row = next(r for r in range(9) if window.photo_model.index(r).data(PhotoRole).path.endswith("photo_0.jpg"))
    window.grid.setCurrentIndex(window.photo_model.index(row))
    qtbot.waitUntil(lambda: window.side_panel.similar_model.rowCount() == 8, timeout=TIMEOUT_MS)
    best, *others = window.side_panel.visible_matches()
    assert best.path.endswith("photo_0_copy.jpg") and best.score >= 0.95
    assert best.band == ("near-duplicate" if best.score >= 0.99 else "very similar")
    assert best.cosine is not None and best.cosine < 1 and best.cosine != best.score
    assert all(match.score <= best.score for match in others)  # (generated photos all look alike)
    tooltip = window.side_panel.similar_model.index(0).data(Qt.ToolTipRole)
    assert f"{best.score:.0%} similar, {best.band}" in tooltip


def test_welcome_offers_the_pictures_folder(qtbot, make_window, album_dir, monkeypatch):
    from album.gui import welcome

    monkeypatch.setattr(welcome, "pictures_folder", lambda: album_dir)
    window = make_window()
    qtbot.waitUntil(lambda: window._opened, timeout=TIMEOUT_MS)
    button = window.welcome.pictures_button
    assert button.isVisible() and str(album_dir) in button.text()
    qtbot.mouseClick(button, Qt.LeftButton)
    wait_until_indexed(qtbot, window, 9)
    assert [f.path for f in window._folders] == [str(album_dir)]
