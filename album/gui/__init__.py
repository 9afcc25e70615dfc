"""The PySide6 desktop app (see docs/gui.md for how it fits together)."""
