"""Index stage with a fake embedder and real embedded Chroma: reindexing, removal, bad input, the lock."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.__main__ import main as index_cli
from index.build import BadInput, Index, IndexBusy, UnknownDocument
from index.chunk import make_chunks
from tests.conftest import DATA, ROOT, SEED


def _vectors(idx: Index, where: dict | None = None) -> dict:
    got = idx.store._collection.get(where=where, include=["metadatas", "documents"])
    return dict(zip(got["ids"], zip(got["documents"], got["metadatas"])))


def test_chunks_cover_whole_sentences_and_round_trip(settings):
    idx = Index(settings)
    doc = idx.load([SEED])[0]
    chunks = make_chunks(doc, "v", settings.chunk_chars)
    sents = {s.idx: s for s in doc.sentences}
    covered = []
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text
        assert sents[c.first].start == c.start and sents[c.last].end == c.end
        assert len(c.text) <= settings.chunk_chars or c.first == c.last or sents[c.first].heading
        covered.extend(range(c.first, c.last + 1))
    assert covered == sorted(sents), "every sentence in exactly one chunk, in order"
    assert [c.id for c in chunks] == [c.id for c in make_chunks(doc, "v", settings.chunk_chars)]


def test_reindex_twice_same_ids_and_embeds_nothing(settings, fake_embeddings):
    idx = Index(settings, embeddings=fake_embeddings)
    first = idx.build()
    assert first.added == [SEED.name] and first.embedded > 0
    ids = set(_vectors(idx))
    assert len(ids) == first.embedded == idx.catalog.document(SEED.name).n_chunks
    embedded_before = fake_embeddings.embedded
    again = Index(settings, embeddings=fake_embeddings).build()
    assert again.unchanged == [SEED.name] and again.embedded == 0
    assert fake_embeddings.embedded == embedded_before
    assert set(_vectors(idx)) == ids


def test_disclaimer_is_never_indexed(settings, fake_embeddings):
    idx = Index(settings, embeddings=fake_embeddings)
    idx.build()
    texts = [t for t, _ in _vectors(idx).values()] + [s.text for s in idx.catalog.sentences()]
    assert texts
    for t in texts:
        assert "特別聲明" not in t and "Notice: The content above" not in t and "網易號" not in t


def test_add_update_and_remove_a_document(settings, fake_embeddings, tmp_path):
    idx = Index(settings, embeddings=fake_embeddings)
    idx.build()
    news = tmp_path / "news.txt"
    news.write_text("青岛市崂山区今天开放了新的图书馆。\n图书馆有藏书20万册。\n", encoding="utf-8")
    assert idx.add([news]).added == ["news.txt"]
    assert _vectors(idx, {"doc_id": "news.txt"})

    news.write_text("青岛市崂山区今天开放了新的图书馆。\n图书馆有藏书30万册。\n", encoding="utf-8")
    report = idx.add([news])
    assert report.updated == ["news.txt"]
    texts = "".join(t for t, _ in _vectors(idx, {"doc_id": "news.txt"}).values())
    assert "30万册" in texts and "20万册" not in texts, "the old version's chunks must be gone"

    seed_ids = set(_vectors(idx, {"doc_id": SEED.name}))
    assert idx.remove("news.txt").removed == ["news.txt"]
    assert not _vectors(idx, {"doc_id": "news.txt"})
    assert idx.catalog.sentences("news.txt") == []
    assert set(_vectors(idx)) == seed_ids, "removing one document leaves the others alone"
    with pytest.raises(UnknownDocument, match="news.txt"):
        idx.remove("news.txt")


def test_build_drops_documents_no_longer_in_the_corpus(settings, fake_embeddings, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("甲文件说明了第一件事。", encoding="utf-8")
    (corpus / "b.txt").write_text("乙文件说明了第二件事。", encoding="utf-8")
    (corpus / "notes.bin").write_bytes(b"\x00\x01")
    idx = Index(settings, embeddings=fake_embeddings)
    first = idx.build([corpus])
    assert sorted(first.added) == ["a.txt", "b.txt"] and any("notes.bin" in s for s in first.skipped)
    (corpus / "b.txt").unlink()
    report = idx.build([corpus])
    assert report.removed == ["b.txt"] and report.unchanged == ["a.txt"]
    assert {m["doc_id"] for _, m in _vectors(idx).values()} == {"a.txt"}


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.txt", "missing"),
    (lambda d: _write(d / "empty.txt", b""), "empty"),
    (lambda d: _write(d / "blank.txt", b"  \n\t\n"), "empty"),
    (lambda d: _write(d / "image.txt", b"\x89PNG\r\n\x1a\n" + bytes(200)), ""),
    (lambda d: _write(d / "tool.exe", b"MZ\x90\x00" + bytes(100)), ""),
    (lambda d: _write(d / "big.txt", "大".encode() * (1024 * 1024 // 3 + 10)), "limit"),
])
def test_bad_input_is_one_line_nonzero_and_writes_nothing(settings, fake_embeddings, tmp_path, capsys,
                                                          monkeypatch, make, message):
    monkeypatch.setenv("REPORTQA_MAX_FILE_MB", "1")
    idx = Index(settings, embeddings=fake_embeddings)
    idx.build()
    before = set(_vectors(idx))
    bad = make(tmp_path)
    good = _write(tmp_path / "good.txt", "一个正常的文件。".encode())
    code = index_cli(["--data-dir", str(settings.data_dir), "add", str(good), str(bad)])
    err = capsys.readouterr().err
    assert code != 0
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and bad.name in lines[0] and message in lines[0].lower()
    assert "nothing was written" in err
    assert set(_vectors(Index(settings, embeddings=fake_embeddings))) == before
    assert [d.doc_id for d in Index(settings).catalog.documents()] == [SEED.name]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_second_writer_is_refused_with_a_clear_message(settings, fake_embeddings, capsys):
    idx = Index(settings, embeddings=fake_embeddings)
    with idx.writer():
        with pytest.raises(IndexBusy, match="another reindex is running"):
            Index(settings, embeddings=fake_embeddings).build()
        assert index_cli(["--data-dir", str(settings.data_dir), "build"]) == 1
        assert "another reindex is running" in capsys.readouterr().err
    assert Index(settings, embeddings=fake_embeddings).build().added == [SEED.name]


@pytest.mark.parametrize("where", ["before", "after"])
def test_data_dir_is_accepted_before_or_after_the_subcommand(settings, fake_embeddings, capsys, where):
    Index(settings, embeddings=fake_embeddings).build()
    option = ["--data-dir", str(settings.data_dir)]
    argv = option + ["list", "--json"] if where == "before" else ["list", "--json"] + option
    assert index_cli(argv) == 0
    assert [d["doc_id"] for d in json.loads(capsys.readouterr().out)] == [SEED.name]


def test_list_and_stats_cli(settings, fake_embeddings, capsys):
    Index(settings, embeddings=fake_embeddings).build()
    assert index_cli(["--data-dir", str(settings.data_dir), "list", "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [d["doc_id"] for d in docs] == [SEED.name] and docs[0]["n_chunks"] > 0
    assert index_cli(["--data-dir", str(settings.data_dir), "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["documents"] == 1 and stats["vectors"] == stats["chunks"] == docs[0]["n_chunks"]


# --- a reindex killed with SIGKILL ------------------------------------------------------------

SLOW_WRITER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.fakes import FakeEmbeddings
import index.build
from index.build import Index
index.build.WRITE_BATCH = 8
from index.settings import Settings

class Slow(FakeEmbeddings):
    def embed_documents(self, texts):
        out = []
        for t in texts:
            time.sleep(0.05)
            out += super().embed_documents([t])
            print("embedded", flush=True)
        return out

settings = Settings.from_env(data_dir=Path({data!r}), chunk_chars=60)
Index(settings, embeddings=Slow()).build([Path(p) for p in {paths!r}])
print("done", flush=True)
"""


