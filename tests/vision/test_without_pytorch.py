"""With its graphs shipped, album indexes, searches and groups photos where PyTorch is not installed.

This is what a slim packaged app is: ``scripts/export_graphs.py`` exports the
graphs at packaging time, and the bundle leaves PyTorch (and its gigabytes of
CUDA libraries) out, and the weights files the graphs were exported from.  A
child process refuses every import of PyTorch and of the libraries built on
it, finds no weights files, and runs the command line over a new library.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from album.vision.app_graphs import export_app_graphs
from album.vision.defaults import bundled_features_id
from album.vision.text_encoder import TextEncoder, text_model_folder

#: what a slim bundle leaves out
ABSENT = ("torch", "torchvision", "timm", "transformers", "sentence_transformers", "pytorch_metric_learning")

CHILD = """
import importlib.abc, json, sys
from pathlib import Path

class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {absent!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Absent())
from album.vision import defaults, graph_cache, imagenet_labels, text_encoder
graph_cache.SHIPPED = Path({shipped!r})
imagenet_labels.SHIPPED_WORDS = Path({words!r})
defaults.bundled_weights_file = lambda: Path({shipped!r}) / "left-out.pth"
text_encoder.text_model_folder = lambda: Path({sentences!r})
from album.cli import main
print("IDS " + json.dumps([defaults.bundled_features_id(), text_encoder.TextEncoder().model_id]))

library = ["--library", {library!r}]
codes = {{}}
codes["add"] = main(library + ["add", {photos!r}])
codes["scan"] = main(library + ["scan"])
codes["search"] = main(library + ["search", "a photo", "--json", "--min-score", "-1"])
codes["similar"] = main(library + ["similar", {outside!r}, "--json"])
codes["groups"] = main(library + ["groups"])
codes["duplicates"] = main(library + ["duplicates"])
codes["status"] = main(library + ["status"])
codes["train"] = main(library + ["train", {photos!r}, "--out", {model!r}])
codes["personalize"] = main(library + ["personalize"])
print("CODES " + json.dumps(codes))
print("IMPORTED " + json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {absent!r})))
"""


@pytest.mark.slow
def test_a_slim_installation_indexes_searches_and_groups_without_pytorch(tmp_path, real_photo_dir):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    graphs = export_app_graphs(shipped)
    assert len(graphs) == 3 and all(oct(graph.stat().st_mode & 0o777) == "0o644" for graph in graphs)
    assert (shipped / "digests.json").is_file()
    outside = next(real_photo_dir.iterdir())
    words = Path(importlib.util.find_spec("timm").submodule_search_locations[0]) / "data" / "_info"
    sentences = tmp_path / "sentences"  # the sentence encoder's folder without its weights
    shutil.copytree(text_model_folder(), sentences, ignore=shutil.ignore_patterns("*.safetensors"))
    script = CHILD.format(absent=ABSENT, shipped=str(shipped), words=str(words), sentences=str(sentences), library=str(tmp_path / "library"),
                          photos=str(real_photo_dir), outside=str(outside), model=str(tmp_path / "m.safetensors"))
    done = subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=600)
    lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in done.stdout.splitlines()
             if line.startswith(("CODES ", "IMPORTED ", "IDS "))}
    assert done.returncode == 0 and "CODES" in lines, done.stderr[-3000:]
    codes = json.loads(lines["CODES"])
    assert codes == {"add": 0, "scan": 0, "search": 0, "similar": 0, "groups": 0, "duplicates": 0, "status": 0,
                     "train": 1, "personalize": 1}, done.stderr[-3000:]
    # what needs PyTorch says so in plain words
    assert "training a model needs PyTorch" in done.stderr
    assert "training a personal model needs PyTorch" in done.stderr
    assert json.loads(lines["IMPORTED"]) == []
    # the weights are named as where their files are installed
    assert json.loads(lines["IDS"]) == [bundled_features_id(), TextEncoder().model_id]
    # it found photos by words and by an outside image, and indexed all of them
    assert '"photo_id"' in done.stdout and "Traceback" not in done.stderr
    assert not list((tmp_path / "library").rglob("*.onnx"))  # it ran the shipped graphs: nothing exported
