"""Embeddings: sentence-transformers (EmbeddingGemma by default) behind LangChain's Embeddings interface."""
from __future__ import annotations

import os
import threading
from typing import Callable

from langchain_core.embeddings import Embeddings

Progress = Callable[[int], None]


class EmbedderUnavailable(Exception):
    """The embedding model is missing or cannot be loaded."""


class SentenceEmbeddings(Embeddings):
    """Lazy sentence-transformers model using its ``query``/``document`` prompts.

    Construction is cheap; the model loads on the first embed call. ``on_progress`` is
    called with the number of texts just embedded, so callers can drive a progress bar.
    """

    def __init__(self, model: str, *, dtype: str = "float32", batch_size: int = 16) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be greater than 0, got {batch_size}")
        self.model_name = model
        self.dtype = dtype
        self.batch_size = batch_size
        self.on_progress: Progress | None = None
        self._model = None
        self._lock = threading.Lock()

    def load(self):
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if os.path.sep in self.model_name and not os.path.exists(self.model_name):
            raise EmbedderUnavailable(f"embedding model not found at {self.model_name}; run `make models`")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as e:  # pragma: no cover - install problem
            raise EmbedderUnavailable(f"sentence-transformers is not installed ({e}); run `make install`") from e
        dtype = torch.bfloat16 if self.dtype == "bfloat16" else torch.float32
        try:
            return SentenceTransformer(self.model_name, device="cpu", model_kwargs={"dtype": dtype})
        except OSError as e:
            raise EmbedderUnavailable(f"cannot load embedding model {self.model_name}: {e}") from e

    def _encode(self, texts: list[str], prompt_name: str) -> list[list[float]]:
        model = self.load()
        if not texts:
            return []
        # Sort by length so each batch pads little; restore the caller's order at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float] | None] = [None] * len(texts)
        for lo in range(0, len(order), self.batch_size):
            batch = order[lo:lo + self.batch_size]
            out = model.encode([texts[i] for i in batch], prompt_name=prompt_name,
                               normalize_embeddings=True, convert_to_numpy=True,
                               batch_size=self.batch_size, show_progress_bar=False)
            for i, vec in zip(batch, out):
                vectors[i] = vec.astype("float32").tolist()
            if self.on_progress:
                self.on_progress(len(batch))
        return vectors  # type: ignore[return-value]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts), "document")

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts), "query")

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0]


def make_embeddings(settings) -> SentenceEmbeddings:
    return SentenceEmbeddings(settings.embed_model_path, dtype=settings.embed_dtype, batch_size=settings.embed_batch)
