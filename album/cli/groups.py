"""``album groups``, ``album group ...`` and ``album regroup``: subject groups from a terminal.

Photos are named by id or by path; groups by id or (for ``group add``) by
name, which creates a confirmed group when no group has that name. Every
edit confirms the group: ``album regroup`` never undoes it.
"""

from __future__ import annotations

import json
from pathlib import Path

from album.errors import UserFacingError

#: above this many photos in groups, their records are read with every photo's at once (the faster way)
MANY_PHOTOS = 2_000


def register(commands, open_album) -> None:
    def handler(function):
        return lambda args: function(args, open_album)

    groups = commands.add_parser("groups", help="groups of photos of the same subject, largest first")
    groups.add_argument("--json", action="store_true", help='print JSON: [{"id", "name", "confirmed", "paths"}]')
    groups.set_defaults(handler=handler(cmd_groups))

    group = commands.add_parser("group", help="rename, merge, add to or remove from a group")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    rename = actions.add_parser("rename", help="give a group a name")
    rename.add_argument("group", metavar="ID")
    rename.add_argument("name", metavar="NAME")
    merge = actions.add_parser("merge", help="fold groups into the first one")
    merge.add_argument("groups", nargs="+", metavar="ID")
    add = actions.add_parser("add", help="add photos to a group (a new group when NAME is not one)")
    add.add_argument("group", metavar="NAME_OR_ID")
    add.add_argument("photos", nargs="+", metavar="PHOTO", help="photo id or path")
    remove = actions.add_parser("remove", help="take photos out of a group for good")
    remove.add_argument("group", metavar="ID")
    remove.add_argument("photos", nargs="+", metavar="PHOTO", help="photo id or path")
    group.set_defaults(handler=handler(cmd_group))

    regroup = commands.add_parser("regroup", help="recompute the automatic groups (your edits are kept)")
    regroup.set_defaults(handler=handler(cmd_regroup))


def cmd_groups(args, open_album) -> int:
    with open_album(args) as album:
        groups = album.groups.list()  # names and sizes: one query, whatever the library's size
        if args.json:
            paths = _member_paths(album, groups)
    if args.json:
        print(json.dumps([{"id": g.id, "name": g.name, "confirmed": g.confirmed, "paths": paths[g.id]}
                          for g in groups], indent=2))
    elif not groups:
        print("No groups yet (they are made after 'album scan', or with 'album regroup').")
    else:
        for g in groups:
            mark = "  (confirmed)" if g.confirmed else ""
            print(f"{g.id:>6}  {g.name}  · {g.size:,} photos{mark}")
    return 0


def _member_paths(album, groups) -> dict[int, list[str]]:
    """Each group's photos' paths, pinned ones first; the paths of every photo are read at once (plain
    rows: 100,000 in about a second) when the groups hold many."""
    members = {g.id: album.groups.members(g.id) for g in groups}
    wanted = [p for ids in members.values() for p in ids]
    if len(wanted) > MANY_PHOTOS:
        records = {record.id: record for record in album.photos()}
    else:
        records = album.photos_by_ids(wanted)
    return {gid: [records[p].path for p in ids if p in records] for gid, ids in members.items()}


def cmd_group(args, open_album) -> int:
    with open_album(args) as album:
        if args.action == "rename":
            group = _group(album, args.group)
            album.groups.rename(group, args.name)
            print(f"Group {group} is now called {args.name!r}.")
        elif args.action == "merge":
            into, *others = [_group(album, g) for g in args.groups]
            if not others:
                raise UserFacingError("name at least two groups to merge")
            album.groups.merge(into, others)
            print(f"Merged {len(others)} group(s) into group {into} ({album.groups.get(into).size:,} photos).")
        elif args.action == "add":
            photos = [_photo(album, p) for p in args.photos]
            found = album.groups.resolve(args.group)
            if found is None and args.group.strip().isdigit():
                raise UserFacingError(f"there is no group {args.group} (see 'album groups')")
            if found is None:
                group = album.groups.create(args.group, photos)
                print(f"Created group {group} {args.group!r} with {len(photos)} photo(s).")
            else:
                album.groups.add(found.id, photos)
                print(f"Added {len(photos)} photo(s) to group {found.id} ({found.name or args.group}).")
        else:
            group = _group(album, args.group)
            album.groups.remove(group, [_photo(album, p) for p in args.photos])
            print(f"Took {len(args.photos)} photo(s) out of group {group}; regrouping will not put them back.")
    return 0


def cmd_regroup(args, open_album) -> int:
    from album.terminal_progress import TerminalProgress

    with open_album(args) as album, TerminalProgress() as progress:
        summary = album.regroup(progress)
    print(f"Grouping finished: {summary.describe()}.")
    return 0


def _group(album, text: str) -> int:
    if not text.strip().isdigit():
        raise UserFacingError(f"{text!r} is not a group id (see 'album groups')")
    if not album.groups.exists(int(text)):
        raise UserFacingError(f"there is no group {text} (see 'album groups')")
    return int(text)


def _photo(album, text: str) -> int:
    """A photo id, or the path of a library photo."""
    if text.isdigit() and not Path(text).exists():
        return int(text)
    record = album.photo_at(text)
    if record is None:
        raise UserFacingError(f"{text} is neither a photo id nor a photo of the library")
    return record.id
