"""``album search "words"``: library photos that a few words describe, from a terminal.

The query is typed words ("a dog on the beach"); results are the photos
that match best, best first, with their scores (``search.text_search``),
as ``album similar`` prints them (``--json``: a list of {path, photo_id,
score}).  Photos are searchable once a scan has indexed them.
"""

from __future__ import annotations

import json


def register(commands, open_album) -> None:
    search = commands.add_parser("search", help="photos that some words describe, e.g. \"a dog on the beach\"")
    search.add_argument("words", nargs="+", metavar="WORDS")
    search.add_argument("-k", type=int, default=20, help="at most this many results (default 20)")
    search.add_argument("--min-score", type=float, default=None,
                        help="hide results below this score (default: the text model's threshold)")
    search.add_argument("--json", action="store_true", help="print JSON: [{path, photo_id, score}], best first")
    search.set_defaults(handler=lambda args: cmd_search(args, open_album))


def cmd_search(args, open_album) -> int:
    words = " ".join(args.words)
    with open_album(args) as album:
        matches = album.search_text(words, args.k, args.min_score)
    if args.json:
        print(json.dumps([{"path": m.path, "photo_id": m.photo_id, "score": m.score} for m in matches], indent=2))
    elif not matches:
        print(f"No photos match “{words}”.")
    else:
        for match in matches:
            print(f"{match.score:.3f}  {match.path}")
    return 0
