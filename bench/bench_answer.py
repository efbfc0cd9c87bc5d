"""Answer benchmark: the dev set in both modes, the external set, and the LangChain tutorial baseline,
scored by the shared scorer, with latency percentiles from each answer's timings.

    python -m bench.bench_answer [--skip-llm] [--skip-baseline] [--skip-external]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import EXTERNAL, ROOT, SHARED, percentile, table

SCORE = SHARED / "eval" / "score.py"
DEV = SHARED / "eval" / "dev.jsonl"


def run(cmd: list[str], questions: Path, env_data_dir: Path | None = None) -> tuple[list[dict], str]:
    """Run an answering command on a question file; return its answers and the scorer's summary."""
    args = cmd + ([] if env_data_dir is None else ["--data-dir", str(env_data_dir)])
    out = subprocess.run([*args, str(questions)], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out.stderr[-2000:]}")
    answers = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        f.write(out.stdout)
    scored = subprocess.run([sys.executable, str(SCORE), str(questions), f.name], capture_output=True, text=True)
    return answers, scored.stdout


def summary_row(name: str, answers: list[dict], scored: str) -> tuple:
    metrics = dict(line.split(": ", 1) for line in scored.splitlines() if ": " in line and not line.startswith("miss "))
    timings = [a.get("timings_ms") or {} for a in answers]
    answered = [t for a, t in zip(answers, timings) if not a.get("refused")]
    first = [t["first_token"] for t in answered if "first_token" in t]
    return (name, metrics.get("accuracy"), metrics.get("fully_supported"), metrics.get("gold_cited"),
            metrics.get("refusal_accuracy"), metrics.get("false_refusal_rate"), metrics.get("cited_chars_mean"),
            f"{percentile([t.get('retrieve', 0) for t in timings], 0.5):.0f}",
            f"{percentile(first, 0.5):.0f}" if first else "-",
            f"{percentile([t.get('total', 0) for t in timings], 0.5):.0f}",
            f"{percentile([t.get('total', 0) for t in timings], 0.95):.0f}")


HEADER = ("run", "accuracy", "fully_supported", "gold_cited", "refusal", "false_refusal", "cited chars",
          "retrieve p50 ms", "first token p50 ms", "total p50 ms", "total p95 ms")


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--skip-llm", action="store_true")
    p.add_argument("--skip-baseline", action="store_true")
    p.add_argument("--skip-external", action="store_true")
    p.add_argument("--external-data-dir", type=Path, default=Path(tempfile.gettempdir()) / "reportqa-external")
    args = p.parse_args(argv)
    py = [sys.executable, "-m", "bot", "ask", "--json"]
    rows, misses = [], []
    for mode in ["extractive"] + ([] if args.skip_llm else ["llm"]):
        answers, scored = run(py + ["--mode", mode, "--batch"], DEV)
        rows.append(summary_row(f"dev, {mode}", answers, scored))
        misses.append((f"dev, {mode}", [line for line in scored.splitlines() if line.startswith("miss ")]))
    if not args.skip_baseline:
        answers, scored = run([sys.executable, "-m", "bench.baseline"], DEV)
        rows.append(summary_row("dev, LangChain tutorial baseline", answers, scored))
        misses.append(("baseline", [line for line in scored.splitlines() if line.startswith("miss ")]))
    if not args.skip_external:
        subprocess.run([sys.executable, "-m", "index", "--data-dir", str(args.external_data_dir), "build",
                        str(EXTERNAL / "docs"), str(EXTERNAL / "distractors")], cwd=ROOT, check=True,
                       stdout=sys.stderr)  # stdout is the report
        for mode in ["extractive"] + ([] if args.skip_llm else ["llm"]):
            answers, scored = run(py + ["--data-dir", str(args.external_data_dir), "--mode", mode, "--batch"],
                                  EXTERNAL / "questions.jsonl")
            rows.append(summary_row(f"external (297 docs), {mode}", answers, scored))
            misses.append((f"external, {mode}", [line for line in scored.splitlines() if line.startswith("miss ")]))
    print(table(rows, HEADER))
    for name, lines in misses:
        print(f"\n### Misses: {name} ({len(lines)})\n")
        print("\n".join(f"- {line[5:]}" for line in lines) or "- none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
