"""Answers built by code from several pieces of evidence: lists, comparisons, calculations and
several asks in one question. Each part of the plan is retrieved, checked for refusal and
answered on its own; the figures are combined by code (bot.arith), never by a model.

The result is extractive: every line quotes the sources (whole sentences, or the clauses of them
that answer) with its own [n] marker, so it is verified by construction.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot import arith
from bot.compose import label, pick_evidence
from bot.gather import Found, clause_quote, expand_topic_lines, gather, outline, pick_figure, quoted, rare_terms
from corpus.lang import EN, to_script
from bot.plan import COMPUTE, GENERIC, Part, Plan
from bot.refuse import Thresholds, refusal_reason
from bot.retrieve import Retrieval, content_terms
from bot.types import Hit

# A part's subject leaves out what any question of its kind says.
_GENERIC = GENERIC | {"报告", "具体", "安排",
            "举措", "措施", "有哪些", "哪些", "提到", "针对", "区里", "方面", "具体安排", "主要安排", "成绩", "打算",
            "推进", "办成", "工程", "事"}
_TEXT = {
    "none": {"zh": "报告中没有找到", "en": "not found in the documents"},
    "compute": {"zh": "计算", "en": "Calculation"},
    "cannot": {"zh": "无法计算", "en": "Cannot calculate"},
    "more": {"zh": "更多", "en": "is larger"},
}


@dataclass
class Sources:
    """The cited hits of an answer, numbered in order of first use."""

    hits: list[Hit] = field(default_factory=list)

    def mark(self, hit: Hit) -> str:
        key = (hit.sentence.doc_id, hit.sentence.idx)
        for n, h in enumerate(self.hits, 1):
            if (h.sentence.doc_id, h.sentence.idx) == key:
                return f"[{n}]"
        self.hits.append(hit)
        return f"[{len(self.hits)}]"


@dataclass(frozen=True)
class PartResult:
    part: Part
    retrieval: Retrieval
    refused: str = ""                       # why, or "" when answered
    items: tuple[Hit, ...] = ()             # evidence quoted for this part
    found: Found | None = None              # the figure, for comparisons and calculations
    rare: tuple[str, ...] = ()              # the topic words whose clauses a list item quotes


@dataclass(frozen=True)
class Composed:
    text: str
    hits: tuple[Hit, ...]
    parts: tuple[PartResult, ...]
    computation: arith.Computation | None = None
    refused: bool = False


Retrieve = Callable[[Part], Retrieval]


def answer_parts(plan: Plan, retrieve: Retrieve, snapshot, script: str,
                 sentence_sim: Callable[[Retrieval], dict[int, float]],
                 thresholds: Thresholds = Thresholds()) -> list[PartResult]:
    """Retrieve and answer each part of the plan on its own. ``snapshot`` is the retriever's
    view of the documents (sentences in order, term weights)."""
    weight, sentences = snapshot.weight, snapshot.sentences
    results = []
    for part in plan.parts:
        r = retrieve(part)
        sims = sentence_sim(r)
        best_sim = max(sims.values(), default=0.0)
        reason = refusal_reason(r, script, thresholds, unit=part.unit, sentence_sim=best_sim)
        if plan.outline:
            items = outline(sentences, plan.outline, part.question, find=snapshot.containing)
            if items:
                hits = tuple(Hit(sentence=s, score=1.0, title=_title(r, s)) for s in items)
                results.append(PartResult(part, r, "", hits))
                continue
        if reason:
            results.append(PartResult(part, r, reason))
            continue
        terms = [t for t in (content_terms(_subject(part)) or r.terms) if t not in _GENERIC]
        if part.gather:
            rare = rare_terms(terms, weight, snapshot.occurs)
            items = gather(part.question, list(r.hits), rare, sims,
                           expand=lambda found: expand_topic_lines(found, sentences, snapshot.position))
            results.append(PartResult(part, r, "" if items else "nothing found", tuple(items), rare=tuple(rare)))
        elif plan.op:
            found = pick_figure(list(r.hits), terms, part.unit, weight)
            if found is None:
                results.append(PartResult(part, r, "no such quantity"))
            else:
                results.append(PartResult(part, r, "", (found.hit,), found))
        else:
            results.append(PartResult(part, r, "", tuple(pick_evidence(list(r.hits)))))
    return results


def compose(plan: Plan, results: Sequence[PartResult], script: str) -> Composed:
    """One answer from the parts: a line per item or side, each with its marker, then the working."""
    lang = "en" if script == EN else "zh"
    sources = Sources()
    lines: list[str] = []
    single_list = len(results) == 1 and (results[0].part.gather or plan.outline)
    for res in results:
        head = "" if len(results) == 1 else f"{_subject(res.part)}："
        if res.refused:
            lines.append(f"{head}{_TEXT['none'][lang]}")
            continue
        if res.found is not None:
            f = res.found
            lines.append(f"{head}{f.figure.text}（{label(f.hit, script, res.part.question)}"
                         f"{_shown(f.context, script)}）{sources.mark(f.hit)}")
            continue
        must = quoted(res.part.question)
        quotes = [f"{label(h, script, res.part.question) if not single_list else ''}"
                  f"{_shown(clause_quote(h.sentence.text, res.rare, must) if res.part.gather else h.sentence.text, script)}"
                  f"{sources.mark(h)}" for h in res.items]
        if res.part.gather or plan.outline:
            if head:
                lines.append(head)
            lines.extend(f"- {q}" for q in quotes)
        else:
            lines.append(head + "；".join(quotes))
    computation = _compute(plan, results, sources)
    if computation is not None:
        lines.append(f"{_TEXT['compute'][lang]}：{computation.text}{_which_more(plan, results, computation, lang)}")
    elif plan.kind == COMPUTE:
        lines.append(f"{_TEXT['cannot'][lang]}：{_TEXT['none'][lang]}")
    if single_list and results[0].items:
        heading = _list_heading(results[0], script)
        if heading:
            lines.insert(0, heading)
    refused = all(r.refused for r in results)
    text = "\n".join(lines)
    if script == EN:
        text = "According to the report (quoted in Chinese):\n" + text
    return Composed(text=text, hits=tuple(sources.hits), parts=tuple(results), computation=computation,
                    refused=refused)


def _compute(plan: Plan, results: Sequence[PartResult], sources: Sources) -> arith.Computation | None:
    if plan.op is None or any(r.found is None for r in results):
        return None
    figures = [r.found.figure for r in results]
    marks = [sources.mark(r.found.hit) for r in results]
    try:
        return arith.compute(plan.op, figures, marks, divisor=plan.divisor)
    except arith.CannotCompute:
        return None


def _which_more(plan: Plan, results: Sequence[PartResult], c: arith.Computation, lang: str) -> str:
    """"，…更多" for a question that asks which side is larger."""
    if plan.op != arith.MORE or c.result == 0:
        return ""
    bigger = max(results, key=lambda r: r.found.figure.number)
    return f"，{_subject(bigger.part)}{_TEXT['more'][lang]}" if lang == "zh" else \
        f"; {_subject(bigger.part)} {_TEXT['more'][lang]}"


def _list_heading(res: PartResult, script: str) -> str:
    """"2026年计划：" above a list whose items all speak of the same time."""
    labels = {label(h, script, res.part.question) for h in res.items}
    return labels.pop().rstrip("：: ") + ("：" if script != EN else ":") if len(labels) == 1 and "" not in labels else ""


def _subject(part: Part) -> str:
    return part.label or part.question.rstrip("？?。 ")


def _shown(text: str, script: str) -> str:
    return to_script(text, script).rstrip("。；;，, ") if script != EN else text.rstrip("。；;，, ")


def _title(r: Retrieval, sentence) -> str:
    return next((h.title for h in r.hits if h.sentence.doc_id == sentence.doc_id), "")
