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


class FakeChatModel:
    """Factory for a LangChain chat model with queued replies that records what it was sent."""

    @staticmethod
    def create(replies: list[str]):
        from langchain_core.language_models.chat_models import BaseChatModel
        from langchain_core.messages import AIMessage, AIMessageChunk
        from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

        class _Fake(BaseChatModel):
            replies: list[str]
            seen: list = []

            @property
            def _llm_type(self) -> str:
                return "fake-queued"

            def _next(self, messages) -> str:
                self.seen.append(messages)
                if not self.replies:
                    raise RuntimeError("fake model: no more queued replies")
                return self.replies.pop(0)

            def _generate(self, messages, stop=None, run_manager=None, **kwargs):
                return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._next(messages)))])

            def _stream(self, messages, stop=None, run_manager=None, **kwargs):
                for ch in self._next(messages):
                    yield ChatGenerationChunk(message=AIMessageChunk(content=ch))

        return _Fake(replies=list(replies), seen=[])
