"""The two kinds of failure album distinguishes.

``UserFacingError`` and its subclasses are the environment's fault (an
unreadable photo, a full disk, a library made by a newer version): they carry
a plain-language message, are shown to the user, and work goes on where it
can.  Anything else that escapes is our bug: it is logged with its traceback
and reported once.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """A problem caused by the environment, explained in plain words."""


class UnreadableImage(UserFacingError):
    """A file that is not an image we can decode (corrupt, truncated, unsupported, too large)."""


class LibraryError(UserFacingError):
    """The library cannot be opened or written (newer schema, locked, disk full)."""


class ModelUnavailable(UserFacingError):
    """A model's weights cannot be had (offline with no cached download, bad file)."""
