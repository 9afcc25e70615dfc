"""Fixtures of the vision tests: one sentence encoder for the whole session."""

from __future__ import annotations

import socket

import pytest

from album.vision.text_encoder import TextEncoder

CONNECTIONS: list[object] = []


@pytest.fixture(scope="session")
def text_encoder() -> TextEncoder:
    """One sentence encoder for the session, loaded with every network connection refused."""
    def refuse(*args, **kwargs):
        CONNECTIONS.append(args)
        raise OSError("the network is disabled in this test")

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        encoder = TextEncoder()
        encoder.encode(["warm up"])
    return encoder
