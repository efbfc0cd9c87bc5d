"""Reindexing: files -> documents -> chunks -> Chroma, by content hash, under a writer lock.

Each document version (``doc_id@hash``) is written with LangChain's indexing API and a record
manager in the catalog, then committed in the catalog, and only then are older versions deleted.
A run killed at any point leaves the previous versions answering; the next run re-embeds only
the chunks that did not make it (the record manager knows which did). A run that is cancelled
(``cancel`` event, Ctrl-C in the CLI, Cancel in the web UI) stops between embedding batches,
deletes what it wrote of the unfinished document, and leaves the index as it was before it.

Small documents (fewer new chunks than one write batch) are embedded together before they are
written: their chunks, pooled across documents in windows of up to ``EMBED_WINDOW``, are sorted by
length so each model batch is full and pads little (one article alone fills a batch of 16 with
11 chunks of any length). A killed run then loses at most one window of embedding work; a
cancel still stops between two batches. Larger documents stream as before: each write batch is
embedded, written and recorded in turn.

"Reindex all" (``reindex_all``) re-reads every indexed document from its source, wherever that
is, plus new files in the corpus and uploads folders; a document whose file is gone is kept as it
is indexed and reported. It never removes a document; ``build(paths)`` is the explicit sync.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from langchain_core.embeddings import Embeddings

from corpus.errors import CorpusError
from corpus.types import Document
from index.catalog import Catalog, DocInfo, SQLiteRecordManager
from index.chunk import Chunk, document_version, make_chunks
from index.facts import clause_vectors, facts_of_sentences
from index.settings import Settings

# Bump when cleaning, sentence splitting or chunking changes: every document is then re-chunked.
PIPELINE = "1"
# Chunks per vector-store write; each write is followed by its record-manager update.
WRITE_BATCH = 64
# Most new chunks of small documents embedded together before their writes (see the top).
EMBED_WINDOW = 256
SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")

Progress = Callable[[int, int, str], None]  # (done, total, what)


class IndexingError(Exception):
    """Base of the index stage's domain errors."""


class IndexBusy(IndexingError):
    """Another process holds the writer lock of this data dir."""


class BadInput(IndexingError):
    """Some input files cannot be indexed; nothing was written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class UnknownDocument(IndexingError):
    pass


class Cancelled(IndexingError):
    """The run was cancelled; ``report`` says which documents were done before it stopped."""

    def __init__(self, message: str, report: "Report | None" = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class Report:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # indexed documents whose file is gone, kept as indexed
    replaced: dict[str, str] = field(default_factory=dict)  # doc_id -> the other source it was indexed from
    embedded: int = 0
    facts_rebuilt: int = 0  # unchanged documents whose facts a newer index.facts rebuilt
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"{len(getattr(self, k))} {k}" for k in ("added", "updated", "removed", "unchanged", "skipped")]
        kept = f"; kept {len(self.kept)} whose file is gone: {', '.join(self.kept)}" if self.kept else ""
        facts = f"; facts rebuilt for {self.facts_rebuilt}" if self.facts_rebuilt else ""
        return f"{', '.join(parts)}; {self.embedded} chunks embedded in {self.seconds:.1f} s{facts}{kept}"


@dataclass(frozen=True)
class ReindexPlan:
    """What "reindex all" will do: the files it reads, and the documents it keeps without a file."""

    files: tuple[tuple[Path, str], ...]  # (file, doc_id)
    indexed: int                         # how many of the files are of documents already indexed
    missing: tuple[DocInfo, ...]         # indexed documents whose file is gone: kept as they are

    def describe(self) -> str:
        new = len(self.files) - self.indexed
        text = (f"Reindex all re-reads {len(self.files)} documents ({self.indexed} indexed, {new} new "
                "in the corpus and uploads folders) and re-embeds only what changed; it removes nothing.")
        if self.missing:
            gone = ", ".join(f"{d.doc_id} ({d.source})" for d in self.missing)
            text += f" {len(self.missing)} indexed documents whose file is gone are kept as they are: {gone}."
        return text


def collect_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Expand folders into their supported files; named files are taken as they are.

    Returns (files, skipped notes). A named file that does not exist is kept, so loading it
    reports the error; a file in a folder with an unsupported extension is skipped with a note.
    """
    files: list[Path] = []
    skipped: list[str] = []
    for path in paths:
        if path.is_dir():
            for f in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                (files if f.suffix.lower() in SUPPORTED else skipped).append(
                    f if f.suffix.lower() in SUPPORTED else f"{f}: unsupported type, skipped")
        else:
            files.append(path)
    return files, skipped  # type: ignore[return-value]


