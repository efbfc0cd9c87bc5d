"""The catalog: one SQLite file under the data dir with the committed documents, their sentences,
and LangChain's record manager table (which chunk ids were written for which document version).

Readers see only committed document versions, so a reindex killed half-way leaves the previous
index answering: new chunks may already sit in Chroma, but nothing points at them until the
document row is committed.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from langchain_core.indexing import RecordManager

from corpus.types import Document, Sentence
from index.facts import FACTS_VERSION, Fact, fact_from_row, facts_table_rows

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    key TEXT PRIMARY KEY, namespace TEXT NOT NULL, group_id TEXT, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS records_group ON records(namespace, group_id);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, version TEXT NOT NULL, content_hash TEXT NOT NULL, title TEXT NOT NULL,
    source TEXT NOT NULL, format TEXT NOT NULL, encoding TEXT NOT NULL, text TEXT NOT NULL,
    n_sentences INTEGER NOT NULL, n_chunks INTEGER NOT NULL, added_at REAL NOT NULL, updated_at REAL NOT NULL);
-- versions() reads this alone, not the rows with their texts (readers call it for every question)
CREATE INDEX IF NOT EXISTS documents_versions ON documents(doc_id, version);
CREATE TABLE IF NOT EXISTS sentences (
    doc_id TEXT NOT NULL, idx INTEGER NOT NULL, text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    raw_start INTEGER NOT NULL, raw_end INTEGER NOT NULL, section TEXT NOT NULL, period TEXT NOT NULL,
    year INTEGER, heading INTEGER NOT NULL, paragraph INTEGER NOT NULL, PRIMARY KEY (doc_id, idx));
-- the fact table (index.facts): a row per figure, with the embedding of its clause
CREATE TABLE IF NOT EXISTS facts (
    doc_id TEXT NOT NULL, version TEXT NOT NULL, sentence INTEGER NOT NULL, n INTEGER NOT NULL, text TEXT NOT NULL,
    value TEXT NOT NULL, unit TEXT NOT NULL, scale TEXT NOT NULL, qualifier TEXT NOT NULL, low TEXT,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, subject TEXT NOT NULL, clause TEXT NOT NULL,
    clause_start INTEGER NOT NULL, clause_end INTEGER NOT NULL, period TEXT NOT NULL, year INTEGER,
    place TEXT NOT NULL, vector BLOB, PRIMARY KEY (doc_id, sentence, n));
-- which version of index.facts built a document's facts (a new one rebuilds them, not the chunks)
CREATE TABLE IF NOT EXISTS fact_builds (doc_id TEXT PRIMARY KEY, version TEXT NOT NULL, facts_version TEXT NOT NULL);
"""


@dataclass(frozen=True)
class DocInfo:
    doc_id: str
    version: str
    content_hash: str
    title: str
    source: str
    format: str
    n_sentences: int
    n_chunks: int
    added_at: float
    updated_at: float


