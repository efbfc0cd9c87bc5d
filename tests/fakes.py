"""Deterministic stand-ins for the models, for fast unit tests only."""
from __future__ import annotations

import hashlib
import math

from langchain_core.embeddings import Embeddings

DIM = 256


def _features(text: str) -> list[str]:
    chars = [c for c in text if not c.isspace()]
    return chars + [a + b for a, b in zip(chars, chars[1:])]


class FakeEmbeddings(Embeddings):
    """Hashed character/bigram counts: texts sharing characters are close, so top hits are predictable.

    Counts every text it embeds, so tests can assert that a reindex embedded nothing.
    """

    def __init__(self) -> None:
        self.embedded = 0
        self.on_progress = None

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * DIM
        for f in _features(text):
            vec[int(hashlib.md5(f.encode()).hexdigest(), 16) % DIM] += 1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        if self.on_progress:
            self.on_progress(len(texts))
        return [self._vector(t) for t in texts]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0]
