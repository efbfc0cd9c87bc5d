"""Answering with the real models on the seed report: EmbeddingGemma, embedded Chroma, the local LLM.

Each kind of question once: a number, a 2025-vs-2026 pair, Traditional, English, unanswerable,
a follow-up. The extractive mode runs them all; the LLM mode the ones its verification must guard.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.chain import Answerer
from index.build import Index
from tests.conftest import ROOT, SEED

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def answerer(real_settings, real_embeddings, tmp_path_factory):
    settings = real_settings.with_(data_dir=tmp_path_factory.mktemp("bot-it"))
    index = Index(settings, embeddings=real_embeddings)
    index.build()
    a = Answerer(settings, index=index)
    a.retriever.now_year = 2026
    return a


def cited(answer, needle: str) -> bool:
    return any(needle in c.text for c in answer.citations)


@pytest.mark.parametrize("question, key, source", [
    ("2026年城镇新增就业目标是多少？", "2.8", "新增就業2.8萬人"),
    ("嶗山區去年新增就業多少人？", "3.19", "新增就業3.19萬人"),
    ("2026年新引进过亿元项目多少个？", "100", "新引進過億元項目100個以上"),
    ("2025年新引进了多少个过亿元项目？", "125", "新引進125個過億元項目"),
    ("嶗山區2026年新增多少個學位？", "4140", "新增學位4140個"),
    ("What brand value is targeted for Laoshan tea?", "21", "品牌價值突破21億元"),
])
def test_extractive_answers_and_cites_the_right_sentence(answerer, question, key, source):
    answer = answerer.ask(question, mode="extractive")
    assert not answer.refused and key in answer.text, answer.text
    assert cited(answer, source), [c.text for c in answer.citations]
    text = answerer.index.catalog.text(SEED.name)
    assert all(text[c.start:c.end] == c.text for c in answer.citations)


def test_script_follows_the_question(answerer):
    assert "学位" in answerer.ask("崂山区2026年新增多少个学位？", mode="extractive").text
    assert "學位" in answerer.ask("嶗山區2026年新增多少個學位？", mode="extractive").text


@pytest.mark.parametrize("question", ["崂山区2025年的财政收入是多少？", "Who is the party secretary of Laoshan district?"])
def test_unanswerable_is_refused(answerer, question):
    answer = answerer.ask(question, mode="extractive")
    assert answer.refused and not answer.citations and answer.related


def test_follow_up_switches_the_year(answerer):
    answer = answerer.ask("那2025年呢？", history=["2026年城镇新增就业目标是多少？"], mode="extractive")
    assert "3.19" in answer.text and "2.8" not in answer.text


@pytest.mark.parametrize("question, key, source", [
    ("2026年城镇新增就业目标是多少？", "2.8", "新增就業2.8萬人"),
    ("2026年新引进过亿元项目多少个？", "100", "新引進過億元項目100個以上"),
    ("How many households moved back in 2025?", "5548", "5548戶居民順利回遷"),
])
def test_llm_answer_is_correct_and_verified(answerer, question, key, source):
    answer = answerer.ask(question, mode="llm")
    assert key in answer.text and cited(answer, source), (answer.mode, answer.text, answer.notice)
    if answer.mode == "llm":
        assert "[1]" in answer.text


def test_llm_streams_tokens(answerer):
    events = list(answerer.stream("2026年城镇新增就业目标是多少？", mode="llm"))
    assert sum(e.kind == "token" for e in events) > 1 and events[-1].kind == "answer"


@pytest.mark.parametrize("order", ["file after --batch", "file last"])  # the scorer's --run appends it
def test_cli_batch_prints_one_json_line_per_question(real_settings, tmp_path, order):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "question": "2026年城镇新增就业目标是多少？"}\n'
                     '{"id": "b", "question": ""}\n', encoding="utf-8")
    tail = ["--mode", "extractive", "--batch", str(batch)] if order == "file after --batch" else \
        ["--batch", "--mode", "extractive", str(batch)]
    out = subprocess.run([sys.executable, "-m", "bot", "ask", "--data-dir", str(tmp_path / "data"), "--json", *tail],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    assert "2.8" in lines[0]["answer"] and lines[0]["citations"][0]["doc"] == SEED.name
    assert lines[1]["refused"] and lines[1]["citations"] == []


# --- questions readers ask (issue 9): one of each kind, not from the evaluation sets ---------------
@pytest.mark.parametrize("question, kind, keys, sources", [
    ("七个方面工作分别是什么？", "list", ["扩增服务供给", "乡村振兴", "治理效能"], ["強化內需主導作用"]),
    ("2025年新引进的过亿元项目和2026年计划新引进的过亿元项目，分别是多少个？", "compare", ["125", "100"],
     ["新引進125個過億元項目", "新引進過億元項目100個以上"]),
    ("2025年城镇新增就业比2026年的目标多了多少人？", "compute", ["0.39万人"], ["3.19萬人", "2.8萬人"]),
    ("2026年城镇新增就业目标是多少？新增学位多少个？", "multi", ["2.8", "4140"], ["2.8萬人", "學位4140個"]),
    ("区里今年打算给孩子们新增多少个上学的位置？", "lookup", ["4140"], ["學位4140個"]),
    ("马安子社区完成了什么工作？", "lookup", ["危楼改造"], ["馬鞍子社區"]),
])
def test_each_kind_of_question_is_answered_and_cited(answerer, question, kind, keys, sources):
    answer = answerer.ask(question, mode="extractive")
    assert not answer.refused and answer.kind == kind, (answer.kind, answer.text)
    assert all(k in answer.text for k in keys), answer.text
    assert all(cited(answer, s) for s in sources), [c.text for c in answer.citations]


def test_arithmetic_is_done_by_code_and_shows_its_working(answerer):
    answer = answerer.ask("2025年完成建设的完整社区和2026年要打造的完整社区，加起来一共几个？", mode="extractive")
    assert answer.computation and answer.computation["op"] == "sum" and answer.computation["result"] == "9"
    assert "4个" in answer.computation["text"] and "5处" in answer.computation["text"]


def test_english_names_are_found_by_their_sound(answerer):
    answer = answerer.ask("Which items of the report mention Hefei Road?", mode="extractive")
    assert not answer.refused and sum("合肥路" in c.text for c in answer.citations) == 2, answer.text


@pytest.mark.parametrize("question", ["2025年崂山区新引进了多少家金融机构？", "泰凯英在哪个交易所上市？",
                                      "到“十四五”期末，四大主导产业总规模达到多少亿元？"])
def test_traps_are_refused(answerer, question):
    assert answerer.ask(question, mode="extractive").refused


def test_llm_mode_answers_in_english_with_the_source_words(answerer):
    answer = answerer.ask("How many new school places will be added in 2026?", mode="llm")
    assert not answer.refused and "4140" in answer.text and cited(answer, "學位4140個"), answer.text
