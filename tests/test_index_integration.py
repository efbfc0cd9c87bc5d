"""The index with the real EmbeddingGemma, on embedded Chroma and on a real Chroma server."""
from __future__ import annotations

import pytest

from index.build import Index
from index.store import search
from tests.conftest import SEED, SHARED

pytestmark = pytest.mark.integration


@pytest.fixture(params=["embedded", "server"])
def real_index_settings(request, real_settings, tmp_path):
    """The same code against both stores: only the settings differ."""
    settings = real_settings.with_(data_dir=tmp_path / "data", collection=f"it_{request.param}")
    if request.param == "server":
        host, port = request.getfixturevalue("chroma_server")
        settings = settings.with_(chroma_host=host, chroma_port=port)
    return settings


def _count(idx: Index) -> int:
    return idx.store._collection.count()


def test_seed_report_indexes_answers_and_reindexes_for_free(real_index_settings, real_embeddings):
    idx = Index(real_index_settings, embeddings=real_embeddings)
    first = idx.build()
    assert first.added == [SEED.name] and first.embedded == _count(idx) > 0

    hits = search(idx.store, real_embeddings.embed_query("2026年城镇新增就业目标是多少？"), 3)
    assert any("新增就業2.8萬人" in h.text for h in hits), [h.text for h in hits]
    assert all(h.metadata["doc_id"] == SEED.name and "version" in h.metadata for h in hits)

    ids = set(idx.store._collection.get()["ids"])
    again = Index(real_index_settings, embeddings=real_embeddings).build()
    assert again.embedded == 0 and again.unchanged == [SEED.name]
    assert set(idx.store._collection.get()["ids"]) == ids


def test_adding_and_removing_an_article(real_index_settings, real_embeddings):
    docs = SHARED / "eval" / "external" / "docs"
    if not docs.is_dir():
        pytest.fail(f"{docs} is missing: the shared evaluation data must sit beside the checkout")
    article = docs / "64fa9b27b82641eb8ecbe25b.txt"
    idx = Index(real_index_settings, embeddings=real_embeddings)
    idx.build()
    before = _count(idx)
    assert idx.add([article]).added == [article.name]
    hits = search(idx.store, real_embeddings.embed_query("巩立姣在女子铅球比赛中的成绩是多少？"), 3)
    assert any("19.67米" in h.text for h in hits), [h.text for h in hits]
    assert idx.add([article]).embedded == 0
    idx.remove(article.name)
    assert _count(idx) == before
    assert not idx.store._collection.get(where={"doc_id": article.name})["ids"]
