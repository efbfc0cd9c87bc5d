"""Lists, figures for comparisons, refusal on what a question pins down, grounding of claims."""
from __future__ import annotations

from dataclasses import replace

from bot import refuse
from bot.gather import clause_quote, expand_topic_lines, gather, outline, pick_figure, quoted, rare_terms
from corpus.lang import HANS, pinyin, tokens
from bot.retrieve import Retrieval, _Snapshot, respell
from bot.scope import Scope, question_scope, scope_factor
from bot.types import Hit
from bot.verify import grounded
from corpus.types import ACHIEVED, PLANNED
from index.lexical import LexicalIndex
from tests.test_answer import hit, sent


def test_quoted_words_are_a_hard_filter_for_list_items():
    hits = [hit("推動仰口碼頭(一期)建成投運", 1), hit("歌爾科技產業項目二期等項目竣工", 2), hit("新增學位4140個", 3)]
    items = gather("哪些项目名称带有“一期”或“二期”的字样？", hits, [])
    assert [h.sentence.idx for h in items] == [1, 2]
    assert quoted("带有“一期”的") == ["一期"]


def test_list_items_name_a_rare_topic_word_and_keep_the_asked_time():
    hits = [hit("推動規上工業企業數字化轉型覆蓋率達到97%以上", 1), hit("推動不少于20個許可事項智能導辦", 2),
            hit("嶗山區將重點做好七個方面工作", 3),
            Hit(sentence=sent("數字化改造完成", 4, ACHIEVED, 2025), score=1.0, scope=0.45)]
    items = gather("2026年在数字化、智能化建设上有哪些安排？", hits, ["数字化", "智能化"])
    assert [h.sentence.idx for h in items] == [1, 2]   # 智能化 half-matches 智能导办; 2025 is another time


def test_rare_terms_ignore_words_found_everywhere_and_words_found_nowhere():
    weights = {"崂山区": 0.5, "社区": 2.5, "里点": 5.0}
    assert rare_terms(list(weights), weights.get, lambda t: t != "里点") == ["社区"]


def test_a_clause_is_quoted_when_it_alone_answers():
    s = "將加快推動虛擬現實總部基地等項目建設,新引進補鏈強鏈項目120個以上,促進四大主導產業總規模達到1300億元;"
    assert clause_quote(s, [], ["新引进"]) == "新引進補鏈強鏈項目120個以上"
    assert clause_quote(s, ["天气"], []) == s.rstrip(";")


def test_an_announced_outline_is_the_next_paragraphs_openers():
    sentences = [sent("將重點做好三個方面工作。", 0)] + [
        replace(sent(t, i, PLANNED), paragraph=p)
        for i, (t, p) in enumerate([("甲方面。", 1), ("甲的細節。", 1), ("乙方面。", 2), ("丙方面。", 3)], 1)]
    assert [s.text for s in outline(sentences, 3, "三个方面工作分别是什么？")] == ["甲方面。", "乙方面。", "丙方面。"]


def test_the_figure_whose_own_words_match_is_picked():
    h = hit("推動歌爾虛擬現實整機二期等80個項目開工、青島國際通信業務出入口局(一期)等80個項目竣工")
    found = pick_figure([h], ["项目", "竣工"], "个", lambda t: 1.0)
    assert found.context.endswith("项目竣工")


def test_a_misspelled_place_is_respelled_by_its_sound():
    texts = ["推动张村河创建省级美丽河湖", "实际"]
    snap = _Snapshot(key=(), sentences=[], lexical=LexicalIndex.build(texts, tokens), position={}, titles={},
                     versions={})
    assert respell("章村河北岸在建什么", ["章村河", "北岸"], snap) == "张村河北岸在建什么"
    assert pinyin("章村河") == pinyin("张村河")


def _retrieval(question, hits, years=frozenset()):
    scope = Scope(years, None)  # as retrieval leaves them: each hit's time-scope factor applied
    hits = tuple(replace(h, scope=scope_factor(h.sentence, scope)) for h in hits)
    return Retrieval(question, hits, scope, ("规上", "工业"), 0.6, {}, on_topic=hits)


def test_refused_when_every_sentence_on_the_topic_speaks_of_another_year():
    h = hit("規上工業增加值增長10%以上", period=PLANNED, year=2026)
    assert refuse.contradicts_time(_retrieval("2025年规上工业增加值增长了多少？", [h], frozenset({2025})))
    assert not refuse.contradicts_time(_retrieval("2026年规上工业增加值增长多少？", [h], frozenset({2026})))


