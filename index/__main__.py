"""Command line for the index: build, add, remove, list, stats.

    python -m index build [PATH...]     index PATHs (default: corpus/) and drop documents not among them
    python -m index add FILE...         add or update documents, keep the others
    python -m index remove DOC_ID       delete a document and all its chunks
    python -m index list                documents in the index
    python -m index stats               counts and sizes
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from index.settings import Settings, data_dir_option


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m index", description="Build and manage the report-qa index.")
    p.add_argument("--data-dir", type=Path, help="index location (default: REPORTQA_DATA_DIR or ./.data)")
    # Accepted after the subcommand too (`python -m index build --data-dir D`), where people type it.
    common = data_dir_option()
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", parents=[common], help="index PATHs (default: the corpus dir); remove documents not among them")
    b.add_argument("paths", nargs="*", type=Path)
    a = sub.add_parser("add", parents=[common], help="add or update documents")
    a.add_argument("paths", nargs="+", type=Path)
    r = sub.add_parser("remove", parents=[common], help="delete one document by its id (see `list`)")
    r.add_argument("doc_id")
    ls = sub.add_parser("list", parents=[common], help="documents in the index")
    ls.add_argument("--json", action="store_true")
    st = sub.add_parser("stats", parents=[common], help="counts and sizes")
    st.add_argument("--json", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(data_dir=args.data_dir)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    from corpus.errors import CorpusError
    from index.build import BadInput, Index, IndexingError
    from index.embed import EmbedderUnavailable
    from index.store import StoreUnavailable

    idx = Index(settings)
    try:
        return _run(idx, args)
    except BadInput as e:
        for line in e.errors:
            print(f"error: {line}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return 1
    except (IndexingError, CorpusError, EmbedderUnavailable, StoreUnavailable) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        idx.catalog.close()


def _run(idx, args) -> int:
    if args.command in ("build", "add"):
        report = idx.build(args.paths or None, full=args.command == "build")
        for note in report.skipped:
            print(f"note: {note}", file=sys.stderr)
        print(report.summary())
        return 0
    if args.command == "remove":
        print(idx.remove(args.doc_id).summary())
        return 0
    if args.command == "list":
        docs = idx.catalog.documents()
        if args.json:
            print(json.dumps([d.__dict__ for d in docs], ensure_ascii=False, indent=1))
        else:
            for d in docs:
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(d.added_at))
                print(f"{d.doc_id}\t{d.n_sentences} sentences\t{d.n_chunks} chunks\tadded {when}\t{d.title}")
            print(f"{len(docs)} documents", file=sys.stderr)
        return 0
    stats = idx.stats()
    print(json.dumps(stats, ensure_ascii=False, indent=1) if args.json
          else "\n".join(f"{k}: {v}" for k, v in stats.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
