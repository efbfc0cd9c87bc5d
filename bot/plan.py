"""How a question is understood: one look-up, a list to gather, a comparison of two sides, a
calculation over figures, or several asks in one. Pure functions over the question text.

    >>> p = plan("2026年计划开工的项目和计划竣工的项目，加起来一共多少个？")
    >>> p.kind, p.op, [x.question for x in p.parts]
    ('compute', 'sum', ['2026年计划开工的项目多少个', '2026年计划竣工的项目多少个'])

The plan is shown to the user ("understood as"), so a wrong reading is easy to spot.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.arith import AVERAGE, DIFF, MORE, RATIO, SUM
from corpus.figures import asked_unit
from corpus.lang import has_chinese, normalize
from bot.retrieve import content_terms

LOOKUP, LIST, COMPARE, COMPUTE, MULTI = "lookup", "list", "compare", "compute", "multi"
KINDS = (LOOKUP, LIST, COMPARE, COMPUTE, MULTI)

_ASK = re.compile(r"多少|几[个项处所家条场次批年天名户张座类成倍]?|什么|哪|怎么|怎样|如何|是否|有没有|吗|呢|谁|何时|何处")
_LIST = re.compile(r"哪些|有什么|有何|什么安排|什么举措|什么措施|做了什么|干了什么|办成了什么|办成了哪些|推进什么|都有|分别是什么"
                   r"|哪几|举措|措施|具体安排|主要安排|哪几方面|有啥")
_LIST_EN = re.compile(r"\b(?:what are|what were|list|what (?:two|three|four|five|\d+) |in what ways"
                      r"|what (?:\w+ )?(?:measures|plans|steps|items|projects) )", re.IGNORECASE)
_OPS = (  # checked in order: the first that matches decides
    (RATIO, re.compile(r"百分之几|百分比|占.{0,20}(?:比例|比重)|几成|多少倍|几倍")),
    (AVERAGE, re.compile(r"平均")),
    (SUM, re.compile(r"加起来|一共|总共|合计|总计|共计|加在一起")),
    (DIFF, re.compile(r"(?:少|多)了?(?:大约|大概|约)?(?:多少|几)|相差|差了?(?:多少|几)|差距|增加了多少|减少了多少")),
    (MORE, re.compile(r"哪[个类一项种]*.{0,6}更多|哪[个类一项种]*.{0,4}多|谁多|更多|多了还是少了|少了还是多了|是多还是少")),
)
_EACH = re.compile(r"分别|各(?:有|是|为|自|几|多少)?|相比|对比|比较")
_JOIN = re.compile(r"和|与|跟|以及|及|同")
_TIME = re.compile(r"(?:19|20)\d{2}\s*年?|去年|前年|今年|明年|上一年")
_LEAD_TIME = re.compile(r"^(?:(?:19|20)\d{2}\s*年|去年|今年|明年)(?:计划|实际|已经|已)?")
_TOPIC_TAIL = re.compile(r"(?:方面|这一块|这块|领域|上)$")
_SUBJECT_HEAD = re.compile(r"^(?:崂山区|报告里|报告中|区里)")
_RATIO_BASE = re.compile(r"(?:相当于|占|是)(?P<base>.+?)的?(?:百分之几|百分比|比例|比重|几成|多少倍|几倍)")
_DIVISOR = re.compile(r"(?P<n>[一二两三四五六七八九十\d]+)(?:大|个|项|类|家|所)")
_OUTLINE = re.compile(r"(?P<n>[一二两三四五六七八九十\d]+)(?:个|大|项)(?:方面|重点|领域|任务)")
_SPLIT_ASKS = re.compile(r"(?<=[？?])")
# Words a side or part of a question shares with any other: they say nothing about its topic.
GENERIC = {"数量", "多少", "实际", "目标", "计划", "情况", "数字", "个数", "总数", "规模"}


@dataclass(frozen=True)
class Part:
    """One thing to look up: a standalone sub-question, and the unit its answer is counted in."""

    question: str
    unit: str = ""
    gather: bool = False      # the answer is a list of facts, not one
    label: str = ""           # what this side of a comparison is ("2025年建成通车的道路")

    def to_json(self) -> dict:
        return {"question": self.question, "unit": self.unit, "list": self.gather}


@dataclass(frozen=True)
class Plan:
    question: str
    kind: str
    parts: tuple[Part, ...]
    op: str | None = None          # for compute/compare: sum, diff, ratio, average, more
    divisor: int | None = None     # for an average: how many to share the total among
    outline: int | None = None     # "七个方面工作分别是什么": the report announces that many items

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; expected one of: {', '.join(KINDS)}")
        if not self.parts:
            raise ValueError("a plan needs at least one part")

    @property
    def rewritten(self) -> bool:
        return len(self.parts) > 1 or self.parts[0].question != self.question

    def to_json(self) -> dict:
        out = {"kind": self.kind, "parts": [p.to_json() for p in self.parts]}
        if self.op:
            out["op"] = self.op
        if self.divisor:
            out["divisor"] = self.divisor
        if self.outline:
            out["outline"] = self.outline
        return out


def plan(question: str) -> Plan:
    """Read what a question asks for. Questions without Chinese are planned as one part."""
    q = question.strip()
    if not has_chinese(q):
        return Plan(q, LIST if _LIST_EN.search(q) else LOOKUP, (Part(q, gather=bool(_LIST_EN.search(q))),))
    asks = _independent_asks(q)
    if len(asks) > 1:
        parts = tuple(p for a in asks for p in _single(a).parts)
        return Plan(q, MULTI, parts)
    return _single(q)


def _independent_asks(q: str) -> list[str]:
    """"A是多少？B是什么？" -> two asks; "…分别是多少场？哪类更多？" stays one (the second only
    qualifies the first); "2026年…目标是多少？2025年呢/新增了多少？" is a second ask about the
    first one's topic at another time."""
    pieces = [p.strip() for p in _SPLIT_ASKS.split(q) if p.strip()]
    asks: list[str] = []
    for piece in pieces:
        own_terms = [t for t in content_terms(piece) if t not in GENERIC and not _TIME.fullmatch(t)]
        if not asks or len(own_terms) >= 2 and not _EACH.search(piece):
            asks.append(piece)
        elif _TIME.search(piece) and set(_TIME.findall(piece)) != set(_TIME.findall(asks[-1])):
            topic = [t for t in content_terms(asks[-1]) if t not in own_terms and not _TIME.fullmatch(t)]
            asks.append(piece.rstrip("？?") + ("（" + "、".join(topic) + "）" if topic else "") + "？")
        else:
            asks[-1] += piece
    return asks


