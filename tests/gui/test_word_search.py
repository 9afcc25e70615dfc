"""The search field: typed words show their photos on the results page, after a short pause; Back and Forward."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from album.gui.bridge import LibraryBridge
from album.gui.main_window import MainWindow
from album.gui.pages import Page
from album.gui.word_search import DELAY_MS
from album.tasks import SynchronousExecutor
from tests.gui.conftest import TIMEOUT_MS, wait_until_indexed

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, library_paths, real_photo_dir):
    """A window on a library of the 12 packaged photos, opened by model choice (so it has word search)."""
    from album.engine import Album

    def opener(paths):
        return Album.open(paths, model="pretrained", executor=SynchronousExecutor())

    window = MainWindow(library_paths, bridge=LibraryBridge(library_paths, opener=opener, watch=False))
    qtbot.addWidget(window)
    window.show()
    window.folder_actions.add_folder(str(real_photo_dir))
    wait_until_indexed(qtbot, window, 12)
    yield window
    window.close()
    assert not window.bridge.thread.isRunning()


def shown_names(window) -> list[str]:
    return [Path(match.path).stem for match in window.results.model.items()]


def type_words(qtbot, window, words: str) -> None:
    window.word_search.edit.setFocus()
    qtbot.keyClicks(window.word_search.edit, words)


def test_typed_words_show_their_photos_after_a_pause_and_back_returns(qtbot, window):
    assert window.word_search.isVisible()
    type_words(qtbot, window, "a cat")
    assert window.pages.page() == Page.LIBRARY  # nothing asked while typing
    qtbot.wait(DELAY_MS // 3)
    assert window.pages.page() == Page.LIBRARY
    qtbot.waitUntil(lambda: shown_names(window)[:1] == ["chelsea"], timeout=TIMEOUT_MS)
    assert window.pages.page() == Page.RESULTS
    assert window.results.title.text() == "Photos of “a cat”" and "match “a cat”" in window.results.subtitle.text()
    assert window.word_search.edit.hasFocus()  # the results did not take the keys away from the field
    assert not window.results.grid.tile_delegate.show_scores  # cosines in text space are no percent

    # go on with "Find similar" from a result, then Back to the words, Back to the library, Forward
    cat = window.results.model.items()[0].record
    window.search.find_similar(cat)
    qtbot.waitUntil(lambda: window.results.title.text() == "Photos similar to chelsea.jpg", timeout=TIMEOUT_MS)
    assert window.word_search.edit.text() == ""
    window.go_back()
    qtbot.waitUntil(lambda: shown_names(window)[:1] == ["chelsea"], timeout=TIMEOUT_MS)
    assert window.results.title.text() == "Photos of “a cat”" and window.word_search.edit.text() == "a cat"
    window.go_back()
    assert window.pages.page() == Page.LIBRARY
    window.go_forward()
    qtbot.waitUntil(lambda: window.results.title.text() == "Photos of “a cat”", timeout=TIMEOUT_MS)


def test_typing_on_refines_the_search_and_clearing_leaves_it(qtbot, window):
    type_words(qtbot, window, "coffee")
    qtbot.waitUntil(lambda: shown_names(window)[:1] == ["coffee"], timeout=TIMEOUT_MS)
    window.word_search.edit.selectAll()
    qtbot.keyClicks(window.word_search.edit, "motorcycle")
    qtbot.waitUntil(lambda: shown_names(window)[:1] == ["motorcycle_left"], timeout=TIMEOUT_MS)
    assert not window.search.history.can_go_forward()
    window.go_back()  # one word search, refined: Back leaves it
    assert window.pages.page() == Page.LIBRARY

    window.go_forward()
    qtbot.waitUntil(lambda: shown_names(window)[:1] == ["motorcycle_left"], timeout=TIMEOUT_MS)
    window.word_search.edit.setFocus()
    window.word_search.edit.selectAll()
    qtbot.keyClick(window.word_search.edit, "\b")  # emptied: back to the photos at once
    assert window.pages.page() == Page.LIBRARY


def test_ctrl_k_puts_the_keyboard_in_the_search_field(qtbot, window):
    window.activateWindow()
    window.grid.setFocus()
    qtbot.keyClick(window, "k", modifier=Qt.ControlModifier)
    qtbot.waitUntil(lambda: window.word_search.edit.hasFocus(), timeout=TIMEOUT_MS)
    qtbot.keyClicks(window.word_search.edit, "horse")
    qtbot.waitUntil(lambda: window.pages.page() == Page.RESULTS, timeout=TIMEOUT_MS)


def test_leaving_the_results_empties_the_field(qtbot, window):
    qtbot.keyClicks(window.word_search.edit, "horse")
    qtbot.waitUntil(lambda: window.pages.page() == Page.RESULTS, timeout=TIMEOUT_MS)
    window.go_back()
    qtbot.waitUntil(lambda: window.pages.page() == Page.LIBRARY, timeout=TIMEOUT_MS)
    assert window.word_search.edit.text() == ""
    window.go_forward()  # the word search comes back, with its words
    qtbot.waitUntil(lambda: window.word_search.edit.text() == "horse", timeout=TIMEOUT_MS)


def test_words_that_match_nothing_say_whether_photos_could_not_be_searched(qtbot, window):
    type_words(qtbot, window, "a dog on the beach")  # none of the 12 photos
    qtbot.waitUntil(lambda: window.results.subtitle.text().startswith("No photos match"), timeout=TIMEOUT_MS)
    assert window.results.subtitle.text() == "No photos match these words. Try other words."  # all indexed

    from album.gui.messages import Photos
    from album.library.records import PhotoStatus

    listed = list(window._all_photos)
    waiting = Photos([record._replace(status=PhotoStatus.PENDING) if index < 3 else record
                      for index, record in enumerate(listed)])
    window.bridge.worker.photosChanged.emit(waiting)  # the worker's list while it indexes three new photos
    assert window.results.subtitle.text().endswith("Try other words.")  # that answer searched every photo
    type_words(qtbot, window, " at noon")  # words asked while three photos wait
    qtbot.waitUntil(lambda: "3 photos were still waiting" in window.results.subtitle.text(), timeout=TIMEOUT_MS)
    assert window.results.subtitle.text() == ("No photos match these words. 3 photos were still waiting to be "
                                              "indexed: search again once indexing has ended.")
    window.bridge.worker.photosChanged.emit(Photos(listed))  # indexed: the answer shown still could not see them
    assert "3 photos were still waiting" in window.results.subtitle.text()


def test_photos_found_while_others_wait_say_how_many_were_not_searched(qtbot, window):
    from album.gui.messages import Photos
    from album.library.records import PhotoStatus

    listed = list(window._all_photos)
    type_words(qtbot, window, "horse")
    qtbot.waitUntil(lambda: " match " in window.results.subtitle.text(), timeout=TIMEOUT_MS)
    assert window.results.subtitle.text().endswith("Right-click one to find photos similar to it.")  # all indexed
    window.bridge.worker.photosChanged.emit(Photos([record._replace(status=PhotoStatus.PENDING) if index < 2
                                                    else record for index, record in enumerate(listed)]))
    type_words(qtbot, window, "s")  # "horses", asked while two photos wait
    qtbot.waitUntil(lambda: "not searched" in window.results.subtitle.text(), timeout=TIMEOUT_MS)
    assert window.results.subtitle.text().endswith(
        "Right-click one to find photos similar to it. 2 photos still waiting to be indexed were not searched.")
