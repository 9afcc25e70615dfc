"""The catalogue: the library's SQLite database, and the only code that writes to it.

Every write is a named method (``add_folder``, ``mark_encoded``, ``move_photo``
through a ``ScanBatch``, ``set_active_models``, ...), so the rules of the
data (a changed photo loses its vectors, every change to a model's vectors
bumps its generation) live in one place.
"""

from album.library.catalogue.catalogue import Catalogue, EncodedPhoto
from album.library.catalogue.scan_batch import ScanBatch

__all__ = ["Catalogue", "EncodedPhoto", "ScanBatch"]
