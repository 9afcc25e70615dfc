#!/usr/bin/env bash
# Create the project's virtual environment (.venv) and install album into it.
# Usage: scripts/bootstrap.sh [EXTRAS]   e.g. "test". Quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "album needs Python 3.10 or newer (found: $("$python" --version 2>&1))" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv ..." >&2
    "$python" -m venv .venv
fi

# Reinstall only when pyproject.toml (or the extras asked for) changed since the last install.
stamp=".venv/.album-$(cat pyproject.toml <(echo "$extras") | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "Installing album and its dependencies into .venv (first time: a few minutes) ..." >&2
    log=.venv/install.log
    if ! { .venv/bin/python -m pip install --upgrade pip &&
           .venv/bin/python -m pip install -e ".${extras:+[$extras]}"; } >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "Installing failed; the whole log is in $log" >&2
        exit 1
    fi
    touch "$stamp"
fi

# The networks' ONNX graphs, exported once here (about 10 s), so that the app and the command run them
# without importing PyTorch, as a packaged app does (album/vision/app_graphs.py). Redone when album or a
# shipped model changed; without them album exports into each library's cache instead.
graphs="resources/graphs"
graphs_stamp="$graphs/.exported-$(cat pyproject.toml resources/models/*.safetensors | sha256sum | cut -c1-16)"
if [ ! -f "$graphs_stamp" ]; then
    echo "Exporting the networks for ONNX Runtime (first time: about 10 s) ..." >&2
    if .venv/bin/python scripts/export_graphs.py >.venv/export.log 2>&1; then
        rm -f "$graphs"/.exported-*
        touch "$graphs_stamp"
    else
        echo "Exporting the networks failed (album exports them into each library instead): see .venv/export.log" >&2
    fi
fi
