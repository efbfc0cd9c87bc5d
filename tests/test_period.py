"""Tests of corpus.period: achieved/planned and year of each sentence, on the seed report and small texts."""
from __future__ import annotations

from pathlib import Path

import opencc
import pytest

from corpus.clean import clean
from corpus.load import load_bytes, load_document
from corpus.period import tag_periods
from corpus.sentences import split_sentences
from corpus.types import ACHIEVED, PLANNED, UNKNOWN

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "documents" / "laoshan-2026-npc-report.txt"
TINY = Path(__file__).resolve().parent / "data" / "tiny-report.txt"
MAX_BYTES = 20 * 1024 * 1024
HEADING_2025 = "2025年新引進125個過億元項目"


def tag(text: str):
    return tag_periods(split_sentences("t", text))


def scopes(text: str) -> list[tuple[str, str, int | None]]:
    return [(s.text, s.period, s.year) for s in tag(text)]


@pytest.fixture(scope="module")
def seed():
    return load_document(SEED, max_bytes=MAX_BYTES).sentences


def find(sentences, fragment: str):
    hits = [s for s in sentences if fragment in s.text]
    assert hits, f"no sentence contains {fragment!r}"
    return hits


# --- the seed report ------------------------------------------------------------------------------
def test_first_paragraph_is_achieved_2025(seed):
    first = [s for s in seed if s.paragraph == seed[0].paragraph]
    assert first[-1].text.endswith("全面總結2025年工作。")
    assert {(s.period, s.year) for s in first} == {(ACHIEVED, 2025)}


def test_the_expected_targets_sentence_is_planned_2026(seed):
    for s in find(seed, "2026年主要預期目標"):
        assert (s.period, s.year) == (PLANNED, 2026)


def test_the_2025_section_is_achieved_2025(seed):
    start = next(i for i, s in enumerate(seed) if s.heading and s.text == HEADING_2025)
    end = next(i for i, s in enumerate(seed) if s.heading and i > start)
    section = seed[start:end]
    assert len(section) == 22
    assert [(s.idx, s.period, s.year) for s in section if (s.period, s.year) != (ACHIEVED, 2025)] == []
    assert all(s.section == HEADING_2025 for s in section)


def test_everything_from_the_opening_year_declaration_is_planned_2026(seed):
    start = next(i for i, s in enumerate(seed) if s.text.startswith("2026年是“十五五”規劃開局之年"))
    rest = seed[start:]
    assert len(rest) == 36
    assert [(s.idx, s.period, s.year) for s in rest if (s.period, s.year) != (PLANNED, 2026)] == []


@pytest.mark.parametrize("fragment", ["新引進過億元項目100個以上", "實現城鎮新增就業2.8萬人", "新增學位4140個",
                                      "推動四大主導產業總規模達到1300億元", "完成8棟高層住宅消防設施更新"])
def test_2026_targets_are_planned(seed, fragment):
    assert {(s.period, s.year) for s in find(seed, fragment)} == {(PLANNED, 2026)}


@pytest.mark.parametrize("fragment", ["新引進125個過億元項目", "全年實現城鎮新增就業3.19萬人", "4個完整社區完成建設",
                                      "區第一中學主體封頂"])
def test_2025_results_are_achieved(seed, fragment):
    # Several fragments also occur in the opening quotes, which are achieved/2025 too.
    assert {(s.period, s.year) for s in find(seed, fragment)} == {(ACHIEVED, 2025)}


def test_every_seed_sentence_is_tagged(seed):
    assert {(s.period, s.year) for s in seed} == {(ACHIEVED, 2025), (PLANNED, 2026)}


# --- it reads the text, not a list for this file ---------------------------------------------------
def _seed_text() -> str:
    return clean(SEED.read_text(encoding="utf-8"))[0]


def _periods(text: str) -> dict[str, tuple[str, int | None]]:
    return {s.text: (s.period, s.year) for s in load_bytes(text.encode(), "x.txt", max_bytes=MAX_BYTES).sentences}


def test_next_years_report_shifts_every_year(seed):
    shifted = _seed_text().replace("2026", "2027").replace("2025", "2026")
    got = list(_periods(shifted).values())
    assert got == [(s.period, s.year + 1) for s in seed]


def test_without_headings_the_sentences_keep_their_scope(seed):
    lines = [line for line in _seed_text().split("\n") if line not in {HEADING_2025, "推動四大主導產業總規模達到1300億元"}]
    got = _periods("\n".join(lines))
    expected = {s.text: (s.period, s.year) for s in seed if not s.heading}
    assert got == expected


def test_simplified_script_gives_the_same_scopes(seed):
    simplified = opencc.OpenCC("t2s").convert(_seed_text())
    assert list(_periods(simplified).values()) == [(s.period, s.year) for s in seed]


