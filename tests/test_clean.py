"""Tests of corpus.clean: pinyin annotations, scrape repairs, boilerplate, whitespace, origin offsets."""
from __future__ import annotations

from pathlib import Path

import pytest

from corpus.clean import DAMAGED, clean, pinyin_annotations

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "documents" / "laoshan-2026-npc-report.txt"


@pytest.fixture(scope="module")
def raw() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def cleaned(raw: str) -> tuple[str, tuple[int, ...]]:
    return clean(raw)


def test_seed_has_exactly_154_pinyin_annotations(raw):
    found = pinyin_annotations(raw)
    assert len(found) == 154
    assert {m.group() for m in found} >= {"(tǒng)", "(qū)", "(shù)", "(chǎn)", "(yè)"}


def test_no_pinyin_annotation_survives_cleaning(cleaned):
    text, _ = cleaned
    assert pinyin_annotations(text) == []
    assert "統籌推進263個重點項目建設" in text
    assert "數智產業城" in text


def test_real_parentheses_survive(cleaned):
    text, _ = cleaned
    assert text.count("(一期)") == 2
    assert "18個老舊小區(樓院)完成改造" in text
    assert "沙子口(沙窩、老村)城中村" in text


@pytest.mark.parametrize("keep", [
    "見說明(including the pictures and videos if any)。",
    "虛擬現實(VR)產業",
    "第三款(a)項",
    "第二期(ii)工程",
    "價格(USD)上漲",
    "Notice (see below) applies.",
])
def test_non_pinyin_parentheses_are_kept(keep):
    assert clean(keep)[0] == keep


@pytest.mark.parametrize("raw_text, expected", [
    ("統(tǒng)籌", "統籌"),
    ("我們(men)的", "我們的"),  # neutral tone: plain letters, still a pinyin syllable
    ("嶺（lǐng）南", "嶺南"),  # full-width brackets
    ("女(nǚ)性", "女性"),
    ("略(lüè)", "略"),
    ("區(qu\u0304)域", "區域"),  # tone mark as a combining character
])
def test_pinyin_variants_are_removed(raw_text, expected):
    assert clean(raw_text)[0] == expected


def test_pinyin_needs_a_han_character_before_it():
    assert clean("see (tǒng) here")[0] == "see (tǒng) here"


def test_platform_disclaimer_is_dropped(cleaned):
    text, _ = cleaned
    assert "特別聲明" not in text
    assert "Notice" not in text
    assert "信息存儲" not in text
    assert text.endswith("努力建設更高水平的平安嶗山。")


@pytest.mark.parametrize("tail", [
    "特别声明：以上内容(如有图片或视频亦包括在内)为自媒体平台“网易号”用户上传并发布，本平台仅提供信息存储服务。",
    "免責聲明：本平臺僅提供資訊儲存空間服務。",
    "Notice: The content above (including the pictures and videos if any) is uploaded by a user.",
    "如遇作品内容、版权等问题，请在相关文章刊发之日起30日内与本网联系。",
])
def test_boilerplate_variants_are_dropped_at_the_end(tail):
    assert clean(f"正文第一句。\n{tail}\n\n")[0] == "正文第一句。"


def test_boilerplate_glued_to_the_last_paragraph_is_dropped():
    raw = "正文最後一句。特別聲明：以上內容為自媒體平台用戶上傳，本平台僅提供信息存儲服務。"
    assert clean(raw)[0] == "正文最後一句。"


def test_declarations_inside_the_text_are_kept():
    raw = ("特別聲明：以上內容為自媒體平台用戶上傳，本平台僅提供信息存儲服務。\n正文還在繼續。\n"
           "外交部發表聲明，強調平台經濟規範發展。")
    assert clean(raw)[0] == raw


def test_damaged_fragment_is_repaired_from_the_table(raw, cleaned):
    text, origin = cleaned
    assert "金家?guī)X" in raw
    assert "金家嶺金融聚集區" in text
    assert not DAMAGED.search(text)
    i = text.index("金家嶺") + 2
    assert raw[origin[i]] == "?"  # the repaired character points at the damaged span
    assert raw[origin[i - 1]] == "家"  # its context keeps its own origin


def test_unknown_damage_is_kept_verbatim():
    raw = "張家?zhāng)Y社區完成改造。"
    assert clean(raw)[0] == raw


def test_origin_invariants_on_the_seed(raw, cleaned):
    text, origin = cleaned
    assert len(origin) == len(text) + 1
    assert all(a < b for a, b in zip(origin, origin[1:])), "origin must be strictly increasing"
    assert origin[-1] == origin[-2] + 1
    changed = [i for i, ch in enumerate(text) if raw[origin[i]] != ch]
    assert [text[i] for i in changed] == ["嶺"], "only repaired characters differ from the raw text"


def test_line_endings_whitespace_and_invisible_characters():
    raw = "\ufeff\n\n標題  \r\n正\u200b文。\t\r\n\r\n\r\n\r\n第二段。\r舊Mac行\u3000\n\n\n"
    text, origin = clean(raw)
    assert text == "標題\n正文。\n\n第二段。\n舊Mac行"
    for i, ch in enumerate(text):
        assert raw[origin[i]] == ch or (ch == "\n" and raw[origin[i]] == "\r")
    assert origin[-1] == raw.index("行") + 1


def test_text_is_otherwise_verbatim():
    raw = "2月4日上午,青島市嶗山區開幕;全面總結2025年工作。"
    assert clean(raw)[0] == raw  # no script conversion, ASCII punctuation stays


def test_empty_and_blank_input():
    assert clean("") == ("", (0,))
    assert clean(" \n\n \t\n")[0] == ""
