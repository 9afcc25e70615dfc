"""The personal model in the app: "Improve results with my groups", its progress, report and undo, the offers."""

from __future__ import annotations

import threading

import pytest

from album.errors import UserFacingError
from album.gui import group_dialogs
from album.gui.folder_list import GROUPS
from album.gui.messages import GroupAction, GroupRequest, PersonalState, Photos
from album.gui import personal_controller
from album.gui.personal_controller import CANNOT_TRAIN, IMPROVE, NOT_YET, OFFER_FIRST, OFFER_RETRAIN, UNDO_TEXT
from album.library.records import PersonalReport
from tests.gui.conftest import TIMEOUT_MS, record

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def report(tmp_path, before=0.62, after=0.81) -> PersonalReport:
    model = tmp_path / "personal.pt"
    model.write_bytes(b"weights")
    return PersonalReport(2, 8, before, after, "similar-photo accuracy on your groups", 42.0, str(model))


def library(qtbot, stub_window, *, dog_confirmed=False):
    """A stub library of 10 photos: "cat" (6-8, confirmed), "dog" (1-5), "bird" (9-10, confirmed but small)."""
    window = stub_window()
    photos = [record(i, mtime_s=1000 - i) for i in range(1, 11)]
    window.stub.records = {p.id: p for p in photos}
    window.stub.groups.groups = {1: ("cat", True, [6, 7, 8]), 2: ("dog", dog_confirmed, [1, 2, 3, 4, 5]),
                                 3: ("bird", True, [9, 10])}
    window.bridge.worker.request_scan(None)   # a finished scan sends the groups again
    qtbot.waitUntil(lambda: len(window.groups.groups) == 3 and not window.status.bar.isVisible(), timeout=TIMEOUT_MS)
    window.bridge.worker.photosChanged.emit(Photos(photos))
    return window


def rename(qtbot, window, group_id, name):
    window.bridge.ask_groups(GroupRequest(GroupAction.RENAME, group_id, name=name))


def test_the_action_is_enabled_once_two_groups_of_three_photos_are_confirmed(qtbot, stub_window):
    window = library(qtbot, stub_window)
    personal = window.personal
    file_menu = window.menuBar().actions()[0].menu()
    assert personal.improve_action in file_menu.actions() and personal.undo_action in file_menu.actions()
    assert personal.improve_action.text() == IMPROVE and personal.undo_action.text() == UNDO_TEXT
    window.show_page(GROUPS)
    assert personal.improve_button.isVisible(), "the Groups page has the button beside Regroup"
    assert not personal.improve_action.isEnabled() and not personal.improve_button.isEnabled()
    assert personal.improve_button.toolTip() == NOT_YET, "a disabled action says what to do first"
    assert not personal.undo_action.isEnabled() and not personal.line.isVisible()
    rename(qtbot, window, 2, "Rex")   # renaming confirms "dog": two confirmed groups of 3+ photos now
    qtbot.waitUntil(personal.improve_action.isEnabled, timeout=TIMEOUT_MS)
    assert personal.improve_button.isEnabled() and "your 2 confirmed groups" in personal.improve_button.toolTip()
    window.bridge.ask_groups(GroupRequest(GroupAction.REMOVE, 1, photo_ids=(6,)))   # "cat" keeps 2 photos
    qtbot.waitUntil(lambda: not personal.improve_action.isEnabled(), timeout=TIMEOUT_MS)
    assert window.stub.personal_calls == [], "nothing trains by itself"


def test_an_installation_without_pytorch_says_why_it_cannot_learn_and_offers_nothing(qtbot, stub_window,
                                                                                     monkeypatch):
    monkeypatch.setattr(personal_controller, "can_train", lambda: False)   # a slim bundle
    window = library(qtbot, stub_window, dog_confirmed=True)   # two confirmed groups of 3+ photos
    personal = window.personal
    window.show_page(GROUPS)
    assert not personal.improve_action.isEnabled() and not personal.improve_button.isEnabled()
    assert personal.improve_button.toolTip() == CANNOT_TRAIN and "PyTorch" in CANNOT_TRAIN
    rename(qtbot, window, 1, "Tom")   # an edit, after which a library that can learn is offered to
    qtbot.wait(300)
    personal.improve()
    assert not window.banner.offering() and window.stub.personal_calls == []


