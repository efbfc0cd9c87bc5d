"""Pure parts of answering: fusion, BM25, time scope, coverage, citations, verification, refusal."""
from __future__ import annotations

import pytest

from bot import compose, refuse, verify
from bot.condense import condense
from corpus.lang import EN, HANS, HANT, detect, normalize, tokens
from bot.retrieve import Retrieval, content_terms, coverage, rrf
from bot.scope import Scope, question_scope, scope_factor
from bot.types import Answer, Citation, Hit
from corpus.types import ACHIEVED, PLANNED, UNKNOWN, Sentence
from index.lexical import LexicalIndex


def sent(text, idx=0, period=UNKNOWN, year=None, doc="d.txt"):
    return Sentence(doc_id=doc, idx=idx, text=text, start=idx * 100, end=idx * 100 + len(text),
                    raw_start=0, raw_end=0, period=period, year=year)


def hit(text, idx=0, period=UNKNOWN, year=None, score=1.0, coverage=1.0):
    return Hit(sentence=sent(text, idx, period, year), score=score, coverage=coverage)


# --- fusion and lexical -------------------------------------------------------------------------
def test_rrf_rewards_agreement_and_keeps_singletons():
    fused = rrf([["a", "b", "c"], ["b", "a", "d"]], k=60)
    assert fused["a"] == fused["b"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["a"] > fused["c"] > 0 and fused["d"] == pytest.approx(1 / 63)
    assert rrf([]) == {}


def test_bm25_finds_chinese_by_bigrams_where_whitespace_finds_nothing():
    docs = ["全年實現城鎮新增就業3.19萬人", "推動嶗山茶品牌價值突破21億元", "新增學位4140個"]
    bm25 = LexicalIndex.build([normalize(d) for d in docs], tokens, docs)
    scores = bm25.scores(tokens("崂山区新增就业多少人"))  # Simplified question, Traditional text
    assert max(scores, key=scores.get) == 0
    assert bm25.scores(tokens("天气晴朗")) == {}


def test_tokens_are_script_insensitive():
    assert tokens("嶗山區") == tokens("崂山区")
    assert "3.19" in tokens("3.19萬人")


def test_language_detection():
    assert detect("2026年城镇新增就业目标是多少？") == HANS
    assert detect("嶗山區去年新增就業多少人？") == HANT
    assert detect("How many households moved back in 2025?") == EN


# --- time scope ---------------------------------------------------------------------------------
@pytest.mark.parametrize("question, years, period", [
    ("2026年计划新开工多少个项目？", {2026}, PLANNED),
    ("嶗山區去年新增就業多少人？", {2025}, ACHIEVED),
    ("2025年有几个完整社区完成建设？", {2025}, ACHIEVED),
    ("新增科技成果的目标是多少项？", set(), PLANNED),
    ("How many households moved back in 2025?", {2025}, ACHIEVED),
    ("2025年和2026年的城镇新增就业分别是多少？", {2025, 2026}, None),
])
def test_question_scope(question, years, period):
    scope = question_scope(question, now_year=2026)
    assert (scope.years, scope.period) == (frozenset(years), period)


def test_this_year_is_also_read_against_the_documents_own_year():
    scope = question_scope("今年上半年有多少台车辆享受了免费优惠？", now_year=2026)
    assert scope.relative == {0} and scope.years == {2026}
    article = sent("截至今年上半年，共有415万台车辆享受免费优惠", period=ACHIEVED, year=2023)
    assert scope_factor(article, scope, doc_year=2023) == 1.0  # the 2023 article's 今年
    assert scope_factor(article, scope, doc_year=2024) < 1.0
    assert scope_factor(article, question_scope("2026年有多少台车辆？", now_year=2026), doc_year=2023) < 1.0


def test_scope_factor_prefers_the_asked_year():
    plan, done = sent("新引進過億元項目100個以上", period=PLANNED, year=2026), sent("新引進125個過億元項目", period=ACHIEVED, year=2025)
    scope = question_scope("2026年新引进多少个过亿元项目？", now_year=2026)
    assert scope_factor(plan, scope) > scope_factor(done, scope)
    assert scope_factor(plan, Scope()) == scope_factor(done, Scope()) == 1.0


# --- coverage -----------------------------------------------------------------------------------
def test_content_terms_drop_question_scaffolding_and_years():
    assert content_terms("2025年有几个完整社区完成建设？") == ["完整", "社区", "完成", "建设"]
    assert content_terms("崂山区有多少所高校？") == ["崂山区", "高校"]


def test_coverage_weights_rare_terms():
    weight = {"崂山区": 0.1, "高校": 3.0}.get
    assert coverage(["崂山区", "高校"], "崂山区完成32项区办实事", weight) == pytest.approx(0.1 / 3.1)
    assert coverage(["崂山区", "高校"], "崂山区有两所高校", weight) == 1.0
    assert coverage([], "anything", weight) == 0.0


# --- citations and verification -----------------------------------------------------------------
def test_parse_markers_accepts_common_forms():
    assert verify.parse_markers("a[1]b[2, 3]c【4】d［5］") == [1, 2, 3, 4, 5]
    assert verify.parse_markers("no markers, 2025年") == []


CONTEXT = [hit("全年實現城鎮新增就業3.19萬人", 0, ACHIEVED, 2025), hit("實現城鎮新增就業2.8萬人", 1, PLANNED, 2026)]
WRONG_YEAR = Hit(sentence=CONTEXT[0].sentence, score=0.9, coverage=1.0, scope=0.45)


def test_verify_keeps_supported_claims_and_renumbers():
    v = verify.verify("2026年目标是新增就业2.8万人[2]。", CONTEXT, "2026年城镇新增就业目标是多少？")
    assert v is not None and v.text == "2026年目标是新增就业2.8万人[1]。"
    assert [h.sentence.text for h in v.hits] == ["實現城鎮新增就業2.8萬人"]


def test_verify_drops_a_claim_whose_number_is_not_in_its_citation():
    v = verify.verify("新增就业2.8万人[2]。GDP增长10%[2]。", CONTEXT, "问题")
    assert v is not None and "10%" not in v.text and v.dropped == ("GDP增长10%",)


def test_verify_rejects_out_of_range_markers_and_unsupported_answers():
    assert verify.verify("新增就业9.9万人[7]。", CONTEXT, "问题") is None
    assert verify.verify("", CONTEXT, "问题") is None


def test_verify_attaches_the_sentence_that_holds_an_unmarked_claims_numbers():
    v = verify.verify("2025年新增就业3.19万人。", CONTEXT, "2025年新增就业多少？")
    assert v is not None and v.text.endswith("[1]。") and v.hits[0].sentence.year == 2025


def test_numbers_from_the_question_need_no_citation():
    v = verify.verify("2026年的目标是2.8万人[2]。", CONTEXT, "2026年城镇新增就业目标是多少？")
    assert v is not None and "2026" in v.text


def test_extractive_answer_quotes_best_sentence_in_question_script():
    text, used = compose.extractive("2026年新增就业目标？", [CONTEXT[1], WRONG_YEAR], HANS)
    assert text.startswith("2026年计划：") or text.startswith("计划：")
    assert "实现城镇新增就业2.8万人[1]" in text and used == [CONTEXT[1]]
    text_t, _ = compose.extractive("2026年新增就業目標？", [CONTEXT[1]], HANT)
    assert "實現城鎮新增就業2.8萬人[1]" in text_t


def test_refusal_is_decided_from_evidence():
    strong = Retrieval("q", (hit("x", coverage=0.9),), Scope(), ("完整",), best_dense=0.3, timings_ms={})
    weak = Retrieval("q", (hit("x", coverage=0.2),), Scope(), ("高校",), best_dense=0.3, timings_ms={})
    assert not refuse.should_refuse(strong, HANS)
    assert refuse.should_refuse(weak, HANS)
    assert refuse.should_refuse(Retrieval("q", (), Scope(), (), 0.0, {}), HANS)
    en = Retrieval("q", (hit("x", coverage=0.0),), Scope(), ("party",), best_dense=0.2, timings_ms={})
    assert refuse.should_refuse(en, EN)
    assert not refuse.should_refuse(Retrieval("q", en.hits, Scope(), ("tea",), best_dense=0.5, timings_ms={}), EN)


def test_answer_json_keeps_markers_apart_from_the_plain_answer():
    c = Citation(n=1, doc="d.txt", text="實現城鎮新增就業2.8萬人", start=5, end=18)
    out = Answer(question="q", text="2.8万人[1]。", citations=(c,)).to_json("x1")
    assert out["answer"] == "2.8万人。" and out["answer_marked"] == "2.8万人[1]。"
    assert out["citations"][0]["n"] == 1 and set(out) >= {"id", "question", "refused", "mode", "timings_ms"}


# --- follow-ups ---------------------------------------------------------------------------------
def test_condense_swaps_the_time_of_a_follow_up():
    assert condense("那2025年呢？", "2026年城镇新增就业目标是多少？") == "2025年城镇新增就业目标是多少？"
    assert condense("What about 2025?", "How many jobs were created in 2026?") == "How many jobs were created in 2025?"
    assert condense("2026年新增学位多少？", "2026年计划投用哪些学校？") == "2026年新增学位多少？"
    assert condense("那合肥路小学呢？", "2026年计划投用哪些学校？") is None  # topic change: left to the LLM
    assert condense("那2025年呢？", None) == "那2025年呢？"


def test_topic_sentence_brings_up_the_facts_after_it():
    from bot.retrieve import expand_topic_sentence

    para = [Sentence("d", i, t, 0, len(t), 0, 0, paragraph=p) for i, (t, p) in enumerate(
        [("悠悠萬事，民生為大。", 1), ("完成32項區辦實事；", 1), ("新增就業3.19萬人；", 1), ("下一段。", 2)])]
    position = {("d", s.idx): s.idx for s in para}
    hits = [Hit(para[0], 1.0, coverage=0.7), Hit(para[3], 0.5)]
    out = expand_topic_sentence(hits, para, position)
    assert [h.sentence.idx for h in out] == [0, 1, 2, 3]
    assert out[1].coverage == 0.7 and out[1].score < out[0].score
    factual = [Hit(para[1], 1.0), Hit(para[3], 0.5)]
    assert expand_topic_sentence(factual, para, position) == factual


def test_verify_matches_whole_numbers_only():
    assert verify.verify("有2个[1]。", CONTEXT[:1], "问题") is None  # "2" is not "2025" nor "3.19"


def test_verify_rejects_a_claim_that_only_restates_the_question():
    q = "2025年城镇新增就业情况如何？"
    assert verify.verify("2025年城镇新增就业情况如何[1]。", CONTEXT, q) is None
    assert verify.verify("全年实现城镇新增就业3.19万人[1]。", CONTEXT, q) is not None


def test_verify_reattaches_a_claim_cited_to_the_wrong_sentence():
    v = verify.verify("城镇新增就业2.8万人[1]。", CONTEXT, "2026年城镇新增就业目标是多少？")
    assert v is not None and v.hits[0].sentence.text == "實現城鎮新增就業2.8萬人" and v.text.endswith("[1]。")


def test_quantity_questions_need_evidence_that_states_a_quantity():
    assert refuse.states_quantity("打造新霞路社區等5處完整社區", "处")
    assert refuse.states_quantity("全年實現城鎮新增就業3.19萬人", "人")
    assert refuse.states_quantity("新增學位4140個", "个")
    assert not refuse.states_quantity("氣溫已連續多日超過40攝氏度", "天")
    on_topic = Retrieval("气温超过40摄氏度已持续多少天？", (hit("氣溫已連續多日超過40攝氏度", coverage=0.9),),
                         Scope(), ("气温",), best_dense=0.5, timings_ms={})
    assert refuse.should_refuse(on_topic, HANS)
    stated = Retrieval("高温已持续多少天？", (hit("高溫已持續12天", coverage=0.9),), Scope(), ("高温",), 0.5, {})
    assert not refuse.should_refuse(stated, HANS)


def test_an_answer_must_draw_on_the_part_of_the_sentence_the_question_is_about():
    sentence = hit("將突出抓好255個重點項目,推動歌爾虛擬現實整機二期等80個項目開工", 0, PLANNED, 2026)
    terms = ["新开工", "项目"]
    assert not verify.answers_the_question("2026年计划新开工255个重点项目[1]。", [sentence], terms)
    assert verify.answers_the_question("2026年计划推动80个项目开工[1]。", [sentence], terms)
    school = hit("區第一中學主體封頂,22所學校和幼兒園完成維修改造", 0, ACHIEVED, 2025)
    assert not verify.answers_the_question("22所学校和幼儿园完成维修改造[1]。", [school], ["第一", "中学", "建设"])
    assert verify.answers_the_question("区第一中学主体封顶[1]。", [school], ["第一", "中学", "建设"])
    assert verify.answers_the_question("Laoshan started 80 projects [1].", [sentence], ["projects"]), "English is not checked"


def test_a_claim_spanning_clauses_passes_when_one_of_them_is_on_topic():
    hospital = hit("區人民醫院全面封頂,老年人體檢等免費健康服務惠及15萬余人", 0, ACHIEVED, 2025)
    answer = "2025年区人民医院全面封顶，老年人体检等免费健康服务惠及15万余人[1]。"
    assert verify.answers_the_question(answer, [hospital], ["人民", "医院"])
    schools = hit("投用區第一中學、合肥路小學綜合樓、北澗幼兒園,新增學位4140個", 0, PLANNED, 2026)
    assert verify.answers_the_question("计划投用第一中学、合肥路小学综合楼、北涧幼儿园[1]。", [schools], ["投用", "学校", "幼儿园"])


def test_restating_the_question_does_not_make_a_claim_on_topic():
    s = hit("優化升級城市云腦、城市信息模型平臺,拓展數字社保、數字衛健等應用場景", 0, PLANNED, 2026)
    q = "数字社保、数字卫健属于哪方面的拓展？"
    terms = ["数字", "社保", "卫健", "拓展"]
    assert not verify.answers_the_question("数字社保、数字卫健属于城市信息模型平台的拓展[1]。", [s], terms, q)
    assert verify.answers_the_question("属于拓展应用场景[1]。", [s], terms, q)


def test_the_models_figures_must_be_the_answering_clauses_with_their_bounds():
    assert verify.figures_agree("城镇新增就业2.8万人[1]", "实现城镇新增就業2.8萬人[1]")
    assert not verify.figures_agree("14名患者[1]", "其中9名晚期患者显示出抗肿瘤响应[1]"), "another number"
    assert not verify.figures_agree("2200栋建筑", "超过2200栋建筑损毁"), "a dropped bound"
    assert verify.figures_agree("纽顿集团", "恒大汽车获得纽顿集团战略投资"), "no figure: nothing to check"


def test_the_model_must_give_the_figure_the_question_asks_for_when_the_clause_has_several():
    from bot.accept import answering_figure

    wuhan = [hit("建立起覆蓋全市50多個市屬部門、3000多個圖層的地理時空大數據庫")]
    terms = ["武汉市", "地理", "时空", "数据库", "图层"]
    found = answering_figure("武汉市的地理时空大数据库有多少个图层？", wuhan, terms, lambda t: 1.0)
    assert found.figure.text == "3000多个"
    assert verify.states_figure("有3000多个图层[1]。", found.figure)
    assert not verify.states_figure("有50多个图层[1]。", found.figure)
    age = [hit("将男性应征入伍的最高年龄从27岁提高到30岁")]
    assert answering_figure("最高年龄提高到多少岁？", age, ["最高", "年龄", "提高"], lambda t: 1.0) is None, \
        "both figures have the same words: no clear choice, the model's is kept"
    assert answering_figure("数据库有多少个图层？", [hit("3000多个图层")], ["图层"], lambda t: 1.0) is None, "one figure"
    assert answering_figure("数据库有哪些图层？", wuhan, terms, lambda t: 1.0) is None, "no quantity asked"
    foshan = [hit("上半年，佛山对东盟进出口892.8亿元，增长27.3%，拉动同期佛山外贸增长5.4个百分点。")]
    found = answering_figure("佛山对东盟进出口增长了多少？", foshan, ["佛山", "东盟", "进出口", "增长"], lambda t: 1.0)
    assert found.figure.text == "27.3%", "no unit asked: every figure is a candidate, the growth's words win"
    trial = [hit("该试验有14名晚期子宫内膜癌患者参加,在9名患者中观察到了抗肿瘤响应,8名患者的病情稳定了下来。")]
    terms = ["试验", "晚期", "子宫", "内膜", "患者", "显示", "抗肿瘤", "响应"]
    found = answering_figure("试验中对多少名晚期子宫内膜癌患者显示出了抗肿瘤响应？", trial, terms, lambda t: 1.0)
    assert found.figure.text == "9名", "what is said of the counted patients decides, not how many words 14名 shares"


def test_a_quantity_question_needs_a_figure_when_the_quoted_clause_states_one():
    from bot.accept import rejection
    from bot.scope import Scope

    h = hit("西江航运干线长洲枢纽船闸2023年累计过闸货运量突破亿吨大关达到10002.02万吨")
    r = Retrieval("长洲枢纽船闸的累计货运量是多少？", (h,), Scope(frozenset(), None), ("长洲", "枢纽", "货运量"), 0.7, {})
    quote = "西江航运干线长洲枢纽船闸2023年累计过闸货运量突破亿吨大关达到10002.02万吨[1]。"
    worded = verify.verify("长洲枢纽船闸累计过闸货运量突破亿吨大关[1]。", [h], r.question)
    assert "no figure" in rejection(worded, r.question, r, quote, [h], lambda t: 1.0)
    worded = verify.verify("长洲枢纽船闸累计过闸货运量达到10002.02万吨[1]。", [h], r.question)
    assert rejection(worded, r.question, r, quote, [h], lambda t: 1.0) == ""
