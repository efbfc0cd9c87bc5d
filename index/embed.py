"""Embeddings: sentence-transformers (EmbeddingGemma by default) behind LangChain's Embeddings interface.

Two backends run the same model: ``torch`` (sentence-transformers as it is) and ``onnx`` (the
whole pipeline -- transformer, mean pooling, dense layers, normalisation -- exported once from
the provisioned weights with ``torch.onnx.export`` and run by ONNX Runtime). The export is cached
next to the weights, keyed by their sha256 (``onnx_cache_dir``), so a changed model is exported
again and never mixed up with an old graph.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Callable, Protocol

from langchain_core.embeddings import Embeddings

from index.digest import sha256_of
from index.settings import EMBED_BACKENDS as BACKENDS, EMBED_DTYPES as DTYPES

Progress = Callable[[int], None]
# Bump when the exported graph changes (inputs, outputs, pooling): every cached export is redone.
ONNX_EXPORT_VERSION = "1"
ONNX_CACHE = "report-qa-onnx"  # folder under the model directory


class EmbedderUnavailable(Exception):
    """The embedding model is missing or cannot be loaded."""


class Encoder(Protocol):
    """What a backend provides: unit-length vectors (a float32 array, one row per text)."""

    def encode(self, texts: list[str], prompt_name: str):  # -> numpy.ndarray
        ...


class SentenceEmbeddings(Embeddings):
    """Lazy sentence-transformers model using its ``query``/``document`` prompts.

    Construction is cheap; the model loads on the first embed call. ``on_progress`` is
    called with the number of texts just embedded, so callers can drive a progress bar.
    """

    def __init__(self, model: str, *, backend: str = "onnx", dtype: str = "float32", batch_size: int = 16,
                 loaders: dict[str, Callable[["SentenceEmbeddings"], Encoder]] | None = None) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be greater than 0, got {batch_size}")
        check_choice("embed_backend", backend, BACKENDS)
        check_choice("embed_dtype", dtype, DTYPES)
        self.model_name = model
        self.backend = backend
        self.dtype = dtype
        self.batch_size = batch_size
        self.on_progress: Progress | None = None
        self._loaders = {"torch": TorchEncoder, "onnx": OnnxEncoder, **(loaders or {})}
        self._model: Encoder | None = None
        self._lock = threading.Lock()

    def load(self) -> Encoder:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                if os.path.sep in self.model_name and not os.path.exists(self.model_name):
                    raise EmbedderUnavailable(f"embedding model not found at {self.model_name}; run `make models`")
                self._model = self._loaders[self.backend](self)
        return self._model

    def _encode(self, texts: list[str], prompt_name: str) -> list[list[float]]:
        model = self.load()
        if not texts:
            return []
        # Sort by length so each batch pads little; restore the caller's order at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float] | None] = [None] * len(texts)
        for lo in range(0, len(order), self.batch_size):
            batch = order[lo:lo + self.batch_size]
            out = model.encode([texts[i] for i in batch], prompt_name)
            for i, vec in zip(batch, out):
                vectors[i] = vec.astype("float32").tolist()
            if self.on_progress:
                self.on_progress(len(batch))
        return vectors  # type: ignore[return-value]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts), "document")

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts), "query")

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0]


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; expected one of: {', '.join(allowed)}")


# --- torch ---------------------------------------------------------------------------------------------
def _sentence_transformer(model: str, dtype: str):
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as e:  # pragma: no cover - install problem
        raise EmbedderUnavailable(f"sentence-transformers is not installed ({e}); run `make install`") from e
    torch_dtype = torch.bfloat16 if dtype == "bfloat16" else torch.float32
    try:
        return SentenceTransformer(model, device="cpu", model_kwargs={"dtype": torch_dtype})
    except OSError as e:
        raise EmbedderUnavailable(f"cannot load embedding model {model}: {e}") from e


class TorchEncoder:
    """sentence-transformers on PyTorch, float32 or bfloat16."""

    def __init__(self, owner: SentenceEmbeddings) -> None:
        self.model = _sentence_transformer(owner.model_name, owner.dtype)
        self.batch_size = owner.batch_size

    def encode(self, texts: list[str], prompt_name: str):
        return self.model.encode(texts, prompt_name=prompt_name, normalize_embeddings=True,
                                 convert_to_numpy=True, batch_size=self.batch_size, show_progress_bar=False)


# --- ONNX Runtime --------------------------------------------------------------------------------------
def weights_sha256(model_dir: Path) -> str:
    """One sha256 over every weight and config file of a sentence-transformers folder.

    Hashing 1.2 GB takes seconds, so each file's digest is remembered in the cache folder by its
    size and modification time; a file that changes is hashed again.
    """
    model_dir = Path(model_dir)
    memo_path = model_dir / ONNX_CACHE / "file-sha256.json"
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    total = hashlib.sha256()
    changed = False
    files = sorted(p for p in model_dir.rglob("*") if p.is_file() and ONNX_CACHE not in p.relative_to(model_dir).parts
                   and p.suffix in (".safetensors", ".json", ".model", ".bin"))
    for path in files:
        rel = path.relative_to(model_dir).as_posix()
        st = path.stat()
        stamp = f"{st.st_size}:{st.st_mtime_ns}"
        if memo.get(rel, {}).get("stamp") != stamp:
            memo[rel] = {"stamp": stamp, "sha256": sha256_of(path)}
            changed = True
        total.update(f"{rel}\0{memo[rel]['sha256']}\n".encode())
    if changed:
        try:
            _write_atomic(memo_path, json.dumps(memo, indent=1))
        except OSError:  # a read-only model dir: hash again next time
            pass
    return total.hexdigest()


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def onnx_cache_dir(model_dir: Path, sha256: str) -> Path:
    """Where the export of the weights with this sha256 lives: MODEL/report-qa-onnx/<sha256>-v<N>."""
    return Path(model_dir) / ONNX_CACHE / f"{sha256}-v{ONNX_EXPORT_VERSION}"


def is_exported(folder: Path) -> bool:
    """An export is complete once its manifest, written last, is there."""
    return (folder / "manifest.json").is_file() and (folder / "model.onnx").is_file()


def ensure_onnx_export(model_dir: Path, log: Callable[[str], None] = lambda s: None) -> Path:
    """The cached ONNX export of ``model_dir``, exported first if missing (idempotent).

    The export is written to a temporary folder and renamed into place, so a killed export
    leaves nothing that looks complete.
    """
    model_dir = Path(model_dir)
    if not (model_dir / "modules.json").is_file():
        raise EmbedderUnavailable(f"the onnx backend needs a local sentence-transformers folder; "
                                  f"{model_dir} has no modules.json (run `make models`)")
    sha = weights_sha256(model_dir)
    target = onnx_cache_dir(model_dir, sha)
    if is_exported(target):
        return target
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / ".export.lock")):  # two processes starting together export once
        if is_exported(target):
            return target
        log(f"exporting {model_dir.name} to ONNX (once, about a minute) into {target}")
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
            staged = Path(tmp) / "export"
            export_onnx(model_dir, staged)
            _write_atomic(staged / "manifest.json", json.dumps(
                {"weights_sha256": sha, "export_version": ONNX_EXPORT_VERSION}, indent=1))
            if target.exists():
                shutil.rmtree(target)
            staged.rename(target)
    return target


def export_onnx(model_dir: Path, out: Path) -> None:
    """Export transformer + mean pooling + dense layers + L2 normalisation as one ONNX graph.

    Inputs ``input_ids``/``attention_mask`` (int64, batch x tokens, both dynamic); output
    ``embedding`` (batch x dim, unit length), the same vectors as sentence-transformers' float32.
    """
    import torch

    st = _sentence_transformer(str(model_dir), "float32")
    modules = list(st)
    kinds = [type(m).__name__ for m in modules]
    pooling = modules[1] if len(modules) > 2 else None
    if not (kinds[0] == "Transformer" and kinds[1] == "Pooling" and kinds[-1] == "Normalize"
            and set(kinds[2:-1]) <= {"Dense"} and getattr(pooling, "pooling_mode", None) in ("mean", ("mean",))
            and getattr(pooling, "include_prompt", True)):
        raise EmbedderUnavailable(f"the onnx backend supports transformer + mean pooling (prompt included) + dense "
                                  f"+ normalize; {model_dir} is {kinds}")

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = modules[0].auto_model
            self.dense = torch.nn.ModuleList(m for m in modules[2:-1])

        def forward(self, input_ids, attention_mask):
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            x = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            for d in self.dense:  # each Dense reads and writes its features by name
                x = d({d.module_input_name: x})[d.module_output_name]
            return torch.nn.functional.normalize(x, p=2, dim=1)

    pipe = Pipeline().eval()
    sample = st.tokenizer(["title: none | text: 崂山区新增就业3.19万人。", "短句"], padding=True, return_tensors="pt")
    args = (sample["input_ids"], sample["attention_mask"])
    batch = torch.export.Dim("batch", min=1, max=4096)
    tokens = torch.export.Dim("tokens", min=2, max=st.max_seq_length)
    out.mkdir(parents=True)
    names = dict(input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"])
    with torch.no_grad():
        try:
            program = torch.onnx.export(pipe, args, None, dynamo=True, optimize=True, **names,
                                        dynamic_shapes={"input_ids": {0: batch, 1: tokens},
                                                        "attention_mask": {0: batch, 1: tokens}})
            program.save(str(out / "model.onnx"), external_data=True)
        except Exception as e:  # the exporter's failures have no common type; the TorchScript one may still work
            _stderr(f"torch.onnx dynamo export failed ({type(e).__name__}: {str(e)[:200]}); trying the TorchScript exporter")
            axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                    "sentence_embedding": {0: "batch"}}
            torch.onnx.export(pipe, args, str(out / "model.onnx"), dynamo=False, dynamic_axes=axes,
                              opset_version=17, **names)
    st.tokenizer.save_pretrained(str(out / "tokenizer"))
    _write_atomic(out / "pipeline.json", json.dumps(
        {"prompts": st.prompts, "max_seq_length": st.max_seq_length}, ensure_ascii=False, indent=1))
    verify_export(out, st)


# Texts the export is checked on: both prompts, short and long (past the 512-token sliding window).
VERIFY_TEXTS = ["2025年,嶗山區新增就業3.19萬人。", "短", "How many jobs does Laoshan plan to add?",
                "崂山区推进重点项目建设，" * 80]
MIN_COSINE = 0.999


def verify_export(folder: Path, st) -> None:
    """Compare the exported graph with sentence-transformers float32; refuse an export that differs."""
    import numpy as np

    encoder = OnnxEncoder.from_folder(folder)
    for prompt_name in ("query", "document"):
        ref = st.encode(VERIFY_TEXTS, prompt_name=prompt_name, normalize_embeddings=True, convert_to_numpy=True)
        got = encoder.encode(VERIFY_TEXTS, prompt_name)
        cos = (np.asarray(ref, dtype="float64") * np.asarray(got, dtype="float64")).sum(1)
        if cos.min() < MIN_COSINE:
            raise EmbedderUnavailable(f"the ONNX export differs from the model (cosine {cos.min():.5f} < {MIN_COSINE} "
                                      f"on {prompt_name} texts); use REPORTQA_EMBED_BACKEND=torch")


class OnnxEncoder:
    """The cached ONNX export of the model on ONNX Runtime's CPU provider, float32."""

    def __init__(self, owner: SentenceEmbeddings) -> None:
        self._open(ensure_onnx_export(Path(owner.model_name), log=_stderr))

    @classmethod
    def from_folder(cls, folder: Path) -> "OnnxEncoder":
        encoder = cls.__new__(cls)
        encoder._open(folder)
        return encoder

    def _open(self, folder: Path) -> None:
        try:
            import onnxruntime as ort
            from transformers import AutoTokenizer
        except ImportError as e:  # pragma: no cover - install problem
            raise EmbedderUnavailable(f"onnxruntime is not installed ({e}); run `make install`") from e
        meta = json.loads((folder / "pipeline.json").read_text())
        self.prompts: dict[str, str] = meta["prompts"]
        self.max_length: int = meta["max_seq_length"]
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder / "tokenizer"))
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], prompt_name: str):
        prompt = self.prompts.get(prompt_name, "")
        enc = self.tokenizer([prompt + t for t in texts], padding=True, truncation=True,
                             max_length=self.max_length, return_tensors="np")
        return self.session.run(["sentence_embedding"], {"input_ids": enc["input_ids"].astype("int64"),
                                                "attention_mask": enc["attention_mask"].astype("int64")})[0]


def _stderr(message: str) -> None:
    import sys
    print(message, file=sys.stderr, flush=True)


def make_embeddings(settings) -> SentenceEmbeddings:
    return SentenceEmbeddings(settings.embed_model_path, backend=settings.embed_backend, dtype=settings.embed_dtype,
                              batch_size=settings.embed_batch)
