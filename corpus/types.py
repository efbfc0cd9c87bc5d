"""Typed records that flow out of the corpus stage: documents and their sentences."""
from __future__ import annotations

from dataclasses import dataclass, field

# What a sentence speaks of: a result already achieved, a plan or target, or neither/unknown.
ACHIEVED = "achieved"
PLANNED = "planned"
UNKNOWN = "unknown"
PERIODS = (ACHIEVED, PLANNED, UNKNOWN)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a cleaned document; ``doc.text[start:end] == text``.

    ``raw_start``/``raw_end`` point back into the file's original (uncleaned) text.
    ``section`` is the heading the sentence sits under ("" before the first heading),
    ``period`` one of PERIODS and ``year`` the year it speaks of, when known.
    ``heading`` marks a heading line itself (kept as a sentence so it can be cited).
    """

    doc_id: str
    idx: int
    text: str
    start: int
    end: int
    raw_start: int
    raw_end: int
    section: str = ""
    period: str = UNKNOWN
    year: int | None = None
    heading: bool = False
    paragraph: int = 0

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"unknown period {self.period!r}; expected one of: {', '.join(PERIODS)}")
        if self.end - self.start != len(self.text):
            raise ValueError(f"sentence {self.idx} of {self.doc_id}: span {self.start}:{self.end} "
                             f"does not match its text length {len(self.text)}")


@dataclass(frozen=True)
class Document:
    """A loaded and cleaned document.

    ``text`` is the cleaned text every sentence offset refers to; ``raw`` is the decoded
    file text, and ``origin[i]`` is the index in ``raw`` of ``text[i]`` (one extra entry
    at the end maps the end of the text).
    """

    doc_id: str
    title: str
    source: str
    raw: str
    text: str
    origin: tuple[int, ...]
    content_hash: str
    sentences: tuple[Sentence, ...] = field(default=(), repr=False)
    encoding: str = "utf-8"
    format: str = "txt"

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the cleaned text back to the original text."""
        if not (0 <= start <= end <= len(self.text)):
            raise ValueError(f"span {start}:{end} is outside the text (length {len(self.text)})")
        if start == end:
            return self.origin[start], self.origin[start]
        return self.origin[start], self.origin[end - 1] + 1
