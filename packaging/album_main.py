"""Entry point of the packaged app: the same ``album`` command (no arguments opens the window)."""

import multiprocessing
import sys

from album.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
