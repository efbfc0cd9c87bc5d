from bot.names import as_sourced, with_aliases, with_places
from bot.types import Hit
from corpus.types import Sentence


def hit(text: str) -> Hit:
    return Hit(sentence=Sentence(doc_id="d", idx=0, text=text, start=0, end=len(text), raw_start=0,
                                 raw_end=len(text)), score=1.0)


def test_an_alias_the_source_brackets_after_a_name_is_kept():
    h = hit("恒大汽车发布公告，获得总部位于阿联酋迪拜的纽顿集团（NWTN集团）约5亿美元战略投资。")
    assert with_aliases("恒大汽车获得了纽顿集团的战略投资[1]。", [h]) == "恒大汽车获得了纽顿集团（NWTN集团）的战略投资[1]。"


def test_nothing_changes_without_the_name_or_when_the_alias_is_there():
    h = hit("东京电力公司（东电）拒绝了采访申请。")
    assert with_aliases("东电拒绝了申请。", [h]) == "东电拒绝了申请。"
    assert with_aliases("首钢集团的收入。", [hit("纽顿集团（NWTN集团）投资。")]) == "首钢集团的收入。"
    assert with_aliases("东京电力公司拒绝了申请。", [h]) == "东京电力公司（东电）拒绝了申请。"


def test_a_bracketed_figure_is_not_an_alias():
    h = hit("全年完成投资120亿元（同比增长8%）。")
    assert with_aliases("完成投资120亿元。", [h]) == "完成投资120亿元。"


def test_a_place_keeps_the_places_its_source_writes_before_it():
    h = hit("近日，陕西西安市发放500万元体育类电子消费券。")
    assert with_places("西安市[1]。", [h]) == "陕西西安市[1]。"
    assert with_places("陕西西安市发放了消费券[1]。", [h]) == "陕西西安市发放了消费券[1]。"
    assert with_places("广元市[1]。", [h]) == "广元市[1]。"


def test_as_sourced_applies_both():
    h = hit("总部位于阿联酋迪拜的纽顿集团（NWTN集团）投资恒大汽车。")
    assert as_sourced("总部在迪拜的纽顿集团[1]。", [h]) == "总部在阿联酋迪拜的纽顿集团（NWTN集团）[1]。"
