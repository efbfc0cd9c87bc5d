"""The questions readers ask: dev_hard (and dev) in both modes, scored by the shared scorer, with
accuracy and latency per question kind and every miss.

    python -m bench.bench_questions [--skip-llm] [--sets dev_hard dev]

Answers are produced by `python -m bot ask --json --batch` in one process per set and mode (the
models load once; the first answer of a run pays for warming the caches and is included).
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from bench.common import ROOT, SHARED, percentile, table

SCORE = SHARED / "eval" / "score.py"
SETS = {"dev_hard": SHARED / "eval" / "dev_hard.jsonl", "dev": SHARED / "eval" / "dev.jsonl"}


def answer(questions: Path, mode: str, data_dir: Path | None) -> list[dict]:
    cmd = [sys.executable, "-m", "bot", "ask", "--json", "--mode", mode]
    if data_dir:
        cmd += ["--data-dir", str(data_dir)]
    out = subprocess.run([*cmd, "--batch", str(questions)], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def score(questions: Path, answers: list[dict]) -> tuple[dict, list[str]]:
    """The shared scorer on the whole set: its metrics and its miss lines."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        f.write("\n".join(json.dumps(a, ensure_ascii=False) for a in answers))
    out = subprocess.run([sys.executable, str(SCORE), str(questions), f.name], capture_output=True, text=True).stdout
    metrics = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line and not line.startswith("miss "))
    return metrics, [line[5:] for line in out.splitlines() if line.startswith("miss ")]


def per_kind(questions: Path, answers: list[dict], misses: list[str]) -> list[tuple]:
    """Accuracy by the scorer's own verdict per question (a miss line names the id), and latency."""
    missed = {m.split()[0]: m for m in misses}
    by_kind = defaultdict(list)
    for q, a in zip((json.loads(x) for x in questions.read_text(encoding="utf-8").splitlines() if x.strip()), answers):
        # a miss for a missing citation or number only is still a correct answer, as the scorer counts it
        ok = q["id"] not in missed or not re.search(r"\bwrong\b|\brefused\b|should refuse", missed[q["id"]])
        by_kind[q.get("kind", "?")].append((ok, (a.get("timings_ms") or {}).get("total", 0.0)))
    return [(kind, len(rows), f"{sum(ok for ok, _ in rows) / len(rows):.2f}",
             f"{percentile([t for _, t in rows], 0.5):.0f}", f"{percentile([t for _, t in rows], 0.95):.0f}")
            for kind, rows in sorted(by_kind.items())]


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--skip-llm", action="store_true")
    p.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    p.add_argument("--data-dir", type=Path)
    args = p.parse_args(argv)
    rows, details = [], []
    for name in args.sets:
        for mode in ["extractive"] + ([] if args.skip_llm else ["llm"]):
            answers = answer(SETS[name], mode, args.data_dir)
            metrics, misses = score(SETS[name], answers)
            totals = [(a.get("timings_ms") or {}).get("total", 0.0) for a in answers]
            rows.append((f"{name}, {mode}", metrics.get("accuracy"), metrics.get("fully_supported"),
                         metrics.get("gold_cited"), metrics.get("refusal_accuracy"), metrics.get("false_refusal_rate"),
                         f"{percentile(totals, 0.5):.0f}", f"{percentile(totals, 0.95):.0f}"))
            details.append((f"{name}, {mode}", per_kind(SETS[name], answers, misses), misses))
    print(table(rows, ("run", "accuracy", "fully_supported", "gold_cited", "refusal", "false_refusal",
                       "total p50 ms", "total p95 ms")))
    for title, kinds, misses in details:
        print(f"\n### {title}: by kind (accuracy as the scorer judges it; latency includes retrieval)\n")
        print(table(kinds, ("kind", "questions", "accuracy", "p50 ms", "p95 ms")))
        print(f"\nMisses ({len(misses)}):\n")
        print("\n".join(f"- {m}" for m in misses) or "- none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
