"""Tests of corpus.sentences: boundaries, offsets, headings and sections, on hand-made text and real files."""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from corpus.clean import clean
from corpus.load import load_document
from corpus.sentences import split_sentences

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "documents" / "laoshan-2026-npc-report.txt"
SHARED = ROOT.parent / "shared"
DEV = SHARED / "eval" / "dev.jsonl"
EXTERNAL_DOCS = SHARED / "eval" / "external" / "docs"
MAX_BYTES = 20 * 1024 * 1024


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences("t", text)]


def assert_spans_rebuild_text(text: str, sentences) -> None:
    """Named invariant: spans are exact, stripped, ordered, disjoint, and cover every non-space character."""
    assert [s.idx for s in sentences] == list(range(len(sentences)))
    end = 0
    for s in sentences:
        assert text[s.start:s.end] == s.text
        assert s.text and s.text == s.text.strip()
        assert "\n" not in s.text
        assert s.start >= end
        assert text[end:s.start].strip() == "", f"characters lost before sentence {s.idx}"
        end = s.end
    assert text[end:].strip() == ""


def scorer_norm(s: str) -> str:
    """The normalisation of shared/eval/score.py: NFKC, 1,300 -> 1300, no spaces."""
    s = unicodedata.normalize("NFKC", s)
    s = re.sub(r"(?<=\d),(?=\d{3})", "", s)
    return s.replace(" ", "")


@pytest.fixture(scope="module")
def seed_doc():
    return load_document(SEED, max_bytes=MAX_BYTES)


# --- invariants on real files ---------------------------------------------------------------------
def test_seed_offsets_round_trip(seed_doc):
    assert_spans_rebuild_text(seed_doc.text, seed_doc.sentences)


def test_external_docs_offsets_round_trip():
    if not EXTERNAL_DOCS.is_dir():
        pytest.fail(f"{EXTERNAL_DOCS} is missing: the shared evaluation data must sit beside the checkout")
    files = sorted(EXTERNAL_DOCS.glob("*.txt"))
    assert files, f"no .txt files in {EXTERNAL_DOCS}"
    for f in files:
        doc = load_document(f, max_bytes=MAX_BYTES)
        assert doc.sentences, f.name
        assert_spans_rebuild_text(doc.text, doc.sentences)


def test_every_dev_gold_string_is_inside_one_seed_sentence(seed_doc):
    if not DEV.is_file():
        pytest.fail(f"{DEV} is missing: the shared evaluation data must sit beside the checkout")
    sentences = [scorer_norm(s.text) for s in seed_doc.sentences]
    golds = [g for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()
             for g in json.loads(line)["gold"]]
    assert len(golds) >= 25
    missing = [g for g in golds if not any(scorer_norm(g) in s for s in sentences)]
    assert missing == []


def test_seed_sentence_and_heading_counts(seed_doc):
    sentences = seed_doc.sentences
    assert len(sentences) == 64
    assert [s.text for s in sentences if s.heading] == ["2025年新引進125個過億元項目", "推動四大主導產業總規模達到1300億元"]
    assert len({s.paragraph for s in sentences}) == 16


def test_seed_sections(seed_doc):
    by_text = {s.text: s for s in seed_doc.sentences}
    assert by_text["2025年新引進125個過億元項目"].section == "2025年新引進125個過億元項目"
    assert by_text["全年實現城鎮新增就業3.19萬人;"].section == "2025年新引進125個過億元項目"
    assert by_text["推動區人民醫院竣工;"].section == "推動四大主導產業總規模達到1300億元"
    assert seed_doc.sentences[0].section == ""


def test_seed_opening_quotes_stay_one_sentence(seed_doc):
    first = seed_doc.sentences[0].text
    assert first.startswith("“統籌推進263個重點項目建設”")
    assert first.endswith("順利回遷”……")


def test_damaged_fragment_in_seed_sentence(seed_doc):
    assert any(s.text.startswith("金家嶺金融聚集區,") and s.text.endswith("沖刺封頂……") for s in seed_doc.sentences)


# --- boundaries -----------------------------------------------------------------------------------
def test_chinese_end_marks_split():
    assert texts("第一句。第二句！第三句？第四句；第五句") == ["第一句。", "第二句！", "第三句？", "第四句；", "第五句"]


def test_ascii_semicolon_splits_but_comma_and_colon_do_not():
    assert texts("建設;金家嶺金融聚集區,沖刺封頂:好") == ["建設;", "金家嶺金融聚集區,沖刺封頂:好"]


def test_a_run_of_end_marks_is_one_boundary():
    assert texts("河湖沿岸……城市邊角地得以利用。真的嗎？！是的") == ["河湖沿岸……", "城市邊角地得以利用。", "真的嗎？！", "是的"]


