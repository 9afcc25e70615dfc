"""Indexing: the pipeline that turns pending photos into every active encoder's embeddings."""