class Index:
    """One data dir's index: the catalog, the Chroma collection and the writer lock.

    Construction is cheap: Chroma and the embedding model open on first use.
    """

    def __init__(self, settings: Settings, embeddings=None, client=None) -> None:
        self.settings = settings
        self.catalog = Catalog(settings.data_dir / "catalog.sqlite")
        self.records = SQLiteRecordManager(self.catalog, namespace=f"chroma/{settings.collection}")
        self._embeddings = embeddings
        self._client = client
        self._store = None
        self._sentence_vectors = None
        self._open_lock = threading.Lock()  # the web chat's first questions may arrive together

    @property
    def embeddings(self):
        with self._open_lock:
            if self._embeddings is None:
                from index.embed import make_embeddings
                self._embeddings = make_embeddings(self.settings)
            return self._embeddings

    @property
    def store(self):
        embeddings = self.embeddings
        with self._open_lock:
            if self._store is None:
                from index.store import vector_store
                self._store = vector_store(self.settings, embeddings, client=self._client)
            return self._store

    @property
    def sentence_vectors(self):
        """Vectors of single sentences and clauses, embedded once and cached in the data dir."""
        from index.sentvec import SentenceVectors

        embeddings = self.embeddings  # takes the lock itself
        with self._open_lock:
            if self._sentence_vectors is None:
                s = self.settings
                self._sentence_vectors = SentenceVectors(s.data_dir / "sentence_vectors.sqlite", embeddings,
                                                         model_key=f"{s.embed_model_path}|{s.embed_dtype}")
            return self._sentence_vectors

    def _fact_rows(self, doc_id: str, sentences) -> tuple[list, list[bytes]]:
        """A document's facts and their clause vectors. The progress bar counts chunks: clause
        embeddings (few, short, mostly cached) do not tick it."""
        facts = facts_of_sentences(doc_id, sentences)
        embeddings = self.embeddings
        previous = getattr(embeddings, "on_progress", None)
        if previous is not None:
            embeddings.on_progress = None
        try:
            return facts, clause_vectors(facts, self.sentence_vectors)
        finally:
            if previous is not None:
                embeddings.on_progress = previous

    @contextmanager
    def writer(self) -> Iterator[None]:
        """Hold the data dir's writer lock; a second writer is refused at once, not queued."""
        from filelock import FileLock, Timeout

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.settings.data_dir / "index.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise IndexBusy(f"another reindex is running on {self.settings.data_dir}; "
                            "try again when it has finished") from None
        try:
            yield
        finally:
            lock.release()

    # --- reading -------------------------------------------------------------------------------
    def load(self, files: list[Path] | list[tuple[Path, str]], *, others: list[DocInfo] | None = None,
             cancel: threading.Event | None = None) -> list[Document]:
        """Load every file before anything is written, so one bad file changes nothing.

        ``files`` are paths or (path, doc_id) pairs. Two files with the same name, or with the
        same content as each other or as one of ``others`` (the indexed documents that stay), are
        refused: a copy would be answered from twice.
        """
        from corpus.load import load_document

        docs, errors = [], []
        for item in files:
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled while reading the files; nothing was written")
            f, doc_id = item if isinstance(item, tuple) else (item, None)
            try:
                docs.append(load_document(f, doc_id=doc_id, **self.settings.load_limits))
            except CorpusError as e:
                errors.append(str(e))
        seen: dict[str, Document] = {}
        for d in docs:
            if d.doc_id in seen:
                errors.append(f"{d.source}: same name as {seen[d.doc_id].source}; rename one of them")
            seen[d.doc_id] = d
        errors += duplicate_content(docs, others or [])
        if errors:
            raise BadInput(errors)
        return docs

    # --- writing -------------------------------------------------------------------------------
    def default_paths(self) -> list[Path]:
        """The corpus folder and, when it exists, the uploads folder: what "reindex all" reads.

        A full build removes every document not found in its paths, so leaving the uploads
        folder out would delete every upload from the index.
        """
        uploads = self.settings.uploads_dir
        return [self.settings.corpus_dir] + ([uploads] if uploads.is_dir() else [])

    def build(self, paths: list[Path] | None = None, *, full: bool = True, progress: Progress | None = None,
              cancel: threading.Event | None = None) -> Report:
        """Index ``paths``; ``full`` also removes indexed documents not among them.

        Without ``paths`` this is ``reindex_all`` (which removes nothing).
        """
        if not paths:
            return self.reindex_all(progress=progress, cancel=cancel)
        started = time.perf_counter()
        files, skipped = collect_files(paths)
        names = {f.name for f in files}
        others = [] if full else [d for d in self.catalog.documents() if d.doc_id not in names]
        docs = self.load(files, others=others, cancel=cancel)
        if full and not docs:
            raise BadInput([f"no supported documents in {', '.join(map(str, paths))}"])
        with self.writer():
            report = self._write(docs, full=full, progress=progress, cancel=cancel)
        report.skipped = skipped
        report.seconds = time.perf_counter() - started
        return report

    def add(self, paths: list[Path], progress: Progress | None = None, cancel: threading.Event | None = None) -> Report:
        return self.build(paths, full=False, progress=progress, cancel=cancel)

    def add_documents(self, docs: list[Document], progress: Progress | None = None,
                      cancel: threading.Event | None = None) -> Report:
        """Index already loaded documents (the UI's upload path)."""
        started = time.perf_counter()
        with self.writer():
            report = self._write(docs, full=False, progress=progress, cancel=cancel)
        report.seconds = time.perf_counter() - started
        return report

    def plan_reindex(self) -> ReindexPlan:
        """What ``reindex_all`` will read and keep; nothing is read or written."""
        files, _ = collect_files(self.default_paths())
        by_name = {f.name: f for f in files}
        chosen: list[tuple[Path, str]] = []
        missing: list[DocInfo] = []
        indexed = self.catalog.documents()
        for d in indexed:
            source = Path(d.source)
            if source.is_file():
                chosen.append((source, d.doc_id))
            elif d.doc_id in by_name:  # the corpus or uploads folder moved (another checkout)
                chosen.append((by_name[d.doc_id], d.doc_id))
            else:
                missing.append(d)
        known = {d.doc_id for d in indexed}
        new = [(f, f.name) for f in files if f.name not in known]
        return ReindexPlan(files=tuple(chosen + new), indexed=len(chosen), missing=tuple(missing))

    def reindex_all(self, progress: Progress | None = None, cancel: threading.Event | None = None,
                    plan: ReindexPlan | None = None) -> Report:
        """Re-read every indexed document and the new files of the default folders (``plan_reindex``)."""
        started = time.perf_counter()
        plan = plan or self.plan_reindex()
        if not plan.files and not plan.missing:
            raise BadInput([f"no supported documents in {', '.join(map(str, self.default_paths()))}"])
        docs = self.load(list(plan.files), others=list(plan.missing), cancel=cancel)
        with self.writer():
            report = self._write(docs, full=False, progress=progress, cancel=cancel)
        report.kept = [d.doc_id for d in plan.missing]
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, doc_id: str) -> Report:
        started = time.perf_counter()
        with self.writer():
            if not self.catalog.forget_document(doc_id):
                known = ", ".join(sorted(self.catalog.versions())) or "none"
                raise UnknownDocument(f"no document {doc_id!r} in the index; known: {known}")
            self._sweep()
        return Report(removed=[doc_id], seconds=time.perf_counter() - started)

    def _write(self, docs: list[Document], *, full: bool, progress: Progress | None,
               cancel: threading.Event | None = None) -> Report:
        report = Report()
        sources = {d.doc_id: d.source for d in self.catalog.documents()}
        committed = self.catalog.versions()
        groups = self.catalog.groups(self.records.namespace)
        plan: list[tuple[Document, str, list[Chunk]]] = []
        for doc in docs:
            version = document_version(doc, f"{PIPELINE}/{self.settings.chunk_chars}")
            chunks = make_chunks(doc, version, self.settings.chunk_chars)
            if committed.get(doc.doc_id) == version and groups.get(version) == len(chunks):
                report.unchanged.append(doc.doc_id)
                continue
            plan.append((doc, version, chunks))

        new_chunks = [[c for c, done in zip(chunks, self.records.exists([c.id for c in chunks])) if not done]
                      for _, _, chunks in plan]
        todo = sum(map(len, new_chunks))
        current: list[str] = []  # the documents being embedded and written

        def check() -> None:
            if cancel is not None and cancel.is_set():
                what = (f"{current[0]} was" if len(current) == 1 else
                        f"{', '.join(current[:3])}{' and more' if len(current) > 3 else ''} ({len(current)} documents) were")
                raise Cancelled(f"cancelled: {what} not indexed; the index is as it was before "
                                + ("it" if len(current) == 1 else "them")
                                + (f" ({report.summary()})" if report.added or report.updated else ""), report)

        try:
            with _progress_bar(todo, progress, self.embeddings if todo else None, check) as tick:
                ahead = PrecomputedEmbeddings(self.embeddings) if todo else None
                store = self.store_with(ahead) if todo else None
                for window in embedding_windows([len(n) for n in new_chunks], WRITE_BATCH, EMBED_WINDOW):
                    current = [plan[i][0].doc_id for i in window]
                    check()
                    texts = [c.text for i in window for c in new_chunks[i]]
                    streams = len(window) == 1 and len(texts) >= WRITE_BATCH
                    if ahead is not None and texts and not streams:
                        ahead.precompute(texts)  # ticks the bar per batch: a cancel stops between two
                        check()
                    # One write for the whole window: each Chroma write costs ~50 ms however small.
                    report.embedded += self._write_versions([plan[i] for i in window], store)
                    for i in window:
                        doc = plan[i][0]
                        (report.updated if doc.doc_id in committed else report.added).append(doc.doc_id)
                        if doc.doc_id in sources and _moved(sources[doc.doc_id], doc.source):
                            report.replaced[doc.doc_id] = sources[doc.doc_id]
                        tick(0, doc.doc_id)
                    if ahead is not None:
                        ahead.clear()
        except (Cancelled, KeyboardInterrupt):
            self._sweep(orphans=True)  # what the unfinished document wrote; the committed ones stay
            raise
        report.facts_rebuilt = self._refresh_facts(check)
        if full:
            keep = {d.doc_id for d in docs}
            for doc_id in sorted(set(committed) - keep):
                self.catalog.forget_document(doc_id)
                report.removed.append(doc_id)
        self._sweep(orphans=bool(plan))
        return report

    def store_with(self, embeddings):
        """The same Chroma collection, written through ``embeddings`` (the precomputed vectors)."""
        from index.store import vector_store

        return vector_store(self.settings, embeddings, client=self.store._client)

    def _write_versions(self, versions: list[tuple[Document, str, list[Chunk]]], store=None) -> int:
        """Write the chunks of these document versions, then commit each version in turn.

        A version is committed only after all its chunks are in the store and the record manager,
        so a run killed in between leaves uncommitted chunks (swept later), never a half version.
        """
        from langchain_core.documents import Document as LCDocument
        from langchain_core.indexing import index

        lc_docs = [LCDocument(id=c.id, page_content=c.text, metadata=c.metadata())
                   for _, _, chunks in versions for c in chunks]
        result = index(lc_docs, self.records, store or self.store, cleanup=None, source_id_key="version",
                       key_encoder=lambda d: d.id, batch_size=WRITE_BATCH)
        for doc, version, chunks in versions:
            self.catalog.commit_document(doc, version, len(chunks), *self._fact_rows(doc.doc_id, doc.sentences))
        return result["num_added"]

    def _refresh_facts(self, check: Callable[[], None]) -> int:
        """Rebuild the facts of committed documents that an older ``FACTS_VERSION`` built (or none),
        from their sentences in the catalog: any write brings every document's facts up to date,
        uploads included, without reading a file or embedding a chunk."""
        n = 0
        versions = self.catalog.versions()
        for doc_id in sorted(self.catalog.stale_facts()):
            check()
            facts, vectors = self._fact_rows(doc_id, self.catalog.sentences(doc_id))
            n += self.catalog.commit_facts(doc_id, versions[doc_id], facts, vectors)
        return n

    def _sweep(self, *, orphans: bool = True) -> None:
        """Delete chunks of versions nobody reads: replaced, removed or left by a killed run.

        With ``orphans``, vectors the record manager never heard of (a run killed between a
        Chroma write and its record update) are found by their version and deleted too; a run
        that wrote nothing skips that, so an unchanged reindex does not even open Chroma.
        """
        live = set(self.catalog.versions().values())
        stale = [g for g in self.catalog.groups(self.records.namespace) if g not in live]
        keys = self.records.list_keys(group_ids=stale) if stale else []
        for lo in range(0, len(keys), 1000):
            part = keys[lo:lo + 1000]
            self.store.delete(ids=part)
            self.records.delete_keys(part)
        untracked = self._uncommitted_ids(live) if orphans else []
        for lo in range(0, len(untracked), 1000):
            part = untracked[lo:lo + 1000]
            self.store.delete(ids=part)
            self.records.delete_keys(part)

    def _uncommitted_ids(self, live: set[str]) -> list[str]:
        collection = self.store._collection  # langchain-chroma keeps the raw collection here
        where = {"version": {"$nin": sorted(live)}} if live else None
        return list(collection.get(where=where, include=[])["ids"])

    # --- facts -----------------------------------------------------------------------------------
    def stats(self) -> dict:
        docs = self.catalog.documents()
        out = {
            "data_dir": str(self.settings.data_dir),
            "store": (f"chroma server {self.settings.chroma_host}:{self.settings.chroma_port}"
                      if self.settings.chroma_host else "chroma embedded"),
            "collection": self.settings.collection,
            "documents": len(docs),
            "sentences": sum(d.n_sentences for d in docs),
            "chunks": sum(d.n_chunks for d in docs),
        }
        from index.store import count
        # Only the vectors of committed versions: a killed run may have left others until the next write.
        live = set(self.catalog.versions().values())
        uncommitted = len(self._uncommitted_ids(live))
        out["vectors"] = count(self.store) - uncommitted
        if uncommitted:
            out["uncommitted_vectors"] = uncommitted
        out["disk_bytes"] = sum(p.stat().st_size for p in self.settings.data_dir.rglob("*") if p.is_file())
        return out


