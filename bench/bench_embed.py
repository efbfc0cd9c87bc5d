"""Embedding backends side by side in one run (issue 8): indexing speed and retrieval quality.

For each configuration a fresh process runs `python -m index --data-dir D add FILES`, model load
included, as a user runs it; then another process measures recall@1/@3 of the gold sentence:
dev.jsonl on the seed report (indexed the same way) and the external questions on the articles.

    python -m bench.bench_embed                           # 74 docs + 26 distractors = 100 articles
    python -m bench.bench_embed --distractors 223         # all 297 articles
    python -m bench.bench_embed --configs today-bf16,onnx # a subset of the configurations

``today-bf16`` is the code of the main checkout next to this one (``../main``, the path before
this work: torch bfloat16, documents embedded one at a time); the others run this checkout.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from bench.common import EXTERNAL, ROOT, SHARED, table

CONFIGS = {  # name -> (checkout, backend, dtype)
    "today-bf16": (ROOT.parent / "main", "torch", "bfloat16"),
    "torch-bf16": (ROOT, "torch", "bfloat16"),
    "torch-fp32": (ROOT, "torch", "float32"),
    "onnx": (ROOT, "onnx", "float32"),
}


def norm(s: str) -> str:
    """The evaluation scorer's normalisation (NFKC, no spaces, no thousands commas)."""
    s = unicodedata.normalize("NFKC", s or "")
    s = re.sub(r"(?<=\d),(?=\d{3})", "", s)
    return s.replace(" ", "")


def holds_gold(text: str, gold: list[str]) -> bool:
    """A hit holds the gold when it contains a gold string, or is a sentence of a longer one."""
    t = norm(text)
    return any(g in t or (len(t) >= 8 and t in g) for g in gold)


def recall(data_dir: Path, questions: list[dict]) -> dict:
    """recall@1/@3 of the gold sentence: dense (top chunks from Chroma) and hybrid (the bot's retrieval)."""
    from bot.retrieve import HybridRetriever
    from index.build import Index
    from index.settings import Settings
    from index.store import search

    idx = Index(Settings.from_env(data_dir=data_dir))
    retriever = HybridRetriever(index=idx)
    qs = [q for q in questions if q.get("answerable", True) and q.get("gold")]
    hits = {"dense@1": 0, "dense@3": 0, "hybrid@1": 0, "hybrid@3": 0}
    misses = []
    for q in qs:
        gold = [norm(g) for g in q["gold"]]
        chunks = [h.text for h in search(idx.store, idx.embeddings.embed_query(q["question"]), 3)]
        sentences = [h.sentence.text for h in retriever.retrieve(q["question"], k=3).hits]
        found = {"dense@1": any(holds_gold(t, gold) for t in chunks[:1]),
                 "dense@3": any(holds_gold(t, gold) for t in chunks[:3]),
                 "hybrid@1": any(holds_gold(t, gold) for t in sentences[:1]),
                 "hybrid@3": any(holds_gold(t, gold) for t in sentences[:3])}
        for k, v in found.items():
            hits[k] += v
        if not found["hybrid@3"] or not found["dense@3"]:
            misses.append(q["id"] + ("" if found["dense@3"] else " (dense@3)") + ("" if found["hybrid@3"] else " (hybrid@3)"))
    out = {k: v / len(qs) for k, v in hits.items()}
    out.update(n=len(qs), misses=misses)
    return out


