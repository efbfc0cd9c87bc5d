"""Follow-up questions made standalone: "那2025年呢？" after a 2026 question asks about 2025."""
from __future__ import annotations

import re

_LEAD = re.compile(r"^\s*(那么|那麼|那|而|还有|還有|再问|and|what about|how about)\s*", re.IGNORECASE)
_TAIL = re.compile(r"[\s呢吗嗎？?。.!！]*$")
_TIME = re.compile(r"((?:19|20)\d{2}\s*年?|去年|前年|今年|明年|last year|this year|next year|in (?:19|20)\d{2})",
                   re.IGNORECASE)


def is_follow_up(question: str) -> bool:
    """Short questions that lean on the previous one: "那2025年呢？", "What about 2025?"."""
    q = question.strip()
    if len(q) > 40:
        return False
    return bool(_LEAD.match(q)) or bool(re.search(r"呢[？?]?\s*$", q))


def condense(question: str, previous: str | None) -> str | None:
    """Rewrite a follow-up whose new part is only a time ("那2025年呢？") by swapping the time
    expressions of the previous standalone question. Returns None when this heuristic does not
    apply (not a follow-up, or the follow-up changes the topic): the caller may ask the LLM.
    """
    if not previous or not is_follow_up(question):
        return question
    core = _TAIL.sub("", _LEAD.sub("", question.strip()))
    if not core or _TIME.sub("", core).strip(" 的年"):
        return None
    if _TIME.search(previous):
        first = True

        def swap(m: re.Match) -> str:  # the first time expression becomes the new one, others go
            nonlocal first
            new, first = (("in " if m.group(0).lower().startswith("in ") else "") + core) if first else "", False
            return new

        rewritten = _TIME.sub(swap, previous)
        return re.sub(r"\s{2,}", " ", rewritten).strip()
    return f"{core}{previous}"
