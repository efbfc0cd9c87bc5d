"""Thumbs up/down on answers, appended as JSON lines to DATA_DIR/feedback.jsonl."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

VOTES = ("up", "down", "cleared")
FILENAME = "feedback.jsonl"
_LOCK = threading.Lock()  # one line per write, never interleaved between the server's threads


def turn_record(answer, mode: str) -> dict:
    """What a vote needs to know about the answer it judges (kept per turn in the session)."""
    return {"question": answer.question, "standalone": answer.standalone or answer.question,
            "answer": answer.text, "refused": answer.refused,
            "citations": [c.to_json() for c in answer.citations], "mode": mode}


def record_vote(path: Path, turn: dict, vote: str) -> dict:
    """Append ``{time, question, standalone, answer, citations, mode, vote}`` to ``path``; returns the line."""
    if vote not in VOTES:
        raise ValueError(f"unknown vote {vote!r}; expected one of: {', '.join(VOTES)}")
    line = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **turn, "vote": vote}
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(line, ensure_ascii=False) + "\n"
    with _LOCK, open(path, "a", encoding="utf-8") as f:
        f.write(text)
    return line
