"""Names as their sources give them: an alias in brackets right after a name in the source
("纽顿集团（NWTN集团）", "东京电力公司（东电）") is kept when the model's answer names it without.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.lang import to_simplified
from bot.types import Hit

_BRACKETED = re.compile(r"\(([^()\d。，,；;：:]{1,20})\)")  # NFKC has made （） narrow
MIN_NAME = 3  # characters of the name the answer must share before the bracket ("集团" alone is not a name)
MAX_NAME = 12


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
