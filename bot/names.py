"""Names as their sources give them, where the model's answer shortens them: an alias the source
brackets after a name ("纽顿集团（NWTN集团）", "东京电力公司（东电）"), and the places a place name
stands inside ("陕西西安市", not "西安市").
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from corpus.lang import tagged, to_simplified
from bot.types import Hit

_BRACKETED = re.compile(r"\(([^()\d。，,；;：:]{1,20})\)")  # NFKC has made （） narrow
MIN_NAME = 3  # characters of the name the answer must share before the bracket ("集团" alone is not a name)
MAX_NAME = 12


def as_sourced(answer: str, hits: Sequence[Hit]) -> str:
    """``answer`` (Simplified) with the names its cited sentences give in full."""
    return with_places(with_aliases(answer, hits), hits)


def with_aliases(answer: str, hits: Sequence[Hit]) -> str:
    """``answer`` (Simplified) with each alias its cited sentences bracket after a name it gives."""
    for hit in hits:
        source = to_simplified(unicodedata.normalize("NFKC", hit.sentence.text))
        for m in _BRACKETED.finditer(source):
            alias = m.group(1)
            if alias in answer:
                continue
            name = _shared_name(source[max(0, m.start() - MAX_NAME):m.start()], answer)
            if name:
                at = answer.index(name) + len(name)
                if answer[at:at + 1] not in ("(", "（"):
                    answer = f"{answer[:at]}（{alias}）{answer[at:]}"
    return answer


def _shared_name(before: str, answer: str) -> str:
    """The longest ending of ``before`` (the source just before a bracket) that the answer holds."""
    for start in range(len(before) - MIN_NAME + 1):
        if before[start:] in answer:
            return before[start:]
    return ""


def with_places(answer: str, hits: Sequence[Hit]) -> str:
    """``answer`` with a place it names ("西安市") as its sources write it, inside the places
    before it ("陕西西安市", "浙江衢州"): runs of place names as jieba tags them."""
    for hit in hits:
        for run in _place_runs(to_simplified(unicodedata.normalize("NFKC", hit.sentence.text))):
            whole = "".join(run)
            if whole in answer:
                continue
            for i in range(1, len(run)):
                tail = "".join(run[i:])
                if len(tail) >= 2 and tail in answer:
                    answer = answer.replace(tail, whole, 1)
                    break
    return answer


def _place_runs(text: str) -> list[list[str]]:
    """Consecutive place names (jieba's ``ns``), two or more: [["陕西", "西安市"]]."""
    runs, run = [], []
    for word, flag in tagged(text):
        if flag == "ns":
            run.append(word)
            continue
        if len(run) > 1:
            runs.append(run)
        run = []
    if len(run) > 1:
        runs.append(run)
    return runs
