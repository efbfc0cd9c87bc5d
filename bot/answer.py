"""Cited answers: parse [n] markers, verify every number against the cited sentences, build
extractive answers, and decide refusal from the retrieval evidence. Pure functions.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.lang import EN, HANS, HANT, has_chinese, normalize, numbers, to_script
from bot.retrieve import Retrieval, coverage
from bot.types import Citation, Hit, strip_markers
from corpus.types import ACHIEVED, PLANNED

_MARKER = re.compile(r"[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
_CLAIM_END = re.compile(r"(?<=[。；;！？!?\n])")

REFUSAL = {
    HANS: "报告中没有找到这个问题的答案。",
    HANT: "報告中沒有找到這個問題的答案。",
    EN: "The documents do not answer this question.",
}
_LABELS = {
    HANS: {PLANNED: "计划", ACHIEVED: "已完成"},
    HANT: {PLANNED: "計劃", ACHIEVED: "已完成"},
    EN: {PLANNED: "planned", ACHIEVED: "achieved"},
}


def parse_markers(text: str) -> list[int]:
    """Citation numbers in order of appearance: "a[1]b[2, 3]" -> [1, 2, 3]."""
    out = []
    for group in _MARKER.findall(text):
        out.extend(int(n) for n in re.split(r"[,，、\s]+", group) if n)
    return out


def _strip_raw_markers(text: str) -> str:
    return _MARKER.sub("", text)


@dataclass(frozen=True)
class Verified:
    """An answer that passed verification: its text (renumbered markers) and the cited hits."""

    text: str
    hits: tuple[Hit, ...]
    dropped: tuple[str, ...]  # claims removed because nothing cited supports them


def verify(answer: str, context: list[Hit], question: str = "") -> Verified | None:
    """Keep the claims whose markers point into ``context`` and whose numbers occur in what they cite.

    A claim without a marker gets the context sentence that contains all its numbers (and
    shares most characters with it); a claim that no cited sentence supports is dropped.
    Returns None when nothing supported remains. Markers are renumbered 1..m in order.
    """
    asked = set(numbers(question))
    kept: list[tuple[str, list[int]]] = []
    dropped: list[str] = []
    for claim in (c for c in _CLAIM_END.split(answer) if c.strip()):
        cited = [n for n in parse_markers(claim) if 1 <= n <= len(context)]
        body = _strip_raw_markers(claim).strip()
        if not body or not re.search(r"\w", body):
            continue
        if not _supported(body, cited, context, question):
            # No marker, or a small model put the right fact behind the wrong number: attach the
            # claim to the context sentence that does hold it, if there is one.
            cited = _best_support(body, context, asked)
        if cited and _supported(body, cited, context, question):
            kept.append((body, cited))
        else:
            dropped.append(body.rstrip("。；;，,. "))
    if not kept:
        return None
    order: list[int] = []
    for _, cited in kept:
        order.extend(n for n in cited if n not in order)
    renumber = {old: new for new, old in enumerate(order, 1)}
    text = "".join(_attach(body, sorted({renumber[n] for n in cited})) for body, cited in kept)
    return Verified(text=text, hits=tuple(context[n - 1] for n in order), dropped=tuple(dropped))


def _supported(claim: str, cited: list[int], context: list[Hit], question: str) -> bool:
    """Every number of the claim (not asked in the question) occurs in what it cites, and it adds a fact."""
    if not cited:
        return False
    asked = set(numbers(question))
    sources = " ".join(context[n - 1].sentence.text for n in cited)
    return (all(_number_in(x, sources) for x in numbers(claim) if x not in asked)
            and _adds_supported_fact(claim, question, sources))


def _number_in(number: str, text: str) -> bool:
    """Whole numbers only: "2" is not supported by a sentence that says "2025"."""
    return number in numbers(text)


def _adds_supported_fact(claim: str, question: str, sources: str) -> bool:
    """A claim must say something the question did not: a number, or wording from its sources.

    "崂山区在企业上市方面取得了全省唯一的成绩。" only restates the question and is no answer.
    """
    asked = set(numbers(question))
    if any(x not in asked for x in numbers(claim)):
        return True
    if not has_chinese(claim):
        return True  # an English claim: its wording cannot be matched against Chinese sources
    q, src = normalize(question), normalize(sources)
    c = normalize(claim)
    new = {c[i:i + 2] for i in range(len(c) - 1)} - {q[i:i + 2] for i in range(len(q) - 1)}
    return sum(1 for g in new if re.fullmatch(r"[\u4e00-\u9fff]{2}", g) and g in src) >= 2


def _best_support(claim: str, context: list[Hit], asked: set[str]) -> list[int]:
    claim_numbers = set(numbers(claim)) - asked
    chars = set(re.findall(r"\w", claim))
    best, best_overlap = None, 0.0
    for n, hit in enumerate(context, 1):
        sentence = hit.sentence.text
        if not all(_number_in(x, sentence) for x in claim_numbers):
            continue
        overlap = len(chars & set(normalize(sentence))) / max(len(chars), 1)
        if overlap > best_overlap:
            best, best_overlap = n, overlap
    return [best] if best is not None and best_overlap >= 0.3 else []


def _attach(body: str, markers: list[int]) -> str:
    """Put the markers after the claim, before its closing punctuation."""
    tail = re.search(r"[。；;！？!?.，,\s]*$", body)
    core, end = body[: tail.start()], body[tail.start():].strip() if tail else ""
    return core + "".join(f"[{n}]" for n in markers) + (end or ("。" if has_chinese(core) else ". "))


_CLAUSE = re.compile(r"[，,；;：:。！？!?…]+")  # not 、: an enumeration is one clause


def clauses(sentence: str) -> list[str]:
    """A sentence cut at its commas and semicolons: "將突出抓好255個重點項目,推動…80個項目開工" -> two clauses."""
    return [c for c in _CLAUSE.split(sentence) if c.strip()]


def _clause_relevance(clause: str, terms: Sequence[str]) -> float:
    return coverage(terms, normalize(clause), lambda _t: 1.0)


def answers_the_question(answer: str, hits: Sequence[Hit], terms: Sequence[str], question: str = "",
                         ratio: float = 0.8) -> bool:
    """Does the answer draw on the part of its sources that the question is about?

    A small model given the right sentence may still quote the wrong part of it ("255个重点项目"
    when asked how many projects *start*, in a sentence that also says "80個項目開工"). The
    clauses each claim draws on must cover the question's topic words nearly as well (``ratio``)
    as the best clause of the sources.
    Only Chinese answers can be checked this way.
    """
    all_clauses = [c for h in hits for c in clauses(h.sentence.text)]
    best = max((_clause_relevance(c, terms) for c in all_clauses), default=0.0)
    if not terms or best == 0.0 or not has_chinese(answer):
        return True
    for claim in (c for c in _CLAIM_END.split(strip_markers(answer)) if c.strip()):
        if max(_clause_relevance(c, terms) for c in _drawn_on(claim, all_clauses, question)) < ratio * best:
            return False
    return True


def _drawn_on(claim: str, all_clauses: list[str], question: str) -> list[str]:
    """The clauses a claim quotes: at least half of their characters are in it (else the
    closest one); a claim with numbers draws on the clauses that hold them. Characters of the
    question do not count: a claim that restates the question quotes nothing by that."""
    asked = set(normalize(question))
    chars = set(normalize(claim)) - asked
    nums = set(numbers(claim))

    def share(c: str) -> float:
        own = set(normalize(c)) - asked
        return len(own & chars) / max(len(own), 1)

    drawn = [c for c in all_clauses if share(c) >= 0.5 and (not nums or nums & set(numbers(c)) or not numbers(c))]
    return drawn or [max(all_clauses, key=lambda c: (bool(nums) and nums <= set(numbers(c)), share(c)))]


def citations(hits) -> tuple[Citation, ...]:
    return tuple(Citation.of(n, h) for n, h in enumerate(hits, 1))


def label(hit: Hit, script: str, question: str) -> str:
    """A short time label, e.g. "2026年计划：" — the year only when the sentence or question states it."""
    s = hit.sentence
    word = _LABELS[script].get(s.period)
    if not word:
        return ""
    year = s.year if s.year and (str(s.year) in s.text or str(s.year) in question) else None
    if script == EN:
        return f"({year} {word}) " if year else f"({word}) "
    return f"{year}年{word}：" if year else f"{word}："


def extractive(question: str, hits: list[Hit], script: str) -> tuple[str, list[Hit]]:
    """Answer with the best evidence sentence(s) themselves, each followed by its marker."""
    chosen = pick_evidence(hits)
    parts = []
    for n, hit in enumerate(chosen, 1):
        text = to_script(hit.sentence.text, script).rstrip("。；;，,")
        parts.append(f"{label(hit, script, question)}{text}[{n}]")
    if script == EN:
        return "According to the report (quoted in Chinese): " + "; ".join(parts) + ".", chosen
    return "；".join(parts) + "。", chosen


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


@dataclass(frozen=True)
class Thresholds:
    """Refusal thresholds, calibrated on the dev set (see docs/benchmarks.md)."""

    min_coverage: float = 0.5     # Chinese questions: topic terms found in the evidence
    strong_dense: float = 0.62    # ...unless the dense match alone is this close
    min_dense_en: float = 0.35    # questions without Chinese characters: dense only


def should_refuse(retrieval: Retrieval, script: str, t: Thresholds = Thresholds()) -> bool:
    """Refuse when the evidence does not cover the question: decided from retrieval, not the LLM."""
    if not retrieval.hits:
        return True
    best_cov = max(h.coverage for h in retrieval.hits[:3])
    if script == EN or not retrieval.terms:
        return retrieval.best_dense < t.min_dense_en
    if best_cov < t.min_coverage and retrieval.best_dense < t.strong_dense:
        return True
    unit = asked_unit(retrieval.question)
    return bool(unit) and not any(states_quantity(h.sentence.text, unit) for h in retrieval.hits[:3])


# "多少天" asks for a count of days: evidence that never states one does not answer it, however
# well it covers the topic ("气温已连续多日超过40摄氏度" for "已持续多少天？").
_ASKED_UNIT = re.compile(r"(?:多少|几)(个|人次|人|天|年|月|次|项|处|所|家|条|名|户|元|万|亿|公里|米|吨|座|场|辆|枚|件|台|倍)")
_CN_NUMERAL = "零一二三四五六七八九十百千万亿两"


def asked_unit(question: str) -> str:
    """The unit a quantity question asks for, or "" ("2026年要打造几处完整社区？" -> "处")."""
    m = _ASKED_UNIT.search(normalize(question))
    return m.group(1) if m else ""


def states_quantity(sentence: str, unit: str) -> bool:
    """True when the sentence gives a number of ``unit`` ("5處完整社區" states a count of 处)."""
    text = normalize(sentence)
    return re.search(rf"[\d{_CN_NUMERAL}][\d.{_CN_NUMERAL}余多]*\s*(?:[万亿余多])?{re.escape(unit)}", text) is not None
