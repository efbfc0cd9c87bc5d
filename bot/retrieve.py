"""Hybrid retrieval: dense chunks from Chroma + BM25 over sentences, fused by RRF, scoped in time,
then narrowed to the sentences that answer. Exposed as a LangChain BaseRetriever.
"""
from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

import numpy as np

from corpus.lang import has_chinese, normalize, pinyin, syllable, tokens
from bot.scope import Scope, question_scope, scope_factor
from bot.types import Filter, Hit
from corpus.types import Sentence
from index.lexical import LexicalIndex, open_index

# Words that shape a question but carry no topic: they must not count against coverage.
_QUESTION_WORDS = (
    "什么", "多少", "哪些", "哪个", "哪里", "哪", "几个", "几项", "几处", "几", "怎么", "怎样", "如何", "是否",
    "吗", "呢", "吧", "请问", "的", "了", "是", "有", "在", "和", "与", "对", "为", "要", "将", "把", "被",
    "名字", "名称", "叫", "情况", "方面", "工作", "进度", "成绩", "主要", "计划", "目标", "要求", "分别",
    "达到", "做了", "取得", "年", "个", "项", "所", "处", "去年", "今年", "明年", "这次", "这个", "属于",
    "实际", "数量", "多大", "一共", "总共", "加起来", "大约", "大概", "分别是", "哪类", "更多",
)
_EN_STOP = {"the", "a", "an", "of", "in", "on", "for", "to", "and", "or", "is", "are", "was", "were", "did",
            "do", "does", "how", "many", "much", "what", "which", "who", "when", "where", "why", "by", "with",
            "it", "its", "this", "that", "be", "been", "has", "have", "had", "will", "at", "as", "from"}
QUERY_CACHE = 256  # query embeddings kept (a few KB each)
DOCUMENT_CACHE = 4096  # documents whose year (what 今年 means there) is kept
FILTER_WIDEN = 8  # a filtered question asks Chroma for this many times k_dense chunks
_YEARISH = re.compile(r"(?:19|20)\d{2}年?")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")  # each one a unit of corpus.lang.tokens
TOKENIZER = "lang.tokens/1"  # names the tokens the persisted lexical index holds: change with them


class _LRU:
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def rrf(rankings: Sequence[Sequence[Hashable]], k: int = 60) -> dict[Hashable, float]:
    """Reciprocal rank fusion: score(x) = sum over lists of 1 / (k + rank), ranks from 1."""
    fused: dict[Hashable, float] = defaultdict(float)
    for ranking in rankings:
        for rank, key in enumerate(ranking, 1):
            fused[key] += 1.0 / (k + rank)
    return dict(fused)


def content_terms(question: str) -> list[str]:
    """The question's topic words (jieba on the Simplified form), without question scaffolding.

    Years are left out: the time scope handles them.
    """
    import jieba

    jieba.setLogLevel(logging.WARNING)
    words = []
    for w in jieba.lcut(normalize(question)):
        w = w.strip()
        if not w or w in _QUESTION_WORDS or w in _EN_STOP or _YEARISH.fullmatch(w):
            continue
        if len(w) == 1 and not w.isdigit():
            continue
        if not re.search(r"\w", w):
            continue
        words.append(w)
    return list(dict.fromkeys(words))


def term_match(term: str, text: str, sound: str = "") -> float:
    """1 when the term occurs in the (normalized) text; 0.9 when it sounds the same (``sound`` is
    the text's pinyin: "捞山湾" is typed for 崂山湾); otherwise the share of its character bigrams
    that occur, discounted: "服务平台" half-matches a text saying 服务 ... 平台."""
    if term in text:
        return 1.0
    if sound and len(term) >= 2 and has_chinese(term) and pinyin(term) in sound:
        return 0.9
    grams = [term[i:i + 2] for i in range(len(term) - 1)]
    if len(grams) < 2:
        return 0.0
    return 0.8 * sum(g in text for g in grams) / len(grams)


def coverage(terms: Sequence[str], text: str, weight, sound: str = "") -> float:
    """Weighted share of ``terms`` found in ``text`` (normalized); rare terms weigh most."""
    total = sum(weight(t) for t in terms)
    if not total:
        return 0.0
    return sum(weight(t) * term_match(t, text, sound) for t in terms) / total


