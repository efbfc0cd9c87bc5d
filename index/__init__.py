"""Index stage: chunks, embeddings, the Chroma store and reindexing."""