@pytest.mark.parametrize("sentence", [
    "全年實現城鎮新增就業3.19萬人；",
    "推動技術合同成交額占GDP比重突破9.5%；",
    "將政府購買范圍擴大至60—69歲城鄉居民；",
    "全區生產總值增長5%以上。",
    "Revenue rose 3.5% to $1.2 billion.",
])
def test_numbers_are_never_split(sentence):
    assert texts(sentence) == [sentence]


def test_quotes_are_never_split_and_the_closing_quote_stays():
    text = "她表示：“目前狀態很好。我們有信心！”比賽結束。「第一。第二。」他說。"
    assert texts(text) == ["她表示：“目前狀態很好。我們有信心！”", "比賽結束。", "「第一。第二。」", "他說。"]


def test_ascii_double_quotes_pair_up():
    assert texts('He said "Stop. Now." Then he left.') == ['He said "Stop. Now."', "Then he left."]


def test_parentheses_are_never_split():
    text = "項目(一期。二期)建成。（見附件。其餘略。）下一句（附註）也是一句。"
    assert texts(text) == ["項目(一期。二期)建成。", "（見附件。其餘略。）", "下一句（附註）也是一句。"]


def test_unbalanced_brackets_protect_nothing():
    assert texts("他說“好。然後走了。") == ["他說“好。", "然後走了。"]
    assert texts("多餘的)括號。下一句。") == ["多餘的)括號。", "下一句。"]


def test_damaged_fragment_is_opaque():
    # The ")" inside the fragment must not close the "(" before it, nor "?" end a sentence.
    text = "項目(金家?guī)X金融區。二期)建成。下一句。"
    assert texts(text) == ["項目(金家?guī)X金融區。二期)建成。", "下一句。"]
    assert texts("金家?guī) 金融聚集區,沖刺封頂;好") == ["金家?guī) 金融聚集區,沖刺封頂;", "好"]


def test_english_sentences():
    text = "Mr. Smith paid $3.19 million. The U.S. team won! Did it? Yes... e.g. this stays. Done"
    assert texts(text) == ["Mr. Smith paid $3.19 million.", "The U.S. team won!", "Did it?", "Yes...",
                           "e.g. this stays.", "Done"]


def test_ascii_marks_between_chinese_characters_do_not_split():
    assert texts("真的嗎?我不信.好") == ["真的嗎?我不信.好"]


def test_line_breaks_split_and_number_paragraphs():
    sentences = split_sentences("t", "第一段第一句。第一段第二句\n\n第二段，沒有句號但很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長。\n最後一行")
    assert [(s.text, s.paragraph) for s in sentences] == [
        ("第一段第一句。", 0), ("第一段第二句", 0),
        ("第二段，沒有句號但很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長。", 1), ("最後一行", 2)]


def test_whitespace_is_stripped_with_offsets():
    text = "  第一句。  第二句。 \u3000\n"
    sentences = split_sentences("t", text)
    assert [(s.text, s.start, s.end) for s in sentences] == [("第一句。", 2, 6), ("第二句。", 8, 12)]
    assert_spans_rebuild_text(text, sentences)


# --- headings -------------------------------------------------------------------------------------
def test_short_lines_without_end_marks_are_headings_with_sections():
    text = "前言一句。\n2025年新引進125個過億元項目\n項目是穩增長的壓艙石。這一年完成很多。\n推動四大主導產業總規模達到1300億元\n將新引進項目100個以上。"
    sentences = split_sentences("t", text)
    assert [(s.text, s.heading, s.section) for s in sentences] == [
        ("前言一句。", False, ""),
        ("2025年新引進125個過億元項目", True, "2025年新引進125個過億元項目"),
        ("項目是穩增長的壓艙石。", False, "2025年新引進125個過億元項目"),
        ("這一年完成很多。", False, "2025年新引進125個過億元項目"),
        ("推動四大主導產業總規模達到1300億元", True, "推動四大主導產業總規模達到1300億元"),
        ("將新引進項目100個以上。", False, "推動四大主導產業總規模達到1300億元"),
    ]


@pytest.mark.parametrize("line", [
    "這一行以句號結尾。",
    "下半年計劃：",
    "這一行很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長很長",
    "兩句話。在一行",
])
def test_lines_that_are_not_headings(line):
    assert not any(s.heading for s in split_sentences("t", f"{line}\n正文。"))


def test_the_last_line_is_never_a_heading():
    assert not split_sentences("t", "正文。\n2025年新引進125個過億元項目")[-1].heading


def test_cleaned_text_of_a_crlf_file_splits_the_same():
    text, _ = clean("第一句。\r\n第二句。\r\n")
    assert texts(text) == ["第一句。", "第二句。"]