def _single(q: str) -> Plan:
    n = normalize(q).rstrip("？?。.！! ").replace("？", "，").replace("?", "，")
    op = next((name for name, pattern in _OPS if pattern.search(n)), None)
    unit = asked_unit(n)
    clauses = [c for c in re.split(r"[，,；;]", n) if c.strip()]
    asking = [c for c in clauses if _ASK.search(c) or any(p.search(c) for _, p in _OPS)]
    subject = [c for c in clauses if c not in asking]
    tail = asking[-1] if asking else ""
    is_list = bool(_LIST.search(n))

    sides, topic = _sides(n, subject, asking, op)
    if sides:
        has_ask = all(_ASK.search(side) for side in sides)
        ask = "" if has_ask else _ask_words(tail, unit, is_list)
        filled = [_fill(side, sides) for side in sides]
        parts = tuple(Part(topic + f + ask, unit, gather=is_list and not op, label=f) for f in filled)
        kind = COMPUTE if op in (SUM, DIFF, RATIO) else COMPARE
        return Plan(q, kind, parts, op=op)
    if op == AVERAGE:
        m = re.search(r"平均.{0,6}每(?:个|家|项|类)?(?P<noun>[\u4e00-\u9fff]{2})", n)
        divisor = _count_of(n, m.group("noun")) if m else None
        if divisor:
            base = re.split(r"如果|若|要是|平均", n)[0].rstrip("的，, ")
            return Plan(q, COMPUTE, (Part(base + _ask_words(tail, unit, False), unit, label=base),), op=AVERAGE,
                        divisor=divisor)
    outline = _OUTLINE.search(n)
    if is_list:
        return Plan(q, LIST, (Part(q, unit, gather=True),),
                    outline=_to_int(outline.group("n")) if outline else None)
    return Plan(q, LOOKUP, (Part(q, unit),))


