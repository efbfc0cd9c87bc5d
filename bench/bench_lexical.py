"""Lexical-only scale benchmark: how the start-up snapshot (sentences, BM25) and the per-question
lexical work grow with the corpus, without any model. The documents are loaded and split as
indexing does and committed to a catalog with no chunks; dense search is switched off (it is
Chroma's job and is measured by bench_scale.py with the real model).

    python -m bench.bench_lexical                 # 1, 300 and 3000 documents
    python -m bench.bench_lexical --docs 300 3000 --work /tmp/lexbench

The catalogs are built once under --work and reused. Each size is measured in a fresh process:
start-up (catalog -> ready snapshot, cold and with the persisted index) and the extractive
answer to every external question and every dev question with dense retrieval off.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.bench_scale import corpus_files
from bench.common import EXTERNAL, ROOT, SHARED, peak_rss_mb, percentile, table


def build_catalog(data_dir: Path, n: int) -> None:
    """Load and split ``n`` documents and commit them with no chunks (the catalog alone)."""
    from index.build import PIPELINE, Index
    from index.chunk import document_version
    from index.settings import Settings

    settings = Settings.from_env(data_dir=data_dir, llm="none")
    idx = Index(settings)
    have = {d.doc_id for d in idx.catalog.documents()}
    todo = [f for f in corpus_files(n) if f.name not in have]
    for lo in range(0, len(todo), 200):
        for doc in idx.load(todo[lo:lo + 200]):
            idx.catalog.commit_document(doc, document_version(doc, f"{PIPELINE}/{settings.chunk_chars}"), 0)


def questions() -> list[str]:
    out = []
    for path in (EXTERNAL / "questions.jsonl", SHARED / "eval" / "dev.jsonl", SHARED / "eval" / "dev_hard.jsonl"):
        out += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def measure(data_dir: Path, answers: Path | None = None) -> dict:
    """In this process: start-up to a ready snapshot, then every question, extractive, no dense."""
    from bot.chain import Answerer
    from bot.retrieve import HybridRetriever
    from index.build import Index
    from index.settings import Settings

    # No model: no query vectors, no dense hits, no sentence similarities.
    HybridRetriever.query_vectors = lambda self, queries: [[] for _ in queries]
    HybridRetriever._dense = lambda self, q, v, snap, k, only=None: ([], {})
    HybridRetriever.sentence_similarity = lambda self, r, depth=20: {}
    Index.embeddings = property(lambda self: (_ for _ in ()).throw(RuntimeError("no model in this benchmark")))
    t0 = time.perf_counter()
    answerer = Answerer(Settings.from_env(data_dir=data_dir, llm="none"))
    snap = answerer.retriever.snapshot()
    startup = time.perf_counter() - t0
    latencies, out = [], []
    for q in questions():
        t = time.perf_counter()
        a = answerer.ask(q, mode="extractive")
        latencies.append((time.perf_counter() - t) * 1000)
        out.append({"question": q, "answer": a.text, "refused": a.refused,
                    "cited": [(c.doc, c.start) for c in a.citations]})
    if answers:
        answers.write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in out) + "\n", encoding="utf-8")
    again = []
    for q in questions()[:40]:  # a second pass: what per-snapshot caches leave
        t = time.perf_counter()
        answerer.ask(q, mode="extractive")
        again.append((time.perf_counter() - t) * 1000)
    return {"docs": len(snap.titles), "sentences": len(snap.sentences), "startup_s": startup,
            "p50_ms": percentile(latencies, 0.5), "p95_ms": percentile(latencies, 0.95),
            "max_ms": max(latencies), "again_p50_ms": percentile(again, 0.5), "peak_rss_mb": peak_rss_mb()}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=int, nargs="+", default=[1, 300, 3000])
    p.add_argument("--work", type=Path, default=Path("/tmp/lexbench"))
    p.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process
    p.add_argument("--answers", type=Path, help="with --measure: write each answer here (to compare runs)")
    args = p.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.answers)))
        return
    rows = []
    for n in args.docs:
        data_dir = args.work / f"n{n}"
        t0 = time.perf_counter()
        build_catalog(data_dir, n)
        print(f"catalog of {n} documents ready in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        for run in ("first start", "next start"):  # the second finds whatever the first persisted
            out = subprocess.run([sys.executable, "-m", "bench.bench_lexical", "--measure", str(data_dir)],
                                 cwd=ROOT, check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            rows.append((n, run, r["sentences"], f"{r['startup_s']:.2f} s", f"{r['p50_ms']:.0f} ms",
                         f"{r['p95_ms']:.0f} ms", f"{r['max_ms']:.0f} ms", f"{r['again_p50_ms']:.0f} ms",
                         f"{r['peak_rss_mb']:.0f} MB"))
            print(rows[-1], file=sys.stderr)
    print(table(rows, ("docs", "process", "sentences", "start-up to ready", "question p50", "p95", "max",
                       "p50 repeated", "peak RSS")))


if __name__ == "__main__":
    main()
