"""The ``album`` command: the same engine as the desktop app, from a terminal.

``album`` alone opens the desktop app.  Subcommands: add, remove, scan,
similar, search, status, groups, group, regroup, duplicates, personalize, train, eval,
install-desktop.  ``--library DIR`` (or
``ALBUM_LIBRARY``) chooses the library.  Problems caused by the environment
print a plain message and exit 1; anything else is a bug, logged with its
traceback, and exits 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path

from album import __version__
from album.errors import UserFacingError
from album.logs import setup_logging
from album.paths import LibraryPaths

log = logging.getLogger("album")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="album", description="Offline smart photo album: find similar photos.")
    parser.add_argument("--version", action="version", version=f"album {__version__}")
    parser.add_argument("--library", metavar="DIR", help="library folder (default: $ALBUM_LIBRARY or the user data folder)")
    parser.add_argument("--model", default="default",
                        help="encoder: default, pretrained, a backbone name or a .safetensors model file")
    parser.add_argument("-v", "--verbose", action="store_true", help="show informational messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    add = commands.add_parser("add", help="add photo folders to the library (then run 'album scan')")
    add.add_argument("folders", nargs="+", metavar="FOLDER")
    add.set_defaults(handler=cmd_add)

    remove = commands.add_parser("remove", help="forget a folder's photos (files on disk are untouched)")
    remove.add_argument("folders", nargs="+", metavar="FOLDER")
    remove.set_defaults(handler=cmd_remove)

    scan = commands.add_parser("scan", help="find new, changed, moved and deleted photos and index them")
    scan.add_argument("folders", nargs="*", metavar="FOLDER", help="only these library folders")
    scan.set_defaults(handler=cmd_scan)

    similar = commands.add_parser("similar", help="photos similar to a library photo or any image file")
    similar.add_argument("query", metavar="IMAGE|PHOTO_ID")
    similar.add_argument("-k", type=int, default=20, help="at most this many results (default 20)")
    similar.add_argument("--min-score", type=float, default=None,
                         help="hide results less similar than this cosine score (default: the model's threshold)")
    similar.add_argument("--json", action="store_true", help="print JSON: [{path, photo_id, score}], best first")
    similar.set_defaults(handler=cmd_similar)

    status = commands.add_parser("status", help="what the library holds")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=cmd_status)

    desktop = commands.add_parser("install-desktop", help="add album to the desktop's application menu")
    desktop.set_defaults(handler=cmd_install_desktop)

    from album.cli import duplicates as duplicate_commands
    from album.cli import groups as group_commands
    from album.cli import personal as personal_commands
    from album.cli import search as search_commands
    from album.vision import commands as vision_commands

    search_commands.register(commands, open_album)
    group_commands.register(commands, open_album)
    duplicate_commands.register(commands, open_album)
    personal_commands.register(commands, open_album)
    vision_commands.register(commands)
    return parser


def open_album(args):
    """The library, whose search indexes show a bar on the terminal if they must be rebuilt (after a crash,
    or the first time a release with another index format opens it)."""
    from album.engine import Album
    from album.terminal_progress import TerminalProgress

    album = Album.open(LibraryPaths.resolve(args.library), model=args.model)
    album.indexes.progress = TerminalProgress()
    return album


def cmd_add(args) -> int:
    with open_album(args) as album:
        for folder in args.folders:
            info = album.add_folder(folder)
            print(f"Added {info.path}")
    print("Run 'album scan' to index the photos.")
    return 0


def cmd_remove(args) -> int:
    with open_album(args) as album:
        for folder in args.folders:
            count = album.remove_folder(folder)
            print(f"Removed {folder} from the library ({count} photos forgotten; files untouched)")
    return 0


def cmd_scan(args) -> int:
    from album.terminal_progress import TerminalProgress
    from album.tasks import TaskControl

    control = TaskControl()
    previous = signal.signal(signal.SIGINT, lambda *_: control.cancel())
    try:
        with open_album(args) as album, TerminalProgress() as progress:
            if not album.folders():
                raise UserFacingError("the library has no folders yet; add one with 'album add FOLDER'")
            summary = album.scan(args.folders or None, progress=progress, control=control)
    finally:
        signal.signal(signal.SIGINT, previous)
    print(f"Scan finished: {summary.describe()}.")
    for folder in summary.missing_folders:
        print(f"  folder not found (its photos are kept): {folder}")
    for path, reason in summary.failed:
        print(f"  could not read {path}: {reason}")
    return 130 if summary.cancelled else 0


def cmd_similar(args) -> int:
    with open_album(args) as album:
        matches = _similar(album, args.query, args.k, args.min_score)
        scale = album.score_scale
    if args.json:
        print(json.dumps([{"path": m.path, "photo_id": m.photo_id, "score": m.score} for m in matches], indent=2))
    elif not matches:
        print("No similar photos above the threshold.")
    else:
        for match in matches:  # the cosine, the path, and how it reads: "(97 %, near-duplicate)"
            print(f"{match.score:.3f}  {match.path}  ({scale.percent(match.score)} %, {scale.band(match.score)})")
    return 0


def _similar(album, query: str, k: int, min_score: float | None):
    path = Path(query).expanduser()
    if path.is_file():
        in_library = album.photo_at(path)
        if in_library is not None and in_library.status == "ok":  # else: encode it like an outside file
            return album.similar_to_photo(in_library.id, k, min_score)
        return album.similar_to_file(path, k, min_score)
    if query.isdigit():
        return album.similar_to_photo(int(query), k, min_score)
    raise UserFacingError(f"{query} is neither an image file nor a photo id")


def cmd_status(args) -> int:
    from album.library.status_reader import StatusReport, read_status

    # read-only, without SQLAlchemy or numpy (a fraction of the time); the engine opens the library when
    # it would change something (a catalogue to create or migrate, encoders to rewrite)
    report = read_status(LibraryPaths.resolve(args.library).catalogue)
    if report is None:
        with open_album(args) as album:
            report = StatusReport(album.status(), [(photo.path, photo.failure) for photo in album.failures()])
    status, failures = report.status, report.failures
    if args.json:
        models = [{"id": m.id, "role": m.role, "indexed": m.indexed} for m in status.models]
        print(json.dumps({"photos": status.photos, "indexed": status.indexed, "pending": status.pending,
                          "failed": status.failed, "folders": status.folders, "model": status.model,
                          "models": models}, indent=2))
        return 0
    print(f"Library: {LibraryPaths.resolve(args.library).root}")
    print(f"Photos: {status.photos:,} ({status.indexed:,} indexed, {status.pending:,} waiting, "
          f"{status.failed:,} unreadable)")
    print(f"Model: {status.model or 'none yet (run album scan)'}")
    for model in status.models:
        if model.id != status.model:
            print(f"  also {model.role}: {model.id} ({model.indexed:,} indexed)")
    print("Folders:" if status.folders else "Folders: none (add one with 'album add FOLDER')")
    for folder in status.folders:
        print(f"  {folder}")
    for path, failure in failures[:20]:
        print(f"  unreadable: {path}: {failure}")
    if len(failures) > 20:
        print(f"  ... and {len(failures) - 20} more unreadable files")
    return 0


def cmd_install_desktop(args) -> int:
    from album.gui.desktop import install_desktop_entry

    for path in install_desktop_entry():
        print(f"Wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    paths = LibraryPaths.resolve(args.library)
    try:
        setup_logging(paths, logging.INFO if args.verbose else logging.WARNING)
    except OSError as exc:
        print(f"album: cannot write the log folder {paths.logs}: {exc}", file=sys.stderr)
        return 1
    try:
        if args.command is None:
            from album.gui.launch import run_app

            return run_app(paths)
        return args.handler(args)
    except UserFacingError as exc:
        print(f"album: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _reader_gone()
    except Exception:
        log.exception("internal error")
        print(f"album: internal error; details are in {paths.log_file}", file=sys.stderr)
        return 2


def _reader_gone() -> int:
    """The reader of our output went away (``album status | head``): stop quietly, like Unix tools.
    Standard output now points at /dev/null so that the final flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + signal.SIGPIPE
