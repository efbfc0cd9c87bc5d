"""The time scope a question asks about (years, achieved vs planned) and how well a sentence fits it.

    >>> question_scope("2026年计划新开工多少个项目？", now_year=2026)
    Scope(years=frozenset({2026}), period='planned', relative=frozenset())
    >>> question_scope("嶗山區去年新增就業多少人？", now_year=2026)
    Scope(years=frozenset({2025}), period='achieved', relative=frozenset({-1}))
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.lang import normalize
from corpus.types import ACHIEVED, PLANNED, UNKNOWN, Sentence

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
# Five-year plans: 十四五 is 2021-2025, 十五五 2026-2030; "期末" is the plan's last year.
_PLAN_END = re.compile(r"十([一二三四五六七八九])五(?:规划)?[”」\s]*(?:期末|末|收官)")
_CN_DIGIT = "一二三四五六七八九"
_RELATIVE = {"去年": -1, "前年": -2, "今年": 0, "明年": 1, "last year": -1, "this year": 0, "next year": 1}
_PLANNED = ("目标", "计划", "预期", "打算", "规划", "力争", "将要", "要", "将", "拟",
            "target", "plan", "goal", "will", "expected", "aim")
_ACHIEVED = ("完成了", "已经", "已", "取得", "实现了", "做了", "去年", "前年", "达到了", "进度", "成绩", "办成",
             " did ", " was ", " were ", " had ", "achieved", "completed")


@dataclass(frozen=True)
class Scope:
    years: frozenset[int] = frozenset()
    period: str | None = None
    relative: frozenset[int] = frozenset()  # offsets of 去年/今年/明年, also read against a document's own year

    def fits_year(self, year: int, doc_year: int | None = None) -> bool:
        """The asked time: one of ``years``, or for 今年/去年 the year that is to the document
        (a 2023 article's 今年上半年 is what a reader of it asks about as 今年上半年)."""
        return year in self.years or (doc_year is not None and any(year == doc_year + d for d in self.relative))


def question_scope(question: str, now_year: int) -> Scope:
    q = f" {normalize(question)} "
    years = {int(y) for y in _YEAR.findall(q)}
    relative = {delta for word, delta in _RELATIVE.items() if word in q}
    years |= {now_year + delta for delta in relative}
    years |= {2001 + 5 * (_CN_DIGIT.index(m) + 1) + 4 for m in _PLAN_END.findall(q)}
    planned = any(cue in q for cue in _PLANNED)
    achieved = any(cue in q for cue in _ACHIEVED)
    if years and not (planned or achieved):
        # A year alone: before the current year it is a result, from it on a plan.
        planned, achieved = all(y >= now_year for y in years), all(y < now_year for y in years)
    period = PLANNED if planned and not achieved else ACHIEVED if achieved and not planned else None
    return Scope(frozenset(years), period, frozenset(relative))


def scope_factor(sentence: Sentence, scope: Scope, doc_year: int | None = None) -> float:
    """1.0 when the sentence speaks of the asked time, less when it is unknown, least when it differs.

    Years decide when the question names them (``doc_year``: the year 今年 means in the sentence's
    document); otherwise the achieved/planned cue does.
    """
    if scope.years and sentence.year is not None:
        return 1.0 if scope.fits_year(sentence.year, doc_year) else 0.45
    if scope.period and sentence.period != UNKNOWN:
        return 1.0 if sentence.period == scope.period else 0.5
    if scope.years or scope.period:
        return 0.85
    return 1.0
