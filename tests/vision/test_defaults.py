"""Weights are named by their files' digest, or, where a packaged app left the files out, by the recorded one."""

from __future__ import annotations

import hashlib
import json

import pytest

from album.errors import ModelUnavailable
from album.vision import defaults, graph_cache


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    folder = tmp_path / "shipped"
    folder.mkdir()
    monkeypatch.setattr(graph_cache, "SHIPPED", folder)
    return folder


def test_present_files_are_named_by_their_own_digest_even_beside_a_recorded_one(tmp_path, shipped):
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    first.write_bytes(b"first part")
    second.write_bytes(b"second part")
    (shipped / defaults.DIGESTS).write_text(json.dumps({"net": "recorded"}))
    expected = hashlib.sha256(b"first partsecond part").hexdigest()
    assert defaults.weights_digest("net", [first, second]) == expected


def test_files_left_out_are_named_by_the_digest_recorded_when_packaging(tmp_path, shipped):
    (shipped / defaults.DIGESTS).write_text(json.dumps({"net": "0123abcd" * 8}))
    assert defaults.weights_digest("net", [tmp_path / "left-out.safetensors"]) == "0123abcd" * 8
    assert defaults.weights_digest("net", []) == "0123abcd" * 8


def test_weights_neither_installed_nor_recorded_are_reported_plainly(tmp_path, shipped):
    with pytest.raises(ModelUnavailable, match="the weights of other are not installed"):
        defaults.weights_digest("other", [tmp_path / "absent.pth"])
    (shipped / defaults.DIGESTS).write_text("not json")
    with pytest.raises(ModelUnavailable, match="reinstall album"):
        defaults.weights_digest("net", [])
