"""The index side: note parsers (notes/), the question bank, taxonomy, dedupe, chunking, embeddings, the Chroma store, ingest and hybrid retrieval."""
