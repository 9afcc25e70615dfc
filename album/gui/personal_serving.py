"""The worker's share for the personal model: training it on the user's groups, undoing it, saying which is in use.

Every function here runs on the library worker's thread (``TaskServing`` is
the only caller) and answers with a ``PersonalState``, the typed record the
window shows: the personal model in use (the engine's ``PersonalReport``)
and when it was made, and what the task that just ended did.  Nothing here
runs by itself: training starts only when the user asks for it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from datetime import datetime

from album.gui.messages import PersonalState
from album.tasks import Cancelled, ProgressCallback, TaskControl

log = logging.getLogger(__name__)


def state(album) -> PersonalState:
    """The personal model in use now (a library without personal models: the standard one)."""
    personal_model = getattr(album, "personal_model", None)
    report = personal_model() if personal_model is not None else None
    return PersonalState(report, made_at(report))


def made_at(report) -> datetime | None:
    """When the personal model was made: its file's time (None when it cannot be read)."""
    path = getattr(report, "path", None)
    try:
        return datetime.fromtimestamp(os.path.getmtime(path)) if path else None
    except OSError:
        return None


def personalize(album, progress: ProgressCallback, control: TaskControl) -> PersonalState:
    """Train a personal model on the confirmed groups and use it; a cancelled training keeps the model
    that was in use.  A ``UserFacingError`` (too few confirmed groups, ...) goes up to the worker's guard."""
    try:
        report = album.personalize(progress=progress, control=control)
    except Cancelled:
        report = None
    if report is None or control.cancelled:
        log.info("training a personal model was cancelled")
        return dataclasses.replace(state(album), cancelled=True)
    log.info("personal model made from %d groups (%d photos): %.3f -> %.3f (%s) in %.0f s", report.groups,
             report.photos, report.before, report.after, report.measure, report.seconds)
    return PersonalState(report, made_at(report), trained=True)


def undo(album) -> PersonalState:
    """Back to the standard model."""
    album.undo_personalize()
    log.info("back to the standard model")
    return PersonalState(None, undone=True)


def percent(value: float) -> str:
    """An accuracy as a person reads it: ``81 %`` (the engine's figures are fractions)."""
    return f"{value * 100 if value <= 1.0 else value:.0f} %"


def finished_text(result: PersonalState) -> str:
    """What the status bar says once the task is over."""
    if result.cancelled:
        return "Stopped learning from your groups: the results stay as they were"
    if result.undone:
        return "Back to the standard model"
    report = result.active
    return f"Using your personal model · {percent(report.before)} → {percent(report.after)} on your groups"