def embedding_windows(new_counts: list[int], small: int, window: int) -> list[list[int]]:
    """Group document positions, in order, for embedding ahead of their writes.

    A document with ``small`` or more new chunks stands alone (it streams); consecutive smaller
    ones are pooled until their new chunks reach ``window``.

    >>> embedding_windows([10, 10, 100, 5, 0, 300], small=64, window=20)
    [[0, 1], [2], [3, 4], [5]]
    """
    out: list[list[int]] = []
    pool: list[int] = []
    pooled = 0
    for i, n in enumerate(new_counts):
        if n >= small:
            if pool:
                out.append(pool)
                pool, pooled = [], 0
            out.append([i])
            continue
        pool.append(i)
        pooled += n
        if pooled >= window:
            out.append(pool)
            pool, pooled = [], 0
    if pool:
        out.append(pool)
    return out


class PrecomputedEmbeddings(Embeddings):
    """Document vectors embedded ahead of the writes, handed out by text; the rest goes to ``inner``.

    ``precompute`` embeds in one call, so the embedder sorts the texts of several documents by
    length together; the per-document writes then find their vectors here.
    """

    def __init__(self, inner) -> None:
        self.inner = inner
        self.vectors: dict[str, list[float]] = {}

    def precompute(self, texts: list[str]) -> None:
        # Repeated texts are embedded each time: the progress bar counts chunks, not distinct texts.
        self.vectors.update(zip(texts, self.inner.embed_documents(list(texts))))

    def clear(self) -> None:
        self.vectors.clear()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        texts = list(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        fresh = dict(zip(missing, self.inner.embed_documents(missing))) if missing else {}
        return [self.vectors[t] if t in self.vectors else fresh[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def duplicate_content(docs: list[Document], others: list[DocInfo]) -> list[str]:
    """One message per document whose content is already another document's (among ``docs`` or ``others``)."""
    errors = []
    seen = {d.content_hash: d.doc_id for d in others}
    for d in docs:
        first = seen.setdefault(d.content_hash, d.doc_id)
        if first != d.doc_id:
            errors.append(f"{d.source}: the same content is already indexed as {first}")
    return errors


def _moved(old: str, new: str) -> bool:
    try:
        return Path(old).resolve() != Path(new).resolve()
    except (OSError, ValueError):
        return old != new


@contextmanager
def _progress_bar(total: int, progress: Progress | None, embeddings,
                  check: Callable[[], None] = lambda: None) -> Iterator[Callable[[int, str], None]]:
    """A tqdm bar on stderr (and the caller's callback) fed by the embedder's batches.

    ``check`` runs after every batch, so a cancel takes effect between two batches.
    """
    from tqdm import tqdm

    bar = tqdm(total=total, unit="chunk", desc="embedding", disable=total == 0, dynamic_ncols=True)
    done = 0

    def tick(n: int, what: str = "") -> None:
        nonlocal done
        done += n
        bar.update(n)
        if progress:
            progress(done, total, what)
        if n:  # a batch was embedded (n == 0 marks a document just committed: too late to cancel it)
            check()

    previous = getattr(embeddings, "on_progress", None)
    if embeddings is not None and hasattr(embeddings, "on_progress"):
        embeddings.on_progress = tick
    try:
        yield tick
    finally:
        if embeddings is not None and hasattr(embeddings, "on_progress"):
            embeddings.on_progress = previous
        bar.close()