def test_a_five_year_plan_end_is_a_year():
    assert question_scope("到“十五五”期末要达到多少？", 2026).years == frozenset({2030})


def test_the_thing_asked_about_must_be_named():
    assert refuse.asked_focus("泰凯英在哪个交易所上市？") == "交易所"
    assert refuse.asked_focus("崂山区2025年的财政收入是多少？") == "财政收入"
    assert refuse.asked_focus("去年那家公司叫什么名字？") == ""
    assert refuse.asked_focus("2025年有几个完整社区完成建设？") == "完整"  # a count of something named
    assert refuse.asked_focus("2026年新增多少个学位？") == "学位"
    assert refuse.asked_focus("计划新开工多少个项目？") == ""  # 项目 names nothing in particular


def test_claims_must_find_their_year_and_names_in_what_they_cite():
    target = hit("新引進過億元項目100個以上", period=PLANNED, year=2026)
    assert not grounded("2025年实际新引进过亿元项目100个以上[1]。", [target])
    assert grounded("2026年计划新引进过亿元项目100个以上[1]。", [target])
    assert not grounded("在青岛国际通信业务出入口局建设[1]。", [hit("推動區人民醫院竣工")])


def test_a_topic_line_stands_for_the_facts_under_it():
    sentences = [replace(sent(t, i, ACHIEVED, 2025), paragraph=p) for i, (t, p) in enumerate(
        [("悠悠萬事,民生為大。", 6), ("完成32項區辦實事工作;", 6), ("全年實現城鎮新增就業3.19萬人;", 6), ("另一段。", 7)])]
    position = {(s.doc_id, s.idx): i for i, s in enumerate(sentences)}
    items = expand_topic_lines([Hit(sentence=sentences[0], score=1.0)], sentences, position)
    assert [h.sentence.idx for h in items] == [1, 2]


def test_a_yes_no_question_the_documents_only_repeat_is_not_answered():
    ballot = "此次公投另外两个议题为是否支持出售国有企业以及是否支持延长退休年龄。"
    assert refuse.only_asked("波兰全民公投是否支持出售国有企业？", [ballot])
    assert not refuse.only_asked("波兰全民公投是否支持出售国有企业？", [ballot, "多数选民支持出售国有企业。"])
    assert not refuse.only_asked("公投有哪些议题？", [ballot])  # not a yes/no ask


def test_what_the_documents_say_was_not_given_is_not_answered():
    denial = "《韩民族日报》追问获选标准，却被告知这是东电单方面决定的，且东电至今未给出明确原因。"
    assert refuse.not_given("东电给出了什么原因拒绝申请？", [denial])
    assert not refuse.not_given("东电给出了什么原因拒绝申请？", [denial, "东电称，拒绝的原因是现场容量有限。"])
    assert not refuse.not_given("东电为什么没有给出原因？", [denial])  # asks about the not-giving itself
    assert not refuse.not_given("东电给出了什么原因？", ["东电给出的原因是现场容量有限。"])


def test_a_weakly_matched_question_needs_its_quantity_named_by_the_answering_sentence():
    question = "2023年7月德国申请破产程序的企业数量是多少？"
    hydrogen = hit("德国政府近日通过新版《国家氢能战略》，预计到2030年氢能需求量将达到130太瓦时。", 1, coverage=0.22)
    firms = hit("第五批专精特新“小巨人”企业公示名单出炉，全国总计3671家。", 2, coverage=0.14)
    weak = Retrieval(question, (hydrogen, firms), Scope(frozenset(), None), ("德国", "破产", "企业"), 0.42, {})
    assert "not named" in refuse.refusal_reason(weak, HANS, sentence_sim=0.42)
    # the answering sentence names it, or the sentence is close in meaning: answered
    assert refuse.refusal_reason(replace(weak, hits=(firms, hydrogen)), HANS, sentence_sim=0.42) == ""
    assert refuse.refusal_reason(weak, HANS, sentence_sim=0.55) == ""
    # a "which" question is answered by a member of the kind it names (哪个城市: 青岛)
    city = replace(weak, question="这次会议在哪个城市召开？",
                   hits=(hit("青岛市崂山区第十九届人民代表大会第六次会议开幕", 1, coverage=0.2),
                         hit("统筹实施城市更新", 2, coverage=0.25)))
    assert refuse.refusal_reason(city, HANS, sentence_sim=0.42) == ""