def test_tiny_report_facts():
    sentences = load_document(TINY, max_bytes=MAX_BYTES).sentences
    assert {(s.period, s.year) for s in find(sentences, "新引進42個過億元項目")} == {(ACHIEVED, 2025)}
    assert {(s.period, s.year) for s in find(sentences, "新引進過億元項目50個以上")} == {(PLANNED, 2026)}
    assert {(s.period, s.year) for s in find(sentences, "就業1.05萬人")} == {(ACHIEVED, 2025)}
    assert {(s.period, s.year) for s in find(sentences, "實現城鎮新增就業1.2萬人")} == {(PLANNED, 2026)}


# --- small texts ----------------------------------------------------------------------------------
def test_explicit_years_against_the_planning_year():
    text = "2025年，全區新引進125個項目。\n2026年是開局之年。全區將新引進100個項目以上。"
    assert scopes(text) == [("2025年，全區新引進125個項目。", ACHIEVED, 2025),
                            ("2026年是開局之年。", PLANNED, 2026),
                            ("全區將新引進100個項目以上。", PLANNED, 2026)]


def test_the_declaration_switches_the_rest_until_another_signal():
    text = ("2026年是開局之年。\n優化民生服務。\n完成8棟住宅更新。\n"
            "2025年新引進125個項目\n這一年完成改造。")
    assert [(p, y) for _, p, y in scopes(text)] == [
        (PLANNED, 2026), (PLANNED, 2026), (PLANNED, 2026), (ACHIEVED, 2025), (ACHIEVED, 2025)]


def test_a_planned_topic_line_keeps_its_paragraph_planned():
    text = "擴大有效投資，推動經濟更加穩健。新引進項目50個，完成改造20處。"
    assert [p for _, p, _ in scopes(text)] == [PLANNED, PLANNED]


def test_weak_cues_without_context_speak_for_their_line_only():
    text = "會議指出，全市已完成改造任務，情況良好，各項工作持續推進中。集團將擴大網絡，並加快發展。天氣晴朗，遊客眾多。"
    assert [p for _, p, _ in scopes(text)] == [ACHIEVED, PLANNED, UNKNOWN]


def test_relative_years_use_the_document_date():
    text = "2024年2月1日，市政府召開會議。去年，全市新增就業3萬人。今年，全市將新增就業4萬人。明年，全市要新建學校。"
    got = scopes(text)
    assert [(p, y) for _, p, y in got[1:]] == [(ACHIEVED, 2023), (PLANNED, 2024), (PLANNED, 2025)]


def test_this_year_takes_the_year_of_its_context():
    text = "2025年新引進125個項目\n這一年，全區完成改造。"
    assert scopes(text)[1][1:] == (ACHIEVED, 2025)


def test_targets_and_baselines():
    assert scopes("到2030年，產業規模突破千億元。")[0][1:] == (PLANNED, 2030)
    assert scopes("2026年是開局之年。推動增加值比2025年增長5%。")[1][1:] == (PLANNED, 2026)
    assert scopes("截至2022年底，全市共有指導員6萬名。2023年7月1日發布報告。")[0][1:] == (ACHIEVED, 2022)


def test_no_cue_is_unknown():
    assert scopes("天氣晴朗，遊客眾多。")[0][1:] == (UNKNOWN, None)


def test_names_with_jiang_are_not_future_cues():
    assert scopes("河北省名將巩立姣奪冠。")[0][1] == UNKNOWN


def test_tag_periods_returns_new_sentences():
    sentences = split_sentences("t", "2025年，全區完成改造。")
    tagged = tag_periods(sentences)
    assert sentences[0].period == UNKNOWN and tagged[0].period == ACHIEVED
    assert tag_periods([]) == []


def test_news_about_work_begun_on_a_day_is_achieved_not_planned():
    # Issue 7: "5月8日…开工建设，将推动…" was tagged planned from 将/推动 and labelled 2026年计划.
    text = ("松涛区地铁6号线开工\n2026-05-08 10:00 来源：松涛日报\n"
            "5月8日，松涛区地铁6号线一期工程正式开工建设，项目将推动东部城区交通更加便捷。\n"
            "该项目总投资120亿元，计划2030年建成通车。\n"
            "二期工程将于9月1日开工。\n")
    tagged = {s.text: (s.period, s.year) for s in tag_periods(split_sentences("n.md", text))}
    assert tagged["5月8日，松涛区地铁6号线一期工程正式开工建设，项目将推动东部城区交通更加便捷。"] == ("achieved", 2026)
    assert tagged["该项目总投资120亿元，计划2030年建成通车。"] == ("planned", 2030), "the text says 计划"
    assert tagged["二期工程将于9月1日开工。"][0] == "planned", "a day after 将于 is still ahead"
