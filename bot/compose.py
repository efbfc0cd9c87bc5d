"""Extractive answers composed from the evidence: quote the sentences (or the clauses of them
that answer), each followed by its [n] marker, labelled with the time they speak of.
"""
from __future__ import annotations

import re

from corpus.lang import EN, HANS, HANT, to_script
from bot.types import Citation, Hit
from corpus.types import ACHIEVED, PLANNED

REFUSAL = {
    HANS: "报告中没有找到这个问题的答案。",
    HANT: "報告中沒有找到這個問題的答案。",
    EN: "The documents do not answer this question.",
}
NOT_GIVEN = {  # the documents say the asked thing was not given ("至今未给出明确原因")
    HANS: "文件中说这一点没有给出，见下面的相关原文。",
    HANT: "文件中說這一點沒有給出，見下面的相關原文。",
    EN: "The documents say this was not given; see the related passages below.",
}
_LABELS = {
    HANS: {PLANNED: "计划", ACHIEVED: "已完成"},
    HANT: {PLANNED: "計劃", ACHIEVED: "已完成"},
    EN: {PLANNED: "planned", ACHIEVED: "achieved"},
}


def citations(hits) -> tuple[Citation, ...]:
    return tuple(Citation.of(n, h) for n, h in enumerate(hits, 1))


_ASKS_WHEN = re.compile(r"哪一年|哪年|什么时候|何时|几月|什么时间|\bwhen\b|\bwhich year\b|\bwhat year\b", re.IGNORECASE)


def label(hit: Hit, script: str, question: str) -> str:
    """A short time label, e.g. "2026年计划：" — the year only when the sentence or question states
    it, or when the question asks when (then the year the report puts it in is the answer)."""
    s = hit.sentence
    word = _LABELS[script].get(s.period)
    if not word:
        return ""
    year = s.year if s.year and (str(s.year) in s.text or str(s.year) in question
                                 or _ASKS_WHEN.search(question)) else None
    if script == EN:
        return f"({year} {word}) " if year else f"({word}) "
    return f"{year}年{word}：" if year else f"{word}："


def extractive(question: str, hits: list[Hit], script: str, year_source=None) -> tuple[str, list[Hit]]:
    """Answer with the best evidence sentence(s) themselves, each followed by its marker.

    Asked *when*, the year the report puts a sentence in is the answer; where the sentence does
    not state it, ``year_source(hit)`` finds the sentence that does, and it is cited too.
    """
    chosen = pick_evidence(hits)
    cited = list(chosen)
    parts = []
    for n, hit in enumerate(chosen, 1):
        text = to_script(hit.sentence.text, script).rstrip("。；;，,")
        tag = label(hit, script, question)
        source = year_source(hit) if year_source and _ASKS_WHEN.search(question) and hit.sentence.year and \
            str(hit.sentence.year) not in hit.sentence.text else None
        if source is not None and tag:
            keys = [(h.sentence.doc_id, h.sentence.idx) for h in cited]
            key = (source.sentence.doc_id, source.sentence.idx)
            if key not in keys:
                cited.append(source)
                keys.append(key)
            tag = tag.rstrip("：: ") + f"[{keys.index(key) + 1}]" + ("：" if script != EN else " ")
        parts.append(f"{tag}{text}[{n}]")
    if script == EN:
        return "According to the report (quoted in Chinese): " + "; ".join(parts) + ".", cited
    return "；".join(parts) + "。", cited


def pick_evidence(hits: list[Hit], max_sentences: int = 3, ratio: float = 0.6) -> list[Hit]:
    """The top hit, plus close runners-up that cover the question well (multi-part questions).

    A runner-up from a worse time scope than the top hit (a 2025 result when 2026 was asked)
    never joins it.
    """
    if not hits:
        return []
    top = hits[0]
    chosen = [top]
    for h in hits[1:]:
        if len(chosen) == max_sentences:
            break
        if (h.score >= ratio * top.score and h.coverage >= 0.5 and h.scope >= top.scope
                and h.sentence.text != top.sentence.text):
            chosen.append(h)
    return chosen


