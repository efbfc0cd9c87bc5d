"""Scale benchmark: 1, 300 and 3,000 documents indexed with the real embedding model, then the
external questions answered in both modes by fresh `python -m bot` processes.

    python -m bench.bench_scale                          # 1, 300 and 3000 documents (hours at 3000)
    python -m bench.bench_scale --docs 1 300 --reuse     # keep data dirs already built for a size
    python -m bench.bench_scale --chroma-host 127.0.0.1 --chroma-port 8000   # a Chroma server
    cp -r /tmp/bench-scale/n3000 /tmp/bench-scale/n3000-server   # or: serve a copy of an embedded index
    chroma run --path /tmp/bench-scale/n3000-server/chroma --port 8765 &
    python -m bench.bench_scale --docs 3000 --reuse --chroma-host 127.0.0.1 --chroma-port 8765 --collection report_qa

The documents: 1 is the seed report alone, 300 adds the 74 external articles and 223 distractors,
3000 adds the 2,703 articles of the scale folder (../shared/eval/external). Per size it reports
the time to index (`python -m index build`, model load included), chunks/s, the data dir's size
on disk, the peak RSS of the indexing process and of the answering processes (each child's own,
from wait4), the time from starting a fresh `python -m bot ask` to its first answer (the first
start after indexing also builds the persisted lexical index; the next one loads it), question
latency p50/p95 (each answer's timings_ms.total) and the answer accuracy on the external
questions as ../shared/eval/score.py judges it. Run it under the shared lock (flock).

Extractive answers are asked twice, each time by a fresh process: the first pass embeds each
retrieved sentence on first use (the sentence-vector cache, `index/sentvec.py`, starts empty after
indexing, or with `--cold`), the second finds them cached, as a chat does once a question's
sentences have been seen. Both are reported.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import EXTERNAL, ROOT, SHARED, disk_mb, percentile, table

SCORE = SHARED / "eval" / "score.py"
QUESTIONS = EXTERNAL / "questions.jsonl"
SEED = ROOT / "corpus" / "documents" / "laoshan-2026-npc-report.txt"
PROBE = "2026年城镇新增就业目标是多少？"  # the start-up question


def corpus_files(n: int) -> list[Path]:
    """1: the seed report; 300: it and the 297 external articles (298 files); 3000: those and the
    2,703 of the scale folder (3,001 files); any other ``n``: the first ``n`` files in that order."""
    files = [SEED]
    for folder in ("docs", "distractors", "scale"):
        files += sorted((EXTERNAL / folder).glob("*.txt"))
    n = {300: 298, 3000: 3001}.get(n, n)
    if n > len(files):
        raise SystemExit(f"only {len(files)} documents are available, asked for {n}")
    return files[:n]


def child(cmd: list[str], env: dict, stdout: Path | None = None) -> tuple[float, float, str]:
    """Run ``cmd``; its wall time in s, its own peak RSS in MB (wait4) and its stderr tail."""
    with tempfile.TemporaryFile() as err, open(stdout or os.devnull, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode("utf-8", "replace")[-3000:]
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:6])}... failed ({proc.returncode}):\n{tail}")
    return wall, usage.ru_maxrss / 1024, tail


def catalog_counts(data_dir: Path) -> tuple[int, int, int]:
    """Documents, chunks and sentences committed in a data dir's catalog (0s when there is none)."""
    import sqlite3

    path = data_dir / "catalog.sqlite"
    if not path.is_file():
        return 0, 0, 0
    db = sqlite3.connect(str(path))
    try:
        docs, chunks = db.execute("SELECT COUNT(*), COALESCE(SUM(n_chunks), 0) FROM documents").fetchone()
        sentences = db.execute("SELECT COUNT(*) FROM sentences").fetchone()[0]
    finally:
        db.close()
    return docs, chunks, sentences


def index_size(n: int, data_dir: Path, env: dict, reuse: bool, log) -> dict:
    """Index the first ``n`` documents into ``data_dir`` (fresh unless ``reuse`` finds them there)."""
    files = corpus_files(n)
    have = catalog_counts(data_dir)[0]
    if reuse and have == len(files):
        log(f"n={n}: reusing {data_dir} ({have} documents)")
        return {"reused": True}
    if data_dir.exists():
        shutil.rmtree(data_dir)
    log(f"n={n}: indexing {len(files)} documents into {data_dir} ...")
    wall, rss, _ = child([sys.executable, "-m", "index", "--data-dir", str(data_dir), "build", *map(str, files)], env)
    docs, chunks, _ = catalog_counts(data_dir)
    if docs != len(files):
        raise SystemExit(f"indexed {docs} documents, expected {len(files)}")
    return {"reused": False, "index_s": wall, "chunks_per_s": chunks / wall, "index_rss_mb": rss}


def ask(data_dir: Path, env: dict, mode: str, question: str | None = None, batch: Path | None = None,
        out: Path | None = None) -> tuple[float, float, list[dict]]:
    cmd = [sys.executable, "-m", "bot", "ask", "--data-dir", str(data_dir), "--json", "--mode", mode]
    cmd += ["--batch", str(batch)] if batch else [question]
    out = out or Path(tempfile.mktemp(suffix=".jsonl"))
    wall, rss, _ = child(cmd, env, stdout=out)
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    return wall, rss, answers


def scored(questions: Path, answers_file: Path) -> dict:
    out = subprocess.run([sys.executable, str(SCORE), str(questions), str(answers_file)],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split(": ", 1) for line in out.splitlines() if ": " in line and not line.startswith("miss "))


