"""Figures in text: numbers with their unit, scale and hedge, read from a sentence.

    >>> [f.describe() for f in parse_figures("回遷安置3個社區2300余戶居民,新增就業2.8萬人")]
    ['3个', '2300余户', '2.8万人']
    >>> parse_figures("新引進過億元項目100個以上")[0].value
    Decimal('100')

Chinese numerals are read with ``cn2an`` ("八十个" -> 80). A figure remembers where it sits in
the sentence, so the words around it (its *context*) tell what it counts. Indexing reads every
figure of every sentence into the fact table (``index.facts``); answering reads them again only
from a model's wording, to check it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from corpus.lang import tagged, to_simplified
from corpus.lexicon import (ABOUT, ASKED_UNITS, CLAUSE_END, CN_DIGITS, CN_NUMERAL_UNITS, COUNT_UNITS, HEDGES_AFTER,
                            HEDGES_BEFORE, LOWER_BOUND, SCALES, STRETCH_END, UNITS, UPPER_BOUND)

_SCALE = {"": Decimal(1), **{k: Decimal(v) for k, v in SCALES.items()}}
_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?|[" + CN_DIGITS + r"]+"
_FIGURE = re.compile(
    r"(?P<pre>" + "|".join(HEDGES_BEFORE) + r")?"
    r"(?:(?P<low>\d+(?:\.\d+)?)\s*[—–\-~～至到]\s*)?"      # a range: 60—69岁
    r"(?P<num>" + _NUMBER + r")"
    r"\s*(?P<scale>万|亿)?(?P<more>余|多)?\s*"
    r"(?P<unit>" + "|".join(map(re.escape, UNITS)) + r")"
    r"(?P<post>" + "|".join(h for h in HEDGES_AFTER if h not in ("余", "多")) + r"|余)?")
_ASKED_UNIT = re.compile(r"(?:多少|几)\s*(" + "|".join(map(re.escape, ASKED_UNITS)) + ")")
_DATE_PART = re.compile(r"\d{1,2}月\d{1,2}日|\d{1,2}月(?:上|中|下)旬|\d{1,2}月(?:份|底|初|末)|\d{1,2}日")


def asked_unit(question: str) -> str:
    """The unit a quantity question asks for, or "" ("2026年要打造几处完整社区？" -> "处")."""
    m = _ASKED_UNIT.search(to_simplified(unicodedata.normalize("NFKC", question)))
    return m.group(1) if m else ""


def asked_predicate(question: str) -> str:
    """What a quantity question says of the things it counts: the words from the first verb after
    the asked unit and its noun ("显示出了抗肿瘤响应" in "对多少名晚期子宫内膜癌患者显示出了抗肿瘤
    响应？"); "" when the question ends with what it counts ("有多少个图层？")."""
    text = to_simplified(unicodedata.normalize("NFKC", question))
    m = _ASKED_UNIT.search(text)
    if not m:
        return ""
    words = tagged(text[m.end():])
    verb = next((i for i, (_, flag) in enumerate(words) if flag.startswith("v")), len(words))
    return "".join(word for word, _ in words[verb:]).strip("？?。！! ")


@dataclass(frozen=True)
class Figure:
    """A stated quantity: ``value`` as written in ``unit`` (2.8万人 -> 2.8 with scale 万), in ``text``."""

    value: Decimal
    unit: str           # 人, 户, 亿元 (a scale may be folded into the unit; see ``base_unit``)
    scale: str          # "", "万" or "亿" as written before the unit
    text: str           # the figure as written, e.g. "2300余户"
    start: int          # offsets in the normalized (NFKC, Simplified) sentence
    end: int
    approx: bool        # 余, 以上, 左右, 约...: the value is a bound or an estimate
    qualifier: str = ""  # the hedge as written: 以上, 余, 约, 不少于...
    low: Decimal | None = None  # the lower end of a range ("60—69岁": 60)

    def describe(self) -> str:
        return self.text

    @property
    def base_unit(self) -> str:
        """The unit without a scale folded into it: 亿元 -> 元, 万人 -> 人."""
        return self.unit[1:] if self.unit[:1] in SCALES and len(self.unit) > 1 else self.unit

    @property
    def kind(self) -> str:
        """What it measures, for adding up: any count measure word is a count."""
        return "count" if self.base_unit in COUNT_UNITS else self.base_unit

    @property
    def multiplier(self) -> Decimal:
        """10^4 for 万, 10^8 for 亿 (written before the unit or folded into it), else 1."""
        return _SCALE[self.scale or (self.unit[:1] if self.unit != self.base_unit else "")]

    @property
    def number(self) -> Decimal:
        """The value in plain units, scale applied: 2.8万人 -> 28000, 1300亿元 -> 1.3e11."""
        return self.value * self.multiplier

    @property
    def bound(self) -> str:
        """How the hedge bounds the value: "at least", "at most", "about", or "" for an exact figure."""
        if self.qualifier in LOWER_BOUND:
            return "at least"
        if self.qualifier in UPPER_BOUND:
            return "at most"
        return "about" if self.qualifier in ABOUT else ""


def parse_figures(sentence: str) -> list[Figure]:
    """Every figure stated in ``sentence`` (either script), in order; dates and ordinals are not figures."""
    text = to_simplified(unicodedata.normalize("NFKC", sentence))
    out = []
    for m in _FIGURE.finditer(text):
        raw, unit = m.group("num"), m.group("unit")
        if _ordinal(text, m) or _in_date(text, m):
            continue
        if not raw[0].isdigit():
            if unit not in CN_NUMERAL_UNITS or (raw in ("一", "两") and unit in ("批", "期")):
                continue
            value = _cn_number(raw)
            if value is None:
                continue
        else:
            if _is_year(m) or _inside_longer_number(text, m):
                continue
            value = Decimal(raw.replace(",", ""))
        hedges = [h for h in (m.group("pre"), m.group("more"), m.group("post")) if h]
        qualifier = next((h for h in hedges if h in LOWER_BOUND | UPPER_BOUND | ABOUT), "")
        out.append(Figure(value=value, unit=unit, scale=m.group("scale") or "", text=m.group(0).strip(),
                          start=m.start(), end=m.end(), approx=bool(qualifier), qualifier=qualifier,
                          low=Decimal(m.group("low")) if m.group("low") else None))
    return out


def _cn_number(raw: str) -> Decimal | None:
    import cn2an

    try:
        return Decimal(str(cn2an.cn2an(raw, "smart")))
    except (ValueError, KeyError):
        return None


def _is_year(m: re.Match) -> bool:
    return m.group("unit") == "年" and re.fullmatch(r"(?:19|20)\d{2}", m.group("num")) is not None


def _inside_longer_number(text: str, m: re.Match) -> bool:
    before = text[m.start() - 1: m.start()]
    return before.isdigit() or before == "."


def _ordinal(text: str, m: re.Match) -> bool:
    """第二批 is the second batch, not two batches."""
    return text[m.start() - 1: m.start()] == "第"


def _in_date(text: str, m: re.Match) -> bool:
    """"2月4日" names a day, not two months and four days."""
    if m.group("unit") not in ("月", "日"):
        return False
    return any(d.start() <= m.start() < d.end() for d in _DATE_PART.finditer(text, max(0, m.start() - 3), m.end() + 4))


def context_of(sentence: str, figure: Figure) -> str:
    """The words a figure belongs to: its stretch of the sentence between punctuation, enumeration
    commas included ("推动…整机二期等80个项目开工" for 80个 in "…80个项目开工、…80个项目竣工").
    A stretch that is only a change ("，增长27.3%") is about the stretch before it: "佛山对东盟进出口
    892.8亿元，增长27.3%". In "汽、柴油价格每吨分别提高240元、230元" each figure belongs to its
    own item before 分别: 230元 to "柴油价格每吨", 240元 to "汽(油价格每吨)"."""
    text = to_simplified(unicodedata.normalize("NFKC", sentence))
    ends = [m.end() for m in STRETCH_END.finditer(text, 0, figure.start)]
    left = ends[-1] if ends else 0
    if ends and text[left - 1] in "，," and _BARE_CHANGE.fullmatch(text[left:figure.start].strip()):
        left = ends[-2] if len(ends) > 1 else 0
    right = next((m.start() for m in STRETCH_END.finditer(text, figure.end)), len(text))
    return _respective(text, figure) or text[left:right]


def clause_of(sentence: str, figure: Figure) -> tuple[int, int]:
    """The span of the clause (between clause marks, enumeration commas inside) holding a figure,
    in the normalized sentence: the stretch a reader quotes to show it."""
    text = to_simplified(unicodedata.normalize("NFKC", sentence))
    left = max((m.end() for m in CLAUSE_END.finditer(text, 0, figure.start)), default=0)
    if left and text[left - 1] in "，," and _BARE_CHANGE.fullmatch(text[left:figure.start].strip()):
        left = max((m.end() for m in CLAUSE_END.finditer(text, 0, left - 1)), default=0)
    right = next((m.start() for m in CLAUSE_END.finditer(text, figure.end)), len(text))
    return left, right


# A change with no subject of its own: "增长", "同比下降", "比上年提高了".
_BARE_CHANGE = re.compile(r"(?:同比|环比|比上年|较上年|比去年|较去年)?(?:增长|下降|减少|增加|提高|上升|回落|下滑)了?")


def _respective(text: str, figure: Figure) -> str:
    """The item a figure stands for in "A、B…分别…X、Y" (X for A, Y for B), with the words between
    分别 and the figures; "" when the figure is not in such a list or the counts differ."""
    start = max((m.end() for m in CLAUSE_END.finditer(text, 0, figure.start)), default=0)
    at = text.rfind("分别", start, figure.start)
    if at < 0:
        return ""
    end = next((m.start() for m in CLAUSE_END.finditer(text, figure.end)), len(text))
    listed = parse_figures(text[at:end])
    first = listed[0].start + at if listed else figure.start
    if not listed or not re.fullmatch(r"(?:\s*(?:、|和|及|与)\s*)*", re.sub(
            "|".join(map(re.escape, (f.text for f in listed))), "", text[first:end].strip("，,。；; "))):
        return ""
    items = re.split(r"、|和|与|及", text[start:at])
    offsets = [f.start + at for f in listed]
    if len(items) != len(listed) or figure.start not in offsets:
        return ""
    item = items[offsets.index(figure.start)]
    if len(item) < len(items[-1]):  # "汽、柴油价格每吨": 汽 shares the last item's words after its first
        item += items[-1][1:]
    return item + text[at + 2:first] + figure.text


def unit_matches(f: Figure, unit: str) -> bool:
    """Asked "多少户" matches 2300余户; "多少亿元" matches 1300亿元; "多少人" matches 2.8万人."""
    shown = f.scale + f.base_unit
    if unit == "个" and f.base_unit in COUNT_UNITS:  # "几个" asks for a count, whatever it counts in
        return True
    return (unit in (f.unit, shown, f.base_unit) or (unit.startswith(tuple(SCALES)) and unit[1:] == f.base_unit)
            or f.unit.startswith(unit)  # "多少场" is answered by 1000余场次
            or (unit in SCALES and f.scale == unit))  # "多少万" by 2.8万人


def format_number(value: Decimal, unit: str = "") -> str:
    """A result in the way the report writes numbers: 3248户, 0.39万人, 80%, 325亿元."""
    if unit[:1] in SCALES and len(unit) > 1:
        value = value / _SCALE[unit[0]]
    q = value.quantize(Decimal("0.01")).normalize()
    text = f"{q:f}"
    return f"{text}{unit}"
