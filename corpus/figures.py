"""Figures in text: numbers with their unit, scale and hedge, read from a sentence.

    >>> [f.describe() for f in parse_figures("回遷安置3個社區2300余戶居民,新增就業2.8萬人")]
    ['3个', '2300余户', '2.8万人']
    >>> parse_figures("新引進過億元項目100個以上")[0].value
    100.0

Chinese numerals are read with ``cn2an`` ("八十个" -> 80). A figure remembers where it sits in
the sentence, so the words around it (its *context*) tell what it counts.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from corpus.lang import tagged, to_simplified

# Units a count or amount is stated in, longest first so "亿元" wins over "亿".
UNITS = sorted("""个 户 人次 人 场次 场 项 所 家 条 处 件 座 栋 名 张 元 万元 亿元 千米 公里 米 平方米 亩 吨 辆 天 次 批
               类 片 套 台 艘 架 间 期 倍 % 个百分点 百分点 岁 年 月 日 分 款 本 部 支 只 枚 份 株 棵 颗 篇 万人 余人 床 岗位 多个""".split(),
               key=len, reverse=True)
# Measure words of a count: 5处 and 4个 complete communities add up.
COUNT_UNITS = frozenset("个 项 所 家 条 处 件 座 栋 名 张 批 类 片 套 台 艘 架 间 款 本 部 支 只 枚 份 株 棵 颗 篇".split())
_CN_DIGITS = "零〇一二两三四五六七八九十百千"
_SCALE = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "": Decimal(1)}
_FIGURE = re.compile(
    r"(?P<pre>约|近|超过|突破|不少于|不低于|逾|达)?"
    r"(?P<num>\d+(?:,\d{3})*(?:\.\d+)?|[" + _CN_DIGITS + r"]+)"
    r"\s*(?P<scale>万|亿)?(?P<more>余|多)?\s*"
    r"(?P<unit>" + "|".join(map(re.escape, UNITS)) + r")"
    r"(?P<post>以上|左右|以下|以内|余)?")
# "二期" and "一体化" hold numerals that count nothing; Chinese numerals need a counting unit.
_CN_UNITS = {"个", "户", "人", "场", "项", "所", "家", "条", "处", "件", "座", "栋", "名", "张", "批", "类", "片",
             "套", "台", "艘", "架", "间", "倍", "岁", "万人", "亿元", "万元", "元", "天", "次", "年", "枚", "份",
             "株", "棵", "颗", "篇"}
# The unit a quantity question asks for ("多少户", "几处", "多少亿元"), longest first. A bare 万 or 亿
# asks for a scale ("多少万"), matched by any figure written in that scale.
_ASKED = sorted("""个 户 人次 人 场次 场 项 所 家 条 处 件 座 栋 名 张 床 套 间 亩 架 艘 台 枚 份 株 棵 颗 篇 批 辆 吨 米 公里 天 年 月
                次 岁 倍 % 个百分点 百分点 元 万元 亿元 万人 万 亿""".split(), key=len, reverse=True)
_ASKED_UNIT = re.compile(r"(?:多少|几)\s*(" + "|".join(map(re.escape, _ASKED)) + ")")


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


_APPROX = {"约", "近", "余", "多", "以上", "左右", "超过", "突破", "不少于", "不低于", "逾"}


@dataclass(frozen=True)
class Figure:
    """A stated quantity: ``value`` in plain units (2.8万人 -> 28000 人), as written in ``text``."""

    value: Decimal
    unit: str           # 人, 户, 亿元 -> "元" with scale "亿"... see ``base_unit``
    scale: str          # "", "万" or "亿" as written
    text: str           # the figure as written, e.g. "2300余户"
    start: int          # offsets in the (simplified) sentence
    end: int
    approx: bool        # 余, 以上, 左右, 约...: the value is a bound or an estimate

    def describe(self) -> str:
        return self.text

    @property
    def base_unit(self) -> str:
        """The unit without a scale folded into it: 亿元 -> 元, 万人 -> 人."""
        return self.unit[1:] if self.unit[:1] in ("万", "亿") and len(self.unit) > 1 else self.unit

    @property
    def kind(self) -> str:
        """What it measures, for adding up: any count measure word is a count."""
        return "count" if self.base_unit in COUNT_UNITS else self.base_unit

    @property
    def number(self) -> Decimal:
        """The value in plain units, scale applied: 2.8万人 -> 28000, 1300亿元 -> 1.3e11."""
        scale = self.scale or (self.unit[:1] if self.unit != self.base_unit else "")
        return self.value * _SCALE[scale]


def parse_figures(sentence: str) -> list[Figure]:
    """Every figure stated in ``sentence`` (either script), in order."""
    text = to_simplified(unicodedata.normalize("NFKC", sentence))
    out = []
    for m in _FIGURE.finditer(text):
        raw, unit = m.group("num"), m.group("unit")
        if _ordinal(text, m):
            continue
        if not raw[0].isdigit():
            if unit not in _CN_UNITS or (raw in ("一", "两") and unit in ("批", "期")):
                continue
            value = _cn_number(raw)
            if value is None:
                continue
        else:
            if _is_year(text, m) or _inside_longer_number(text, m):
                continue
            value = Decimal(raw.replace(",", ""))
        hedges = {m.group("pre"), m.group("more"), m.group("post")} - {None}
        out.append(Figure(value=value, unit=unit, scale=m.group("scale") or "", text=m.group(0).strip(),
                          start=m.start(), end=m.end(), approx=bool(hedges & _APPROX)))
    return out


def _cn_number(raw: str) -> Decimal | None:
    import cn2an

    try:
        return Decimal(str(cn2an.cn2an(raw, "smart")))
    except (ValueError, KeyError):
        return None


def _is_year(text: str, m: re.Match) -> bool:
    return m.group("unit") == "年" and re.fullmatch(r"(?:19|20)\d{2}", m.group("num")) is not None


def _inside_longer_number(text: str, m: re.Match) -> bool:
    before = text[m.start() - 1: m.start()]
    return before.isdigit() or before == "."


def _ordinal(text: str, m: re.Match) -> bool:
    """第二批 is the second batch, not two batches."""
    return text[m.start() - 1: m.start()] == "第"


def context_of(sentence: str, figure: Figure) -> str:
    """The words a figure belongs to: its stretch of the sentence between punctuation, enumeration
    commas included ("推动…整机二期等80个项目开工" for 80个 in "…80个项目开工、…80个项目竣工").
    A stretch that is only a change ("，增长27.3%") is about the stretch before it: "佛山对东盟进出口
    892.8亿元，增长27.3%". In "汽、柴油价格每吨分别提高240元、230元" each figure belongs to its
    own item before 分别: 230元 to "柴油价格每吨", 240元 to "汽(油价格每吨)"."""
    text = to_simplified(unicodedata.normalize("NFKC", sentence))
    ends = [m.end() for m in _STRETCH_END.finditer(text, 0, figure.start)]
    left = ends[-1] if ends else 0
    if ends and text[left - 1] in "，," and _BARE_CHANGE.fullmatch(text[left:figure.start].strip()):
        left = ends[-2] if len(ends) > 1 else 0
    right = next((m.start() for m in _STRETCH_END.finditer(text, figure.end)), len(text))
    return _respective(text, figure) or text[left:right]


_CLAUSE_END = re.compile(r"[，,；;。：:！？]")
_STRETCH_END = re.compile(r"[，,；;。：:！？、]")  # a clause end, or an enumeration comma
# A change with no subject of its own: "增长", "同比下降", "比上年提高了".
_BARE_CHANGE = re.compile(r"(?:同比|环比|比上年|较上年|比去年|较去年)?(?:增长|下降|减少|增加|提高|上升|回落|下滑)了?")


def _respective(text: str, figure: Figure) -> str:
    """The item a figure stands for in "A、B…分别…X、Y" (X for A, Y for B), with the words between
    分别 and the figures; "" when the figure is not in such a list or the counts differ."""
    start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, figure.start)), default=0)
    at = text.rfind("分别", start, figure.start)
    if at < 0:
        return ""
    end = next((m.start() for m in _CLAUSE_END.finditer(text, figure.end)), len(text))
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


def format_number(value: Decimal, unit: str = "") -> str:
    """A result in the way the report writes numbers: 3248户, 0.39万人, 80%, 325亿元."""
    if unit.startswith("万") or unit.startswith("亿"):
        value = value / _SCALE[unit[0]]
    q = value.quantize(Decimal("0.01")).normalize()
    text = f"{q:f}"
    return f"{text}{unit}"
