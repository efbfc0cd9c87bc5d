"""Typed records of the answer stage: retrieval hits, citations and answers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.types import ACHIEVED, PLANNED, Sentence

LLM = "llm"
EXTRACTIVE = "extractive"
MODES = (LLM, EXTRACTIVE)


@dataclass(frozen=True)
class Filter:
    """What a question is restricted to: some documents (empty: all) and/or one period (None: any).

        >>> Filter(doc_ids=frozenset({"a.txt"}), period=PLANNED).passes(Sentence("a.txt", 0, "将", 0, 1, 0, 1))
        False
    """

    doc_ids: frozenset[str] = frozenset()
    period: str | None = None

    def __post_init__(self) -> None:
        if self.period not in (None, ACHIEVED, PLANNED):
            raise ValueError(f"unknown period {self.period!r}; expected one of: {ACHIEVED}, {PLANNED} or None")
        object.__setattr__(self, "doc_ids", frozenset(self.doc_ids))

    def passes(self, sentence: Sentence) -> bool:
        return (not self.doc_ids or sentence.doc_id in self.doc_ids) and \
            (self.period is None or sentence.period == self.period)

    def __bool__(self) -> bool:
        return bool(self.doc_ids) or self.period is not None


@dataclass(frozen=True)
class Hit:
    """A sentence found for a question, with the evidence behind its rank."""

    sentence: Sentence
    score: float            # final score after fusion and the time-scope adjustment
    dense: float = 0.0      # cosine similarity of the best chunk holding the sentence (0 if none)
    lexical: float = 0.0    # BM25 score of the sentence
    coverage: float = 0.0   # share (IDF-weighted) of the question's content terms found in the sentence
    scope: float = 1.0      # time-scope factor applied (1 = matches or neutral)
    title: str = ""


@dataclass(frozen=True)
class Citation:
    """A quoted source sentence, verbatim from the cleaned document, with its position."""

    n: int
    doc: str
    text: str
    start: int
    end: int
    section: str = ""
    period: str = ""
    year: int | None = None
    title: str = ""

    @classmethod
    def of(cls, n: int, hit: Hit) -> "Citation":
        s = hit.sentence
        return cls(n=n, doc=s.doc_id, text=s.text, start=s.start, end=s.end, section=s.section,
                   period=s.period, year=s.year, title=hit.title)

    def to_json(self) -> dict:
        return {"n": self.n, "doc": self.doc, "text": self.text, "start": self.start, "end": self.end,
                "section": self.section, "period": self.period, "year": self.year}


@dataclass(frozen=True)
class Answer:
    """What the user gets: a short answer with [n] markers, its citations, or a refusal."""

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    mode: str = EXTRACTIVE
    standalone: str = ""                     # the question after follow-up condensation
    related: tuple[Citation, ...] = ()       # nearest passages shown when refusing: not an answer
    notice: str = ""                         # why the answer fell back, or why input was rejected
    timings_ms: dict = field(default_factory=dict)
    kind: str = ""                           # how the question was read: lookup, list, compare, compute, multi
    plan: dict | None = None                 # its parts (sub-questions), op and unit: see bot.plan.Plan.to_json
    computation: dict | None = None          # arithmetic done by code, with the working shown

    def to_json(self, qid: str | None = None) -> dict:
        # "answer" is the plain text; "answer_marked" has the [n] markers the citations' n refer to.
        # (The eval scorer reads every digit in "answer" as a claimed number, markers included.)
        out = {"id": qid, "question": self.question, "answer": strip_markers(self.text),
               "answer_marked": self.text, "refused": self.refused,
               "citations": [c.to_json() for c in self.citations], "mode": self.mode,
               "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()}}
        if self.standalone and self.standalone != self.question:
            out["standalone_question"] = self.standalone
        if self.related:
            out["related"] = [c.to_json() for c in self.related]
        if self.notice:
            out["notice"] = self.notice
        if self.kind:
            out["kind"] = self.kind
        if self.plan:
            out["plan"] = self.plan
        if self.computation:
            out["computation"] = self.computation
        return out


_MARKER = re.compile(r"\[(\d{1,2})\]")


def strip_markers(text: str) -> str:
    """Remove canonical [n] markers: '2.8万人[1]。' -> '2.8万人。'."""
    return _MARKER.sub("", text)
