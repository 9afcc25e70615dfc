"""album: an offline smart photo album that finds visually similar photos."""

__version__ = "0.1.0"
