"""The ``album`` command (``main``): the engine from a terminal; ``album`` alone opens the app."""

from album.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
