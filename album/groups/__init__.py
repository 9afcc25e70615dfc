"""Subject groups: photos of the same subject found from their embeddings alone (issue 8)."""
