"""Vectors of single sentences, embedded on demand and kept in a small SQLite cache in the data
dir, keyed by the embedding model and the sentence text: a process that starts again does not
embed the same sentence twice.
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from array import array
from collections.abc import Sequence
from pathlib import Path


class SentenceVectors:
    def __init__(self, path: Path, embeddings, model_key: str) -> None:
        self.path = Path(path)
        self.embeddings = embeddings
        self.model_key = model_key
        self._memory: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        return self._db

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self.model_key}\n{text}".encode()).hexdigest()

    def get(self, texts: Sequence[str]) -> list[list[float]]:
        """The vector of each text, embedded with the document prompt where not cached."""
        keys = [self._key(t) for t in texts]
        with self._lock:
            missing = [k for k in dict.fromkeys(keys) if k not in self._memory]
            if missing:
                rows = self._conn().execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(missing))})", missing)
                for key, blob in rows:
                    self._memory[key] = array("f", blob).tolist()
            todo = {k: t for k, t in zip(keys, texts) if k not in self._memory}
            if todo:
                vectors = self.embeddings.embed_documents(list(todo.values()))
                with self._conn() as db:
                    for key, vector in zip(todo, vectors):
                        self._memory[key] = list(vector)
                        db.execute("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                   (key, array("f", vector).tobytes()))
            return [self._memory[k] for k in keys]
