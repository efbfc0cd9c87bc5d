"""Conversations kept in the browser (Gradio's BrowserState): pure functions over a plain dict.

    {"lang": "zh-Hans", "current": "<id>", "convs": [{"id", "title", "updated", "chat", "history", "turns"}, …]}

Newest first, at most MAX_CONVERSATIONS; the browser keeps it in localStorage (encrypted by
Gradio), so a reload restores the conversation and the list of past ones.
"""
from __future__ import annotations

import time
import uuid

MAX_CONVERSATIONS = 30
TITLE_CHARS = 24


def empty_store() -> dict:
    return {"lang": "", "current": "", "convs": []}


def valid(store) -> dict:
    """A store as the browser sent it, or an empty one if it is missing or malformed."""
    if not isinstance(store, dict) or not isinstance(store.get("convs"), list):
        return empty_store()
    convs = [c for c in store["convs"] if isinstance(c, dict) and isinstance(c.get("id"), str)
             and isinstance(c.get("chat"), list)]
    return {"lang": str(store.get("lang") or ""), "current": str(store.get("current") or ""), "convs": convs}


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def title_of(turns: list) -> str:
    """A conversation is named after its first question."""
    first = next((t.get("question", "") for t in turns or [] if t.get("question")), "")
    first = " ".join(first.split())
    return first if len(first) <= TITLE_CHARS else first[:TITLE_CHARS - 1] + "…"


def save(store, conv_id: str, chat: list, history: list, turns: list, now: float | None = None) -> dict:
    """The store with conversation ``conv_id`` replaced by this one and moved to the front.

    An empty conversation is not kept (a "new chat" nobody used leaves no entry).
    """
    store = valid(store)
    others = [c for c in store["convs"] if c["id"] != conv_id]
    if chat:
        conv = {"id": conv_id, "title": title_of(turns) or _first_user_text(chat), "updated": now or time.time(),
                "chat": list(chat), "history": list(history or []), "turns": list(turns or [])}
        others = [conv, *others]
    return {**store, "current": conv_id, "convs": others[:MAX_CONVERSATIONS]}


def find(store, conv_id: str) -> dict | None:
    return next((c for c in valid(store)["convs"] if c["id"] == conv_id), None)


def choices(store, untitled: str) -> list[tuple[str, str]]:
    """(label, id) pairs for the conversation list, newest first."""
    return [(c.get("title") or untitled, c["id"]) for c in valid(store)["convs"]]


def _first_user_text(chat: list) -> str:
    import re

    for m in chat:
        if m.get("role") == "user":
            text = re.sub(r"<[^>]+>", "", str(m.get("content", "")))
            return text[:TITLE_CHARS]
    return ""
