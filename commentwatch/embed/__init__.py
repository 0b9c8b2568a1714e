"""Sentence embeddings: one interface over sentence-transformers, and the default offline model."""
