"""The fact table: every figure of every sentence as a record, built at indexing beside the chunks.

A fact is what a reader asks for when asking "how many": a value with its unit, scale and hedge,
the words of its clause that say what it counts (its *subject*), the time its sentence speaks of,
the place the sentence names, and where it stands (document, sentence, character span). Questions
are answered from these records (bot.facts), not by reading figures out of sentences again.

    >>> from corpus.sentences import split_sentences
    >>> [(f.text, f.subject) for f in facts_of_sentences("d", split_sentences("d", "全年实现城镇新增就业3.19万人。"))]
    [('3.19万人', '全年实现城镇新增就业')]
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from corpus.figures import Figure, clause_of, context_of, parse_figures
from corpus.lang import to_simplified
from corpus.places import places
from corpus.types import Sentence

# Bump when what a fact holds or how it is read changes: facts are then rebuilt (chunks are not).
FACTS_VERSION = "1"
# "这一年", "一个个": a lone 一 after a demonstrative or before its unit again counts nothing.
_NOT_A_COUNT_BEFORE = tuple("这那每同全另任某哪其")
_STRIP = "，,、；;。：:“”\"「」『』()（）…. "


@dataclass(frozen=True)
class Fact:
    """One figure of one sentence. ``start``/``end`` and ``clause_start``/``clause_end`` are offsets
    in the sentence's own text (``sentence_text[start:end]`` is the figure as written)."""

    doc_id: str
    sentence: int            # the sentence's idx in its document
    n: int                   # which figure of the sentence (0, 1, ...)
    text: str                # the figure as written, Simplified ("2300余户")
    value: Decimal           # as written, before the scale (2.8 of 2.8万人)
    unit: str                # 人, 户, 亿元, %...
    scale: str               # "", 万 or 亿 written before the unit
    qualifier: str           # 以上, 余, 约, 不少于... ("" when exact)
    low: Decimal | None      # the lower end of a range (60 of 60—69岁)
    start: int
    end: int
    subject: str             # the words of its stretch without the figure: what it counts or measures
    clause: str              # its clause, Simplified: what a reader quotes to show it
    clause_start: int
    clause_end: int
    period: str              # the sentence's time scope (achieved, planned, unknown)
    year: int | None
    place: str = ""          # the nearest place the sentence names before the figure ("" if none)

    @property
    def figure(self) -> Figure:
        return Figure(value=self.value, unit=self.unit, scale=self.scale, text=self.text, start=self.start,
                      end=self.end, approx=bool(self.qualifier), qualifier=self.qualifier, low=self.low)

    @property
    def key(self) -> tuple[str, int, int]:
        return self.doc_id, self.sentence, self.n


def facts_of_sentences(doc_id: str, sentences: Iterable[Sentence]) -> list[Fact]:
    """The facts of a document's sentences, in order (headings included: a headline states figures too)."""
    out: list[Fact] = []
    for s in sentences:
        out.extend(facts_of_sentence(doc_id, s))
    return out


def facts_of_sentence(doc_id: str, s: Sentence) -> list[Fact]:
    norm, origin = _normalized(s.text)
    figures = [f for f in parse_figures(s.text) if _counts(norm, f)]
    named = [(p.start, p.name) for p in places(norm, bare=False)]
    out = []
    for n, f in enumerate(figures):
        c0, c1 = clause_of(s.text, f)
        clause = norm[c0:c1].strip(_STRIP)
        stretch = context_of(s.text, f)
        subject = stretch.replace(f.text, " ", 1) if f.text in stretch else stretch
        subject = re.sub(r"\s+", "", subject).strip(_STRIP)
        place = next((p for at, p in reversed(named) if at < f.start), "")
        out.append(Fact(doc_id=doc_id, sentence=s.idx, n=n, text=f.text, value=f.value, unit=f.unit, scale=f.scale,
                        qualifier=f.qualifier, low=f.low, start=origin[f.start], end=origin[f.end - 1] + 1,
                        subject=subject, clause=clause, clause_start=origin[c0] if c0 < len(origin) else len(s.text),
                        clause_end=origin[c1 - 1] + 1 if c1 > 0 else 0, period=s.period, year=s.year, place=place))
    return out


def _counts(norm: str, f: Figure) -> bool:
    """A lone 一 that is an article, not a count: "这一年", "一个个"."""
    if f.text[:1] != "一" or f.value != 1:
        return True
    before, after = norm[f.start - 1:f.start], norm[f.end:f.end + 1]
    return not (before in _NOT_A_COUNT_BEFORE or after == f.unit[-1:])


def _normalized(text: str) -> tuple[str, list[int]]:
    """NFKC and Simplified, as the figure parser reads text, with each character's offset in ``text``
    ("……" is six characters after NFKC: offsets would drift without the map)."""
    pieces = [unicodedata.normalize("NFKC", ch) for ch in text]
    origin = [i for i, p in enumerate(pieces) for _ in p]
    joined = "".join(pieces)
    simplified = to_simplified(joined)
    if len(simplified) != len(joined):  # a phrase converted to another length: convert character by character
        simplified = "".join(to_simplified(ch) for ch in joined)
    return simplified, origin + [len(text)]


def clause_vectors(facts: Sequence[Fact], vectors) -> list[bytes]:
    """Each fact's clause embedded as a document (float32 bytes): the meaning a question's subject
    is matched against. ``vectors`` is the data dir's ``SentenceVectors`` cache, so a clause that an
    earlier version of the document also had is not embedded again."""
    import numpy as np

    clauses = list(dict.fromkeys(f.clause for f in facts))
    if not clauses:
        return []
    found = dict(zip(clauses, vectors.get(clauses)))
    return [np.asarray(found[f.clause], dtype=np.float32).tobytes() for f in facts]


def facts_table_rows(facts: Sequence[Fact], version: str) -> list[tuple]:
    return [(f.doc_id, version, f.sentence, f.n, f.text, str(f.value), f.unit, f.scale, f.qualifier,
             None if f.low is None else str(f.low), f.start, f.end, f.subject, f.clause, f.clause_start,
             f.clause_end, f.period, f.year, f.place) for f in facts]


def fact_from_row(row: Sequence) -> Fact:
    (doc_id, _version, sentence, n, text, value, unit, scale, qualifier, low, start, end, subject, clause,
     clause_start, clause_end, period, year, place) = row[:19]
    return Fact(doc_id=doc_id, sentence=sentence, n=n, text=text, value=Decimal(value), unit=unit, scale=scale,
                qualifier=qualifier, low=None if low is None else Decimal(low), start=start, end=end,
                subject=subject, clause=clause, clause_start=clause_start, clause_end=clause_end, period=period,
                year=year, place=place)