def test_improving_shows_progress_then_the_report_and_undo_goes_back(qtbot, stub_window, tmp_path):
    window = library(qtbot, stub_window, dog_confirmed=True)
    stub, personal, status = window.stub, window.personal, window.status
    window.grid.setCurrentIndex(window.photo_model.index(window.photo_model.row_of(7)))
    qtbot.waitUntil(lambda: stub.similar_asked[-1:] == [7], timeout=TIMEOUT_MS)
    asked = len(stub.similar_asked)
    stub.personal_gate, stub.personal_made = threading.Event(), report(tmp_path)
    finished = []
    window.bridge.worker.taskFinished.connect(finished.append)
    personal.improve_action.trigger()
    qtbot.waitUntil(lambda: status.activity.full_text().startswith("Learning from your groups")
                    and status.bar.isVisible(), timeout=TIMEOUT_MS)
    assert personal.stop_button.isVisible() and status.pause_button.isVisible()
    assert not personal.improve_action.isEnabled(), "asked once: the action waits for the answer"
    rename(qtbot, window, 1, "Tom")
    qtbot.wait(200)
    assert stub.groups.edits == [], "group edits wait while the model learns"
    stub.personal_gate.set()
    qtbot.waitUntil(lambda: personal.dialog is not None and personal.dialog.isVisible(), timeout=TIMEOUT_MS)
    dialog = personal.dialog
    assert dialog.headline.text() == "Similar-photo accuracy on your groups: 62 % → 81 %"
    assert "2 groups (8 photos) in 42 s" in dialog.details.text()
    assert [dialog.undo_button.text(), dialog.close_button.text()] == ["Undo", "Close"]
    qtbot.waitUntil(lambda: stub.groups.edits == [("rename", 1, "Tom")], timeout=TIMEOUT_MS)
    assert finished == ["Using your personal model · 62 % → 81 % on your groups"]
    qtbot.waitUntil(lambda: stub.similar_asked[asked:] == [7], timeout=TIMEOUT_MS)   # the panel asks the new model
    assert not personal.stop_button.isVisible()
    window.show_page(GROUPS)
    assert personal.line.isVisible() and "Using your personal model (made " in personal.line.text()
    assert "from 2 groups" in personal.line.text() and personal.undo_action.isEnabled()

    dialog.undo_button.click()
    qtbot.waitUntil(lambda: stub.personal is None and not personal.line.isVisible(), timeout=TIMEOUT_MS)
    assert stub.personal_calls == ["personalize", "undo"]
    qtbot.waitUntil(lambda: finished[1:] == ["Back to the standard model"], timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: stub.similar_asked[asked:] == [7, 7], timeout=TIMEOUT_MS)
    assert not personal.undo_action.isEnabled() and personal.improve_action.isEnabled()


def test_the_groups_page_line_undoes_later(qtbot, stub_window, tmp_path):
    window = library(qtbot, stub_window, dog_confirmed=True)
    window.stub.personal = report(tmp_path)
    window.bridge.worker.personalChanged.emit(PersonalState(window.stub.personal))   # as after opening
    window.show_page(GROUPS)
    assert window.personal.line.isVisible() and "62 % → 81 %" in window.personal.line.text()
    window.personal.line.linkActivated.emit("undo")
    qtbot.waitUntil(lambda: not window.personal.line.isVisible(), timeout=TIMEOUT_MS)
    assert window.stub.personal_calls == ["undo"]


def test_stop_ends_the_learning_and_keeps_the_results(qtbot, stub_window, tmp_path):
    window = library(qtbot, stub_window, dog_confirmed=True)
    window.stub.personal_gate, window.stub.personal_made = threading.Event(), report(tmp_path)
    window.personal.improve_button.click()
    qtbot.waitUntil(window.personal.stop_button.isVisible, timeout=TIMEOUT_MS)
    window.personal.stop_button.click()
    qtbot.waitUntil(lambda: window.status.activity.full_text().startswith("Stopped learning from your groups"),
                    timeout=TIMEOUT_MS)
    # the task's end and the worker's answer about the model are two signals: wait for both
    qtbot.waitUntil(lambda: not window.personal.stop_button.isVisible() and window.personal.improve_action.isEnabled(),
                    timeout=TIMEOUT_MS)
    assert window.stub.personal is None and window.personal.dialog is None