def _sides(n: str, subject: list[str], asking: list[str], op: str | None) -> tuple[list[str], str]:
    """The two things compared and the topic they share, or [] when the question does not compare."""
    clauses_all = subject + asking
    compares = bool(op) or bool(_EACH.search(n))
    if op == RATIO:
        m = _RATIO_BASE.search(n)
        if m and subject:
            return [_clean_side("".join(subject)), _clean_side(m.group("base"))], ""
    if op == DIFF and "比" in n:
        body = subject[-1] if subject else (asking[0] if asking else n)
        a, _, b = body.partition("比")
        b = _strip_ask(b)
        if a and b:
            return [_clean_side(prefix) for prefix in (a, b)], ""
    # "A和B，…" or "A、B" where the sides name different times (去年办成了哪些事、今年又打算推进什么)
    pool = (subject or asking) if compares else clauses_all
    for clause in reversed(pool):
        for joiner in ([_JOIN] if compares else []) + [re.compile("、")]:
            pieces = [p for p in joiner.split(_strip_ask(clause) if compares else clause) if p.strip()]
            if len(pieces) == 2 and all(_substantial(p) for p in pieces):
                times = [tuple(_TIME.findall(p)) for p in pieces]
                if compares or (times[0] and times[1] and times[0] != times[1]):
                    topic = "".join(_clean_side(c) for c in subject if c != clause)
                    return [_clean_side(p) for p in pieces], topic
    return [], ""


def _substantial(piece: str) -> bool:
    return len(re.findall(r"[\u4e00-\u9fff]", piece)) >= 2


def _strip_ask(text: str) -> str:
    """What comes before the asking words: "2025年已回迁的户数少了大约多少户" -> "2025年已回迁的户数"."""
    cut = len(text)
    for _, pattern in _OPS:
        m = pattern.search(text)
        if m:
            cut = min(cut, m.start())
    m = _ASK.search(text)
    if m and m.start() > 0 and _substantial(text[:m.start()]):
        cut = min(cut, m.start())
    return re.sub(r"(?:相比|相较|对比|比较|是|有|的|各|分别|又)+$", "", text[:cut])


def _clean_side(side: str) -> str:
    return _TOPIC_TAIL.sub("", side.strip("，,、 的")).strip()


def _ask_words(tail: str, unit: str, is_list: bool) -> str:
    if is_list:
        return "有哪些"
    return f"是多少{unit}" if unit else "是多少"


def _fill(side: str, sides: list[str]) -> str:
    """A side made standalone: it inherits the first side's leading time ("2026年计划") when it
    names none, and the other side's topic words when it has too few of its own."""
    if not _TIME.search(side):
        lead = _LEAD_TIME.match(sides[0])
        if lead:
            year = _TIME.match(lead.group(0)).group(0)
            side = (year if side.startswith(("计划", "实际", "已")) else lead.group(0)) + side
    own = [t for t in content_terms(side) if t not in GENERIC]
    if len(own) < 2:
        others = [t for s in sides if s != side for t in content_terms(s)
                  if t not in GENERIC and t not in own and not _TIME.fullmatch(t)]
        side = side + "（" + "、".join(dict.fromkeys(others)) + "）" if others else side
    return side


def _count_of(n: str, noun: str) -> int | None:
    """How many of ``noun`` the question names: "四大主导产业…每个产业" -> 4."""
    for m in _DIVISOR.finditer(n):
        if noun[:1] in n[m.end(): m.end() + 8]:
            return _to_int(m.group("n"))
    return None


def _to_int(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    import cn2an

    try:
        return int(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError):
        return None
