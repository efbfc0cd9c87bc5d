"""The lexical index of the committed sentences: BM25 scores (bm25s, a sparse eager index) and
each token's postings, persisted under the data dir and keyed by the catalog state, so a process
loads it instead of rebuilding it and a changed set of documents rebuilds it once.

The tokenizer is the reader's (``corpus.lang.tokens``): this module only stores what it is given,
and the key must name the tokenizer's version with the catalog state.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

FORMAT = "lexical-1"  # bump when what is stored changes
K1, B = 1.2, 0.75


class LexicalIndex:
    """BM25 (Okapi, Lucene IDF) over tokenized sentences, plus the sentences' matching texts.

        >>> idx = LexicalIndex.build(["甲乙丙", "丙丁"], lambda t: list(t) + [a + b for a, b in zip(t, t[1:])])
        >>> max(idx.scores(["乙", "乙丙"]).items(), key=lambda kv: kv[1])[0]
        0
    """

    def __init__(self, bm25, texts: list[str]) -> None:
        self._bm25 = bm25
        self.texts = texts  # the form terms are matched against, one per sentence

    def __len__(self) -> int:
        return len(self.texts)

    # --- building and persistence ----------------------------------------------------------
    @classmethod
    def build(cls, texts: Sequence[str], tokenize: Callable[[str], list[str]],
              raw: Sequence[str] | None = None) -> "LexicalIndex":
        """Index ``texts`` (tokenized from ``raw`` when given: the same sentences as written)."""
        import bm25s

        source = raw if raw is not None else texts
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in tokenize(s)] for s in source]
        vocab[""] = len(vocab)  # bm25s scores an empty query against this token
        # Lucene's IDF, log(1 + (N - df + 0.5) / (df + 0.5)), never negative; "robertson" scoring of
        # tf omits the constant (k1 + 1) of the textbook formula, which scores() puts back.
        bm25 = bm25s.BM25(k1=K1, b=B, method="robertson", idf_method="lucene", dtype="float64")
        if any(ids):
            bm25.index((ids, vocab), create_empty_token=False, show_progress=False)
        else:  # bm25s needs one token somewhere
            bm25.index(([[vocab[""]]] * max(1, len(ids)), vocab), create_empty_token=False, show_progress=False)
        return cls(bm25, list(texts))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(folder), show_progress=False)
        (folder / "texts.json").write_text(json.dumps(self.texts, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        import bm25s

        bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(bm25, json.loads((folder / "texts.json").read_text(encoding="utf-8")))

    # --- reading ---------------------------------------------------------------------------
    def score_array(self, query: Sequence[str]) -> np.ndarray:
        """BM25 of every sentence for the query's distinct tokens (tokens the index lacks add 0)."""
        vocab = self._bm25.vocab_dict
        ids = [vocab[t] for t in dict.fromkeys(query) if t in vocab and t]
        if not ids or not len(self):
            return np.zeros(len(self))
        return self._bm25.get_scores_from_ids(ids) * (K1 + 1)

    def scores(self, query: Sequence[str]) -> dict[int, float]:
        """{sentence position: score} for the sentences sharing a token with the query."""
        arr = self.score_array(query)
        nz = np.flatnonzero(arr)
        return dict(zip(nz.tolist(), arr[nz].tolist()))

    @staticmethod
    def top(arr: np.ndarray, k: int, keep: Callable[[int], bool] | None = None) -> list[int]:
        """Positions of the ``k`` best nonzero scores of ``arr``, best first (ties: earlier first);
        ``keep`` drops positions before the cut."""
        nz = np.flatnonzero(arr)
        if keep is not None:
            nz = np.array([i for i in nz.tolist() if keep(i)], dtype=np.int64)
        if len(nz) > k:
            nz = nz[np.argpartition(-arr[nz], k - 1)[:k]]
        order = np.lexsort((nz, -arr[nz]))
        return nz[order].tolist()

    def postings(self, token: str) -> np.ndarray:
        """Sorted positions of the sentences that have ``token``."""
        tid = self._bm25.vocab_dict.get(token)
        if tid is None or not token:
            return np.zeros(0, dtype=np.int64)
        s = self._bm25.scores
        lo, hi = int(s["indptr"][tid]), int(s["indptr"][tid + 1])
        return np.sort(np.asarray(s["indices"][lo:hi]))

    def having_all(self, tokens: Sequence[str]) -> np.ndarray:
        """Positions of the sentences that have every one of ``tokens``."""
        found: np.ndarray | None = None
        for p in sorted((self.postings(t) for t in set(tokens)), key=len):  # rarest first
            found = p if found is None else np.intersect1d(found, p, assume_unique=True)
            if not len(found):
                break
        return found if found is not None else np.arange(len(self))

    def vocabulary(self) -> list[str]:
        return [t for t in self._bm25.vocab_dict if t]


def open_index(folder: Path, key: str, sentences: Callable[[], tuple[Sequence[str], Sequence[str]]],
               tokenize: Callable[[str], list[str]]) -> LexicalIndex:
    """The index stored under ``folder`` for ``key`` (the catalog state and the tokenizer's
    version), built from ``sentences()`` -> (matching texts, texts as written) and saved when it
    is missing. Indexes of other keys are removed. A reader that cannot write (read-only data
    dir) builds it in memory."""
    name = hashlib.sha256(f"{FORMAT}|{key}".encode()).hexdigest()[:24]
    target = folder / name
    if (target / "texts.json").is_file():
        try:
            return LexicalIndex.load(target)
        except (OSError, ValueError, KeyError):
            shutil.rmtree(target, ignore_errors=True)  # half-written by a killed process: rebuild
    texts, raw = sentences()
    built = LexicalIndex.build(texts, tokenize, raw)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder))
        built.save(tmp)
        try:
            os.replace(tmp, target)  # atomic: a concurrent reader sees all of it or none
        except OSError:  # another process saved the same key first
            shutil.rmtree(tmp, ignore_errors=True)
        for old in folder.iterdir():  # other states; a build in progress (.name-…) unless a killed one's
            if old.name != name and (not old.name.startswith(".") or time.time() - old.stat().st_mtime > 3600):
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass
    return built
