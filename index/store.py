"""The vector store: Chroma through langchain-chroma, embedded or a server. The only chromadb import."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.settings import Settings


class StoreUnavailable(Exception):
    """Chroma could not be opened or reached."""


def open_client(settings: Settings):
    """An embedded PersistentClient under the data dir, or an HttpClient when a host is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as e:  # chromadb raises bare ValueError/ConnectionError variants
            raise StoreUnavailable(f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}: {e}") from e
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def vector_store(settings: Settings, embeddings, client=None):
    """The LangChain vector store over our collection (cosine distance)."""
    from langchain_chroma import Chroma

    return Chroma(
        collection_name=settings.collection,
        embedding_function=embeddings,
        client=client or open_client(settings),
        collection_metadata={"hnsw:space": "cosine"},
    )


@dataclass(frozen=True)
class DenseHit:
    chunk_id: str
    text: str
    metadata: dict
    score: float  # cosine similarity, higher is closer
    vector: tuple[float, ...] = ()  # the chunk's stored embedding, when asked for


def search(store, query_vector: list[float], k: int, vectors: bool = False) -> list[DenseHit]:
    """Top-k chunks by cosine similarity to an already embedded query (``vectors``: with their
    stored embeddings)."""
    collection = store._collection  # langchain-chroma keeps the raw collection here
    count = collection.count()
    if count == 0:
        return []
    res = collection.query(query_embeddings=[query_vector], n_results=min(k, count),
                           include=["documents", "metadatas", "distances"] + (["embeddings"] if vectors else []))
    stored = np.asarray(res["embeddings"][0], dtype=np.float64).tolist() if vectors else [()] * len(res["ids"][0])
    return [DenseHit(cid, doc, meta, 1.0 - dist, tuple(vec))
            for cid, doc, meta, dist, vec in zip(res["ids"][0], res["documents"][0], res["metadatas"][0],
                                                 res["distances"][0], stored)]


def count(store) -> int:
    return store._collection.count()