def _worker(args) -> None:
    """In its own process: the recall of one configuration's indexes, as JSON on stdout."""
    dev = [json.loads(line) for line in (SHARED / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    ext = [json.loads(line) for line in Path(args.questions).read_text(encoding="utf-8").splitlines() if line.strip()]
    print(json.dumps({"dev": recall(Path(args.seed_dir), dev), "external": recall(Path(args.ext_dir), ext)}))


def _index(checkout: Path, data_dir: Path, paths: list[Path], env: dict) -> tuple[float, dict]:
    """Time `python -m index add` in a new process; return (seconds, stats)."""
    py = str(ROOT / ".venv" / "bin" / "python")
    t0 = time.perf_counter()
    proc = subprocess.run([py, "-m", "index", "--data-dir", str(data_dir), "add", *map(str, paths)],
                          cwd=checkout, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"index add failed in {checkout}: {proc.stderr[-2000:]}")
    stats = subprocess.run([py, "-m", "index", "--data-dir", str(data_dir), "stats", "--json"],
                           cwd=checkout, env=env, capture_output=True, text=True, check=True)
    return seconds, json.loads(stats.stdout)


def _vectors(data_dir: Path) -> dict:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    got = client.get_collection("report_qa").get(include=["embeddings"])
    return dict(zip(got["ids"], got["embeddings"]))


def _agreement(a: dict, b: dict) -> str:
    import numpy as np

    common = sorted(set(a) & set(b))
    if not common:
        return "-"
    x = np.array([a[i] for i in common], dtype="float64")
    y = np.array([b[i] for i in common], dtype="float64")
    cos = (x * y).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))
    return f"min {cos.min():.5f}, mean {cos.mean():.5f}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--distractors", type=int, default=26, help="distractor articles added to the 74 docs")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--seed-dir", help=argparse.SUPPRESS)
    p.add_argument("--ext-dir", help=argparse.SUPPRESS)
    p.add_argument("--questions", default=str(EXTERNAL / "questions.jsonl"))
    args = p.parse_args(argv)
    if args.worker:
        return _worker(args)

    names = args.configs.split(",")
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        raise SystemExit(f"unknown configs {unknown}; expected some of: {', '.join(CONFIGS)}")
    docs = sorted((EXTERNAL / "docs").glob("*.txt"))
    distractors = sorted((EXTERNAL / "distractors").glob("*.txt"))[: args.distractors]
    articles = docs + distractors
    tmp = Path(tempfile.mkdtemp(prefix="bench-embed-"))
    lists = tmp / "articles"
    lists.mkdir()
    for f in articles:  # one folder, so the command line stays short
        (lists / f.name).symlink_to(f)
    seed = ROOT / "corpus" / "documents"

    rows, results = [], {}
    for name in names:
        checkout, backend, dtype = CONFIGS[name]
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
        env.update(REPORTQA_EMBED_BACKEND=backend, REPORTQA_EMBED_DTYPE=dtype, PYTHONPATH=str(checkout))
        ext_dir, seed_dir = tmp / name / "external", tmp / name / "seed"
        seconds, stats = _index(checkout, ext_dir, [lists], env)
        seed_seconds, seed_stats = _index(checkout, seed_dir, [seed], env)
        env["PYTHONPATH"] = str(ROOT)  # recall runs this checkout's retrieval on either index
        proc = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "bench.bench_embed", "--worker",
                               "--seed-dir", str(seed_dir), "--ext-dir", str(ext_dir), "--questions", args.questions],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"recall worker failed for {name}: {proc.stderr[-2000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        results[name] = dict(seconds=seconds, chunks=stats["chunks"], seed_seconds=seed_seconds,
                             seed_chunks=seed_stats["chunks"], recall=r)
        print(f"{name}: {stats['chunks']} chunks in {seconds:.1f} s; seed {seed_stats['chunks']} in {seed_seconds:.1f} s; "
              f"{json.dumps(r, ensure_ascii=False)}", file=sys.stderr, flush=True)

    base = results.get("today-bf16") or results.get("torch-bf16")
    fp32 = _vectors(tmp / "torch-fp32" / "external") if "torch-fp32" in results else {}
    for name, res in results.items():
        d, e = res["recall"]["dev"], res["recall"]["external"]
        speed = res["chunks"] / res["seconds"]
        rows.append((name, f"{res['seconds']:.1f} s", f"{speed:.2f}",
                     f"{base['seconds'] / res['seconds']:.2f}×" if base else "-",
                     f"{res['seed_seconds']:.1f} s ({res['seed_chunks'] / res['seed_seconds']:.2f}/s)",
                     f"{d['dense@1']:.3f} / {d['dense@3']:.3f}", f"{d['hybrid@1']:.3f} / {d['hybrid@3']:.3f}",
                     f"{e['dense@1']:.3f} / {e['dense@3']:.3f}", f"{e['hybrid@1']:.3f} / {e['hybrid@3']:.3f}",
                     _agreement(fp32, _vectors(tmp / name / "external")) if fp32 and name != "torch-fp32" else "-"))
    first = next(iter(results.values()))
    print(f"{len(articles)} articles (74 docs + {len(distractors)} distractors), {first['chunks']} chunks; "
          f"seed report {first['seed_chunks']} chunks; dev {first['recall']['dev']['n']} and external "
          f"{first['recall']['external']['n']} answerable questions. Times are `python -m index add` in a new "
          "process, model load included.\n")
    print(table(rows, ("config", f"index {len(articles)} articles", "chunks/s", "speed-up vs bf16 today", "seed report",
                       "dev dense r@1 / r@3", "dev hybrid r@1 / r@3", "external dense r@1 / r@3",
                       "external hybrid r@1 / r@3", "cosine to torch fp32 (same chunks)")))
    print()
    for name, res in results.items():
        for part in ("dev", "external"):
            m = res["recall"][part]["misses"]
            print(f"- {name}, {part} misses at @3 ({len(m)}): {', '.join(m) if m else 'none'}")
    print(f"\n(data in {tmp})")


if __name__ == "__main__":
    main()