def test_a_refusal_is_said_in_plain_words(qtbot, stub_window):
    window = library(qtbot, stub_window, dog_confirmed=True)
    window.stub.personal_made = UserFacingError("Confirm at least two groups of three or more photos first.")
    window.personal.improve_action.trigger()
    qtbot.waitUntil(lambda: window.banner.text().startswith("Confirm at least two groups"), timeout=TIMEOUT_MS)
    qtbot.waitUntil(window.personal.improve_action.isEnabled, timeout=TIMEOUT_MS)
    assert window.personal.dialog is None


def test_an_edit_offers_to_learn_and_starts_nothing_by_itself(qtbot, stub_window, tmp_path, monkeypatch):
    window = library(qtbot, stub_window)
    banner, stub = window.banner, window.stub
    rename(qtbot, window, 3, "Tweety")   # a confirmed group too small to learn from: no offer
    qtbot.waitUntil(lambda: stub.groups.edits == [("rename", 3, "Tweety")], timeout=TIMEOUT_MS)
    qtbot.wait(100)
    assert not banner.offering()
    rename(qtbot, window, 2, "Rex")
    qtbot.waitUntil(banner.offering, timeout=TIMEOUT_MS)
    assert banner.text() == OFFER_FIRST.format(count=2)
    assert banner.action_button.text() == "Improve results with your groups"
    banner.hide()
    rename(qtbot, window, 2, "Rexy")
    qtbot.waitUntil(lambda: len(stub.groups.edits) == 3, timeout=TIMEOUT_MS)
    qtbot.wait(100)
    assert not banner.offering(), "the first offer is made once"

    stub.personal = report(tmp_path)
    window.bridge.worker.personalChanged.emit(PersonalState(stub.personal))
    monkeypatch.setattr(group_dialogs, "ask_name", lambda *args, **kwargs: "Rex the dog")
    window.groups.rename(2)
    qtbot.waitUntil(banner.offering, timeout=TIMEOUT_MS)
    assert banner.text() == OFFER_RETRAIN and banner.action_button.text() == "Retrain with your edited groups"
    qtbot.wait(300)
    assert stub.personal_calls == [], "an offer never retrains by itself"
    stub.personal_made = report(tmp_path, 0.62, 0.85)
    banner.action_button.click()
    assert not banner.isVisible()
    qtbot.waitUntil(lambda: window.personal.dialog is not None, timeout=TIMEOUT_MS)
    assert stub.personal_calls == ["personalize"]
    assert window.personal.dialog.headline.text().endswith("62 % → 85 %")


@pytest.mark.slow
def test_improving_and_undoing_with_the_real_engine(qtbot, make_window, real_photo_dir):
    """Two groups made in the app, a personal model learnt from them, its report, and back."""
    from album.gui.photo_model import PhotoRole
    from tests.gui.conftest import indexed_window

    window = indexed_window(qtbot, make_window, real_photo_dir, count=12)
    personal = window.personal
    assert not personal.improve_action.isEnabled()
    ids = sorted(window.photo_model.index(row).data(PhotoRole).id for row in range(12))
    for name, chosen in (("first", ids[:4]), ("second", ids[4:8])):
        window.bridge.ask_groups(GroupRequest(GroupAction.CREATE, photo_ids=tuple(chosen), name=name))
    qtbot.waitUntil(personal.improve_action.isEnabled, timeout=TIMEOUT_MS)
    qtbot.waitUntil(window.banner.offering, timeout=TIMEOUT_MS)   # offered, not started
    personal.improve_action.trigger()
    qtbot.waitUntil(lambda: personal.dialog is not None, timeout=180_000)
    dialog = personal.dialog
    assert dialog.headline.text().startswith("Similar-photo accuracy on your groups: ")
    assert " % → " in dialog.headline.text() and "2 groups (8 photos)" in dialog.details.text()
    window.show_page(GROUPS)
    assert personal.line.isVisible() and personal.undo_action.isEnabled()
    dialog.undo_button.click()
    qtbot.waitUntil(lambda: not personal.line.isVisible() and not personal.undo_action.isEnabled(),
                    timeout=TIMEOUT_MS)
    assert window.status.activity.full_text() == "Back to the standard model"
