"""``album duplicates``: stacks of copies of one shot, and bursts, with the photo to keep.

It only lists: moving the extra copies to the trash is a choice made in the
app, one stack at a time, after a confirmation.
"""

from __future__ import annotations

import json


def register(commands, open_album) -> None:
    duplicates = commands.add_parser("duplicates", help="copies of the same shot (and bursts), with the one to keep")
    duplicates.add_argument("--json", action="store_true",
                            help='print JSON: [{"paths", "keep", "kind": "copy" | "burst"}]')
    duplicates.set_defaults(handler=lambda args: cmd_duplicates(args, open_album))


def cmd_duplicates(args, open_album) -> int:
    from album.terminal_progress import TerminalProgress

    with open_album(args) as album, TerminalProgress() as progress:
        stacks = album.duplicates(progress)
        records = album.photos_by_ids([p for stack in stacks for p in stack.photo_ids])
    listed = [{"paths": [records[p].path for p in stack.photo_ids if p in records],
               "keep": records[stack.keep].path, "kind": stack.kind}
              for stack in stacks if stack.keep in records]
    if args.json:
        print(json.dumps(listed, indent=2))
        return 0
    if not listed:
        print("No duplicates found.")
        return 0
    copies = sum(1 for s in listed if s["kind"] == "copy")
    print(f"{copies} stack(s) of copies, {len(listed) - copies} burst(s) of similar shots:")
    for stack in listed:
        title = "copies" if stack["kind"] == "copy" else "similar shots (burst)"
        print(f"\n{title}:")
        for path in stack["paths"]:
            print(f"  {'keep ' if path == stack['keep'] else '     '}{path}")
    return 0
