"""Command line: ask questions about the indexed documents.

    python -m bot ask "2026年城镇新增就业目标是多少？"
    python -m bot ask --json "..."                       one JSON object
    python -m bot ask --json --batch questions.jsonl     one JSON object per line, models loaded once
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from index.settings import Settings, data_dir_option


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="Ask questions about the indexed report.")
    p.add_argument("--data-dir", type=Path, help="index location (default: REPORTQA_DATA_DIR or ./.data)")
    sub = p.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", parents=[data_dir_option()], help="answer a question (or a batch) with citations")
    ask.add_argument("question", nargs="?", help="the question; omit with --batch")
    ask.add_argument("--json", action="store_true", help="print JSON instead of text")
    # The file may also come last, after other options (`--batch --mode extractive q.jsonl`, as the
    # evaluation scorer's --run appends it): then it is the positional argument.
    ask.add_argument("--batch", nargs="?", const=True, metavar="FILE.jsonl", help="lines with id and question")
    ask.add_argument("--mode", choices=("llm", "extractive"), help="default: llm unless REPORTQA_LLM=none")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.batch is True:
        args.batch, args.question = args.question, None
    if bool(args.question) == bool(args.batch):
        parser.error("give either a QUESTION or --batch FILE.jsonl")
    try:
        settings = Settings.from_env(data_dir=args.data_dir)
        questions = _read_batch(Path(args.batch)) if args.batch else [{"id": None, "question": args.question}]
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    from bot.chain import Answerer
    from corpus.errors import CorpusError
    from index.build import IndexingError
    from index.embed import EmbedderUnavailable
    from index.store import StoreUnavailable

    answerer = Answerer(settings)
    try:
        _ensure_index(answerer)
    except (IndexingError, CorpusError, EmbedderUnavailable, StoreUnavailable) as e:
        print(f"error: cannot build the index: {e}", file=sys.stderr)
        return 1
    try:
        for item in questions:
            answer = answerer.ask(item["question"], mode=args.mode)
            if args.json:
                print(json.dumps(answer.to_json(item.get("id")), ensure_ascii=False), flush=True)
            else:
                print(render_text(answer), flush=True)
    except (EmbedderUnavailable, StoreUnavailable) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


def _read_batch(path: Path) -> list[dict]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{n}: not JSON ({e.msg})") from None
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise ValueError(f"{path}:{n}: expected an object with a string 'question'")
        items.append(item)
    return items


def _ensure_index(answerer) -> None:
    """A fresh data dir gets the default corpus indexed first, as `make run` would."""
    if not answerer.index.catalog.documents():
        print(f"note: the index at {answerer.settings.data_dir} is empty; indexing {answerer.settings.corpus_dir}",
              file=sys.stderr)
        answerer.index.build()


def render_text(answer) -> str:
    lines = [answer.text]
    parts = [p["question"] for p in (answer.plan or {}).get("parts", [])]
    if len(parts) > 1:
        lines.insert(0, f"(understood as: {' | '.join(parts)})")
    elif answer.standalone and answer.standalone != answer.question:
        lines.insert(0, f"(understood as: {answer.standalone})")
    for c in answer.citations:
        lines.append(f"[{c.n}] {c.doc} {c.start}-{c.end}: {c.text}")
    if answer.related:
        lines.append("related passages (not an answer):")
        lines.extend(f"  - {c.doc} {c.start}-{c.end}: {c.text}" for c in answer.related)
    if answer.notice and answer.notice != answer.text:
        lines.append(f"note: {answer.notice}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
