"""Evidence for answers that are not one sentence: the items of a list, the outline a report
announces ("七个方面工作"), and the figure a comparison or calculation needs from a sentence.
Pure functions over retrieval hits.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from corpus.figures import Figure, context_of, parse_figures, unit_matches
from corpus.lang import normalize, pinyin
from bot.retrieve import term_match
from bot.types import Hit
from corpus.types import Sentence

RARE_WEIGHT = 2.1  # IDF of a word in about one sentence in eight: rarer words single out list items
_QUOTED = re.compile(r"[“\"「『‘']([^”\"」』’']{1,12})[”\"」』’']")
_CUT = re.compile(r"[，,；;。！？!?]")


def quoted(question: str) -> list[str]:
    """Words the question puts in quotes must occur literally: 带有“一期”或“二期”的字样."""
    return [q for q in _QUOTED.findall(normalize(question)) if q.strip()]


def gather(question: str, hits: Sequence[Hit], rare: Sequence[str], sims: dict[int, float] | None = None,
           max_items: int = 8, margin: float = 0.05,
           expand: Callable[[list[Hit]], list[Hit]] | None = None) -> list[Hit]:
    """The sentences that together answer a list question, in document order.

    Items must be of the asked time (no worse scope than the best hit) and name one of the
    question's ``rare`` topic words (see ``rare_terms``; a three-character word half-matches:
    智能化 -> 智能导办), or cover nearly all of its words (an English question: its names).
    Quoted words are a hard filter. When the question's words are not the documents' words
    (fewer than two such items), the sentences closest in meaning (``sims``: sentence-level
    similarity by hit position, within ``margin`` of the best) are the items. Paragraph topic
    lines ("统筹实施城市更新,推动…更加彰显。") are headings, not items, when the facts under
    them are items too.
    """
    pool = [h for h in hits if not h.sentence.heading]
    must = [m for m in quoted(question) if any(m in normalize(h.sentence.text) for h in pool)]
    if must:
        pool = [h for h in pool if any(m in normalize(h.sentence.text) for m in must)]
    if not pool:
        return []
    best_scope = max(h.scope for h in pool)
    pool = [h for h in pool if h.scope >= best_scope]
    items = [h for h in pool if must or names_any(h.sentence.text, rare) or h.coverage >= 0.8]
    if expand is not None:  # a topic line brings the facts under it (see expand_topic_lines)
        items = expand(items)
    if len(items) < 2 and sims:
        best_sim = max(sims.get(i, 0.0) for i, h in enumerate(hits) if h in pool)
        close = [h for i, h in enumerate(hits) if h in pool and sims.get(i, 0.0) >= best_sim - margin]
        items += [h for h in close[:3] if h not in items]
    items = _without_topic_lines(items)
    seen: set[str] = set()
    unique = [h for h in items if not (h.sentence.text in seen or seen.add(h.sentence.text))]
    return sorted(unique[:max_items], key=lambda h: (h.sentence.doc_id, h.sentence.idx))


def rare_terms(terms: Sequence[str], weight: Callable[[str], float], occurs: Callable[[str], bool]) -> list[str]:
    """The topic words that single out a few sentences (not 崂山区, 建设, 工作...): words of the
    documents at least 0.6 as rare as the rarest of them. "社区" is rare among the words of
    "报告里点到名字的社区都有哪些" that occur at all."""
    present = [t for t in terms if occurs(t)]
    if not present:
        return []
    top = max(weight(t) for t in present)
    return [t for t in present if weight(t) >= 0.6 * top and weight(t) >= RARE_WEIGHT]


def names_any(sentence: str, terms: Sequence[str]) -> bool:
    text = normalize(sentence)
    sound = pinyin(text)
    return any(term_match(t, text, sound) >= (0.4 if len(t) >= 3 else 0.9) for t in terms)


def expand_topic_lines(items: Sequence[Hit], sentences: Sequence[Sentence], position: dict,
                       max_items: int = 8) -> list[Hit]:
    """A topic line among the items ("悠悠万事,民生为大。") stands for the facts under it: the rest
    of its paragraph replaces it (the report's own structure says what belongs to the topic)."""
    out: list[Hit] = []
    for h in items:
        pos = position.get((h.sentence.doc_id, h.sentence.idx))
        if pos is None or not _is_topic_line(h.sentence):
            out.append(h)
            continue
        under = [s for s in sentences[pos + 1: pos + 1 + max_items]
                 if s.doc_id == h.sentence.doc_id and s.paragraph == h.sentence.paragraph and not s.heading]
        if not under:
            out.append(h)
            continue
        out.extend(Hit(sentence=s, score=h.score, coverage=h.coverage, scope=h.scope, title=h.title) for s in under)
    seen: set[tuple] = set()
    return [h for h in out if not ((h.sentence.doc_id, h.sentence.idx) in seen
                                   or seen.add((h.sentence.doc_id, h.sentence.idx)))][:max_items]


def _without_topic_lines(items: list[Hit]) -> list[Hit]:
    by_para = {(h.sentence.doc_id, h.sentence.paragraph) for h in items if not _is_topic_line(h.sentence)}
    return [h for h in items if not (_is_topic_line(h.sentence)
                                     and (h.sentence.doc_id, h.sentence.paragraph) in by_para)]


def _is_topic_line(s: Sentence) -> bool:
    return len(s.text) <= 24 and not re.search(r"\d", s.text)


def clause_quote(sentence: str, terms: Sequence[str], must: Sequence[str] = ()) -> str:
    """The clauses of a sentence that answer (name a topic word or a quoted word); the whole
    sentence when none does. "将加快推动…建设,歌尔科技产业项目二期等项目竣工,新引进补链强链项目
    120个以上,…" quoted for "新引进" is "新引进补链强链项目120个以上"."""
    pieces = [p for p in _CUT.split(sentence) if p.strip()]
    if len(pieces) < 2:
        return sentence.rstrip("。；;，, ")
    keep = []
    for p in pieces:
        text = normalize(p)
        if (must and any(m in text for m in must)) or (not must and any(term_match(t, text, pinyin(text)) >= 0.9
                                                                        for t in terms)):
            keep.append(p)
    return ("，".join(keep) if keep else sentence).rstrip("。；;，, ")


def outline(sentences: Sequence[Sentence], count: int, question: str,
            find: Callable[[str], Sequence[int]] | None = None) -> list[Sentence]:
    """The items a report announces: after "将重点做好七个方面工作", the opening lines of the next
    seven paragraphs. [] when no sentence announces that many items on the question's subject.
    ``find`` gives the positions of the sentences that contain a word (the retriever's postings),
    so that only those are read; without it every sentence is."""
    cn = "零一二三四五六七八九十"
    names = {str(count)} | ({cn[count]} if count <= 10 else set())
    subject = re.search(r"(?:个|大|项)(方面|重点|领域|任务)", normalize(question))
    noun = subject.group(1) if subject else "方面"
    for pos in (find(noun) if find else range(len(sentences))):
        s = sentences[pos]
        text = normalize(s.text)
        if not any(f"{n}个{noun}" in text or f"{n}大{noun}" in text or f"{n}项{noun}" in text for n in names):
            continue
        openers, para = [], s.paragraph
        for nxt in sentences[pos + 1:]:
            if nxt.doc_id != s.doc_id:
                break
            if nxt.paragraph != para and not nxt.heading:
                openers.append(nxt)
                para = nxt.paragraph
                if len(openers) == count:
                    return openers
    return []


@dataclass(frozen=True)
class Found:
    """A figure found for one side of a comparison or calculation, in the hit that states it."""

    figure: Figure
    hit: Hit
    context: str


def pick_figure(hits: Sequence[Hit], terms: Sequence[str], unit: str, weight: Callable[[str], float],
                depth: int = 6) -> Found | None:
    """The figure among the best hits that answers: of the asked unit, and whose own words (its
    stretch of the sentence) match the question's topic best. "80个" of "…等80个项目开工" when
    asked about projects that *start*, not the "80个" of "…等80个项目竣工" beside it."""
    ranked = ranked_figures(hits, terms, unit, weight, depth)
    return ranked[0][1] if ranked else None


def ranked_figures(hits: Sequence[Hit], terms: Sequence[str], unit: str, weight: Callable[[str], float],
                   depth: int = 6) -> list[tuple[float, Found]]:
    """Figures of the asked unit in the best hits, best first, each with its score: how well its
    own words match the question's terms (IDF-weighted), plus a little for its hit's rank."""
    scored = []
    top_scope = hits[0].scope if hits else 1.0
    total = sum(weight(t) for t in terms) or 1.0
    for rank, h in enumerate(hits[:depth]):
        if h.scope < top_scope:
            continue
        for f in parse_figures(h.sentence.text):
            if unit and not unit_matches(f, unit):
                continue
            context = context_of(h.sentence.text, f)
            score = words_matched(context, terms, weight) / total + 0.15 * (depth - rank) / depth
            scored.append((score, Found(f, h, context)))
    return sorted(scored, key=lambda x: -x[0])  # stable: the first stated wins a tie


def words_matched(context: str, terms: Sequence[str], weight: Callable[[str], float]) -> float:
    """How much of ``terms`` (each by its weight) a figure's own words ``context`` hold."""
    ctx = normalize(context)
    return sum(weight(t) * term_match(t, ctx) for t in terms)
