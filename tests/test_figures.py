"""Figures (units, scales, Chinese numerals, 余/以上) and the arithmetic done on them by code."""
from decimal import Decimal

import pytest

from bot.arith import AVERAGE, DIFF, MORE, RATIO, SUM, CannotCompute, compute
from corpus.figures import asked_predicate, asked_unit, context_of, format_number, parse_figures
from corpus.figures import unit_matches


def one(text):
    figures = parse_figures(text)
    assert len(figures) == 1, figures
    return figures[0]


@pytest.mark.parametrize("text, written, number, unit, approx", [
    ("全年實現城鎮新增就業3.19萬人", "3.19万人", Decimal("31900"), "人", False),
    ("回遷安置2300余戶居民", "2300余户", Decimal("2300"), "户", True),
    ("新引進過億元項目100個以上", "100个以上", Decimal("100"), "个", True),
    ("總規模達到1300億元", "1300亿元", Decimal("130000000000"), "元", False),
    ("覆蓋率達到97%以上", "97%以上", Decimal("97"), "%", True),
    ("文化惠民活動1000余場次", "1000余场次", Decimal("1000"), "场次", True),
    ("惠及15萬余人", "15万余人", Decimal("150000"), "人", True),
    ("新建八十个项目", "八十个", Decimal("80"), "个", False),
    ("增长7%左右", "7%左右", Decimal("7"), "%", True),
    ("新增學位4,140個", "4,140个", Decimal("4140"), "个", False),
    ("获得二十八枚全运会项目金牌", "二十八枚", Decimal("28"), "枚", False),
])
def test_figures_with_units_scales_numerals_and_hedges(text, written, number, unit, approx):
    f = one(text)
    assert (f.text, f.number, f.base_unit, f.approx) == (written, number, unit, approx)


@pytest.mark.parametrize("text", ["入選第二批市級鄉村振興片區", "托幼一體化模式", "2026年是開局之年", "整機二期"])
def test_ordinals_years_and_names_are_not_figures(text):
    assert parse_figures(text) == []


def test_a_figure_knows_the_words_it_counts():
    s = "推動歌爾虛擬現實整機二期等80個項目開工、青島國際通信業務出入口局(一期)等80個項目竣工"
    first, second = parse_figures(s)
    assert context_of(s, first).endswith("项目开工") and context_of(s, second).endswith("项目竣工")


def test_respectively_gives_each_figure_its_own_item():
    s = "自8月9日24时起，国内汽、柴油价格每吨分别提高240元、230元。"
    petrol, diesel = [f for f in parse_figures(s) if f.unit == "元"]
    assert "汽油价格" in context_of(s, petrol) and "柴油" not in context_of(s, petrol)
    assert context_of(s, diesel).startswith("柴油价格每吨提高230")
    s = "一般公共预算收入和税收收入分别增长5%和8%"
    assert [context_of(s, f) for f in parse_figures(s)] == ["一般公共预算收入增长5%", "税收收入增长8%"]
    s = "三个片区分别新增3000户"  # one figure: nothing to pair
    assert context_of(s, parse_figures(s)[0]) == s


def test_sum_shows_the_working():
    a, b = one("80個項目開工"), one("80個項目竣工")
    c = compute(SUM, [a, b], ["[1]", "[2]"])
    assert c.result == 160 and c.text == "80个[1] + 80个[2] = 160个"


def test_difference_keeps_the_scale_and_marks_approximation():
    c = compute(DIFF, [one("就業2.8萬人"), one("就業3.19萬人")], ["[1]", "[2]"])
    assert c.text == "3.19万人[2] − 2.8万人[1] = 0.39万人"
    c = compute(DIFF, [one("2300余戶"), one("5548戶")], ["[1]", "[2]"])
    assert c.result == 3248 and c.approx and "≈ 3248户" in c.text


def test_ratio_and_average():
    assert compute(RATIO, [one("100個以上"), one("125個")], ["[1]", "[2]"]).text == "100个以上[1] ÷ 125个[2] ≈ 80%"
    assert compute(AVERAGE, [one("1300億元")], ["[1]"], divisor=4).text == "1300亿元[1] ÷ 4 = 325亿元"


def test_which_is_more():
    c = compute(MORE, [one("3個片區"), one("6個片區")], ["[1]", "[2]"])
    assert c.result == 3 and c.text.startswith("6个[2] − 3个[1]")


@pytest.mark.parametrize("op, figures, divisor", [
    (SUM, ["80個", "3.19萬人"], None),        # different units
    (RATIO, ["10個", "0個"], None),           # zero divisor
    (AVERAGE, ["1300億元"], None),            # no count
    (DIFF, ["80個"], None),                   # one figure
])
def test_what_cannot_be_computed_says_so(op, figures, divisor):
    with pytest.raises(CannotCompute):
        compute(op, [one(f) for f in figures], ["[1]"] * len(figures), divisor=divisor)


def test_format_number():
    assert format_number(Decimal("3900"), "万人") == "0.39万人"
    assert format_number(Decimal("80.000"), "%") == "80%"


@pytest.mark.parametrize("question, unit", [
    ("2026年要打造几处完整社区？", "处"),
    ("气温超过40摄氏度已持续多少天？", "天"),
    ("一般公共预算收入是多少亿元", "亿元"),   # the longest unit wins over 亿
    ("2025年城镇新增就业多少万人", "万人"),
    ("新增就業多少人", "人"),                 # Traditional script
    ("马鞍子社区完成了什么工作？", ""),
])
def test_asked_unit_reads_the_unit_a_question_counts_in(question, unit):
    assert asked_unit(question) == unit


def test_a_bare_scale_is_answered_by_any_figure_in_that_scale():
    wan, hu = parse_figures("新增就业2.8万人,回迁2300余户")
    assert unit_matches(wan, "万") and not unit_matches(hu, "万")
    assert unit_matches(hu, "户") and not unit_matches(hu, "人")


def test_a_bare_change_belongs_to_the_stretch_before_it():
    s = "上半年，佛山对东盟进出口892.8亿元，增长27.3%，拉动同期佛山外贸增长5.4个百分点。"
    growth, pull = [f for f in parse_figures(s) if f.unit in ("%", "个百分点")]
    assert context_of(s, growth) == "佛山对东盟进出口892.8亿元,增长27.3%"  # NFKC: the comma is narrow
    assert context_of(s, pull) == "拉动同期佛山外贸增长5.4个百分点"
    s = "税收收入增长8%"  # the change has its subject
    assert context_of(s, parse_figures(s)[0]) == s


def test_percentage_points_are_a_unit_not_a_count():
    (f,) = parse_figures("拉动外贸增长5.4个百分点")
    assert (f.text, f.unit, f.kind) == ("5.4个百分点", "个百分点", "个百分点")
    assert asked_unit("提高了多少个百分点？") == "个百分点"


def test_the_predicate_is_what_a_question_says_of_what_it_counts():
    assert asked_predicate("NP137对多少名晚期子宫内膜癌患者显示出了抗肿瘤响应？") == "显示出了抗肿瘤响应"
    assert asked_predicate("2026年计划有多少个项目开工？") == "开工"
    assert asked_predicate("数据库有多少个图层？") == ""
    assert asked_predicate("新增就业多少人") == ""
