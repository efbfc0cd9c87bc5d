"""Places a text names ("崂山区", "西海岸新区", "马鞍子社区", "济南"), read from jieba's parts of
speech: a word tagged as a place, or name words followed by a place word (区, 社区, 街道...).

    >>> places_in("2025年,崂山区峪夼、张村等8个社区5548户居民顺利回迁")
    ['崂山区']
    >>> places_in("西海岸新区新增就业4.2万人"), admin_level("西海岸新区")
    (['西海岸新区'], '区')
"""
from __future__ import annotations

from dataclasses import dataclass

from corpus.lang import tagged, to_simplified
from corpus.lexicon import ADMIN_SUFFIXES, GENERIC_PLACES, LOCAL_SUFFIXES

_SUFFIXES = ADMIN_SUFFIXES + LOCAL_SUFFIXES
_NAME_FLAGS = ("ns", "nr", "nz", "nrt", "nt", "n", "s", "j")


@dataclass(frozen=True)
class Place:
    name: str
    start: int  # offset in the Simplified text


def places(text: str, bare: bool = True) -> list[Place]:
    """The places ``text`` names, in order, with their offsets in its Simplified form. Only
    administrative places and names jieba knows as places: local ones (社区, 村) are names to match
    like any other words, and jieba cuts them too unevenly to be read as places. ``bare=False``
    leaves out names without a place word ("济南", but also "长沙" of 长沙路: jieba tags both)."""
    words = tagged(to_simplified(text))
    out: list[Place] = []
    at = 0
    for i, (word, flag) in enumerate(words):
        after = words[i + 1][0] if i + 1 < len(words) else ""
        if after in ADMIN_SUFFIXES and flag in _NAME_FLAGS and len(word) >= 2 and word not in GENERIC_PLACES:
            out.append(Place(word + after, at))  # 西海岸 + 新区
        elif flag == "ns" and len(word) >= 2 and word not in GENERIC_PLACES and word not in ADMIN_SUFFIXES \
                and (bare or admin_level(word)) and not (out and out[-1].start + len(out[-1].name) == at + len(word)):
            out.append(Place(word, at))
        at += len(word)
    return out


def places_in(text: str, bare: bool = True) -> list[str]:
    return [p.name for p in places(text, bare)]


def admin_level(place: str) -> str:
    """The administrative word a place ends in, with 新区 and 自治区 as 区 ("" for a local place or
    a bare name): two places of one level and two names are two places."""
    if place.endswith(LOCAL_SUFFIXES):
        return ""
    level = next((s for s in ADMIN_SUFFIXES if place.endswith(s) and len(place) > len(s)), "")
    return "区" if level in ("新区", "自治区") else level


def short_name(place: str) -> str:
    """The name without its place word, when two or more characters are left: 崂山区 -> 崂山."""
    for s in _SUFFIXES:
        if place.endswith(s) and len(place) - len(s) >= 2:
            return place[: -len(s)]
    return place