def test_reindex_killed_with_sigkill_leaves_old_index_answering(settings, fake_embeddings, tmp_path):
    from index.store import search

    small = settings.with_(chunk_chars=60)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    doc = corpus / "report.txt"
    doc.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    Index(small, embeddings=fake_embeddings).build([corpus])
    old = Index(small, embeddings=fake_embeddings)
    old_version = old.catalog.versions()["report.txt"]
    old_ids = set(_vectors(old))

    doc.write_text(doc.read_text(encoding="utf-8").replace("2.8萬人", "2.9萬人"), encoding="utf-8")
    script = SLOW_WRITER.format(root=str(ROOT), data=str(small.data_dir), paths=[str(corpus)])
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    seen = 0
    while seen < 20:  # the writer upserts in batches of 8: wait until two batches landed
        line = proc.stdout.readline()
        assert line, "writer ended before it could be killed"
        seen += line.startswith("embedded")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    after = Index(small, embeddings=fake_embeddings)
    assert after.catalog.versions()["report.txt"] == old_version, "readers still see the old version"
    assert old_ids <= set(_vectors(after)), "the old chunks are all still there"
    assert len(_vectors(after)) > len(old_ids), "the killed run had written part of the new version"
    hits = search(after.store, fake_embeddings.embed_query("新增就業2.8萬人"), 50)
    assert any("2.8萬人" in h.text and h.metadata["version"] == old_version for h in hits)

    embedded_before = fake_embeddings.embedded
    report = after.build([corpus])
    assert report.updated == ["report.txt"]
    new_chunks = after.catalog.document("report.txt").n_chunks
    assert 0 < fake_embeddings.embedded - embedded_before < new_chunks, "the next run completes, not restarts"
    final = _vectors(after)
    assert len(final) == new_chunks and all(m["version"] != old_version for _, m in final.values())
    assert any("2.9萬人" in t for t, _ in final.values())


