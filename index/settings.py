"""The one Settings object, read from REPORTQA_* environment variables at the edges (CLI, UI)."""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EMBED_DIRNAME = "embeddinggemma-300m"
LLM_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
LLM_CHOICES = ("local", "openai", "none")
DRAFT_CHOICES = ("ngram", "none")
EMBED_BACKENDS = ("onnx", "torch")
EMBED_DTYPES = ("float32", "bfloat16")


def _default_model_dir() -> Path:
    return Path.home() / ".cache" / "report-qa" / "models"


@dataclass(frozen=True)
class Settings:
    """Every knob of report-qa. Each field maps to REPORTQA_<NAME> in the environment."""

    data_dir: Path = field(default=Path(".data"), metadata={"help": "index, uploads, feedback and locks"})
    model_dir: Path = field(default_factory=_default_model_dir, metadata={"help": "where `make models` puts the models"})
    corpus_dir: Path = field(default=REPO_ROOT / "corpus" / "documents", metadata={"help": "documents `index build` reads by default"})
    embed_model: str = field(default="", metadata={"help": "sentence-transformers name or path; default: MODEL_DIR/embeddinggemma-300m"})
    embed_backend: str = field(default="onnx", metadata={"help": "onnx (ONNX Runtime, an export of the weights cached by their sha256) or torch (sentence-transformers on PyTorch)"})
    embed_dtype: str = field(default="float32", metadata={"help": "torch backend: float32 or bfloat16 (bfloat16 only pays on CPUs with bf16 instructions); onnx runs float32"})
    embed_batch: int = field(default=16, metadata={"help": "chunks per embedding batch"})
    chunk_chars: int = field(default=80, metadata={"help": "most characters per chunk (whole sentences; a longer sentence stands alone)"})
    max_file_mb: float = field(default=20.0, metadata={"help": "largest file accepted for indexing, in MB"})
    collection: str = field(default="report_qa", metadata={"help": "Chroma collection name"})
    chroma_host: str = field(default="", metadata={"help": "Chroma server host; empty: embedded store under DATA_DIR"})
    chroma_port: int = field(default=8000, metadata={"help": "Chroma server port"})
    llm: str = field(default="local", metadata={"help": "local (GGUF on xllamacpp), openai (BASE_URL), none (extractive)"})
    llm_model: str = field(default="", metadata={"help": "GGUF path, or model name for an OpenAI-compatible server"})
    llm_base_url: str = field(default="", metadata={"help": "OpenAI-compatible server; setting it selects llm=openai"})
    llm_api_key: str = field(default="not-needed", metadata={"help": "API key for the OpenAI-compatible server"})
    llm_threads: int = field(default=2, metadata={"help": "CPU threads for the local LLM"})
    llm_ctx: int = field(default=4096, metadata={"help": "context window of the local LLM"})
    llm_max_tokens: int = field(default=160, metadata={"help": "longest answer the LLM may write"})
    llm_context: int = field(default=2, metadata={"help": "source sentences the LLM sees per question"})
    host: str = field(default="127.0.0.1", metadata={"help": "address the web chat binds to"})
    port: int = field(default=7860, metadata={"help": "port of the web chat"})
    auth: str = field(default="", metadata={"help": "user:password to require a login in the web chat"})
    max_question_chars: int = field(default=2000, metadata={"help": "longer questions are refused with a message"})
    max_unpacked_mb: float = field(default=100.0, metadata={"help": "most a .docx may unpack to, in MB (a zip bomb guard)"})
    max_unpack_ratio: float = field(default=100.0, metadata={"help": "most times its own size a .docx may unpack to (a zip bomb guard)"})
    max_doc_sentences: int = field(default=10000, metadata={"help": "most sentences in one document; a longer one is refused (bounds the work of one file)"})
    llm_draft: str = field(default="none", metadata={"help": "speculative decoding in the local LLM: ngram (drafts copied from the prompt, which answers quote) or none"})
    llm_slots: int = field(default=4, metadata={"help": "generations the local LLM runs together (llama.cpp parallel slots)"})
    login_attempts: int = field(default=5, metadata={"help": "wrong passwords per user name per minute in the web chat before its login is locked for a minute"})

    def __post_init__(self) -> None:
        if self.llm not in LLM_CHOICES:
            raise ValueError(f"unknown llm {self.llm!r}; expected one of: {', '.join(LLM_CHOICES)}")
        if self.llm_draft not in DRAFT_CHOICES:
            raise ValueError(f"unknown llm_draft {self.llm_draft!r}; expected one of: {', '.join(DRAFT_CHOICES)}")
        if self.embed_backend not in EMBED_BACKENDS:
            raise ValueError(f"unknown embed_backend {self.embed_backend!r}; expected one of: {', '.join(EMBED_BACKENDS)}")
        if self.embed_dtype not in EMBED_DTYPES:
            raise ValueError(f"unknown embed_dtype {self.embed_dtype!r}; expected one of: {', '.join(EMBED_DTYPES)}")
        for name in ("chunk_chars", "embed_batch", "llm_threads", "llm_ctx", "llm_max_tokens", "llm_context",
                     "max_question_chars", "max_unpacked_mb", "max_unpack_ratio", "max_doc_sentences",
                     "login_attempts", "llm_slots"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be greater than 0, got {getattr(self, name)}")
        if self.max_file_mb <= 0:
            raise ValueError(f"max_file_mb must be greater than 0, got {self.max_file_mb}")
        if self.auth and ":" not in self.auth:
            raise ValueError("auth must look like user:password")

    @property
    def embed_model_path(self) -> str:
        return self.embed_model or str(self.model_dir / EMBED_DIRNAME)

    @property
    def llm_model_path(self) -> str:
        return self.llm_model or str(self.model_dir / LLM_FILENAME)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def load_limits(self) -> dict:
        """The keyword arguments of ``corpus.load.load_document``/``load_bytes`` that bound one file's work."""
        return dict(max_bytes=self.max_file_bytes, max_unpacked_bytes=int(self.max_unpacked_mb * 1024 * 1024),
                    max_unpack_ratio=self.max_unpack_ratio, max_sentences=self.max_doc_sentences)

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        """Read REPORTQA_* variables; keyword overrides (from CLI flags) win."""
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            raw = env.get(f"REPORTQA_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f, raw)
        if values.get("llm_base_url") and "llm" not in values:
            values["llm"] = "openai"
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("data_dir", "model_dir", "corpus_dir"):
            if key in values:
                values[key] = Path(values[key]).expanduser()
        return cls(**values)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def _convert(f, raw: str):
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise ValueError(f"REPORTQA_{f.name.upper()} must be a {kind}, got {raw!r}") from None
    if kind == "Path":
        return Path(raw)
    return raw


def describe() -> str:
    """One line per setting, for --help texts and the README."""
    return "\n".join(f"REPORTQA_{f.name.upper():<20} {f.metadata.get('help', '')}" for f in fields(Settings))


def data_dir_option() -> argparse.ArgumentParser:
    """--data-dir for a subcommand; SUPPRESS keeps a value given before the subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="index location (default: REPORTQA_DATA_DIR or ./.data)")
    return common
