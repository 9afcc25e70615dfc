"""Allow ``python -m album``."""

from album.cli import main

raise SystemExit(main())
