"""One row of the speed benchmark's table (``benchmarks/speed.py``), shared by its sections.

Each section module (``speed_indexing``, ``speed_queries``, ``speed_startup``)
has ``figures(args) -> list[Figure]``; ``speed.py`` runs them one after the
other (never at once: the figures are timings) and prints one markdown table.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass
class Figure:
    section: str            # "Indexing", "Queries", "Start-up"
    what: str               # what was measured, in words
    measured: str           # the figure, with its unit ("41.2 photos/s", "3.1 ms")
    target: str = ""        # the target in words ("≥ 40 photos/s"), empty when there is none
    met: bool | None = None  # None when there is no target

    def row(self) -> str:
        verdict = "" if self.met is None else ("met" if self.met else "**missed**")
        return f"| {self.section} | {self.what} | {self.measured} | {self.target} | {verdict} |"


HEADER = "| area | what | measured | target | |\n|---|---|---|---|---|"


def table(figures: list[Figure]) -> str:
    return "\n".join([HEADER, *(figure.row() for figure in figures)])


def run_alone(doc: str, add_arguments, figures) -> None:
    """A section run as its own script: its options, its figures, one table."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    add_arguments(parser)
    print(table(figures(parser.parse_args())))
