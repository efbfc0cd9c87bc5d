"""The fact table: every figure of the report, each with what it counts, its time and its place."""
from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from corpus.lang import to_simplified
from corpus.load import load_document
from corpus.sentences import split_sentences
from index.facts import FACTS_VERSION, facts_of_sentence, facts_of_sentences
from tests.conftest import DATA, SEED


@pytest.fixture(scope="module")
def report_facts():
    doc = load_document(SEED, max_bytes=1 << 26)
    return doc, facts_of_sentences(doc.doc_id, doc.sentences)


def _fixture() -> list[dict]:
    lines = [line for line in (DATA / "report_facts.tsv").read_text(encoding="utf-8").splitlines()
             if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def test_every_figure_of_the_report_is_a_fact_and_nothing_else(report_facts):
    _, facts = report_facts
    expected = [(int(r["sentence"]), r["figure"]) for r in _fixture()]
    assert [(f.sentence, f.text) for f in facts] == expected


def test_each_fact_says_what_it_counts_and_when(report_facts):
    _, facts = report_facts
    rows = _fixture()
    assert len(rows) >= 30
    for f, row in zip(facts, rows):
        assert row["counts"] in f.subject, (f.text, f.subject, row["counts"])
        assert (f.period, str(f.year)) == (row["period"], row["year"]), f.text


def test_spans_point_at_the_figure_and_its_clause_in_the_sentence(report_facts):
    doc, facts = report_facts
    sentences = {s.idx: s for s in doc.sentences}
    for f in facts:
        text = sentences[f.sentence].text
        assert to_simplified(text[f.start:f.end]) == f.text
        assert f.text in to_simplified(text[f.clause_start:f.clause_end])


def test_values_scales_and_hedges(report_facts):
    _, facts = report_facts
    by_text = {f.text: f for f in facts}
    jobs = by_text["3.19万人"]
    assert (jobs.value, jobs.scale, jobs.unit, jobs.figure.number) == (Decimal("3.19"), "万", "人", Decimal("31900"))
    assert by_text["1300亿元"].figure.number == Decimal("130000000000")
    assert (by_text["2300余户"].qualifier, by_text["2300余户"].figure.bound) == ("余", "at least")
    assert by_text["7%左右"].figure.bound == "about"
    assert (by_text["60—69岁"].low, by_text["60—69岁"].value) == (Decimal("60"), Decimal("69"))


def test_place_is_the_nearest_place_named_before_the_figure():
    s = split_sentences("news.txt", "据统计，西海岸新区新增就业4.2万人，济南市新增就业12万人。")[0]
    assert [(f.text, f.place) for f in facts_of_sentence("news.txt", s)] == [("4.2万人", "西海岸新区"), ("12万人", "济南市")]


def test_words_that_hold_a_numeral_but_count_nothing_are_not_facts():
    s = split_sentences("d", "这一年，一个个鲜活场景涌现，第二批项目2月4日开工，二期工程建成。")[0]
    assert facts_of_sentence("d", s) == []


def test_facts_version_is_named():
    assert FACTS_VERSION
