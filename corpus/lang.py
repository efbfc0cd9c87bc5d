"""Language and script of a question, script conversion (OpenCC), and Chinese-aware tokens.

    >>> tokens("嶗山區新增就業3.19萬人")   # script-insensitive: Traditional becomes Simplified
    ['崂', '山', '区', '新', '增', '就', '业', '3.19', '万', '人', '崂山', '山区', '区新', '新增', '增就', '就业', '业3.19', '3.19万', '万人']
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

HANS, HANT, EN = "zh-Hans", "zh-Hant", "en"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TOKEN = re.compile(r"\d+(?:\.\d+)?%?|[a-z]+(?:'[a-z]+)?|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=2)
def _converter(config: str):
    import opencc
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text)


def detect(text: str) -> str:
    """zh-Hans, zh-Hant or en (anything without Chinese characters is answered in English)."""
    cjk = _CJK.findall(text)
    if not cjk:
        return EN
    han = "".join(cjk)
    simplified, traditional = to_simplified(han), to_traditional(han)
    # Characters that change under t2s are Traditional-only, and under s2t Simplified-only.
    trad_only = sum(a != b for a, b in zip(han, simplified))
    simp_only = sum(a != b for a, b in zip(han, traditional))
    return HANT if trad_only > simp_only else HANS


def has_chinese(text: str) -> bool:
    return _CJK.search(text) is not None


def to_script(text: str, script: str) -> str:
    """Render ``text`` in the question's script; English questions keep the source text."""
    if script == HANS:
        return to_simplified(text)
    if script == HANT:
        return to_traditional(text)
    return text


def normalize(text: str) -> str:
    """The form used for matching: NFKC, Simplified, lower case, thousands separators dropped."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    return to_simplified(text).lower()


def tagged(text: str) -> list[tuple[str, str]]:
    """Words with their part of speech, as jieba tags them: [("陕西", "ns"), ("发放", "v"), ...]."""
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return [(t.word, t.flag) for t in jieba.posseg.cut(text)]


def tokens(text: str) -> list[str]:
    """Unigrams and bigrams of Chinese characters, numbers and latin words, script-insensitive.

    Whitespace tokenization finds nothing in Chinese; bigrams are the classic, robust choice
    (no dictionary to go stale on new place names).
    """
    units = _TOKEN.findall(normalize(text))
    return units + [a + b for a, b in zip(units, units[1:])]


@lru_cache(maxsize=32768)
def syllable(ch: str) -> str:
    """Toneless pinyin of one Chinese character; "" for anything else."""
    if not _CJK.match(ch):
        return ""
    from pypinyin import Style, lazy_pinyin
    return lazy_pinyin(ch, style=Style.NORMAL)[0]


def pinyin(text: str) -> str:
    """Toneless pinyin of the Chinese characters, one syllable per character, each followed by a
    space; other characters are dropped. Typing by sound makes homophone typos (捞山湾 for 崂山湾,
    歌儿 for 歌尔): in pinyin they match.

        >>> pinyin("捞山湾")
        'lao shan wan '
    """
    return "".join(syllable(ch) + " " for ch in to_simplified(text) if _CJK.match(ch))


def numbers(text: str) -> list[str]:
    """Numbers as written, for checking that an answer's numbers occur in its sources."""
    return re.findall(r"\d+(?:\.\d+)?", re.sub(r"(?<=\d),(?=\d{3})", "", unicodedata.normalize("NFKC", text)))
