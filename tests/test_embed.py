"""Embedding backends and batching, with fake models: the backend setting, the sha256-keyed ONNX
export cache, and chunks of several documents embedded together (order kept, cancel honoured)."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

import index.embed as embed
from index.build import Cancelled, Index, PrecomputedEmbeddings, embedding_windows
from index.embed import SentenceEmbeddings, make_embeddings
from index.settings import Settings
from tests.fakes import FakeEmbeddings


class FakeEncoder:
    """A backend that records each batch it is given; a text's vector is the fake embedder's."""

    batches: list[list[str]] = []

    def __init__(self, owner: SentenceEmbeddings) -> None:
        self.owner = owner
        self.fake = FakeEmbeddings()
        type(self).batches = []

    def encode(self, texts: list[str], prompt_name: str):
        type(self).batches.append(list(texts))
        return np.array([self.fake._vector(f"{prompt_name}:{t}") for t in texts], dtype="float32")


def fake_backend(settings: Settings, **kw) -> SentenceEmbeddings:
    """The embedder ``make_embeddings`` builds, with every backend replaced by the fake one."""
    emb = make_embeddings(settings)
    emb._loaders = {name: FakeEncoder for name in embed.BACKENDS}
    return emb


# --- the setting -----------------------------------------------------------------------------------
def test_embed_backend_is_a_validated_setting():
    assert Settings.from_env({}).embed_backend == "onnx"
    assert Settings.from_env({"REPORTQA_EMBED_BACKEND": "torch"}).embed_backend == "torch"
    with pytest.raises(ValueError, match=r"unknown embed_backend 'tensorrt'; expected one of: onnx, torch"):
        Settings.from_env({"REPORTQA_EMBED_BACKEND": "tensorrt"})
    with pytest.raises(ValueError, match="unknown embed_backend 'cuda'; expected one of: onnx, torch"):
        SentenceEmbeddings("m", backend="cuda")


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_make_embeddings_loads_the_chosen_backend_lazily(settings, backend):
    chosen = []

    def loader(name):
        return lambda owner: chosen.append(name) or FakeEncoder(owner)

    emb = make_embeddings(settings.with_(embed_backend=backend, embed_model="fake-model"))
    emb._loaders = {name: loader(name) for name in embed.BACKENDS}
    assert emb.backend == backend and chosen == [], "construction loads nothing"
    emb.embed_query("崂山")
    emb.embed_documents(["一", "二"])
    assert chosen == [backend], "the chosen backend, loaded once"


def test_missing_model_folder_names_make_models(tmp_path):
    emb = SentenceEmbeddings(str(tmp_path / "nowhere" / "model"), loaders={"onnx": FakeEncoder})
    with pytest.raises(embed.EmbedderUnavailable, match="run `make models`"):
        emb.embed_query("x")


def test_batches_are_sorted_by_length_and_the_order_is_restored(settings):
    emb = fake_backend(settings.with_(embed_batch=2, embed_model="fake-model"))
    texts = ["四个字的", "一", "五个字的句", "两字", "三个字"]
    ticks = []
    emb.on_progress = ticks.append
    vectors = emb.embed_documents(texts)
    assert FakeEncoder.batches == [["一", "两字"], ["三个字", "四个字的"], ["五个字的句"]]
    assert ticks == [2, 2, 1]
    fake = FakeEmbeddings()
    assert vectors == [pytest.approx(fake._vector(f"document:{t}")) for t in texts], "each text keeps its own vector"
    assert emb.embed_query("一") == pytest.approx(fake._vector("query:一")), "queries use the query prompt"


# --- the sha256-keyed export cache -------------------------------------------------------------------
def fake_model_dir(root: Path) -> Path:
    model = root / "model"
    (model / "2_Dense").mkdir(parents=True)
    (model / "modules.json").write_text("[]")
    (model / "model.safetensors").write_bytes(b"weights v1")
    (model / "2_Dense" / "model.safetensors").write_bytes(b"dense")
    (model / "README.md").write_text("not part of the key")
    return model


def test_weights_sha256_keys_on_every_weight_file_and_remembers_digests(tmp_path, monkeypatch):
    model = fake_model_dir(tmp_path)
    first = embed.weights_sha256(model)
    hashed = []
    real = embed.sha256_of
    monkeypatch.setattr(embed, "sha256_of", lambda p: hashed.append(p.name) or real(p))
    assert embed.weights_sha256(model) == first and hashed == [], "unchanged files are not read again"

    (model / "README.md").write_text("edited")
    assert embed.weights_sha256(model) == first, "only weights and configs make the key"
    (model / "2_Dense" / "model.safetensors").write_bytes(b"dense, retrained")
    second = embed.weights_sha256(model)
    assert second != first and hashed == ["model.safetensors"], "a changed file is hashed again"
    assert embed.onnx_cache_dir(model, second) == model / "report-qa-onnx" / f"{second}-v{embed.ONNX_EXPORT_VERSION}"


def test_export_runs_once_per_weights_and_a_failed_export_leaves_nothing(tmp_path, monkeypatch):
    model = fake_model_dir(tmp_path)
    exports = []

    def fake_export(model_dir, out):
        exports.append(model_dir)
        out.mkdir(parents=True)
        (out / "model.onnx").write_bytes(b"graph of " + (Path(model_dir) / "model.safetensors").read_bytes())

    monkeypatch.setattr(embed, "export_onnx", fake_export)
    folder = embed.ensure_onnx_export(model)
    assert folder == embed.onnx_cache_dir(model, embed.weights_sha256(model))
    assert json.loads((folder / "manifest.json").read_text())["weights_sha256"] == embed.weights_sha256(model)
    assert embed.ensure_onnx_export(model) == folder and len(exports) == 1, "the cached export is reused"

    (model / "model.safetensors").write_bytes(b"weights v2")
    newer = embed.ensure_onnx_export(model)
    assert newer != folder and (newer / "model.onnx").read_bytes() == b"graph of weights v2" and len(exports) == 2

    (model / "model.safetensors").write_bytes(b"weights v3")

    def broken_export(model_dir, out):
        out.mkdir(parents=True)
        (out / "model.onnx").write_bytes(b"half")
        raise RuntimeError("killed mid-export")

    monkeypatch.setattr(embed, "export_onnx", broken_export)
    with pytest.raises(RuntimeError, match="killed mid-export"):
        embed.ensure_onnx_export(model)
    target = embed.onnx_cache_dir(model, embed.weights_sha256(model))
    assert not target.exists() and not embed.is_exported(target)
    assert sorted(p.name for p in (model / "report-qa-onnx").iterdir() if p.is_dir()) == sorted([folder.name, newer.name])


def test_onnx_backend_needs_a_local_sentence_transformers_folder(tmp_path):
    with pytest.raises(embed.EmbedderUnavailable, match="has no modules.json"):
        embed.ensure_onnx_export(tmp_path)


# --- chunks of several documents embedded together -----------------------------------------------------
def test_embedding_windows_pool_small_documents_and_let_large_ones_stream():
    assert embedding_windows([10, 10, 100, 5, 0, 300], small=64, window=20) == [[0, 1], [2], [3, 4], [5]]
    assert embedding_windows([3, 3, 3], small=64, window=256) == [[0, 1, 2]]
    assert embedding_windows([], small=64, window=256) == []
    assert embedding_windows([64], small=64, window=256) == [[0]]


def test_precomputed_vectors_are_handed_out_by_text_and_the_rest_embedded():
    inner = FakeEmbeddings()
    ahead = PrecomputedEmbeddings(inner)
    ahead.precompute(["甲", "乙"])
    assert inner.embedded == 2
    assert ahead.embed_documents(["乙", "丙", "甲", "丙"]) == [inner._vector(t) for t in ["乙", "丙", "甲", "丙"]]
    assert inner.embedded == 3, "only the text not embedded ahead, once"
    ahead.clear()
    assert ahead.vectors == {}


def small_docs(folder: Path, n: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for d in range(n):
        lines = [f"松涛区第{d}号文件说明了第{i}件事" + "很长" * ((d * 7 + i * 3) % 11) + "。" for i in range(5)]
        path = folder / f"doc{d}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def stored(idx: Index) -> dict[str, list[float]]:
    got = idx.store._collection.get(include=["documents", "embeddings"])
    return {text: list(vec) for text, vec in zip(got["documents"], got["embeddings"])}


def test_small_documents_are_embedded_together_sorted_by_length_with_each_vector_in_place(settings, tmp_path):
    emb = fake_backend(settings.with_(embed_batch=4, embed_model="fake-model"))
    idx = Index(settings, embeddings=emb)
    writes = []
    real_update = idx.records.update
    idx.records.update = lambda keys, **kw: writes.append(len(keys)) or real_update(keys, **kw)
    report = idx.add(small_docs(tmp_path / "docs", 6))
    assert len(report.added) == 6 and report.embedded == 30
    assert writes == [30], "the six documents go to the store in one write, not six"
    batches = FakeEncoder.batches
    assert [len(b) for b in batches] == [4] * 7 + [2], "full batches across documents, not 6 partial ones"
    assert any(len({t.split("号")[0] for t in b}) > 1 for b in batches), "a batch mixes documents"
    flat = [t for b in batches for t in b]
    assert [len(t) for t in flat] == sorted(len(t) for t in flat), "sorted by length across documents"
    fake = FakeEmbeddings()
    vectors = stored(idx)
    assert len(vectors) == 30
    for text, vec in vectors.items():
        assert vec == pytest.approx(fake._vector(f"document:{text}"), abs=1e-6), f"{text} got another text's vector"


def test_cancel_between_batches_of_a_pooled_window_writes_nothing_of_it(settings, tmp_path):
    emb = fake_backend(settings.with_(embed_batch=4, embed_model="fake-model"))
    idx = Index(settings, embeddings=emb)
    idx.add(small_docs(tmp_path / "first", 1))
    before = stored(idx)
    cancel = threading.Event()
    seen = []
    FakeEncoder.batches = []

    def progress(done, total, what):
        seen.append(done)
        if done >= 8:
            cancel.set()

    with pytest.raises(Cancelled, match=r"cancelled: doc1.txt, doc2.txt, doc3.txt and more \(5 documents\) were "
                                        "not indexed; the index is as it was before them"):
        idx.add(small_docs(tmp_path / "more", 6)[1:], progress=progress, cancel=cancel)
    assert len(FakeEncoder.batches) == 2, "stopped after the batch during which it was cancelled"
    assert seen == [4, 8]
    assert [d.doc_id for d in idx.catalog.documents()] == ["doc0.txt"]
    assert stored(idx) == before, "nothing of the window was written"

    report = idx.add(sorted((tmp_path / "more").iterdir()))
    assert sorted(report.added) == [f"doc{d}.txt" for d in range(1, 6)] and report.embedded == 25


def test_a_large_document_still_streams_write_batch_by_write_batch(settings, tmp_path, monkeypatch):
    import index.build

    monkeypatch.setattr(index.build, "WRITE_BATCH", 4)
    emb = fake_backend(settings.with_(embed_batch=2, embed_model="fake-model"))
    idx = Index(settings, embeddings=emb)
    path = tmp_path / "long.txt"
    path.write_text("".join(f"崂山区第{i}座体育馆完成了改造。\n" for i in range(10)), encoding="utf-8")
    writes = []
    real_update = idx.records.update
    monkeypatch.setattr(idx.records, "update", lambda keys, **kw: writes.append(len(keys)) or real_update(keys, **kw))
    idx.add([path])
    assert writes == [4, 4, 2], "each write batch is recorded as it lands (a killed run keeps them)"
    assert [len(b) for b in FakeEncoder.batches] == [2, 2, 2, 2, 2], "each write batch embedded on its own"


# --- the ONNX Runtime encoder, on a tiny graph made here --------------------------------------------------
def tiny_export(folder: Path, table: np.ndarray, words: list[str]) -> None:
    """An export folder like ``export_onnx`` writes: mean of word vectors over the mask, unit length."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    folder.mkdir(parents=True)
    vocab = {w: i for i, w in enumerate(words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]").save_pretrained(
        str(folder / "tokenizer"))
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["vectors"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["vectors", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask3", "axis1"], ["count"], keepdims=0),
        helper.make_node("Div", ["summed", "count"], ["mean"]),
        helper.make_node("LpNormalization", ["mean"], ["sentence_embedding"], axis=1, p=2),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", table.shape[1]])],
        initializer=[numpy_helper.from_array(table.astype("float32"), "table"),
                     numpy_helper.from_array(np.array([2], dtype="int64"), "axis2"),
                     numpy_helper.from_array(np.array([1], dtype="int64"), "axis1")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(folder / "model.onnx"))
    (folder / "pipeline.json").write_text(json.dumps({"prompts": {"query": "q ", "document": "d "},
                                                      "max_seq_length": 16}))


def test_onnx_encoder_prepends_the_prompt_and_ignores_padding(tmp_path):
    words = ["[PAD]", "[UNK]", "q", "d", "崂山", "就业", "目标"]
    table = np.random.default_rng(0).normal(size=(len(words), 8))
    tiny_export(tmp_path / "export", table, words)
    encoder = embed.OnnxEncoder.from_folder(tmp_path / "export")

    def expected(tokens: list[str]) -> np.ndarray:
        v = table[[words.index(t) for t in tokens]].mean(0)
        return v / np.linalg.norm(v)

    both = encoder.encode(["崂山 就业 目标", "就业"], "query")
    assert both.shape == (2, 8)
    assert both[0] == pytest.approx(expected(["q", "崂山", "就业", "目标"]), abs=1e-5)
    assert both[1] == pytest.approx(expected(["q", "就业"]), abs=1e-5), "padding does not count"
    assert encoder.encode(["就业"], "query")[0] == pytest.approx(both[1], abs=1e-6), "alone or in a batch, the same"
    assert encoder.encode(["就业"], "document")[0] == pytest.approx(expected(["d", "就业"]), abs=1e-5)
