"""Cleaning of decoded text (pure): pinyin annotations, scrape damage, platform boilerplate, whitespace.

Every step is a list of edits ``(start, end, replacement)`` on the current text; applying them
carries an ``origin`` list along, so each kept character still knows where it was in the raw text.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

Edit = tuple[int, int, str]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"

# A latin word in brackets right after a Han character, e.g. the "(tǒng)" of "統(tǒng)籌".
# Whether the word really is pinyin is decided by _is_pinyin, not by this pattern.
_ANNOTATION = re.compile(rf"(?<=[{_CJK}])[(（]([a-zA-Z\u00c0-\u024f\u0300-\u036f]{{1,8}})[)）]")

# What is left when a scrape mangled a character and the opening bracket of its annotation
# into "?", as in "金家?guī)X": "?" + pinyin + ")" + one stray character. Kept verbatim unless
# repairs.tsv knows the intended text; the sentence splitter treats it as opaque.
DAMAGED = re.compile(r"\?[a-zA-Z\u00c0-\u024f\u0300-\u036f]{1,8}\)[^\s。！？；]?")

_INITIAL = r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])"
_FINAL = (r"(?:iang|iong|uang|ueng|ang|eng|ing|ong|iao|ian|uai|uan|ai|ei|ao|ou|an|en|er|ia|ie|iu|in"
          r"|ua|uo|ui|un|ue|a|o|e|i|u)")
# Syllables without an initial may only start with a, o or e (yi/wu/yu carry y or w).
_SYLLABLE = re.compile(rf"{_INITIAL}{_FINAL}|(?:ang|eng|ai|ei|ao|ou|an|en|er|a|o|e)")
_TONE_MARKS = re.compile("[\u0300\u0301\u0304\u030c\u0308]")

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_LINE_BREAK = re.compile("\r\n|[\r\f\v\x85\u2028\u2029]")
_TRAILING_SPACE = re.compile("[ \t\u3000\xa0]+(?=\n|$)")

# Notices a publishing platform appends to every article; dropped only at the end of the text.
_BOILERPLATE_LINE = (
    re.compile(r"^\s*(?:特[别別][声聲]明|免[责責][声聲]明)\s*[:：].*(?:平[台臺]|信息存[储儲]|[资資][讯訊]存[储儲])"),
    re.compile(r"^\s*Notice\s*:\s*The content above", re.IGNORECASE),
    re.compile(r"^\s*如遇作品[内內]容.{0,6}版[权權]"),
)
# The same notice glued to the end of the last paragraph, after its final full stop.
_BOILERPLATE_TAIL = re.compile(
    r"(?<=[。！？])\s*(?:特[别別][声聲]明|免[责責][声聲]明)\s*[:：][^\n]*(?:平[台臺]|信息存[储儲])[^\n]*$")


def clean(raw: str) -> tuple[str, tuple[int, ...]]:
    """Clean ``raw`` and return ``(text, origin)``; ``origin[i]`` is the index in ``raw`` of ``text[i]``.

    ``origin`` has one extra entry, the raw index just past the last kept character.

    >>> clean("統(tǒng)籌推進\\r\\n")[0]
    '統籌推進'
    """
    text, origin = raw, list(range(len(raw)))
    for step in _STEPS:
        text, origin = _apply(text, origin, step(text))
    return text, tuple(origin) + ((origin[-1] + 1) if origin else 0,)


def pinyin_annotations(text: str) -> list[re.Match[str]]:
    """The pinyin annotations in ``text`` (``(tǒng)`` of ``統(tǒng)籌``), as regex matches."""
    return [m for m in _ANNOTATION.finditer(text) if _is_pinyin(m.group(1))]


def _is_pinyin(word: str) -> bool:
    # Tone-marked syllables are pinyin; plain lowercase ones (neutral tone, "們(men)") must be
    # at least two letters, so "(a)" list markers and "(VR)" abbreviations stay.
    decomposed = unicodedata.normalize("NFD", word)
    toned = bool(_TONE_MARKS.search(decomposed))
    bare = re.sub("[\u0300-\u036f]", "", decomposed)
    if not toned and (len(bare) < 2 or not bare.islower()):
        return False
    return bool(_SYLLABLE.fullmatch(bare.lower()))


def _apply(text: str, origin: list[int], edits: list[Edit]) -> tuple[str, list[int]]:
    """Apply sorted, non-overlapping edits; inserted characters take the origin of the span they replace."""
    parts: list[str] = []
    kept: list[int] = []
    pos = 0
    for start, end, new in edits:
        parts.append(text[pos:start])
        kept.extend(origin[pos:start])
        parts.append(new)
        kept.extend([origin[start]] * len(new))
        pos = end
    parts.append(text[pos:])
    kept.extend(origin[pos:])
    return "".join(parts), kept


def _line_breaks(text: str) -> list[Edit]:
    # "\r\n" keeps its "\n" (and that character's origin); other breaks become "\n".
    return [(m.start(), m.start() + 1, "") if m.group() == "\r\n" else (m.start(), m.end(), "\n")
            for m in _LINE_BREAK.finditer(text)]


def _invisible(text: str) -> list[Edit]:
    return [(m.start(), m.end(), "") for m in _INVISIBLE.finditer(text)]


def _repairs(text: str) -> list[Edit]:
    edits = []
    for damaged, repaired in _repair_table():
        start = text.find(damaged)
        while start != -1:
            edits.append(_minimal_edit(start, damaged, repaired))
            start = text.find(damaged, start + len(damaged))
    return sorted(edits)


def _minimal_edit(start: int, old: str, new: str) -> Edit:
    # Replace only the differing middle, so the context characters keep their own origin.
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return start + head, start + len(old) - tail, new[head:len(new) - tail]


@lru_cache(maxsize=1)
def _repair_table() -> tuple[tuple[str, str], ...]:
    rows = resources.files("corpus").joinpath("repairs.tsv").read_text(encoding="utf-8").splitlines()
    table = []
    for row in rows:
        if row.strip() and not row.startswith("#"):
            damaged, repaired, _reason = row.split("\t", 2)
            table.append((damaged, repaired))
    return tuple(table)


def _pinyin(text: str) -> list[Edit]:
    return [(m.start(), m.end(), "") for m in pinyin_annotations(text)]


def _boilerplate(text: str) -> list[Edit]:
    end = len(text.rstrip())
    while True:
        line_start = text.rfind("\n", 0, end) + 1
        if not any(p.search(text[line_start:end]) for p in _BOILERPLATE_LINE):
            break
        end = len(text[:line_start].rstrip())
    tail = _BOILERPLATE_TAIL.search(text, 0, end)
    if tail:
        end = tail.start()
    return [(end, len(text), "")] if end < len(text) else []


def _trailing_space(text: str) -> list[Edit]:
    return [(m.start(), m.end(), "") for m in _TRAILING_SPACE.finditer(text)]


def _blank_lines(text: str) -> list[Edit]:
    # At most one blank line between paragraphs, none at either end.
    edits = [(m.start() + 2, m.end(), "") for m in re.finditer(r"\n{3,}", text)]
    lead = len(text) - len(text.lstrip("\n"))
    if lead:
        edits = [(0, lead, "")] + [e for e in edits if e[0] >= lead]
    trail = len(text.rstrip("\n"))
    if trail < len(text):
        edits = [e for e in edits if e[1] <= trail] + [(trail, len(text), "")]
    return edits


_STEPS = (_line_breaks, _invisible, _repairs, _pinyin, _boilerplate, _trailing_space, _blank_lines)
