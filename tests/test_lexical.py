"""The persisted lexical index (index/lexical.py) and what the retriever finds through its
postings instead of reading every sentence: substring document frequency, respelling by sound,
romanized names, a report's announced outline."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest

from bot.gather import outline
from corpus.lang import normalize, pinyin, syllable, tokens
from bot.retrieve import HybridRetriever, _Snapshot, _spaced_runs
from corpus.types import PLANNED
from index.build import Index
from index.lexical import LexicalIndex, open_index
from tests.test_answer import sent

TEXTS = ["全年實現城鎮新增就業3.19萬人", "推動嶗山茶品牌價值突破21億元", "新增學位4140個", "推进合肥路改造提升",
         "推动张村河创建省级美丽河湖", "城镇新增就业目标2.8万人", "road works on Hefei Lu", "和非遗传承人座谈"]


def _index(texts=TEXTS) -> LexicalIndex:
    return LexicalIndex.build([normalize(t) for t in texts], tokens, texts)


def _snapshot(texts=TEXTS) -> _Snapshot:
    return _Snapshot(key=(), sentences=[], lexical=_index(texts), position={}, titles={}, versions={})


def test_bm25_ranks_by_rare_shared_bigrams_script_insensitively():
    idx = _index()
    scores = idx.scores(tokens("崂山区城镇新增就业多少人"))
    ranked = sorted(scores, key=scores.get, reverse=True)
    assert ranked[:2] == [5, 0]  # both say 城镇新增就业 (萬人 is 万人 too); the shorter one first
    assert 2 in scores and 3 not in scores  # 新增 alone still counts a little; nothing shared, nothing scored
    assert idx.scores(tokens("天气晴朗")) == {} and idx.scores([]) == {}


def test_scores_are_textbook_okapi_bm25_with_lucene_idf():
    docs = [tokens(t) for t in TEXTS]
    query = tokens("城镇新增就业多少人")
    n, avg, k1, b = len(docs), sum(map(len, docs)) / len(docs), 1.2, 0.75

    def expected(d):
        total = 0.0
        for t in set(query) & set(d):
            df = sum(t in other for other in docs)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = d.count(t)
            total += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avg))
        return total

    got = _index().scores(query)
    assert got == pytest.approx({i: expected(d) for i, d in enumerate(docs) if expected(d)})


def test_top_keeps_the_best_nonzero_scores_in_order_and_honours_a_filter():
    idx = _index()
    arr = idx.score_array(tokens("城镇新增就业"))
    assert idx.top(arr, 2) == [5, 0]
    assert idx.top(arr, 2, keep=lambda i: i != 5) == [0, 2]
    assert idx.top(idx.score_array(tokens("天气")), 5) == []


def test_postings_and_conjunction():
    idx = _index()
    assert idx.postings("新增").tolist() == [0, 2, 5]
    assert idx.having_all(["新增", "就业"]).tolist() == [0, 5]
    assert idx.postings("没有的词").tolist() == []


def test_substring_frequency_from_postings_equals_reading_every_sentence():
    snap = _snapshot()
    for term in ["新增", "新增就业", "就业目标", "张村河", "业", "3.19", "19", "21亿", "hefei", "road", "lu", "合肥路改造",
                 "万人", "没有"]:
        assert snap.containing(term) == [i for i, t in enumerate(snap.texts) if term in t], term


def _homophone_by_reading_everything(texts: list[str], term: str) -> str:
    """The former implementation: the whole corpus as syllables, searched."""
    chars = "\n".join(texts)
    sound = " " + " ".join(syllable(ch) or "|" for ch in chars) + " "
    at = sound.find(" " + pinyin(term))
    return "" if at < 0 else chars[sound.count(" ", 0, at): sound.count(" ", 0, at) + len(term)]


def _spoken_by_reading_everything(texts: list[str], word: str) -> list[int]:
    return [i for i, t in enumerate(texts) if word in pinyin(t).replace(" ", "")
            and f" {word}" in _spaced_runs(pinyin(t), word)]


def test_respelling_through_the_vocabulary_finds_what_reading_everything_found():
    snap = _snapshot()
    assert snap.homophone("章村河") == "张村河"
    for term in ["章村河", "章村", "河湖", "禾飞", "天气晴朗", "城真"]:
        assert snap.homophone(term) == _homophone_by_reading_everything(snap.texts, term), term


def test_romanized_names_through_the_vocabulary_find_what_reading_everything_found():
    snap = _snapshot()
    assert snap.spoken("Hefei") == [3, 7]  # 合肥路, and 和非遗 reads he fei (yi) as well
    for word in ["hefei", "zhangcunhe", "xinzeng", "cheng", "chen", "heh", "lu", "road"]:
        assert snap.spoken(word) == _spoken_by_reading_everything(snap.texts, word), word


def test_an_outline_is_found_through_the_postings_as_by_reading_everything():
    sentences = [replace(sent(t, i, PLANNED), paragraph=p) for i, (t, p) in enumerate(
        [("无关的话。", 0), ("今年重点做好三个方面工作。", 0), ("甲方面。", 1), ("甲的細節。", 1), ("乙方面。", 2),
         ("丙方面。", 3)], 1)]
    snap = _Snapshot(key=(), sentences=sentences, lexical=LexicalIndex.build(
        [normalize(s.text) for s in sentences], tokens), position={}, titles={}, versions={})
    question = "三个方面工作分别是什么？"
    found = outline(sentences, 3, question, find=snap.containing)
    assert found == outline(sentences, 3, question) and [s.text for s in found] == ["甲方面。", "乙方面。", "丙方面。"]
    assert outline(sentences, 4, question, find=snap.containing) == []


def test_saved_index_loads_as_it_was_and_a_new_key_replaces_it(tmp_path):
    calls = []

    def sentences():
        calls.append(1)
        return [normalize(t) for t in TEXTS], TEXTS

    first = open_index(tmp_path, "state-1", sentences, tokens)
    again = open_index(tmp_path, "state-1", sentences, tokens)
    assert len(calls) == 1, "the second open loads what the first saved"
    q = tokens("城镇新增就业")
    assert again.scores(q) == pytest.approx(first.scores(q)) and again.texts == first.texts
    assert again.postings("新增").tolist() == first.postings("新增").tolist()
    open_index(tmp_path, "state-2", lambda: ([normalize(TEXTS[0])], TEXTS[:1]), tokens)
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 1, "the old state is removed"


def test_a_damaged_saved_index_is_rebuilt(tmp_path):
    open_index(tmp_path, "k", lambda: ([normalize(t) for t in TEXTS], TEXTS), tokens)
    (folder,) = tmp_path.iterdir()
    (folder / "vocab.index.json").write_text("{not json", encoding="utf-8")
    idx = open_index(tmp_path, "k", lambda: ([normalize(t) for t in TEXTS], TEXTS), tokens)
    assert idx.postings("新增").tolist() == [0, 2, 5]


def test_the_retriever_persists_its_index_and_rebuilds_it_when_the_documents_change(settings, fake_embeddings,
                                                                                     tmp_path, monkeypatch):
    idx = Index(settings, embeddings=fake_embeddings)
    idx.build()
    snap = HybridRetriever(index=idx).snapshot()
    stored = settings.data_dir / "lexical"
    assert len(list(stored.iterdir())) == 1 and len(snap.lexical) == len(snap.sentences) > 0

    built = []
    real_build = LexicalIndex.build.__func__
    monkeypatch.setattr(LexicalIndex, "build", classmethod(lambda cls, *a, **k: built.append(1) or real_build(cls, *a, **k)))
    fresh = HybridRetriever(index=Index(settings, embeddings=fake_embeddings))  # as a new process would
    assert fresh.snapshot().texts == snap.texts and built == [], "loaded, not rebuilt"

    news = tmp_path / "news.txt"
    news.write_text("青岛市崂山区今天开放了新的图书馆。\n图书馆有藏书20万册。\n", encoding="utf-8")
    Index(settings, embeddings=fake_embeddings).add([news])  # another connection commits
    after = fresh.snapshot()
    assert built == [1] and len(after.sentences) == len(snap.sentences) + 2
    assert after.containing("图书馆") and after.sentences[after.containing("藏书")[0]].doc_id == "news.txt"
    assert len(list(stored.iterdir())) == 1, "the index of the previous documents is gone"
    assert fresh.snapshot() is after and built == [1], "nothing changed: the same snapshot"

    Index(settings, embeddings=fake_embeddings).remove("news.txt")
    assert not fresh.snapshot().containing("藏书") and built == [1, 1]
