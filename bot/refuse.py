"""Refusal, decided from the retrieval evidence before any answer is written: the documents must
cover what the question asks, for the time, quantity and subject it pins down.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.figures import asked_unit
from corpus.lang import EN, normalize, pinyin
from bot.retrieve import Retrieval, content_terms, term_match


NOT_GIVEN = "not given"


@dataclass(frozen=True)
class Thresholds:
    """Refusal thresholds, calibrated on the dev sets (see docs/benchmarks.md)."""

    min_coverage: float = 0.5     # Chinese questions: topic terms found in the evidence
    strong_dense: float = 0.62    # ...unless the dense match alone is this close
    min_sentence_sim: float = 0.35  # ...or the best sentence, embedded alone, is this close
    sure_sentence_sim: float = 0.5  # a sentence this close answers even if the asked noun is not in it
    min_dense_en: float = 0.35    # questions without Chinese characters: dense only


def refusal_reason(retrieval: Retrieval, script: str, t: Thresholds = Thresholds(), unit: str | None = None,
                   sentence_sim: float = 0.0) -> str:
    """Why the evidence does not answer the question, or "" when it does. Decided from retrieval
    (lexical coverage, dense similarity of chunks and of sentences), never from the model:

    - off topic: the question's words are not in the evidence and nothing is semantically close;
    - another time: every sentence on the topic speaks of a year the question does not ask about
      (asked about 2025, the report gives only the 2026 target; "到十五五期末" is 2030);
    - no such quantity: "多少张床位" where no sentence states a number of 张;
    - only asked: the evidence repeats the question's own yes/no ask ("公投议题为是否支持出售
      国有企业" for "公投是否支持出售国有企业？") and no sentence says more;
    - not given: the sentences that speak of the asked thing say it was not given ("东电至今未给出
      明确原因" for "东电给出了什么原因？");
    - not named where weakly matched: no sentence covers half the question and none is close in
      meaning, and the one that would answer does not name the quantity asked ("企业数量是多少"
      answered by a sentence on hydrogen demand).
    """
    hits = retrieval.hits
    if not hits:
        return "nothing found"
    if script == EN or not retrieval.terms:
        named = max((h.coverage for h in hits[:3]), default=0.0) >= t.min_coverage  # "Hefei Road" is 合肥路
        if max(retrieval.best_dense, sentence_sim) < t.min_dense_en and not named:
            return "off topic"
        if _EN_QUANTITY.search(retrieval.question) and not re.search(r"\d", hits[0].sentence.text):
            return "no such quantity"
        return ""
    best_cov = max(h.coverage for h in hits[:3])
    if best_cov < t.min_coverage and retrieval.best_dense < t.strong_dense and sentence_sim < t.min_sentence_sim:
        return "off topic"
    if only_asked(retrieval.question, [h.sentence.text for h in hits[:5]]):
        return "only asked"
    if not_given(retrieval.question, [h.sentence.text for h in hits[:3]]):
        return NOT_GIVEN
    if contradicts_time(retrieval, t.min_coverage):
        return "another time"
    focus, measured = _focus(retrieval.question)
    if focus and sentence_sim < t.sure_sentence_sim:
        if not any(names(h.sentence.text, focus) for h in hits[:3]):
            return "the asked thing is not named"
        if measured and best_cov < t.min_coverage and not names(hits[0].sentence.text, focus):
            return "the asked thing is not named where the question is weakly matched"
    unit = asked_unit(retrieval.question) if unit is None else unit
    if unit and not any(states_quantity(h.sentence.text, unit) for h in hits[:3]):
        return "no such quantity"
    return ""


def should_refuse(retrieval: Retrieval, script: str, t: Thresholds = Thresholds()) -> bool:
    return bool(refusal_reason(retrieval, script, t))


# What a question asks about: "财政收入是多少" asks about 财政收入, "哪个交易所" about 交易所,
# "几个完整社区" about 完整社区. The evidence must name it, or a sentence must be very close in meaning.
_FOCUS_AFTER = re.compile(r"(?:(?P<which>哪个|哪家|哪所|哪座|哪条|哪位|哪一个|哪一家|什么)"
                          r"|(?:几|多少)(?:个|项|处|所|家|条|座|名|台|批|类|种))(?P<noun>[\u4e00-\u9fff]{2,4})")
_FOCUS_BEFORE = re.compile(r"(?P<before>[^，,。；;？?]{2,20}?)(?:是多少|有多少|为多少|是什么|达到多少|是哪)")
_GENERIC_FOCUS = {"名字", "名称", "东西", "事情", "时候", "时间", "地方", "样子", "内容", "方面", "工作", "情况", "目标",
                  "数量", "规模", "水平", "具体", "意思", "原因", "作用", "措施", "举措", "安排", "项目", "计划", "要求"}


def asked_focus(question: str) -> str:
    """The noun a question asks about, when it names one ("" when it does not, or it is generic)."""
    return _focus(question)[0]


def _focus(question: str) -> tuple[str, bool]:
    """The asked noun, and whether it is measured or counted ("财政收入是多少", "几个完整社区"), so
    that the answer must say it, rather than a kind whose member answers ("哪个城市": 青岛)."""
    terms, how = _asked_terms(question)
    terms = [t for t in terms if t not in _GENERIC_FOCUS]
    if not terms:
        return "", False
    return (terms[-1], True) if how == "before" else (terms[0], how == "counted")


def _asked_terms(question: str) -> tuple[list[str], str]:
    """The words of the noun a question asks about, generic ones included ("原因" in "什么原因"),
    and how it asks: "which" (哪个城市), "counted" (几个社区) or "before" (财政收入是多少)."""
    q = normalize(question)
    m = _FOCUS_AFTER.search(q)
    if m:
        return content_terms(m.group("noun")), "which" if m.group("which") else "counted"
    m = _FOCUS_BEFORE.search(q)
    return (content_terms(m.group("before")), "before") if m else ([], "")


def names(sentence: str, term: str) -> bool:
    return term_match(term, normalize(sentence), pinyin(sentence)) >= 0.5


# "东电给出了什么原因？" where the documents say "东电至今未给出明确原因": what was asked for was
# not given, so there is nothing to answer with (a question that itself asks why not is left alone).
_NEGATION = r"(?:未|不|没|没有|尚未|并未|从未|未曾|拒绝)"
_DISCLOSE = ("给出", "公布", "披露", "透露", "说明", "提供", "公开", "回应", "解释", "告知")


def not_given(question: str, evidence: list[str]) -> bool:
    """Every sentence that names the asked noun says it was not given (未给出…原因, 未披露…金额)."""
    q = normalize(question)
    terms, how = _asked_terms(question)
    verbs = [v for v in _DISCLOSE if v in q] or list(_DISCLOSE)
    refused = _NEGATION + "(?:" + "|".join(verbs) + ")"
    if not terms or re.search(refused + r"|为什么|为何|为啥", q):
        return False
    noun = terms[-1] if how == "before" else terms[0]
    denial = re.compile(refused + r"[^，,。；;]{0,6}?" + re.escape(noun))
    about = [normalize(e) for e in evidence if noun in normalize(e)]
    return bool(about) and all(denial.search(e) for e in about)


_YES_NO = re.compile(r"(?:是否|是不是|有没有|能否|会不会)(?P<core>[\u4e00-\u9fff]{4,})")


def only_asked(question: str, evidence: list[str]) -> bool:
    """The sentences that speak of a yes/no question's matter only repeat it as a question: it is
    on the ballot, not decided ("议题为是否支持出售国有企业" for "是否支持出售国有企业？")."""
    m = _YES_NO.search(normalize(question))
    if not m:
        return False
    core = m.group("core")
    about = [normalize(e) for e in evidence if core in normalize(e)]
    return bool(about) and all(m.group(0)[: -len(core)] + core in e for e in about)


def contradicts_time(retrieval: Retrieval, min_coverage: float = 0.5) -> bool:
    """The question names years and every sentence on its topic (else the best hit) speaks of
    another year: "2026年城镇新增就业目标" is not answered by "预计到2030年将新增11.5万个就业岗位"."""
    years = retrieval.scope.years
    if not years:
        return False
    on_topic = [h for h in (retrieval.on_topic or retrieval.hits[:5]) if h.coverage >= min_coverage] \
        or list(retrieval.hits[:1])
    # h.scope < 1: its year is not the asked one (for 今年/去年, neither by the calendar nor by its document)
    return bool(on_topic) and all(h.sentence.year is not None and h.scope < 1.0 for h in on_topic)


_EN_QUANTITY = re.compile(r"\bhow (?:many|much)\b|\btotal\b|\bnumber of\b|\bamount\b|\binvestment\b|\bbudget"
                          r"|\bcost\b|\bpercent|\bproportion\b|\bshare of\b", re.IGNORECASE)


# "多少天" asks for a count of days: evidence that never states one does not answer it, however
# well it covers the topic ("气温已连续多日超过40摄氏度" for "已持续多少天？").
_CN_NUMERAL = "零一二三四五六七八九十百千万亿两"


def states_quantity(sentence: str, unit: str) -> bool:
    """True when the sentence gives a number of ``unit`` ("5處完整社區" states a count of 处)."""
    text = normalize(sentence)
    return re.search(rf"[\d{_CN_NUMERAL}][\d.{_CN_NUMERAL}余多]*\s*(?:[万亿余多])?{re.escape(unit)}", text) is not None