class Catalog:
    """Thread-safe access to the catalog file (WAL mode, one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _query(self, sql: str, args: Sequence = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # --- documents -------------------------------------------------------------------------
    def documents(self) -> list[DocInfo]:
        rows = self._query("SELECT doc_id, version, content_hash, title, source, format, n_sentences, n_chunks,"
                           " added_at, updated_at FROM documents ORDER BY added_at, doc_id")
        return [DocInfo(*r) for r in rows]

    def document(self, doc_id: str) -> DocInfo | None:
        return next((d for d in self.documents() if d.doc_id == doc_id), None)

    def changes(self) -> tuple[int, int]:
        """Differs from its last value whenever this or another connection has committed since:
        a reader checks it before reading ``versions()`` again (cheap at any size)."""
        with self._lock:
            return self._db.execute("PRAGMA data_version").fetchone()[0], self._db.total_changes

    def versions(self) -> dict[str, str]:
        """doc_id -> committed version."""
        return dict(self._query("SELECT doc_id, version FROM documents"))

    def text(self, doc_id: str) -> str:
        rows = self._query("SELECT text FROM documents WHERE doc_id = ?", (doc_id,))
        if not rows:
            raise KeyError(doc_id)
        return rows[0][0]

    def sentences(self, doc_id: str | None = None) -> list[Sentence]:
        sql = ('SELECT doc_id, idx, text, start, "end", raw_start, raw_end, section, period, year, heading, paragraph'
               " FROM sentences")
        rows = self._query(sql + (" WHERE doc_id = ? ORDER BY idx" if doc_id else " ORDER BY doc_id, idx"),
                           (doc_id,) if doc_id else ())
        return [Sentence(*r[:10], heading=bool(r[10]), paragraph=r[11]) for r in rows]

    def commit_document(self, doc: Document, version: str, n_chunks: int,
                        facts: Sequence[Fact] = (), vectors: Sequence[bytes | None] = ()) -> None:
        """Make ``version`` of ``doc`` the one readers see, with its sentences and facts (each with
        its clause's vector, float32 bytes), in one transaction."""
        now = time.time()
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                prev = db.execute("SELECT added_at FROM documents WHERE doc_id = ?", (doc.doc_id,)).fetchone()
                db.execute("DELETE FROM documents WHERE doc_id = ?", (doc.doc_id,))
                db.execute("DELETE FROM sentences WHERE doc_id = ?", (doc.doc_id,))
                db.execute("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                           (doc.doc_id, version, doc.content_hash, doc.title, doc.source, doc.format, doc.encoding,
                            doc.text, len(doc.sentences), n_chunks, prev[0] if prev else now, now))
                db.executemany("INSERT INTO sentences VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                               [(s.doc_id, s.idx, s.text, s.start, s.end, s.raw_start, s.raw_end, s.section,
                                 s.period, s.year, int(s.heading), s.paragraph) for s in doc.sentences])
                self._put_facts(doc.doc_id, version, facts, vectors)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def commit_facts(self, doc_id: str, version: str, facts: Sequence[Fact], vectors: Sequence[bytes | None]) -> bool:
        """Replace the facts of a committed document version (a new ``FACTS_VERSION`` rebuilds them
        without touching its chunks); False when that version is no longer the committed one."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT version FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
                if not row or row[0] != version:
                    db.execute("ROLLBACK")
                    return False
                self._put_facts(doc_id, version, facts, vectors)
                db.execute("COMMIT")
                return True
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _put_facts(self, doc_id: str, version: str, facts: Sequence[Fact], vectors: Sequence[bytes | None]) -> None:
        if vectors and len(vectors) != len(facts):
            raise ValueError(f"{len(facts)} facts but {len(vectors)} vectors")
        db = self._db
        db.execute("DELETE FROM facts WHERE doc_id = ?", (doc_id,))
        rows = facts_table_rows(facts, version)
        db.executemany("INSERT INTO facts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       [(*r, v) for r, v in zip(rows, vectors or [None] * len(rows))])
        db.execute("INSERT OR REPLACE INTO fact_builds VALUES (?,?,?)", (doc_id, version, FACTS_VERSION))

    def stale_facts(self) -> set[str]:
        """Committed documents whose facts were built by another ``FACTS_VERSION`` (or never)."""
        rows = self._query("SELECT d.doc_id FROM documents d LEFT JOIN fact_builds b ON b.doc_id = d.doc_id"
                           " AND b.version = d.version WHERE b.facts_version IS NOT ? ", (FACTS_VERSION,))
        return {r[0] for r in rows}

    def facts(self) -> list[tuple[Fact, bytes | None]]:
        """The facts of every committed document version, in document and sentence order."""
        rows = self._query("SELECT f.* FROM facts f JOIN documents d ON d.doc_id = f.doc_id AND d.version = f.version"
                           " ORDER BY f.doc_id, f.sentence, f.n")
        return [(fact_from_row(r), r[19]) for r in rows]

    def set_title(self, doc_id: str, title: str) -> bool:
        """Rename a committed document (the title shown to users); False if there is no such document.

        A later change of the file's content commits the title extracted from the new version.
        """
        title = " ".join((title or "").split())
        if not title:
            raise ValueError("a title must not be empty")
        with self._lock:
            return self._db.execute("UPDATE documents SET title = ? WHERE doc_id = ?", (title, doc_id)).rowcount > 0

    def forget_document(self, doc_id: str) -> bool:
        """Hide a document from readers at once; its chunks are deleted afterwards."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            cur = self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            self._db.execute("DELETE FROM sentences WHERE doc_id = ?", (doc_id,))
            self._db.execute("DELETE FROM facts WHERE doc_id = ?", (doc_id,))
            self._db.execute("DELETE FROM fact_builds WHERE doc_id = ?", (doc_id,))
            self._db.execute("COMMIT")
            return cur.rowcount > 0

    # --- record groups (one per document version) ------------------------------------------
    def groups(self, namespace: str) -> dict[str, int]:
        return dict(self._query("SELECT group_id, COUNT(*) FROM records WHERE namespace = ? GROUP BY group_id",
                                (namespace,)))


