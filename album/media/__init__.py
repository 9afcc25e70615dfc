"""Media: the bottom layer of reading photo files (safe decoding, content identity)."""
