"""Every speed figure of the app in one table: indexing, queries, start-up (issue 12).

    .venv/bin/python benchmarks/speed.py [--only indexing,queries,startup] [section options]

Sections run one after the other, never at once (they are timings; run it
on a quiet machine).  Options of each section: ``--help``.  The README's
"Speed" table is this command's output.  The sections are imported in
``main``: the decoder processes import this script again, and should not
import the sections with it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import time

from speed_table import table

#: section name -> its module
SECTIONS = {"indexing": "speed_indexing", "queries": "speed_queries", "startup": "speed_startup"}


def main() -> None:
    sections = {name: importlib.import_module(module) for name, module in SECTIONS.items()}
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections to run, comma-separated")
    for module in sections.values():
        module.add_arguments(parser)
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)} (choose from {', '.join(SECTIONS)})")
    figures = []
    started = time.perf_counter()
    for name in chosen:
        figures += sections[name].figures(args)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d')}, {time.perf_counter() - started:.0f} s in all\n")
    print(table(figures))


if __name__ == "__main__":
    main()