class SQLiteRecordManager(RecordManager):
    """LangChain record manager kept in the catalog file (stdlib sqlite3, no SQLAlchemy)."""

    def __init__(self, catalog: Catalog, namespace: str) -> None:
        super().__init__(namespace)
        self.catalog = catalog
        self._last = 0.0

    def create_schema(self) -> None:  # the catalog creates it
        pass

    async def acreate_schema(self) -> None:
        pass

    def get_time(self) -> float:
        # Monotonic even if the wall clock steps back: cleanup relies on "before" comparisons.
        self._last = max(time.time(), self._last + 1e-6)
        return self._last

    async def aget_time(self) -> float:
        return self.get_time()

    def update(self, keys: Sequence[str], *, group_ids: Sequence[str | None] | None = None,
               time_at_least: float | None = None) -> None:
        if group_ids is None:
            group_ids = [None] * len(keys)
        if len(keys) != len(group_ids):
            raise ValueError(f"{len(keys)} keys but {len(group_ids)} group ids")
        now = self.get_time()
        if time_at_least is not None and now < time_at_least:
            raise ValueError(f"clock went back: {now} < {time_at_least}")
        with self.catalog._lock:
            self.catalog._db.executemany(
                "INSERT INTO records (key, namespace, group_id, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT(key) DO UPDATE SET updated_at = excluded.updated_at,"
                " group_id = COALESCE(excluded.group_id, records.group_id)",
                [(k, self.namespace, g, now) for k, g in zip(keys, group_ids)])

    async def aupdate(self, keys, *, group_ids=None, time_at_least=None) -> None:
        self.update(keys, group_ids=group_ids, time_at_least=time_at_least)

    def exists(self, keys: Sequence[str]) -> list[bool]:
        found: set[str] = set()
        keys = list(keys)
        for lo in range(0, len(keys), 500):
            part = keys[lo:lo + 500]
            marks = ",".join("?" * len(part))
            found.update(r[0] for r in self.catalog._query(
                f"SELECT key FROM records WHERE namespace = ? AND key IN ({marks})", [self.namespace, *part]))
        return [k in found for k in keys]

    async def aexists(self, keys: Sequence[str]) -> list[bool]:
        return self.exists(keys)

    def list_keys(self, *, before: float | None = None, after: float | None = None,
                  group_ids: Sequence[str] | None = None, limit: int | None = None) -> list[str]:
        sql, args = "SELECT key FROM records WHERE namespace = ?", [self.namespace]
        if before is not None:
            sql += " AND updated_at < ?"
            args.append(before)
        if after is not None:
            sql += " AND updated_at > ?"
            args.append(after)
        if group_ids is not None:
            sql += f" AND group_id IN ({','.join('?' * len(group_ids))})"
            args.extend(group_ids)
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        return [r[0] for r in self.catalog._query(sql, args)]

    async def alist_keys(self, *, before=None, after=None, group_ids=None, limit=None) -> list[str]:
        return self.list_keys(before=before, after=after, group_ids=group_ids, limit=limit)

    def delete_keys(self, keys: Sequence[str]) -> None:
        keys = list(keys)
        with self.catalog._lock:
            for lo in range(0, len(keys), 500):
                part = keys[lo:lo + 500]
                self.catalog._db.execute(
                    f"DELETE FROM records WHERE namespace = ? AND key IN ({','.join('?' * len(part))})",
                    [self.namespace, *part])

    async def adelete_keys(self, keys: Sequence[str]) -> None:
        self.delete_keys(keys)
