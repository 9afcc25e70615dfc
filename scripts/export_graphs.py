"""Export the ONNX graphs the app runs into resources/graphs, so that it runs them without PyTorch.

    .venv/bin/python scripts/export_graphs.py

Run before building a slim bundle (packaging/album.spec, ALBUM_BUNDLE=slim):
``album.vision.app_graphs`` says which graphs and why.  About 10 s and
110 MB; the folder is not kept in git.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from album.vision import graph_cache  # noqa: E402
from album.vision.app_graphs import export_app_graphs  # noqa: E402


def main() -> int:
    started = time.perf_counter()
    graph_cache.SHIPPED.mkdir(parents=True, exist_ok=True)
    graphs = export_app_graphs(graph_cache.SHIPPED)
    size = sum(graph.stat().st_size for graph in graphs) / 1e6
    print(f"{len(graphs)} graphs, {size:.0f} MB, in {graph_cache.SHIPPED} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
