"""The Documents tab's operations: upload, delete, reindex, as cancellable jobs; and the login guard.

An upload is checked (name, size, type by content via ``corpus.load.load_bytes``, duplicate
content) before anything is written; its file is kept under DATA_DIR/uploads only once it
is indexed, so "Reindex all" brings it back. An upload whose name is taken is added under a
free name (``x (2).txt``) unless the caller asks to replace the earlier upload.

Indexing runs in a background thread (``IndexJobs``): the web handler waits for it and shows
its progress, and a Cancel click stops it between two embedding batches, leaving the index as
it was before that document; questions keep being answered meanwhile.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from corpus.load import load_bytes
from index.build import Index, IndexBusy, ReindexPlan, Report
from index.catalog import DocInfo
from index.settings import Settings

log = logging.getLogger(__name__)

UPLOAD_TYPES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
NAME_MAX_CHARS = 100
Progress = Callable[[int, int, str], None]


class UploadRefused(Exception):
    """An upload the UI refuses before loading it (its name, size or content); the message says why."""


def safe_filename(name: str) -> str:
    """The name an upload is stored and indexed under: a plain file name of allowed characters.

    A name with a folder part is refused (browsers send none; one that does is an attack),
    characters other than letters (any script), digits, ``-_.()`` become ``_``, and leading
    dots go, so an upload is never a hidden file.

        >>> safe_filename("2026 政府工作报告 <final>.TXT")
        '2026_政府工作报告_final.txt'
    """
    name = unicodedata.normalize("NFC", name or "").strip()
    if "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        raise UploadRefused(f"refusing the file name {name!r}: it must be a plain file name, not a path")
    stem, ext = os.path.splitext(name)
    ext = ext.lower()
    if ext not in UPLOAD_TYPES:
        raise UploadRefused(f"{name}: unsupported file type {ext or '(none)'}; "
                            f"expected one of: {', '.join(UPLOAD_TYPES)}")
    stem = re.sub(r"[^\w\-.()]+", "_", stem).strip("._")[:NAME_MAX_CHARS].strip("._") or "document"
    return stem + ext


def is_upload(settings: Settings, source: str) -> bool:
    """Whether a catalog source path is a file this UI stored under the uploads folder."""
    try:
        return Path(source).resolve().parent == settings.uploads_dir.resolve()
    except (OSError, ValueError):
        return False


def add_upload_file(index: Index, settings: Settings, path: str | Path, name: str | None = None,
                    progress: Progress | None = None, *, replace_existing: bool = False,
                    cancel: threading.Event | None = None) -> tuple[str, Report]:
    """``add_upload`` for a file on disk (Gradio's temporary copy); the size is checked before reading."""
    path = Path(path)
    name = path.name if name is None else name
    size = path.stat().st_size
    if size > settings.max_file_bytes:
        raise UploadRefused(f"{name}: file is {size / 1048576:.1f} MB, over the {settings.max_file_mb:g} MB limit")
    return add_upload(index, settings, path.read_bytes(), name, progress=progress,
                      replace_existing=replace_existing, cancel=cancel)


def add_upload(index: Index, settings: Settings, data: bytes, name: str,
               progress: Progress | None = None, *, replace_existing: bool = False,
               cancel: threading.Event | None = None) -> tuple[str, Report]:
    """Validate, index and store one uploaded file; returns (doc_id, report).

    A name already in the index with other content gets the next free ``name (n).ext``
    (both are kept), unless ``replace_existing`` and the earlier one is an upload too, which
    is then replaced (``report.updated``). The same content under another name is refused.

    Raises UploadRefused, a ``corpus.errors.CorpusError`` or an ``index.build.IndexingError``
    (``Cancelled`` too); in every case nothing was stored and the index is unchanged.
    """
    stored_name = safe_filename(name)
    if len(data) > settings.max_file_bytes:
        raise UploadRefused(f"{name}: file is {len(data) / 1048576:.1f} MB, over the {settings.max_file_mb:g} MB limit")
    known = {d.doc_id: d for d in index.catalog.documents()}
    digest = hashlib.sha256(data).hexdigest()
    same_name = known.get(stored_name)
    if same_name is not None and same_name.content_hash != digest:
        if not (replace_existing and is_upload(settings, same_name.source)):
            stored_name = free_name(stored_name, known, settings.uploads_dir)
    for d in known.values():
        if d.content_hash == digest and d.doc_id != stored_name:
            raise UploadRefused(f"{name}: the same content is already indexed as {d.doc_id}")
    final = settings.uploads_dir / stored_name
    doc = replace(load_bytes(data, stored_name, **settings.load_limits), source=str(final))

    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    partial = settings.uploads_dir / f".{uuid.uuid4().hex}.part"  # hidden: reindexing skips it
    partial.write_bytes(data)
    try:
        report = index.add_documents([doc], progress=progress, cancel=cancel)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return doc.doc_id, report


def free_name(name: str, known: dict[str, DocInfo], folder: Path) -> str:
    """``x.txt`` -> the first of ``x (2).txt``, ``x (3).txt``, ... neither indexed nor stored.

        >>> free_name("x.txt", {"x.txt": None, "x (2).txt": None}, Path("/nonexistent"))
        'x (3).txt'
    """
    stem, ext = os.path.splitext(name)
    n = 2
    while f"{stem} ({n}){ext}" in known or (folder / f"{stem} ({n}){ext}").exists():
        n += 1
    return f"{stem} ({n}){ext}"


def upload_status(name: str, doc_id: str, report: Report, info: DocInfo | None) -> str:
    """The one-line outcome of an upload, saying when it replaced or sits beside a same-named document."""
    if report.unchanged:
        return f"Added {doc_id}: unchanged (already indexed). You can ask about it now."
    counts = (f"{info.n_sentences} sentences, {info.n_chunks} chunks, indexed in {report.seconds:.1f} s"
              if info else f"indexed in {report.seconds:.1f} s")
    if report.updated:
        return f"Replaced {doc_id} with the new upload: {counts}. You can ask about it now."
    taken = safe_filename(name)
    if doc_id != taken:
        return (f"Added {doc_id}: {counts}. A different document named {taken} is already indexed, "
                f"so both are kept (tick “Replace” to replace an upload instead).")
    return f"Added {doc_id}: {counts}. You can ask about it now."


def remove_document(index: Index, settings: Settings, doc_id: str) -> bool:
    """Take a document out of the index, and delete its stored file if it was uploaded.

    Returns whether a stored upload was deleted. A document from the corpus folder keeps its
    file, so "Reindex all" brings it back.
    """
    info = index.catalog.document(doc_id)
    index.remove(doc_id)  # raises UnknownDocument for a name not in the index
    if info is not None and is_upload(settings, info.source):
        Path(info.source).unlink(missing_ok=True)
        return True
    return False


def reindex_plan(index: Index) -> ReindexPlan:
    """What "Reindex all" will do, to show before it is confirmed."""
    return index.plan_reindex()


def reindex_all(index: Index, progress: Progress | None = None, cancel: threading.Event | None = None) -> Report:
    """Re-read every indexed document (wherever it came from) and new files in the corpus and uploads folders."""
    return index.reindex_all(progress=progress, cancel=cancel)


def remove_stale_parts(settings: Settings) -> list[Path]:
    """Delete the partial files of uploads a killed server left behind; call once at start."""
    if not settings.uploads_dir.is_dir():
        return []
    stale = sorted(settings.uploads_dir.glob(".*.part"))
    for p in stale:
        p.unlink(missing_ok=True)
    if stale:
        log.info("removed %d partial upload(s) left by an earlier run", len(stale))
    return stale


# --- indexing jobs -------------------------------------------------------------------------------
@dataclass
class Job:
    """One indexing run in a background thread: its progress, its outcome, and its cancel switch."""

    kind: str
    name: str
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    done: int = 0
    total: int = 0
    what: str = ""
    result: Any = None
    error: BaseException | None = None
    started: float = field(default_factory=time.monotonic)

    def progress(self, done: int, total: int, what: str) -> None:
        self.done, self.total, self.what = done, total, what


class IndexJobs:
    """Runs at most one indexing job at a time, in the background, so it can be watched and cancelled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: Job | None = None

    def start(self, kind: str, name: str, work: Callable[[Progress, threading.Event], Any]) -> Job:
        """Start ``work(progress, cancel)`` in a thread; IndexBusy when a job is still running."""
        with self._lock:
            if self.current is not None and not self.current.finished.is_set():
                raise IndexBusy(f"{self.current.kind} of {self.current.name} is running; "
                                "wait for it or cancel it first")
            job = self.current = Job(kind, name)

        def run() -> None:
            try:
                job.result = work(job.progress, job.cancel)
            except BaseException as e:  # noqa: BLE001 - handed to whoever waits for the job
                job.error = e
            finally:
                job.finished.set()

        threading.Thread(target=run, name=f"index-{kind}", daemon=True).start()
        return job

    def wait(self, job: Job, on_progress: Progress | None = None, poll_s: float = 0.25) -> Any:
        """Wait for ``job``, passing its progress on; returns its result or raises its error."""
        while not job.finished.wait(poll_s):
            if on_progress:
                on_progress(job.done, job.total, job.what)
        if on_progress and job.error is None:
            on_progress(job.done, job.total, job.what)
        if job.error is not None:
            raise job.error
        return job.result

    def run(self, kind: str, name: str, work: Callable[[Progress, threading.Event], Any],
            on_progress: Progress | None = None) -> Any:
        return self.wait(self.start(kind, name, work), on_progress)

    def cancel(self) -> Job | None:
        """Ask the running job to stop after its current batch; returns it (None when idle)."""
        with self._lock:
            job = self.current
        if job is None or job.finished.is_set():
            return None
        job.cancel.set()
        return job


# --- login ---------------------------------------------------------------------------------------
class LoginGuard:
    """The web chat's login check (Gradio's ``auth`` callable), with a limit on wrong passwords.

    After ``attempts`` wrong passwords for a user name within ``window_s``, that name is refused
    (even with the right password) until the oldest miss is ``window_s`` old; ten times as many
    misses across all names lock every name the same way, so guessing names does not help.
    """

    def __init__(self, auth: str, attempts: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        if ":" not in auth:
            raise ValueError("auth must look like user:password")
        self.user, self.password = auth.split(":", 1)
        self.attempts, self.window_s, self.clock = attempts, window_s, clock
        self._misses: dict[str, list[float]] = {}
        self._all: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, username: str, password: str) -> bool:
        now = self.clock()
        with self._lock:
            self._all = [t for t in self._all if now - t < self.window_s]
            misses = [t for t in self._misses.get(username, []) if now - t < self.window_s]
            if len(misses) >= self.attempts or len(self._all) >= 10 * self.attempts:
                log.warning("login for %r refused: too many wrong passwords in the last %g s", username, self.window_s)
                return False
            ok = hmac.compare_digest(username.encode(), self.user.encode()) & \
                hmac.compare_digest(password.encode(), self.password.encode())
            if ok:
                self._misses.pop(username, None)
                return True
            misses.append(now)
            self._all.append(now)
            self._misses = {u: m for u, m in self._misses.items() if m and now - m[-1] < self.window_s}
            self._misses[username] = misses
            return False
