"""Hostile-input benchmark: each generated input is added in a fresh process (the CLI's code path);
outcome, time and peak memory. Then a real-model cancel: Ctrl-C during `python -m index add`.

    python -m bench.bench_hostile          # prints markdown; about two minutes on 2 cores

The inputs are the ones tests/test_hostile.py generates. The load rows never load a model (the
child is pointed at a missing one, so a file that got through would stop at embedding).
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, table
from tests.test_hostile import (CHILD, MB, lie_about_size, many_sentences_text, write_docx, write_pdf_bomb)


def _child(path: Path, data_dir: Path, env: dict | None = None) -> dict:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    clean_env.update(REPORTQA_EMBED_MODEL="/nonexistent/embedding-model", **(env or {}))
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), data=str(data_dir), path=str(path))],
                         capture_output=True, text=True, cwd=ROOT, env=clean_env, timeout=600)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


def inputs(tmp: Path) -> list[tuple[str, Path, dict]]:
    sentences = tmp / "sentences.txt"
    sentences.write_bytes(many_sentences_text(100_000))
    return [
        (".docx, 150 MB of paragraphs unpacked", write_docx(tmp / "bomb-150mb.docx", 150 * MB), {}),
        (".docx, 40 MB of paragraphs unpacked", write_docx(tmp / "bomb-40mb.docx", 40 * MB), {}),
        (".docx, 60 MB unpacked at 70x (under both unpack limits)",
         write_docx(tmp / "dense.docx", 60 * MB, pad=700 * 1024), {}),
        (".docx, 10 MB part whose header says 1000 bytes",
         lie_about_size(write_docx(tmp / "liar.docx", 10 * MB), "word/document.xml", 1000), {}),
        (".pdf, content stream of 150 MB of blanks", write_pdf_bomb(tmp / "bomb-blank.pdf", 150 * MB, b" "), {}),
        (".pdf, content stream of 3 MB of text operators",
         write_pdf_bomb(tmp / "bomb-operators.pdf", 3 * MB, b"BT /F1 12 Tf 50 700 Td (a. b. c. d.) Tj ET\n"), {}),
        (".txt, 100,000 short sentences", sentences, {}),
        (".txt, 100,000 short sentences, REPORTQA_MAX_DOC_SENTENCES=200000", sentences,
         {"REPORTQA_MAX_DOC_SENTENCES": "200000"}),
    ]


def cancel_with_the_real_model(tmp: Path) -> dict:
    """Index the seed report, then Ctrl-C a long `index add` once it is embedding; what is left."""
    from index.build import Index
    from index.settings import Settings

    data = tmp / "cancel-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_") or k == "REPORTQA_MODEL_DIR"}
    cli = [sys.executable, "-m", "index", "--data-dir", str(data)]
    subprocess.run(cli + ["add", str(ROOT / "corpus" / "documents")], check=True, cwd=ROOT, env=env,
                   capture_output=True)
    long = tmp / "long.txt"
    long.write_bytes("".join(f"崂山区第{i}座体育馆今年完成了第{i}项改造。\n" for i in range(2000)).encode())
    proc = subprocess.Popen(cli + ["add", str(long)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # Wait until tqdm shows embedded chunks (the bar appears before the model has loaded).
    seen = ""
    while not re.search(r"\b[1-9]\d*/2000\b", seen):
        ch = proc.stderr.read(1)
        if not ch:
            break
        seen += ch
    time.sleep(2)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    stopped = time.perf_counter() - sent
    idx = Index(Settings.from_env(data_dir=data))
    stats = idx.stats()
    return {"exit": proc.returncode, "seconds_to_stop": stopped, "documents": [d.doc_id for d in idx.catalog.documents()],
            "vectors": stats["vectors"], "chunks": stats["chunks"], "uncommitted": stats.get("uncommitted_vectors", 0),
            "message": err.strip().splitlines()[-1]}


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    if "--cancel-only" in sys.argv:
        print(json.dumps(cancel_with_the_real_model(tmp), ensure_ascii=False, indent=1))
        return
    rows = []
    for label, path, env in inputs(tmp):
        r = _child(path, tmp / f"data-{path.stem}", env)
        outcome = r["outcome"].split(": ", 1)[1] if r["outcome"].startswith(path.name) else r["outcome"]
        rows.append((label, f"{path.stat().st_size / 1024:,.0f} KB", outcome[:160], f"{r['seconds']:.2f} s",
                     f"{r['process_seconds']:.1f} s", f"{r['peak_rss_mb']:.0f} MB", ", ".join(r["modules"]) or "none"))
    print(table(rows, ("input", "file", "outcome", "refused after", "whole process", "peak RSS", "models loaded")))
    print()
    print(json.dumps(cancel_with_the_real_model(tmp), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
