"""Sentence splitting of cleaned text (Chinese and English) with offsets, paragraphs and headings.

Each non-blank line is a paragraph and is split on its own, so no sentence crosses a line.
A line is cut after a run of 。！？；… or ";" (and after "." "!" "?" followed by a space or the
line end, English style), never inside a bracket or quote pair, never inside a damaged pinyin
fragment (see ``clean.DAMAGED``). Closing quotes and brackets right after the cut stay with
the sentence they close.
"""
from __future__ import annotations

import re
from collections import Counter

from corpus.clean import DAMAGED
from corpus.types import Sentence

HEADING_MAX_CHARS = 40

_CUT = set("。！？；…;｡")  # always end a sentence (outside quotes and brackets)
_ASCII_END = set(".!?")  # end a sentence only before whitespace or the end of the line
_PAIRS = {"“": "”", "‘": "’", "「": "」", "『": "』", "（": "）", "(": ")", "【": "】",
          "《": "》", "〈": "〉", "〔": "〕", "[": "]", "{": "}", '"': '"'}
_CLOSERS = set(_PAIRS.values())
_NO_HEADING_END = _CUT | _ASCII_END | set("，,、：:")
# Words whose trailing "." does not end an English sentence.
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "no", "fig", "inc",
                  "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
                  "oct", "nov", "dec", "approx", "dept", "est", "gov", "vol", "pp", "ed", "eds"}


def split_sentences(doc_id: str, text: str) -> list[Sentence]:
    """Split ``text`` into sentences; ``text[s.start:s.end] == s.text`` for each.

    ``raw_start``/``raw_end`` equal ``start``/``end`` here (the loader maps them to the raw text).
    Short lines without end punctuation (and not the last line) are headings: ``heading=True``,
    and the following sentences get them as ``section``.

    >>> [s.text for s in split_sentences("d", "就業3.19萬人；增長5%以上。”下一句")]
    ['就業3.19萬人；', '增長5%以上。”', '下一句']
    """
    lines = _lines(text)
    sentences: list[Sentence] = []
    section = ""
    for paragraph, (start, end) in enumerate(lines):
        spans = _strip_all(text, _cut_line(text, start, end))
        heading = paragraph < len(lines) - 1 and _is_heading(text, spans)
        if heading:
            section = text[spans[0][0]:spans[0][1]]
        for s, e in spans:
            sentences.append(Sentence(doc_id=doc_id, idx=len(sentences), text=text[s:e], start=s, end=e,
                                      raw_start=s, raw_end=e, section=section, heading=heading,
                                      paragraph=paragraph))
    return sentences


def _lines(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _is_heading(text: str, spans: list[tuple[int, int]]) -> bool:
    if len(spans) != 1:
        return False
    line = text[spans[0][0]:spans[0][1]]
    return len(line) <= HEADING_MAX_CHARS and line[-1] not in _NO_HEADING_END


def _strip_all(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out


def _cut_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentence spans of one line, before stripping."""
    opaque = _opaque(text, start, end)
    closes_at, depth = _bracket_pairs(text, start, end, opaque)
    spans, piece, i = [], start, start
    while i < end:
        run = _terminator_run(text, i, end, opaque)
        if run == i:
            i += 1
            continue
        cut = _absorb_closers(text, run, end, closes_at)
        if depth[cut - start] == 0 and _ends_sentence(text, i, run, cut, end):
            spans.append((piece, cut))
            piece = cut
        i = max(run, cut)
    spans.append((piece, end))
    return spans


def _opaque(text: str, start: int, end: int) -> set[int]:
    return {i for m in DAMAGED.finditer(text, start, end) for i in range(m.start(), m.end())}


def _bracket_pairs(text: str, start: int, end: int, opaque: set[int]) -> tuple[dict[int, int], list[int]]:
    """Match brackets and quotes on one line; unmatched ones protect nothing.

    Returns ``closes_at`` (closer index -> opener index) and ``depth[p - start]``, the number of
    pairs opened before ``p`` and closed at or after it (0 means a cut before ``p`` is allowed).
    """
    stack: list[tuple[str, int]] = []
    open_count: Counter[str] = Counter()  # openers on the stack by closer, so a check is O(1)
    closes_at: dict[int, int] = {}
    for i in range(start, end):
        ch = text[i]
        if i in opaque:
            continue
        if ch in _CLOSERS and open_count[ch]:
            while stack:  # openers above the matching one are unmatched and dropped
                opener, at = stack.pop()
                open_count[_PAIRS[opener]] -= 1
                if _PAIRS[opener] == ch:
                    closes_at[i] = at
                    break
        elif ch in _PAIRS:
            stack.append((ch, i))
            open_count[_PAIRS[ch]] += 1
    diff = [0] * (end - start + 2)
    for close, open_ in closes_at.items():
        diff[open_ + 1 - start] += 1
        diff[close + 1 - start] -= 1
    depth, level = [], 0
    for d in diff[:-1]:
        level += d
        depth.append(level)
    return closes_at, depth


def _terminator_run(text: str, i: int, end: int, opaque: set[int]) -> int:
    j = i
    while j < end and j not in opaque and (text[j] in _CUT or text[j] in _ASCII_END):
        j += 1
    return j


def _absorb_closers(text: str, run: int, end: int, closes_at: dict[int, int]) -> int:
    # Closers right after the end mark belong to the sentence ("…。”"), matched or stray
    # (a stray one's opener was on an earlier line); an ASCII '"' opening a new quote does not.
    k = run
    while k < end and text[k] in _CLOSERS:
        if k not in closes_at and text[k] in _PAIRS:
            break
        k += 1
    return k


def _ends_sentence(text: str, run_start: int, run_end: int, cut: int, end: int) -> bool:
    if any(text[j] in _CUT for j in range(run_start, run_end)):
        return True
    # Only ".", "!", "?": English style, so "3.19", "e.g. this" and "Mr. Li" stay whole.
    if cut < end and not text[cut].isspace():
        return False
    if text[run_start:run_end] == ".":
        word = re.search(r"[A-Za-z.]*$", text[max(0, run_start - 24):run_start]).group()
        if word.lower().rstrip(".") in _ABBREVIATIONS or len(word) == 1 or "." in word:
            return False
    return True
