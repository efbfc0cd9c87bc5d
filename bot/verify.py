"""Verification of a model's answer against the sentences it cites: markers point into the
context, every number occurs in what it cites, a claim adds a fact, and it draws on the part of
its sources the question is about. Pure functions.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.figures import Figure, parse_figures
from corpus.lang import has_chinese, normalize, numbers
from bot.retrieve import coverage
from bot.types import Hit, strip_markers

_MARKER = re.compile(r"[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
_CLAIM_END = re.compile(r"(?<=[。；;！？!?\n])")


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




_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
# Names of places and things: a run of characters ending in a word that makes it a proper name.
_NAME = re.compile(r"[\u4e00-\u9fff]{2,14}?(?:局|园|路|村|社区|中心|公司|学校|医院|小学|中学|幼儿园|基地|片区|平台|景区|码头"
                   r"|工程|产业园|集聚区|大走廊|训练场)")
_ACHIEVED_WORDS = re.compile(r"实际|已经|已(?!有)|完成了|建成了")


def grounded(answer: str, hits: Sequence[Hit], question: str = "", scope=None) -> bool:
    """Claims that name a time or a thing must find it in what they cite.

    - a year in a claim (not asked in the question) is the year of a cited sentence:
      "2025年实际新引进过亿元项目100个以上" citing the 2026 target is not grounded;
    - a claim saying something was actually done cites an achieved sentence, not only plans;
    - a name in a claim (…局, …社区, …中心) occurs in the cited sentences.
    """
    asked_years = set(_YEAR.findall(question))
    for claim in (c for c in _CLAIM_END.split(answer) if c.strip()):
        cited = [hits[n - 1] for n in parse_markers(claim) if 1 <= n <= len(hits)]
        if not cited:
            continue
        body = normalize(_strip_raw_markers(claim))
        sources = normalize(" ".join(h.sentence.text for h in cited))
        for year in set(_YEAR.findall(body)) - asked_years:
            if not any(h.sentence.year == int(year) or year in sources for h in cited):
                return False
        if _ACHIEVED_WORDS.search(body) and all(h.sentence.period == "planned" for h in cited):
            return False
        for name in _NAME.findall(body):
            if name not in sources and name not in normalize(question):
                return False
    return True


def figures_agree(answer: str, reference: str) -> bool:
    """Every figure of ``answer`` is one the ``reference`` (the clause quoting would give) states,
    with the same value, unit and hedge: the model may not pick another number of its sources
    ("14名" where the answering clause says "9名") or drop a bound ("2200栋" for "超过2200栋")."""
    given = {(f.number, f.base_unit, f.approx) for f in parse_figures(strip_markers(reference))}
    return all((f.number, f.base_unit, f.approx) in given for f in parse_figures(strip_markers(answer)))


def states_figure(answer: str, figure: Figure) -> bool:
    """The answer gives ``figure``: the same value in the same unit, however written (2.8万人 is 28000人)."""
    return any(f.number == figure.number and f.base_unit == figure.base_unit
               for f in parse_figures(strip_markers(answer)))
