"""The Documents tab's operations: upload, delete, reindex. An upload that fails changes nothing.

An upload is checked (name, size, type by content via ``corpus.load.load_bytes``, duplicate
content) before anything is written; its file is kept under DATA_DIR/uploads only once it
is indexed, so "Reindex all" (the corpus folder plus the uploads folder) brings it back.
"""
from __future__ import annotations

import os
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from corpus.load import load_bytes
from index.build import Index, Report
from index.settings import Settings

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
                    progress: Progress | None = None) -> tuple[str, Report]:
    """``add_upload`` for a file on disk (Gradio's temporary copy); the size is checked before reading."""
    path = Path(path)
    name = path.name if name is None else name
    size = path.stat().st_size
    if size > settings.max_file_bytes:
        raise UploadRefused(f"{name}: file is {size / 1048576:.1f} MB, over the {settings.max_file_mb:g} MB limit")
    return add_upload(index, settings, path.read_bytes(), name, progress=progress)


def add_upload(index: Index, settings: Settings, data: bytes, name: str,
               progress: Progress | None = None) -> tuple[str, Report]:
    """Validate, index and store one uploaded file; returns (doc_id, report).

    Raises UploadRefused, a ``corpus.errors.CorpusError`` or an ``index.build.IndexingError``;
    in every case nothing was stored and the index is unchanged.
    """
    stored_name = safe_filename(name)
    if len(data) > settings.max_file_bytes:
        raise UploadRefused(f"{name}: file is {len(data) / 1048576:.1f} MB, over the {settings.max_file_mb:g} MB limit")
    final = settings.uploads_dir / stored_name
    doc = replace(load_bytes(data, stored_name, max_bytes=settings.max_file_bytes), source=str(final))
    for known in index.catalog.documents():
        if known.content_hash == doc.content_hash and known.doc_id != doc.doc_id:
            raise UploadRefused(f"{name}: the same content is already indexed as {known.doc_id}")
        if known.doc_id == doc.doc_id and not is_upload(settings, known.source):
            raise UploadRefused(f"{name}: a document named {known.doc_id} already comes from {known.source}; "
                                "rename the file to add it")

    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    partial = settings.uploads_dir / f".{uuid.uuid4().hex}.part"  # hidden: reindexing skips it
    partial.write_bytes(data)
    try:
        report = index.add_documents([doc], progress=progress)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return doc.doc_id, report


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


def reindex_all(index: Index, progress: Progress | None = None) -> Report:
    """Reindex the corpus folder and the uploads (Index.default_paths)."""
    return index.build(full=True, progress=progress)
