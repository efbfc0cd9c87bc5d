"""The chat model: a local GGUF run in-process on xllamacpp, or any OpenAI-compatible server."""
from __future__ import annotations

import queue
import secrets
import threading
from pathlib import Path
from typing import Any, Iterator

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel, generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage, convert_to_openai_messages
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import Field, PrivateAttr

from index.settings import DRAFT_CHOICES, Settings


class LLMError(RuntimeError):
    """The language model could not answer this request; the message says why."""


class LLMUnavailable(LLMError):
    """The local model file is missing or could not be loaded."""


# Guards the lazy load, so the model loads once however many threads ask at the same time.
_LOAD_LOCK = threading.Lock()
_DONE = object()


class LocalGGUFChat(BaseChatModel):
    """A GGUF chat model run in-process by llama.cpp (xllamacpp), greedy and streaming.

    Construction is cheap; the model loads on the first call (or on ``load()``) and raises
    ``LLMUnavailable`` if the file is missing or broken.

        >>> model = LocalGGUFChat.from_settings(Settings())
        >>> model.invoke([("system", "Answer from the context only."), ("user", "...")]).content
    """

    model_path: str = Field(description="path of the .gguf file")
    n_threads: int = Field(default=2, gt=0, description="CPU threads for prompt processing and generation")
    n_ctx: int = Field(default=4096, gt=0, description="context window in tokens (prompt + answer)")
    max_tokens: int = Field(default=160, gt=0, description="longest answer, in tokens")
    stop: list[str] | None = Field(default=None, description="stop sequences used when a call gives none")
    n_parallel: int = Field(default=4, gt=0, description="slots: generations decoded together in one batch")
    draft: str = Field(default="none", description="speculative decoding: ngram (drafts copied from the prompt) or none")
    draft_ngram: int = Field(default=3, gt=0, description="ngram drafting: tokens that must repeat before a draft")
    draft_max: int = Field(default=16, gt=0, description="ngram drafting: longest draft checked in one step")

    _server: Any = PrivateAttr(default=None)
    _slots: Any = PrivateAttr(default=None)

    def model_post_init(self, __context: Any) -> None:
        # At most one request per llama.cpp slot: decoding is bound by memory bandwidth, so a
        # step over several sequences costs little more than a step over one (continuous
        # batching), while a request past the slots would only wait inside llama.cpp, where
        # it can no longer be cancelled cheaply.
        self._slots = threading.BoundedSemaphore(self.n_parallel)

    @classmethod
    def from_settings(cls, settings: Settings) -> "LocalGGUFChat":
        return cls(
            model_path=settings.llm_model_path,
            n_threads=settings.llm_threads,
            n_ctx=settings.llm_ctx,
            max_tokens=settings.llm_max_tokens,
            n_parallel=settings.llm_slots,
            draft=settings.llm_draft,
        )

    @property
    def _llm_type(self) -> str:
        return "xllamacpp-gguf"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "n_threads": self.n_threads,
                "max_tokens": self.max_tokens, "n_parallel": self.n_parallel, "draft": self.draft}

    def load(self) -> None:
        """Load the model now (e.g. when the UI starts) instead of on the first question."""
        self._loaded()

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # One code path: a plain call is the stream, gathered.
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request = self._request(messages, stop, **kwargs)
        for raw in self._server_chunks(request):
            chunk = _generation_chunk(raw)
            if chunk is None:
                continue
            if run_manager is not None and chunk.text:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any) -> dict[str, Any]:
        max_tokens = kwargs.pop("max_tokens", None) or self.max_tokens
        if kwargs:
            raise ValueError(f"unsupported arguments {sorted(kwargs)}; expected only: max_tokens")
        return {
            "messages": convert_to_openai_messages(messages),
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": 0.0,  # greedy: the same question over the same context gives the same answer
            "max_tokens": max_tokens,
            "stop": list(stop if stop is not None else self.stop or []),
            # Keep the slot's KV cache so the next call skips the prefix it shares (the system prompt).
            "cache_prompt": True,
        }

    def _server_chunks(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Run one request and yield its OpenAI-style chunks as llama.cpp produces them.

        xllamacpp blocks until the answer is complete and hands each chunk to a callback, so a
        worker thread runs the call and a queue turns the callbacks into a generator. When the
        caller stops iterating early, the callback's true return value tells llama.cpp to stop.
        """
        chunks: queue.SimpleQueue = queue.SimpleQueue()
        cancelled = threading.Event()

        def on_chunk(chunk: dict[str, Any]) -> bool:
            chunks.put(chunk)
            return cancelled.is_set()

        def work() -> None:
            try:
                # The worker, not the caller, holds the slot: it then spans exactly the native
                # call, whichever thread the caller resumes the generator from.
                server = self._loaded()
                with self._slots:
                    if cancelled.is_set():
                        return
                    result = server.handle_chat_completions(request, on_chunk)
                if isinstance(result, dict) and "error" in result:
                    chunks.put(result)
            except BaseException as exc:  # handed over to the caller's thread, not swallowed
                chunks.put(exc)
            finally:
                chunks.put(_DONE)

        worker = threading.Thread(target=work, name="llm-generate", daemon=True)
        worker.start()
        try:
            while (item := chunks.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                if "error" in item:
                    raise _request_error(item["error"])
                yield item
        finally:
            cancelled.set()
            worker.join()  # the slot is idle and free once the caller moves on

    def _loaded(self) -> Any:
        """The xllamacpp server, loaded on first use."""
        with _LOAD_LOCK:
            if self._server is None:
                params = server_params(Path(self.model_path).expanduser(), self.n_threads, self.n_ctx,
                                       self.n_parallel, self.draft, self.draft_ngram, self.draft_max)
                self._server = _load_server(params)
            return self._server


def server_params(path: Path, n_threads: int, n_ctx: int, n_parallel: int, draft: str = "none",
                  draft_ngram: int = 3, draft_max: int = 16) -> Any:
    """llama.cpp server parameters: ``n_parallel`` slots, each with a whole ``n_ctx`` context,
    and with ``draft="ngram"`` self-speculative decoding: when the last ``draft_ngram`` tokens
    occurred before (in the prompt: the sources an answer quotes), the tokens that followed them
    are checked in one batch, up to ``draft_max`` at a time. Greedy output is unchanged."""
    if draft not in DRAFT_CHOICES:
        raise ValueError(f"unknown draft {draft!r}; expected one of: {', '.join(DRAFT_CHOICES)}")
    try:
        import xllamacpp
    except ImportError as exc:
        raise LLMUnavailable("xllamacpp is not installed; run `pip install xllamacpp`") from exc

    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    # llama.cpp splits n_ctx between the slots; give each slot the context one request may use.
    params.n_ctx = n_ctx * n_parallel
    params.n_parallel = n_parallel  # each slot's KV cache is the prompt cache its next request reuses
    params.kv_unified = False  # one KV stream per slot: attention reads only its own sequence
    params.cont_batching = True  # a new request joins the running batch at the next step
    params.cpuparams.n_threads = n_threads
    params.cpuparams_batch.n_threads = n_threads
    params.verbosity = 1  # errors only, on stderr; llama.cpp writes nothing to stdout
    params.fit_params = False  # fitting to GPU memory means nothing on CPU and loads the file twice
    params.cache_ram_mib = 0  # no extra host-RAM copies of old prompts (default: up to 8 GiB)
    # The server also listens on a random 127.0.0.1 port; we only call it in-process, so lock that
    # door with a key nobody knows, and keep its HTTP pool small.
    params.api_keys = [secrets.token_hex(16)]
    params.n_threads_http = 1
    if draft == "ngram":
        spec = params.speculative
        spec.types = [xllamacpp.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE]
        spec.ngram_simple.size_n = draft_ngram
        spec.ngram_simple.size_m = draft_max
        spec.draft.n_max = draft_max
    return params


def _load_server(params: Any) -> Any:
    path = Path(params.model.path)
    if not path.is_file():
        raise LLMUnavailable(f"local model not found at {path}; run `make models` "
                             "(or set REPORTQA_LLM=none for extractive answers)")
    import xllamacpp

    try:
        return xllamacpp.Server(params)
    except (RuntimeError, MemoryError) as exc:
        raise LLMUnavailable(f"could not load the local model {path} ({exc}); the file may be "
                             "incomplete or corrupt: run `make models` again") from exc


def _request_error(error: dict[str, Any]) -> LLMError:
    message = error.get("message", "unknown error")
    if error.get("type") == "exceed_context_size_error":
        return LLMError(f"{message}: raise REPORTQA_LLM_CTX or send less context")
    return LLMError(f"the local model refused the request: {message}")


def _generation_chunk(raw: dict[str, Any]) -> ChatGenerationChunk | None:
    """One OpenAI-style stream chunk -> a LangChain chunk; None for chunks that carry nothing.

    Each piece of metadata comes in exactly one chunk (finish reason, then usage and timings),
    so LangChain can add the chunks up without clashes.
    """
    choices = raw.get("choices") or []
    if choices:
        choice = choices[0]
        text = (choice.get("delta") or {}).get("content") or ""
        finish = choice.get("finish_reason")
        if not text and not finish:
            return None  # the opening chunk only names the role
        metadata = {"finish_reason": finish} if finish else {}
        return ChatGenerationChunk(message=AIMessageChunk(content=text, response_metadata=metadata),
                                   generation_info=metadata or None)
    usage = raw.get("usage")
    if not usage:
        return None
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
    usage_metadata = UsageMetadata(
        input_tokens=usage.get("prompt_tokens", 0),
        output_tokens=usage.get("completion_tokens", 0),
        total_tokens=usage.get("total_tokens", 0),
        input_token_details={"cache_read": cached},
    )
    metadata = {"model_name": Path(raw.get("model", "")).name, "timings": raw.get("timings", {})}
    return ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage_metadata,
                                                     response_metadata=metadata))


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model the settings ask for; None when ``llm`` is "none" (extractive answers)."""
    if settings.llm == "none":
        return None
    if settings.llm == "local":
        return LocalGGUFChat.from_settings(settings)
    if settings.llm == "openai":
        if not settings.llm_base_url:
            raise ValueError("llm 'openai' needs llm_base_url (REPORTQA_LLM_BASE_URL), "
                             "e.g. http://localhost:8080/v1")
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise LLMUnavailable("langchain-openai is not installed; run `pip install langchain-openai`") from exc
        return ChatOpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key or "not-needed",
            model=settings.llm_model or "default",
            temperature=0,
            max_tokens=settings.llm_max_tokens,
            streaming=True,
        )
    raise ValueError(f"unknown llm {settings.llm!r}; expected one of: local, openai, none")
