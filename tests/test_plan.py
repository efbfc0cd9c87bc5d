"""The question planner: look-ups, lists, comparisons, calculations, several asks in one."""
import pytest

from bot.arith import AVERAGE, DIFF, MORE, RATIO, SUM
from bot.plan import COMPARE, COMPUTE, LIST, LOOKUP, MULTI, plan


def test_a_plain_look_up_is_one_part_unchanged():
    p = plan("2026年城镇新增就业目标是多少？")
    assert p.kind == LOOKUP and not p.rewritten and p.parts[0].question == "2026年城镇新增就业目标是多少？"


@pytest.mark.parametrize("question", ["2026年崂山区在民生方面有哪些主要安排？", "七个方面工作分别是什么？",
                                      "报告里点到名字的社区都有哪些？", "What are the plans for schools?"])
def test_lists(question):
    p = plan(question)
    assert p.kind == LIST and p.parts[0].gather


def test_an_announced_outline_is_counted():
    assert plan("七个方面工作分别是什么？").outline == 7


def test_comparison_gives_each_side_its_own_time():
    p = plan("2025年建成通车的道路和2026年计划改造提升的农村公路，各有多少条？")
    assert p.kind == COMPARE and [x.label for x in p.parts] == ["2025年建成通车的道路", "2026年计划改造提升的农村公路"]
    assert all(x.unit == "条" for x in p.parts)


def test_a_side_without_a_time_inherits_the_first_sides():
    p = plan("2026年计划开展的促消费活动和文化惠民活动，分别是多少场？哪类更多？")
    assert p.op == MORE and p.parts[1].question.startswith("2026年") and p.parts[1].unit == "场"


@pytest.mark.parametrize("question, op, labels", [
    ("2026年计划开工的项目和计划竣工的项目，加起来一共多少个？", SUM, ["2026年计划开工的项目", "2026年计划竣工的项目"]),
    ("2026年计划回迁安置的户数比2025年已回迁的户数少了大约多少户？", DIFF, ["2026年计划回迁安置的户数", "2025年已回迁的户数"]),
    ("2026年就业目标比2025年实际少多少？", DIFF, None),
    ("2026年过亿元项目的引进目标，相当于2025年实际引进数量的百分之几？", RATIO, None),
])
def test_calculations(question, op, labels):
    p = plan(question)
    assert p.kind == COMPUTE and p.op == op and len(p.parts) == 2
    if labels:
        assert [x.label for x in p.parts] == labels


def test_a_side_with_too_few_words_borrows_the_other_sides_topic():
    p = plan("2026年过亿元项目的引进目标，相当于2025年实际引进数量的百分之几？")
    assert "项目" in p.parts[1].question and p.parts[1].question.startswith("2025年")


def test_average_over_a_named_count():
    p = plan("四大主导产业的总规模目标如果平均分到每个产业，大约是多少亿元？")
    assert (p.kind, p.op, p.divisor, p.parts[0].unit) == (COMPUTE, AVERAGE, 4, "亿元")


def test_several_asks_are_split_and_a_qualifier_is_not():
    p = plan("A项目的开工时间是什么时候？B社区有多少户居民？")
    assert p.kind == MULTI and len(p.parts) == 2 and p.parts[1].unit == "户"
    assert plan("2026年新增国家级专精特新“小巨人”企业和省级瞪羚企业，哪一类计划新增得更多？各几家？").kind == COMPARE


def test_a_second_ask_at_another_time_keeps_the_first_asks_topic():
    p = plan("2026年城镇新增就业目标是多少？2025年新增了多少？")
    assert p.kind == MULTI and "就业" in p.parts[1].question and "2025年" in p.parts[1].question


def test_two_times_in_one_list_question_are_two_lists():
    p = plan("医疗健康这一块，崂山区去年办成了哪些事、今年又打算推进什么？")
    assert p.kind == COMPARE and all(x.gather for x in p.parts)
    assert "去年" in p.parts[0].question and "今年" in p.parts[1].question


def test_plan_json_names_the_parts():
    out = plan("2026年计划开工的项目和计划竣工的项目，加起来一共多少个？").to_json()
    assert out["kind"] == COMPUTE and out["op"] == SUM and len(out["parts"]) == 2
