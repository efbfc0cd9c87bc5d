"""Index benchmark: cold and warm indexing of the seed report, embedding throughput, and adding
the 297 external articles (docs + distractors): time, peak memory, size on disk.

    python -m bench.bench_index        # prints markdown; takes a few minutes on 2 cores
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import EXTERNAL, ROOT, disk_mb, peak_rss_mb, table, timer
from index.build import Index
from index.settings import Settings


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-index-"))
    settings = Settings.from_env(data_dir=tmp / "seed")
    t: dict = {}
    idx = Index(settings)
    with timer(t, "model_load"):
        idx.embeddings.load()
    with timer(t, "cold"):
        cold = idx.build()
    with timer(t, "warm"):
        warm = Index(settings, embeddings=idx.embeddings).build()
    # A user's real warm run: a new process, `python -m index build`, nothing changed.
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "index", "--data-dir", str(settings.data_dir), "build"],
                   cwd=ROOT, check=True, capture_output=True)
    t["warm_cli"] = time.perf_counter() - t0

    sentences = [s.text for s in idx.catalog.sentences()]
    sample = sentences
    idx.embeddings.embed_documents(sample[:4])  # warm the kernels
    with timer(t, "embed"):
        idx.embeddings.embed_documents(sample)
    rate = len(sample) / t["embed"]

    print("## Seed report\n")
    print(table([
        ("model load (EmbeddingGemma, bf16)", f"{t['model_load']:.1f} s"),
        (f"cold index: {cold.embedded} chunks, {len(sentences)} sentences", f"{t['cold']:.1f} s"),
        ("warm index, unchanged corpus (in process)", f"{t['warm'] * 1000:.0f} ms ({warm.embedded} embedded)"),
        ("warm index, unchanged corpus (`python -m index build`, new process)", f"{t['warm_cli']:.2f} s"),
        (f"embedding throughput ({len(sample)} report sentences, batch {settings.embed_batch})", f"{rate:.1f} sentences/s"),
    ], ("what", "measured")))

    ext_settings = settings.with_(data_dir=tmp / "external")
    ext_idx = Index(ext_settings, embeddings=idx.embeddings)
    rss0 = peak_rss_mb()
    with timer(t, "external"):
        report = ext_idx.build([EXTERNAL / "docs", EXTERNAL / "distractors"])
    with timer(t, "external_again"):
        again = ext_idx.add([EXTERNAL / "docs"])
    stats = ext_idx.stats()
    print("\n## Adding the external articles (74 docs + 223 distractors)\n")
    print(table([
        ("documents / sentences / chunks", f"{stats['documents']} / {stats['sentences']} / {stats['chunks']}"),
        ("time to index (embedding dominates)", f"{t['external']:.0f} s ({stats['chunks'] / t['external']:.1f} chunks/s)"),
        ("repeat `add docs/*.txt`", f"{t['external_again']:.2f} s, {again.embedded} embedded, {len(again.unchanged)} unchanged"),
        ("peak RSS of the process (before -> after)", f"{rss0:.0f} MB -> {peak_rss_mb():.0f} MB"),
        ("size on disk (Chroma + catalog)", f"{disk_mb(ext_settings.data_dir):.1f} MB"),
    ], ("what", "measured")))
    print(f"\n(data in {tmp}; {len(report.added)} added)")


if __name__ == "__main__":
    main()
