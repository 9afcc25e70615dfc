"""``album personalize [--undo]``: a personal similarity model from the user's confirmed groups.

Trains on the photos pinned to confirmed groups, makes the model the
library's similarity model, re-encodes from the kept features and prints how
much better it finds photos of those groups; ``--undo`` goes back to the
default model.  Ctrl-C cancels.
"""

from __future__ import annotations

import signal


def register(commands, open_album) -> None:
    personalize = commands.add_parser(
        "personalize", help="fine-tune similar photos and groups on your confirmed groups",
        description="Train a personal similarity model on the photos of your confirmed groups "
                    "(at least 2 groups of 3 photos), or go back to the default model with --undo.")
    personalize.add_argument("--undo", action="store_true", help="go back to the default model")
    personalize.set_defaults(handler=lambda args: cmd_personalize(args, open_album))


def cmd_personalize(args, open_album) -> int:
    from album.tasks import Cancelled, TaskControl
    from album.terminal_progress import TerminalProgress

    if args.undo:
        with open_album(args) as album:
            album.undo_personalize()
        print("Back to the default model.")
        return 0
    control = TaskControl()
    previous = signal.signal(signal.SIGINT, lambda *_: control.cancel())
    try:
        with open_album(args) as album, TerminalProgress() as progress:
            report = album.personalize(progress, control)
    except Cancelled:
        print("Cancelled: the model in use is unchanged.")
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
    print(report.describe())
    print(f"Your model is {report.path}; 'album personalize --undo' goes back to the default one.")
    return 0