def measure_size(n: int, args, env: dict, log) -> dict:
    data_dir = args.work / (f"n{n}" + ("-server" if args.chroma_host else ""))
    row: dict = {"size": n, **index_size(n, data_dir, env, args.reuse, log)}
    docs, chunks, sentences = catalog_counts(data_dir)
    row.update(docs=docs, chunks=chunks, sentences=sentences, disk_mb=disk_mb(data_dir))

    # Start-up: a fresh process to its first answer. After indexing, the first also builds the
    # lexical index (unless --reuse found it); the next one loads it.
    for key in ("start_first_s", "start_next_s"):
        row[key], row["start_rss_mb"], _ = ask(data_dir, env, "extractive", PROBE)
        log(f"n={n}: {key} {row[key]:.1f} s")
    questions = args.questions
    if args.limit:
        questions = args.work / f"questions-{args.limit}.jsonl"
        lines = [x for x in args.questions.read_text(encoding="utf-8").splitlines() if x.strip()]
        questions.write_text("\n".join(lines[: args.limit]) + "\n", encoding="utf-8")
    if args.cold:
        (data_dir / "sentence_vectors.sqlite").unlink(missing_ok=True)
    for run in ["extractive", "extractive_again"] + ([] if args.skip_llm else ["llm"]):
        mode = run.split("_")[0]
        if mode == "llm":
            row["start_llm_s"], _, _ = ask(data_dir, env, "llm", PROBE)
            log(f"n={n}: start_llm_s {row['start_llm_s']:.1f} s")
        answers_file = args.work / f"answers-n{n}-{run}.jsonl"
        _, rss, answers = ask(data_dir, env, mode, batch=questions, out=answers_file)
        totals = [(a.get("timings_ms") or {}).get("total", 0.0) for a in answers]
        metrics = scored(questions, answers_file)
        row[run] = {"questions": len(answers), "p50_ms": percentile(totals, 0.5),
                    "p95_ms": percentile(totals, 0.95), "rss_mb": rss, "accuracy": metrics.get("accuracy"),
                    "refusal_accuracy": metrics.get("refusal_accuracy")}
        log(f"n={n} {run}: {json.dumps(row[run])}")
    return row


def report(rows: list[dict], modes: list[str], server: str) -> str:
    where = f"Chroma server {server}" if server else "embedded Chroma"
    out = [f"### Scale ({where})\n", table([
        (r["docs"], r["chunks"], r["sentences"],
         "reused" if r.get("reused") else f"{r['index_s']:.0f} s", "" if r.get("reused") else f"{r['chunks_per_s']:.1f}",
         "" if r.get("reused") else f"{r['index_rss_mb']:.0f} MB", f"{r['disk_mb']:.0f} MB",
         f"{r['start_first_s']:.1f} s", f"{r['start_next_s']:.1f} s", f"{r['start_rss_mb']:.0f} MB")
        for r in rows], ("docs", "chunks", "sentences", "index time", "chunks/s", "index peak RSS", "data dir",
                         "start to 1st answer (first)", "(next)", "peak RSS (1 answer)"))]
    titles = {"extractive": "extractive, first pass (sentences embedded on first use)",
              "extractive_again": "extractive, second pass (sentence vectors cached)"}
    for mode in modes:
        rows_of_mode = [
            (r["docs"], r[mode]["questions"], f"{r[mode]['p50_ms']:.0f} ms", f"{r[mode]['p95_ms']:.0f} ms",
             r[mode]["accuracy"], r[mode]["refusal_accuracy"], f"{r[mode]['rss_mb']:.0f} MB")
            + ((f"{r['start_llm_s']:.1f} s",) if mode == "llm" else ())
            for r in rows]
        header = (("docs", "questions", "p50", "p95", "accuracy", "refusal accuracy", "peak RSS")
                  + (("start to 1st LLM answer",) if mode == "llm" else ()))
        out += [f"\n{titles.get(mode, mode)} answers to the external questions (one process, models loaded once):\n",
                table(rows_of_mode, header)]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=int, nargs="+", default=[1, 300, 3000], help="corpus sizes (default: 1 300 3000)")
    p.add_argument("--work", type=Path, default=Path("/tmp/bench-scale"), help="data dirs and answers go here")
    p.add_argument("--reuse", action="store_true", help="keep a size's data dir when it already holds its documents")
    p.add_argument("--chroma-host", default="", help="a Chroma server (REPORTQA_CHROMA_HOST); default: embedded")
    p.add_argument("--chroma-port", type=int, default=8000)
    p.add_argument("--collection", default="", help="with --chroma-host: the collection to use (default: "
                   "bench_scale_N per size); a server started on a copy of an embedded index has report_qa")
    p.add_argument("--questions", type=Path, default=QUESTIONS, help="question file (default: the external set)")
    p.add_argument("--limit", type=int, default=0, help="only the first LIMIT questions")
    p.add_argument("--skip-llm", action="store_true")
    p.add_argument("--cold", action="store_true", help="empty the sentence-vector cache before the first pass")
    p.add_argument("--json", type=Path, help="also write the measurements here")
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_") or k == "REPORTQA_MODEL_DIR"}
    if args.chroma_host:
        env.update(REPORTQA_CHROMA_HOST=args.chroma_host, REPORTQA_CHROMA_PORT=str(args.chroma_port))

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    rows = []
    for n in args.docs:
        if args.chroma_host:  # one collection per size on the shared server
            env["REPORTQA_COLLECTION"] = args.collection or f"bench_scale_{n}"
        rows.append(measure_size(n, args, env, log))
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(report(rows, ["extractive", "extractive_again"] + ([] if args.skip_llm else ["llm"]),
                 f"{args.chroma_host}:{args.chroma_port}" if args.chroma_host else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