@dataclass
class _Snapshot:
    """The committed sentences of the index with their lexical index (BM25, postings, matching
    texts). Whatever a question needs of the whole corpus is found through the postings, not by
    reading every sentence, and cached here."""

    key: tuple
    sentences: list[Sentence]
    lexical: LexicalIndex
    position: dict[tuple[str, int], int]
    titles: dict[str, str]
    versions: dict[str, str]
    vectors: dict[int, list[float]] = field(default_factory=dict)  # sentence vectors, filled on demand
    weights: dict[str, float] = field(default_factory=dict)        # term -> IDF, filled on demand
    sounds: dict[int, str] = field(default_factory=dict)           # sentence pinyin, filled on demand
    _by_sound: dict[str, list[str]] | None = None                  # "zhang cun" -> corpus bigrams 张村, 章村
    _chars_by_syllable: dict[str, list[str]] | None = None         # "zhang" -> corpus characters 张, 章

    @property
    def texts(self) -> list[str]:
        """Normalized sentence texts, for term matching."""
        return self.lexical.texts

    def weight(self, term: str) -> float:
        """IDF of a term over sentences (substring match); a term found nowhere weighs most."""
        if term not in self.weights:
            self.weights[term] = math.log((len(self.texts) + 1) / (len(self.containing(term)) + 0.5))
        return self.weights[term]

    def occurs(self, term: str) -> bool:
        return self.weight(term) < math.log((len(self.texts) + 1) / 0.5)

    def containing(self, term: str) -> list[int]:
        """Positions of the sentences whose normalized text contains ``term``, in order.

        A run of Chinese characters is looked up in the postings of its characters and bigrams
        (every sentence that contains it has them all), then checked; anything else (numbers,
        latin letters: "19" is inside the token "3.19") is searched for in every text.
        """
        if not term:
            return list(range(len(self.texts)))
        texts = self.texts
        if _HAN.fullmatch(term):
            grams = [term] if len(term) == 1 else [term[i:i + 2] for i in range(len(term) - 1)]
            candidates = self.lexical.having_all(grams).tolist()
        else:
            candidates = range(len(texts))
        return [i for i in candidates if term in texts[i]]

    def sound(self, i: int) -> str:
        if i not in self.sounds:
            self.sounds[i] = pinyin(self.texts[i])
        return self.sounds[i]

    def spoken(self, word: str) -> list[int]:
        """Sentences that say a romanized name: "Hefei" is 合肥 (he fei), "Jinjialing" 金家岭.
        The name must start and end on syllable boundaries.

        Only candidate sentences are read in pinyin: those with a spelling of some reading of
        the name (its characters' bigrams), or, for a one-syllable reading, with one of its
        characters. (A name split by a number or a latin word, 合2肥, is no longer "hefei".)
        """
        word = word.lower()
        found: set[int] = set()
        for reading in self._readings(word):
            if len(reading) == 1:
                postings = [self.lexical.postings(c) for c in self._sounds()[1].get(reading[0], [])]
            else:
                postings = [self.lexical.having_all([s[i:i + 2] for i in range(len(s) - 1)])
                            for s in self._spellings(reading)]
            candidates = np.unique(np.concatenate(postings)) if postings else []
            for i in (int(i) for i in candidates):
                if i not in found and f" {word}" in _spaced_runs(self.sound(i), word):
                    found.add(i)
        return sorted(found)

    def _sounds(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """The corpus's Chinese bigrams by sound ("zhang cun" -> 张村, 章村) and its characters by
        syllable ("zhang" -> 张, 章), from the lexical index's vocabulary; made on first use."""
        if self._by_sound is None:
            chars = {t: syllable(t) for t in self.lexical.vocabulary() if len(t) == 1}
            chars = {c: syl for c, syl in chars.items() if syl}
            pairs: dict[str, list[str]] = defaultdict(list)
            for t in self.lexical.vocabulary():
                if len(t) == 2 and t[0] in chars and t[1] in chars:
                    pairs[f"{chars[t[0]]} {chars[t[1]]}"].append(t)
            by_syllable: dict[str, list[str]] = defaultdict(list)
            for c, syl in chars.items():
                by_syllable[syl].append(c)
            self._by_sound, self._chars_by_syllable = dict(pairs), dict(by_syllable)
        return self._by_sound, self._chars_by_syllable or {}

    def _spellings(self, syllables: Sequence[str], limit: int = 5000) -> list[str]:
        """Strings of the corpus's characters that read ``syllables``, each of whose adjacent
        pairs is a bigram of the corpus: ("zhang", "cun", "he") -> 张村河, 章村河..."""
        pairs = self._sounds()[0]
        spellings = [""]
        for k in range(len(syllables) - 1):
            found = pairs.get(f"{syllables[k]} {syllables[k + 1]}", [])
            spellings = [s + p[1] if s else p for s in spellings for p in found if not s or s[-1] == p[0]]
            if not spellings or len(spellings) > limit:
                return []
        return spellings

    def _readings(self, word: str) -> list[tuple[str, ...]]:
        """Every way to read ``word`` as syllables of the corpus's characters: "xian" is xian or xi an."""
        known = self._sounds()[1]
        out: list[tuple[str, ...]] = []

        def walk(rest: str, got: tuple[str, ...]) -> None:
            if not rest:
                out.append(got)
                return
            for n in range(1, min(6, len(rest)) + 1):
                if rest[:n] in known and len(out) < 64:
                    walk(rest[n:], got + (rest[:n],))

        walk(word, ())
        return out

    def homophone(self, term: str) -> str:
        """The corpus's own spelling of a term that occurs nowhere as typed but sounds like
        something that does: "章村河" -> "张村河"; the first in the corpus when several do.
        "" when there is none."""
        if len(term) < 2 or not re.fullmatch(r"[\u4e00-\u9fff]+", term):
            return ""
        syllables = pinyin(term).split()
        if len(syllables) != len(term):
            return ""
        best, best_at = "", (len(self.texts), 0)
        for s in self._spellings(syllables):
            where = self.containing(s)
            if where:
                at = (where[0], self.texts[where[0]].find(s))
                if at < best_at:
                    best, best_at = s, at
        return best


@dataclass(frozen=True)
class Retrieval:
    """What retrieval found: the ranked sentence hits and the evidence used to decide refusal."""

    question: str
    hits: tuple[Hit, ...]
    scope: Scope
    terms: tuple[str, ...]
    best_dense: float
    timings_ms: dict
    respelled: str = ""           # the question with misspelled words in the documents' spelling
    vector: tuple[float, ...] = field(default=(), repr=False, compare=False)  # the question's embedding
    on_topic: tuple[Hit, ...] = field(default=(), repr=False)  # best lexical coverage, any time scope


class HybridRetriever(BaseRetriever):
    """Dense (Chroma, query prompt) + BM25 (character bigrams, script-insensitive), RRF, time scope."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: object                 # index.build.Index
    k: int = 6                    # sentences returned
    k_dense: int = 12             # chunks asked from Chroma
    k_lexical: int = 30           # sentences from BM25
    k_sentence_rerank: int = 8    # sentences re-scored one by one for questions without Chinese
    rrf_k: int = 20
    now_year: int = 0             # 0: this calendar year
    _snapshot: _Snapshot | None = None
    _seen: tuple = ()             # the catalog's changes() when the snapshot was last checked
    _vectors: object = None       # index.sentvec.SentenceVectors, made on first use
    _queries: object = None       # query text -> vector, the most recent QUERY_CACHE of them
    _years: object = None         # (doc_id, version) -> the year 今年 means there (0: none), DOCUMENT_CACHE of them

    # --- LangChain interface -----------------------------------------------------------------
    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return [hit_document(h) for h in self.retrieve(query).hits]

    # --- ours -------------------------------------------------------------------------------------
    def snapshot(self) -> _Snapshot:
        """Sentences of committed documents and their lexical index; rebuilt only when the
        catalog changed. The lexical index persists in the data dir under the catalog state, so
        a new process loads it rather than tokenizing every sentence again."""
        catalog = self.index.catalog
        seen = catalog.changes()  # nothing committed since the last check: no need to read the versions
        if self._snapshot is not None and seen == self._seen:
            return self._snapshot
        key = tuple(sorted(catalog.versions().items()))
        if self._snapshot is None or self._snapshot.key != key:
            docs = catalog.documents()
            key = tuple(sorted((d.doc_id, d.version) for d in docs))  # what is read below
            sentences = [s for s in catalog.sentences() if not s.heading]
            lexical = open_index(
                self.index.settings.data_dir / "lexical", json.dumps([TOKENIZER, len(sentences), key]),
                lambda: ([normalize(s.text) for s in sentences], [s.text for s in sentences]), tokens)
            self._snapshot = _Snapshot(
                key=key, sentences=sentences, lexical=lexical,
                position={(s.doc_id, s.idx): i for i, s in enumerate(sentences)},
                titles={d.doc_id: d.title for d in docs}, versions={d.doc_id: d.version for d in docs})
        self._seen = seen
        return self._snapshot

    def retrieve(self, question: str, k: int | None = None, k_dense: int | None = None,
                 only: Filter | None = None) -> Retrieval:
        """The ``k`` best sentences for a question (more for questions that gather a list);
        ``only`` drops every candidate that does not pass it (dense and BM25 alike).

        A word that occurs nowhere in the documents but sounds like one that does (捞山湾 for
        崂山湾) adds a second, respelled query; both are fused.
        """
        t0 = time.perf_counter()
        snap = self.snapshot()
        scope = question_scope(question, self.now_year or date.today().year)
        terms = content_terms(question)
        if not snap.sentences:
            return Retrieval(question, (), scope, tuple(terms), 0.0, {"retrieve": 0.0})

        respelled = respell(question, terms, snap)
        rankings: list[list[int]] = []
        dense_score: dict[int, float] = {}
        lexical: np.ndarray | None = None
        vector: list[float] = []
        keep = (lambda i: only.passes(snap.sentences[i])) if only else (lambda i: True)
        queries = list(dict.fromkeys([question, respelled]))
        # one batch: a respelled question costs one more row, not one more pass of the model
        for query, v in zip(queries, self.query_vectors(queries)):
            ranked, scores = self._dense(query, v, snap, k_dense or self.k_dense, only)
            vector = vector or v
            for i, v in scores.items():
                dense_score[i] = max(v, dense_score.get(i, 0.0))
            bm25 = snap.lexical.score_array(tokens(query))
            lexical = bm25 if lexical is None or not lexical.any() else lexical
            rankings += [ranked, snap.lexical.top(bm25, self.k_lexical, keep if only else None)]
        names = romanized_names(question) if not has_chinese(question) else []
        spoken = {n: [i for i in snap.spoken(n) if keep(i)] for n in names}
        rankings += [found for found in spoken.values() if found]
        t1 = time.perf_counter()
        fused = rrf(rankings, k=self.rrf_k)

        hits = []
        for i, base in fused.items():
            s = snap.sentences[i]
            factor = scope_factor(s, scope, self._document_year(s.doc_id, snap) if scope.relative else None)
            cov = coverage(terms, snap.texts[i], snap.weight, snap.sound(i)) if not names else \
                sum(i in found for found in spoken.values()) / len(names)
            hits.append(Hit(sentence=s, score=base * factor * (0.5 + cov), dense=dense_score.get(i, 0.0),
                            lexical=float(lexical[i]), coverage=cov, scope=factor,
                            title=snap.titles.get(s.doc_id, "")))
        hits.sort(key=lambda h: h.score, reverse=True)
        # Whatever the time scope did to the ranking, the sentences that name the topic best
        # (refusal checks that they speak of the asked time).
        on_topic = tuple(sorted((h for h in hits if h.coverage >= 0.5), key=lambda h: h.coverage, reverse=True)[:5])
        hits = expand_topic_sentence(hits, snap.sentences, snap.position)
        if only:  # a lifted follower of the topic sentence may lie outside the filter
            hits = [h for h in hits if only.passes(h.sentence)]
        best_dense = max(dense_score.values(), default=0.0)
        t2 = time.perf_counter()
        return Retrieval(question, tuple(hits[: k or self.k]), scope, tuple(terms), best_dense,
                         {"embed": (t1 - t0) * 1000, "retrieve": (t2 - t0) * 1000},
                         respelled=respelled if respelled != question else "", vector=tuple(vector),
                         on_topic=on_topic)

    def query_vectors(self, queries: Sequence[str]) -> list[list[float]]:
        """The queries' embeddings, those not asked recently computed together in one batch
        (the sides of a comparison, a question and its respelling, a regenerated answer)."""
        if self._queries is None:
            self._queries = _LRU(QUERY_CACHE)
        missing = [q for q in dict.fromkeys(queries) if self._queries.get(q) is None]
        for q, v in zip(missing, self.index.embeddings.embed_queries(missing) if missing else []):
            self._queries.put(q, v)
        found = {q: self._queries.get(q) for q in queries}
        return [found[q] for q in queries]

    def _dense(self, question: str, vector: list[float], snap: _Snapshot, k_dense: int,
               only: Filter | None = None) -> tuple[list[int], dict[int, float]]:
        """Sentences of the top chunks for the question's ``vector``, in chunk order; chunks of
        uncommitted versions are ignored, and so are sentences ``only`` drops (Chroma is then
        asked for more chunks)."""
        from index.store import search

        ranked: list[int] = []
        best: dict[int, float] = {}
        asked = k_dense * (FILTER_WIDEN if only else 2)
        live = [h for h in search(self.index.store, vector, asked, vectors=True)
                # a chunk of a version being written (or left by a killed run) is not visible yet
                if snap.versions.get(h.metadata.get("doc_id")) == h.metadata.get("version")
                and (not only or not only.doc_ids or h.metadata.get("doc_id") in only.doc_ids)]
        for hit in live[:k_dense]:
            meta = hit.metadata
            if meta["first_sentence"] == meta["last_sentence"] and hit.vector:
                # A chunk of one sentence is that sentence embedded alone: no need to embed it again.
                pos = snap.position.get((meta["doc_id"], meta["first_sentence"]))
                if pos is not None:
                    snap.vectors.setdefault(pos, list(hit.vector))
            for idx in range(meta["first_sentence"], meta["last_sentence"] + 1):
                pos = snap.position.get((meta["doc_id"], idx))
                if pos is not None and pos not in best and (not only or only.passes(snap.sentences[pos])):
                    best[pos] = hit.score
                    ranked.append(pos)
        if not has_chinese(question):
            ranked = self._rerank_by_sentence(vector, ranked, best, snap)
        return ranked, best

    def _rerank_by_sentence(self, vector, ranked: list[int], best: dict[int, float], snap: _Snapshot) -> list[int]:
        """Order the sentences of the top chunks by their own similarity to the question.

        Only for questions without Chinese characters: BM25 cannot help them, so inside a chunk
        the dense score alone has to find the sentence.
        """
        head = ranked[: self.k_sentence_rerank]
        sims = dict(zip(head, self._similarities(vector, head, snap)))
        for p in head:
            best[p] = sims[p]
        return sorted(head, key=sims.get, reverse=True) + ranked[self.k_sentence_rerank:]

    def year_source(self, hit: Hit) -> Hit | None:
        """The nearest earlier sentence of the same document that states the year ``hit`` speaks
        of ("2026年是“十五五”规划开局之年" for a 2026 plan that names no year)."""
        snap = self.snapshot()
        pos = snap.position.get((hit.sentence.doc_id, hit.sentence.idx))
        year = hit.sentence.year
        if pos is None or not year:
            return None
        for s in (snap.sentences[j] for j in range(pos - 1, -1, -1)):  # no copy of the list before pos
            if s.doc_id != hit.sentence.doc_id:
                break
            if f"{year}年" in s.text:
                return Hit(sentence=s, score=0.0, title=hit.title)
        return None

    def _similarities(self, vector: Sequence[float], positions: Sequence[int], snap: _Snapshot) -> list[float]:
        """Cosine of ``vector`` and each sentence embedded alone; sentence vectors are computed
        once per snapshot, on demand (a sentence that is a chunk of its own has its stored vector
        already, from the dense search)."""
        missing = [p for p in dict.fromkeys(positions) if p not in snap.vectors]
        if missing:
            for p, v in zip(missing, self._sentence_vectors().get([snap.sentences[p].text for p in missing])):
                snap.vectors[p] = v
        return [sum(a * b for a, b in zip(vector, snap.vectors[p])) for p in positions]

    def _sentence_vectors(self):
        from index.sentvec import SentenceVectors

        if self._vectors is None:
            s = self.index.settings
            self._vectors = SentenceVectors(s.data_dir / "sentence_vectors.sqlite", self.index.embeddings,
                                            model_key=f"{s.embed_model_path}|{s.embed_dtype}")
        return self._vectors

    def _document_year(self, doc_id: str, snap: _Snapshot) -> int | None:
        """The year 今年 means in a document (``corpus.period.document_year``), kept per version."""
        from corpus.period import document_year

        if self._years is None:
            self._years = _LRU(DOCUMENT_CACHE)
        key = (doc_id, snap.versions.get(doc_id, ""))
        year = self._years.get(key)
        if year is None:
            try:
                year = document_year(normalize(self.index.catalog.text(doc_id)).splitlines(), simplified=True) or 0
            except KeyError:  # removed meanwhile
                year = 0
            self._years.put(key, year)
        return year or None

    def sentence_similarity(self, retrieval: "Retrieval", depth: int = 20) -> dict[int, float]:
        """For the first ``depth`` hits (by position in ``retrieval.hits``): the cosine of the
        question and the hit's own sentence, sharper than the chunk score the hit carries."""
        if not retrieval.vector or not retrieval.hits:
            return {}
        snap = self.snapshot()
        head = retrieval.hits[:depth]
        positions = [snap.position.get((h.sentence.doc_id, h.sentence.idx)) for h in head]
        known = [(i, p) for i, p in enumerate(positions) if p is not None]
        sims = self._similarities(retrieval.vector, [p for _, p in known], snap)
        return {i: sim for (i, _), sim in zip(known, sims)}


def respell(question: str, terms: Sequence[str], snap: _Snapshot) -> str:
    """The question with each word the documents never use, but one they use sounds like, in
    the documents' spelling: "章村河北岸" -> "张村河北岸". Unchanged when nothing is respelled."""
    text = normalize(question)
    for term in terms:
        if len(term) >= 2 and not snap.occurs(term) and not _is_word(term):
            found = snap.homophone(term)
            if found:
                text = text.replace(term, found)
    return text if text != normalize(question) else question


def _spaced_runs(sound: str, word: str) -> str:
    """" he fei lu " -> the runs of consecutive syllables as long as ``word``, each after a space,
    so that a name matches only on syllable boundaries."""
    syllables = sound.split()
    runs = []
    for a in range(len(syllables)):
        run = ""
        for b in range(a, len(syllables)):
            run += syllables[b]
            if len(run) >= len(word):
                if run == word:
                    runs.append(" " + run)
                break
    return "".join(runs)


_NAME_WORD = re.compile(r"(?<![\w'])([A-Z][a-z]{3,})(?![\w'])")
_NOT_NAMES = {"what", "which", "when", "where", "whose", "does", "will", "have", "many", "much", "that", "this",
              "according", "report", "district", "road", "city", "province", "plan", "work", "name", "laoshan",
              "qingdao", "china", "chinese", "government", "year", "center", "centre"}


def romanized_names(question: str) -> list[str]:
    """Capitalized words of an English question that may be Chinese names in pinyin ("Hefei")."""
    return [w for w in _NAME_WORD.findall(question) if w.lower() not in _NOT_NAMES]


def _is_word(term: str) -> bool:
    """A word of the language (in jieba's dictionary): 实际 is not a misspelling of 市级."""
    import jieba

    return jieba.dt.FREQ.get(term, 0) > 0


def expand_topic_sentence(hits: list[Hit], sentences: list[Sentence], position: dict, follow: int = 3) -> list[Hit]:
    """When the best hit is a paragraph's short topic sentence ("悠悠萬事，民生為大。"), the facts
    are in the sentences after it: bring them up right behind it, sharing its relevance."""
    if not hits:
        return hits
    top = hits[0]
    s = top.sentence
    if len(s.text) > 20 or re.search(r"\d", s.text):
        return hits
    pos = position[(s.doc_id, s.idx)]
    followers = [f for f in sentences[pos + 1: pos + 1 + follow] if f.doc_id == s.doc_id and f.paragraph == s.paragraph]
    if not followers:
        return hits
    taken = {(f.doc_id, f.idx) for f in followers}
    lifted = [Hit(sentence=f, score=top.score * (0.99 - 0.01 * i), dense=top.dense, coverage=top.coverage,
                  scope=top.scope, title=top.title) for i, f in enumerate(followers)]
    rest = [h for h in hits[1:] if (h.sentence.doc_id, h.sentence.idx) not in taken]
    return [top, *lifted, *rest]


def hit_document(hit: Hit) -> LCDocument:
    s = hit.sentence
    return LCDocument(page_content=s.text, metadata={
        "doc_id": s.doc_id, "idx": s.idx, "start": s.start, "end": s.end, "section": s.section,
        "period": s.period, "year": s.year, "score": hit.score, "dense": hit.dense, "coverage": hit.coverage,
        "title": hit.title})

