"""Chunks: windows of whole sentences, sized for the embedder, with provenance and content-hash ids."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass

from corpus.types import Document, Sentence

MIXED = "mixed"


@dataclass(frozen=True)
class Chunk:
    """Consecutive sentences ``first..last`` of one document version; ``text`` is ``doc.text[start:end]``."""

    doc_id: str
    version: str
    text: str
    start: int
    end: int
    first: int
    last: int
    section: str
    period: str
    year: int | None

    @property
    def id(self) -> str:
        """Content hash of the text and its provenance: the same chunk always gets the same id."""
        return hashlib.sha256(json.dumps(self.metadata(), sort_keys=True, ensure_ascii=False).encode()
                              + b"\0" + self.text.encode()).hexdigest()

    def metadata(self) -> dict:
        meta = {"doc_id": self.doc_id, "version": self.version, "start": self.start, "end": self.end,
                "first_sentence": self.first, "last_sentence": self.last,
                "section": self.section, "period": self.period}
        if self.year is not None:
            meta["year"] = self.year
        return meta


def document_version(doc: Document, pipeline: str) -> str:
    """``doc_id@hash`` of the file content and the pipeline that cut it; a new pipeline re-chunks."""
    digest = hashlib.sha256(f"{doc.content_hash}\0{pipeline}".encode()).hexdigest()[:16]
    return f"{doc.doc_id}@{digest}"


def make_chunks(doc: Document, version: str, max_chars: int) -> list[Chunk]:
    """Group whole sentences into windows of at most ``max_chars`` (a longer sentence stands alone).

    A window never crosses a paragraph, so a chunk reads as one passage; headings are
    attached to the passage under them (their section is the heading itself).
    """
    if max_chars <= 0:
        raise ValueError(f"max_chars must be greater than 0, got {max_chars}")
    chunks: list[Chunk] = []
    window: list[Sentence] = []

    def flush() -> None:
        if window:
            chunks.append(_chunk(doc, version, window))
            window.clear()

    for s in doc.sentences:
        if window:
            span = s.end - window[0].start
            same_passage = s.paragraph == window[-1].paragraph or window[-1].heading
            if not same_passage or span > max_chars:
                flush()
        window.append(s)
    flush()
    return chunks


def _chunk(doc: Document, version: str, sentences: list[Sentence]) -> Chunk:
    start, end = sentences[0].start, sentences[-1].end
    body = [s for s in sentences if not s.heading] or sentences
    periods = Counter(s.period for s in body)
    years = Counter(s.year for s in body if s.year is not None)
    return Chunk(
        doc_id=doc.doc_id, version=version, text=doc.text[start:end], start=start, end=end,
        first=sentences[0].idx, last=sentences[-1].idx, section=body[-1].section,
        period=periods.most_common(1)[0][0] if len(periods) == 1 else MIXED,
        year=years.most_common(1)[0][0] if years else None,
    )