def test_default_build_keeps_uploads(settings, fake_embeddings):
    settings.uploads_dir.mkdir(parents=True)
    (settings.uploads_dir / "upload.txt").write_text("上传的文件说明了一件事。", encoding="utf-8")
    idx = Index(settings, embeddings=fake_embeddings)
    assert sorted(idx.build().added) == sorted([SEED.name, "upload.txt"])
    assert idx.build().removed == [], "a full default build reads the uploads folder too"


def test_set_title_renames_a_document_and_an_unchanged_reindex_keeps_it(settings, fake_embeddings):
    idx = Index(settings, embeddings=fake_embeddings)
    idx.build()
    doc = idx.catalog.documents()[0].doc_id
    assert idx.catalog.set_title(doc, "  崂山区 2026年政府工作报告 ")
    assert idx.catalog.document(doc).title == "崂山区 2026年政府工作报告"
    idx.build()
    assert idx.catalog.document(doc).title == "崂山区 2026年政府工作报告"
    assert not idx.catalog.set_title("nope.txt", "x")
    with pytest.raises(ValueError, match="must not be empty"):
        idx.catalog.set_title(doc, "  ")


def test_facts_are_committed_with_their_document_and_rebuilt_without_its_chunks(settings, fake_embeddings,
                                                                                 monkeypatch):
    import index.catalog
    import index.facts

    idx = Index(settings, embeddings=fake_embeddings)
    idx.build([SEED])
    facts = idx.catalog.facts()
    assert len(facts) == 59 and all(vector for _, vector in facts), "every figure, each with its clause's vector"
    assert not idx.catalog.stale_facts()
    monkeypatch.setattr(index.catalog, "FACTS_VERSION", "newer")  # as if index.facts changed
    chunks_before = fake_embeddings.embedded
    report = idx.build([SEED])
    assert report.unchanged == [SEED.name] and report.facts_rebuilt == 1
    assert fake_embeddings.embedded == chunks_before, "clause vectors come from the cache; no chunk is embedded"
    assert not idx.catalog.stale_facts()
    idx.remove(SEED.name)
    assert idx.catalog.facts() == []
