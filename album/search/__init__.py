"""Search: the hnswlib vector index and similar-photo queries."""
