"""Command line for the index: build, add, remove, list, stats.

    python -m index build               reindex all: every indexed document from its file, plus new files
                                        in the corpus and uploads folders; removes nothing
    python -m index build PATH...       index PATHs and drop documents not among them
    python -m index add FILE...         add or update documents, keep the others
    python -m index remove DOC_ID       delete a document and all its chunks
    python -m index list                documents in the index
    python -m index stats               counts and sizes

Ctrl-C stops a build or add between two embedding batches and leaves the index as it was before
the unfinished document (a second Ctrl-C stops at once; the next run tidies up).
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path

from index.settings import Settings, data_dir_option


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m index", description="Build and manage the report-qa index.")
    p.add_argument("--data-dir", type=Path, help="index location (default: REPORTQA_DATA_DIR or ./.data)")
    # Accepted after the subcommand too (`python -m index build --data-dir D`), where people type it.
    common = data_dir_option()
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", parents=[common], help="index PATHs and remove documents not among them; "
                       "without PATHs, reindex every indexed document and the corpus and uploads folders")
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
    from index.build import BadInput, Cancelled, Index, IndexingError
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
    except Cancelled as e:
        print(str(e), file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted; the index answers as before (the next run tidies up)", file=sys.stderr)
        return 130
    except (IndexingError, CorpusError, EmbedderUnavailable, StoreUnavailable) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        idx.catalog.close()


def _run(idx, args) -> int:
    if args.command in ("build", "add"):
        with _CtrlCCancels() as cancel:
            if args.command == "build" and not args.paths:
                plan = idx.plan_reindex()
                print(plan.describe(), file=sys.stderr)
                report = idx.reindex_all(cancel=cancel, plan=plan)
            else:
                report = idx.build(args.paths, full=args.command == "build", cancel=cancel)
        for note in report.skipped:
            print(f"note: {note}", file=sys.stderr)
        for doc_id in report.added:
            print(f"added {doc_id}")
        for doc_id in report.updated:
            old = report.replaced.get(doc_id)
            print(f"updated {doc_id}" + (f" (replaces the document indexed from {old})" if old else ""))
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


class _CtrlCCancels:
    """While indexing, the first Ctrl-C sets the cancel event; the second one interrupts at once."""

    def __enter__(self) -> threading.Event:
        self.event = threading.Event()
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self.event

    def _on_sigint(self, signum, frame) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()
        print("\ncancelling after the current batch (Ctrl-C again to stop at once)", file=sys.stderr)

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


if __name__ == "__main__":
    sys.exit(main())
