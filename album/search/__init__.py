"""Search: the vector index and similar-photo queries."""
