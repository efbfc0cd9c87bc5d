"""Time scope of sentences: does a sentence report a result (achieved) or set a plan (planned), for which year.

The heuristic reads the text only, matched after OpenCC t2s so both scripts work:

1. **Planning year** of the document: the latest year declared as "YYYY年是……之年" or named
   in "YYYY年……目标" (a work report plans that year and reviews the years before it). The
   **document year**, for 今年/去年/明年, is the planning year, else the year of the first full
   date ("2023-07-24", "2023年7月24日"), else the year the text names most often.
2. **Strong cues** of a sentence, which beat any context:
   - an explicit year (baselines such as "比2025年", "2019年水平" do not count): before the
     planning year -> achieved, from it on -> planned; "到/至YYYY年" -> planned; without a
     planning year the weak cues below decide, then the year against the document year;
   - 这一年/过去一年 -> achieved (the year of the context); at the head of a clause
     去年 -> achieved, 明年 -> planned, 今年 -> the document year;
   - "YYYY年是……之年" also switches the rest of the document to that year ("until another
     signal": a later heading or declaration).
3. **Weak cues** are counted and the larger count wins (a tie says nothing): 将, 推动, 要, 目标,
   预期, 计划, 力争, 确保, 预计, 明年 and, once a planning year is known, a number with 以上/左右
   -> planned; 完成, 已, 顺利, 通过验收, 建成通车, 全年实现, 同比, 累计, 去年 -> achieved.
4. **Context** of a sentence: the paragraph's, else the section's, else the document's.
   - paragraph: set by a strong cue placed against the planning year (or a relative year),
     and by a short planned topic line opening it ("強化內需主導作用,推動經濟運行更加穩健。":
     a paragraph that starts with a planning verb list stays planned); a line ending in a
     colon or semicolon hands its context to the next line (a list going on);
   - section: its heading's scope (推动/将/目标/达到 -> planned, a year with a past number ->
     achieved, no cue -> the document context);
   - document: the last declaration.
   A sentence without a strong cue takes the context; without a context, its own weak cues
   (for itself only: a news article is often one long line). A paragraph's opening lines
   before its first cue look at the first cued line within three lines: a cued one takes its
   year, a short uncued lead-in ("風勁潮涌,自當揚帆破浪;") its whole scope.
5. **Year**: the sentence's own year, else the context's; a planned sentence with neither gets
   the planning year (else the document year).

>>> from corpus.sentences import split_sentences
>>> [(s.period, s.year) for s in tag_periods(split_sentences("d", "2025年，新引進125個項目。2026年是開局之年。"))]
[('achieved', 2025), ('planned', 2026)]
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from corpus.lang import to_simplified as _t2s
from corpus.lexicon import SENTENCE_ACHIEVED, SENTENCE_PLANNED
from corpus.types import ACHIEVED, PLANNED, UNKNOWN, Sentence

LOOKAHEAD = 3  # how many lines ahead an uncued paragraph opening looks for its scope
TOPIC_MAX_CHARS = 30  # a planned opening line this short is the topic line of a list of plans

_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})\s*年(?!代)")
_FULL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2}|年\d{1,2}月\d{1,2}日)")
_DECLARATION = re.compile(r"(?<![\d.到至])((?:19|20)\d{2})年(?:是|为)[^。；;！？]{0,40}之年")
_TARGET_YEAR = re.compile(r"(?<![\d.到至])((?:19|20)\d{2})年[^，,。；;：:]{0,8}目标")
_BASELINE_BEFORE = ("比", "较", "与", "同比", "相比", "较之")
_BASELINE_AFTER = ("水平", "同期")

_HEADING_PLANNED = re.compile(SENTENCE_PLANNED.pattern + r"|达到")
_AROUND_NUMBER = re.compile(r"\d[\d.]*[^\d，,。；;、]{0,4}(?:以上|左右)")
_THIS_PAST_YEAR = re.compile(r"这一年|过去的?一年")
# A day ("5月8日", "2026年5月8日", "2026-05-08") names when something happened, in a news item,
# unless a future marker comes before it or a deadline/start word after it ("将于5月8日", "5月8日前").
_DAY = re.compile(r"(?:(?<![\d.])((?:19|20)\d{2})\s*年\s*)?(?<![\d.])(?:1[0-2]|0?[1-9])月(?:[12]\d|3[01]|0?[1-9])日"
                  r"|(?<![\d.])((?:19|20)\d{2})-(?:1[0-2]|0?[1-9])-(?:[12]\d|3[01]|0?[1-9])(?![\d])")
_DAY_FUTURE_BEFORE = ("将于", "将在", "拟于", "拟在", "计划于", "计划在", "预计于", "预计在", "定于", "争取", "力争", "到", "至")
_DAY_FUTURE_AFTER = ("前", "以前", "之前", "起", "开始", "至", "到")
_CLAUSE_HEAD = r"(?:^|[，,；;：:。])\s*"
_LAST_YEAR = re.compile(_CLAUSE_HEAD + r"(?:去年|上一年)")
_THIS_YEAR = re.compile(_CLAUSE_HEAD + r"(?:今年|本年)")
_NEXT_YEAR = re.compile(_CLAUSE_HEAD + r"(?:明年|下一年)")


@dataclass(frozen=True)
class _Scope:
    period: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class _Cue:
    scope: _Scope
    strong: bool = False
    declares: bool = False
    carries: bool = False  # the scope holds for the lines after it in the paragraph


_NONE = _Scope()


def tag_periods(sentences: list[Sentence]) -> list[Sentence]:
    """Return new sentences with ``period`` and ``year`` set (see the module docstring)."""
    texts = [_t2s(s.text) for s in sentences]
    plan_year = _plan_year(texts)
    doc_year = document_year(texts, simplified=True)
    planning = plan_year or doc_year
    cues = [_cue(t, s.heading, plan_year, doc_year) for t, s in zip(texts, sentences)]
    scopes: list[_Scope] = []
    document = section = context = _NONE
    for para in _paragraphs(sentences):
        if not (scopes and texts[para[0] - 1].rstrip().endswith((":", "：", ";", "；"))):
            context = section
        opening = True  # no cued line yet in this paragraph
        for pos, i in enumerate(para):
            cue = cues[i]
            if sentences[i].heading:
                scope = section = context = _heading_scope(cue.scope, document, planning)
            elif cue.strong:
                scope = _Scope(cue.scope.period or context.period, cue.scope.year or context.year)
                if cue.carries:
                    context = scope
                elif cue.scope.year == doc_year:
                    context = _Scope(context.period, doc_year)
                if cue.declares:
                    document = section = scope
            elif context.period:
                scope = context
            elif opening:
                short = len(sentences[i].text) <= TOPIC_MAX_CHARS
                scope = _opening_scope(cue.scope, [cues[j] for j in para[pos + 1:pos + 1 + LOOKAHEAD]], short)
                if scope.period == PLANNED and short:
                    context = scope  # "強化內需主導作用,推動經濟運行更加穩健。" heads a list of plans
            else:
                scope = _Scope(cue.scope.period, context.year)  # a later weak cue speaks for its line only
            opening = opening and not (cue.strong or cue.scope.period)
            scopes.append(_with_planning_year(scope, context, planning))
    return [replace(s, period=sc.period or UNKNOWN, year=sc.year) for s, sc in zip(sentences, scopes)]


def _paragraphs(sentences: list[Sentence]) -> list[list[int]]:
    groups: list[list[int]] = []
    for i, s in enumerate(sentences):
        if groups and sentences[groups[-1][0]].paragraph == s.paragraph:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _heading_scope(own: _Scope, document: _Scope, planning: int | None) -> _Scope:
    if own.period is None:
        return document
    if own.period == PLANNED and own.year is None:
        return _Scope(PLANNED, document.year if document.period == PLANNED else planning)
    return own


def _opening_scope(own: _Scope, ahead: list[_Cue], short: bool) -> _Scope:
    # "“…順利回遷”……" then "…全面總結2025年工作。": a cued opening takes the year stated after it;
    # a short uncued lead-in ("風勁潮涌,自當揚帆破浪;") takes the whole scope of what follows.
    first = next((c.scope for c in ahead if c.strong or c.scope.period), _NONE)
    if own.period is None and not short:
        return _NONE
    period = own.period or first.period
    return _Scope(period, first.year if first.period in (None, period) else None)


def _with_planning_year(scope: _Scope, context: _Scope, planning: int | None) -> _Scope:
    if scope.period == PLANNED and scope.year is None:
        return _Scope(PLANNED, context.year if context.period == PLANNED and context.year else planning)
    return scope


def _cue(text: str, heading: bool, plan_year: int | None, doc_year: int | None) -> _Cue:
    if plan_year is None and not heading:  # a news item, not a report planning a year
        day = _event_day(text)
        if day is not None:
            return _Cue(_Scope(ACHIEVED, day or doc_year), strong=True)
    vote = _vote(text, heading, plan_year)
    year, kind = _scope_year(text)
    if year is not None:
        declared = _DECLARATION.search(text)
        period = _year_period(text, year, kind, vote, heading, plan_year, doc_year)
        # Only a year placed against the planning year says what the next lines speak of too;
        # a vote of cue words, a far target ("到2030年") or a guess from the date does not.
        return _Cue(_Scope(period, year), strong=True, declares=bool(declared) and int(declared.group(1)) == year,
                    carries=plan_year is not None and kind != "target")
    if _THIS_PAST_YEAR.search(text):
        return _Cue(_Scope(ACHIEVED, None), strong=True, carries=True)  # the year comes from the context
    if doc_year is None:
        return _Cue(_Scope(vote, None))
    if _LAST_YEAR.search(text):
        return _Cue(_Scope(ACHIEVED, doc_year - 1), strong=True, carries=True)
    if _NEXT_YEAR.search(text):
        return _Cue(_Scope(PLANNED, doc_year + 1), strong=True, carries=True)
    if _THIS_YEAR.search(text):
        period = PLANNED if plan_year == doc_year else vote
        return _Cue(_Scope(period, doc_year), strong=True, carries=plan_year is not None)
    return _Cue(_Scope(vote, None))


def _event_day(text: str) -> int | None:
    """The year (0 if the day names none) of the first day the sentence says something happened on, else None.

    "5月8日，…正式开工建设，将推动…" reports the start of work: achieved, whatever the plans it mentions.
    """
    for m in _DAY.finditer(text):
        before, after = text[max(0, m.start() - 3):m.start()], text[m.end():m.end() + 2]
        if before.endswith(_DAY_FUTURE_BEFORE) or after.startswith(_DAY_FUTURE_AFTER):
            continue
        year = m.group(1) or m.group(2)
        return int(year) if year else 0
    return None


def _year_period(text: str, year: int, kind: str, vote: str | None, heading: bool,
                 plan_year: int | None, doc_year: int | None) -> str | None:
    if kind == "target":
        return PLANNED
    if plan_year is not None:
        return ACHIEVED if year < plan_year else PLANNED
    if vote:
        return vote
    if heading and re.search(r"\d", _YEAR.sub("", text)):
        return ACHIEVED  # a heading stating a number for a year ("2025年新引进125个项目") reports a result
    if doc_year is not None and year != doc_year:
        return ACHIEVED if year < doc_year else PLANNED
    return None


def _scope_year(text: str) -> tuple[int | None, str]:
    """The first year the sentence speaks of, and whether it is a "target" ("到2030年") or a "scope"."""
    for m in _YEAR.finditer(text):
        before, after = text[max(0, m.start() - 3):m.start()], text[m.end():m.end() + 2]
        if before.endswith(_BASELINE_BEFORE) or after.startswith(_BASELINE_AFTER):
            continue
        # "到2030年" is a target, but "截至2023年" is "as of" and "2021至2025年" a range.
        target = before[-1:] in ("到", "至") and not before.endswith(("截至", "截止")) \
            and not re.search(r"\d年?[到至]$", before)
        return int(m.group(1)), "target" if target else "scope"
    return None, ""


def _vote(text: str, heading: bool, plan_year: int | None) -> str | None:
    planned = len((_HEADING_PLANNED if heading else SENTENCE_PLANNED).findall(text))
    if plan_year is not None:
        planned += len(_AROUND_NUMBER.findall(text))
    achieved = len(SENTENCE_ACHIEVED.findall(text))
    if planned == achieved:
        return None
    return PLANNED if planned > achieved else ACHIEVED


def document_year(texts: list[str], simplified: bool = False) -> int | None:
    """The year a document's 今年 means: its planning year, else its first full date's, else the
    year it names most often ("2023-07-28 07:56，正文：…" -> 2023)."""
    texts = texts if simplified else [_t2s(t) for t in texts]
    return _plan_year(texts) or _first_date_year(texts) or _most_named_year(texts)


def _plan_year(texts: list[str]) -> int | None:
    years = [int(m.group(1)) for t in texts for p in (_DECLARATION, _TARGET_YEAR) for m in p.finditer(t)]
    return max(years) if years else None


def _first_date_year(texts: list[str]) -> int | None:
    for t in texts:
        m = _FULL_DATE.search(t)
        if m:
            return int(m.group(1))
    return None


def _most_named_year(texts: list[str]) -> int | None:
    years = Counter(y for t in texts if (y := _scope_year(t)[0]) is not None)
    if not years:
        return None
    return max(years, key=lambda y: (years[y], y))
