"""Tests for bot/llm.py: dispatch and the stream bridge with a fake server, then the real GGUF."""
from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from bot.llm import LLMError, LLMUnavailable, LocalGGUFChat, make_chat_model
from index.settings import Settings

SYSTEM = "只根據提供的上下文回答問題，回答要簡短。Answer from the context only, briefly."


def ask(context: str, question: str) -> list:
    return [SystemMessage(SYSTEM), HumanMessage(f"上下文：\n{context}\n\n問題：{question}")]


def openai_chunk(text=None, finish=None) -> dict:
    return {"choices": [{"index": 0, "finish_reason": finish, "delta": {"content": text}}], "model": "/m/x.gguf"}


USAGE_CHUNK = {
    "choices": [], "model": "/m/x.gguf",
    "usage": {"prompt_tokens": 54, "completion_tokens": 3, "total_tokens": 57,
              "prompt_tokens_details": {"cached_tokens": 40}},
    "timings": {"prompt_n": 14, "predicted_n": 3},
}


class FakeServer:
    """Stands in for xllamacpp.Server: replays queued chunks through the callback like llama.cpp."""

    def __init__(self, chunks: list[dict], delay: float = 0.0):
        self.chunks = chunks
        self.delay = delay
        self.requests: list[dict] = []
        self.stopped_early = False
        self.running = 0
        self.max_running = 0

    def handle_chat_completions(self, request, callback):
        self.requests.append(request)
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            for chunk in self.chunks:
                time.sleep(self.delay)
                if callback(chunk):
                    self.stopped_early = True
                    return None
        finally:
            self.running -= 1
        return None


def fake_model(server: FakeServer, **fields) -> LocalGGUFChat:
    model = LocalGGUFChat(model_path="/nonexistent/model.gguf", **fields)
    model._server = server
    return model


ANSWER_CHUNKS = [
    {"choices": [{"index": 0, "finish_reason": None, "delta": {"role": "assistant", "content": None}}]},
    openai_chunk("2"), openai_chunk("."), openai_chunk("8萬"), openai_chunk(finish="stop"), USAGE_CHUNK,
]


# --- make_chat_model ---------------------------------------------------------------------------

def test_none_gives_no_model():
    assert make_chat_model(Settings(llm="none")) is None


def test_local_is_built_from_settings_without_loading(tmp_path):
    settings = Settings(llm="local", model_dir=tmp_path, llm_threads=3, llm_ctx=2048, llm_max_tokens=99)
    model = make_chat_model(settings)
    assert isinstance(model, LocalGGUFChat)
    assert (model.model_path, model.n_threads, model.n_ctx, model.max_tokens) == (
        settings.llm_model_path, 3, 2048, 99)
    assert model._server is None  # cheap construction, even though the file does not exist


def test_openai_points_at_the_configured_server():
    from langchain_openai import ChatOpenAI

    settings = Settings(llm="openai", llm_base_url="http://localhost:9999/v1", llm_api_key="k", llm_max_tokens=77)
    model = make_chat_model(settings)
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://localhost:9999/v1"
    assert model.model_name == "default"
    assert (model.temperature, model.max_tokens, model.streaming) == (0, 77, True)
    assert make_chat_model(settings.with_(llm_model="qwen")).model_name == "qwen"


def test_openai_without_base_url_is_refused():
    with pytest.raises(ValueError, match="llm_base_url"):
        make_chat_model(Settings(llm="openai"))


# --- LLMUnavailable ----------------------------------------------------------------------------

def test_missing_model_file_says_run_make_models(tmp_path):
    model = LocalGGUFChat(model_path=str(tmp_path / "absent.gguf"))
    with pytest.raises(LLMUnavailable, match="run `make models`") as info:
        model.invoke("hi")
    assert "absent.gguf" in str(info.value)
    with pytest.raises(LLMUnavailable):
        list(model.stream("hi"))


def test_corrupt_model_file_is_unavailable_not_a_crash(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"this is not a gguf file" * 10)
    with pytest.raises(LLMUnavailable, match="broken.gguf"):
        LocalGGUFChat(model_path=str(broken)).invoke("hi")


# --- the stream bridge, with a fake server -----------------------------------------------------

def test_stream_yields_tokens_and_invoke_gathers_them():
    model = fake_model(FakeServer(ANSWER_CHUNKS))
    texts = [chunk.content for chunk in model.stream("q")]
    assert texts[:3] == ["2", ".", "8萬"]
    reply = model.invoke("q")
    assert reply.content == "2.8萬"
    assert reply.response_metadata["finish_reason"] == "stop"
    assert reply.response_metadata["timings"] == {"prompt_n": 14, "predicted_n": 3}
    assert reply.usage_metadata["input_tokens"] == 54
    assert reply.usage_metadata["output_tokens"] == 3
    assert reply.usage_metadata["input_token_details"] == {"cache_read": 40}


def test_request_is_greedy_cached_streaming_with_stops():
    server = FakeServer(ANSWER_CHUNKS)
    model = fake_model(server, max_tokens=50, stop=["\n\n"])
    model.invoke([SystemMessage("s"), HumanMessage("q")])
    model.invoke("q", stop=["。"], max_tokens=5)
    first, second = server.requests
    assert first["messages"] == [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]
    assert (first["temperature"], first["stream"], first["cache_prompt"]) == (0.0, True, True)
    assert (first["max_tokens"], first["stop"]) == (50, ["\n\n"])
    assert (second["max_tokens"], second["stop"]) == (5, ["。"])


def test_unknown_call_arguments_are_named():
    with pytest.raises(ValueError, match="top_p"):
        fake_model(FakeServer(ANSWER_CHUNKS)).invoke("q", top_p=0.5)


def test_error_chunk_becomes_llm_error():
    error = {"error": {"code": 400, "type": "exceed_context_size_error",
                       "message": "request (5000 tokens) exceeds the available context size (4096 tokens)"}}
    with pytest.raises(LLMError, match="REPORTQA_LLM_CTX"):
        fake_model(FakeServer([error])).invoke("q")


def test_leaving_the_stream_early_stops_generation_and_frees_the_slot():
    server = FakeServer(ANSWER_CHUNKS)
    server.delay = 0.01  # slow enough that the close lands mid-answer
    model = fake_model(server)
    stream = model.stream("q")
    assert next(stream).content == "2"
    stream.close()
    assert server.stopped_early
    assert model.invoke("q").content == "2.8萬"  # the slot was released


def _invoke_together(model, n: int) -> list[str]:
    replies = []
    threads = [threading.Thread(target=lambda: replies.append(model.invoke("q").content)) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replies


def test_generations_run_together_up_to_the_number_of_slots():
    server = FakeServer(ANSWER_CHUNKS, delay=0.05)
    model = fake_model(server, n_parallel=2)
    assert _invoke_together(model, 5) == ["2.8萬"] * 5
    assert server.max_running == 2  # two at once, never three


def test_one_slot_means_one_generation_at_a_time():
    server = FakeServer(ANSWER_CHUNKS, delay=0.02)
    model = fake_model(server, n_parallel=1)
    assert _invoke_together(model, 3) == ["2.8萬"] * 3
    assert server.max_running == 1


def test_slots_come_from_the_settings_and_must_be_positive(tmp_path):
    model = make_chat_model(Settings(llm="local", model_dir=tmp_path, llm_slots=3))
    assert model.n_parallel == 3
    with pytest.raises(ValueError, match="llm_slots must be greater than 0"):
        Settings(llm_slots=0)


def test_server_params_give_each_slot_a_whole_context():
    from bot.llm import server_params

    params = server_params(Path("/m/x.gguf"), n_threads=2, n_ctx=4096, n_parallel=4)
    assert (params.n_parallel, params.n_ctx) == (4, 4 * 4096)
    assert params.cont_batching is True and params.kv_unified is False
    assert (params.cpuparams.n_threads, params.cpuparams_batch.n_threads) == (2, 2)
    assert params.cache_ram_mib == 0 and len(params.api_keys) == 1
    assert [t.name for t in params.speculative.types] == ["COMMON_SPECULATIVE_TYPE_NONE"]


def test_ngram_drafting_is_a_setting_passed_to_llama_cpp(tmp_path):
    from bot.llm import server_params

    model = make_chat_model(Settings(llm="local", model_dir=tmp_path, llm_draft="ngram"))
    assert model.draft == "ngram"
    params = server_params(Path("/m/x.gguf"), 2, 4096, 4, draft="ngram", draft_ngram=3, draft_max=16)
    assert [t.name for t in params.speculative.types] == ["COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE"]
    assert (params.speculative.ngram_simple.size_n, params.speculative.draft.n_max) == (3, 16)
    with pytest.raises(ValueError, match="unknown llm_draft 'eagle'; expected one of: ngram, none"):
        Settings(llm_draft="eagle")


# --- the real model ----------------------------------------------------------------------------

def _capture_stdout_fd(fn):
    """Run fn with file descriptor 1 captured (native code bypasses sys.stdout); return its bytes."""
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(1)
        os.dup2(sink.fileno(), 1)
        try:
            fn()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        sink.seek(0)
        return sink.read()


@pytest.fixture(scope="module")
def local_model(real_settings):
    """The real GGUF, loaded once for this module; missing model fails unless explicitly allowed."""
    settings = real_settings
    path = Path(settings.llm_model_path)
    if not path.is_file():
        message = f"the local LLM is missing at {path}; run `make models`"
        if os.environ.get("REPORTQA_ALLOW_MISSING_MODELS") == "1":
            pytest.skip(message)
        pytest.fail(f"{message} (or set REPORTQA_ALLOW_MISSING_MODELS=1 to skip these tests)")
    model = LocalGGUFChat.from_settings(settings)
    stdout = _capture_stdout_fd(model.load)
    return model, stdout


@pytest.mark.integration
def test_loading_prints_nothing_to_stdout(local_model):
    _, stdout = local_model
    assert stdout == b""


@pytest.mark.integration
def test_answers_from_the_context(local_model, capfd):
    model, _ = local_model
    reply = model.invoke(ask("[1] 2026年新增就業2.8萬人。", "2026年新增就业多少？"))
    assert "2.8" in reply.content
    assert reply.usage_metadata["input_tokens"] > 0 and reply.usage_metadata["output_tokens"] > 0
    assert reply.response_metadata["timings"]["predicted_n"] == reply.usage_metadata["output_tokens"]
    assert capfd.readouterr().out == ""  # stdout stays clean for the CLI's JSON


@pytest.mark.integration
def test_stream_matches_invoke_and_reuses_the_cached_prefix(local_model):
    model, _ = local_model
    messages = ask("[1] 2026年新增就業2.8萬人。[2] 2025年新增就業2.5萬人。", "2025年新增就业多少？")
    answer = model.invoke(messages)
    chunks = list(model.stream(messages))
    texts = [chunk.content for chunk in chunks if chunk.content]
    assert len(texts) > 1
    assert "".join(texts) == answer.content
    assert "2.5" in answer.content
    usage = [chunk.usage_metadata for chunk in chunks if chunk.usage_metadata]
    assert usage[0]["input_token_details"]["cache_read"] > 0


@pytest.mark.integration
def test_stop_sequence_ends_the_answer(local_model):
    model, _ = local_model
    reply = model.invoke(ask("[1] 2026年新增就業2.8萬人。", "2026年新增就业多少？"), stop=["萬"])
    assert "2.8" in reply.content and "萬" not in reply.content


@pytest.mark.integration
def test_two_threads_share_the_slots_and_both_answer_right(local_model):
    model, _ = local_model
    assert model.n_parallel > 1  # the default settings run several generations together
    questions = {
        "2.8": ask("[1] 2026年新增就業2.8萬人。", "2026年新增就业多少？"),
        "3.19": ask("[1] 2024年城鎮新增就業3.19萬人。", "2024年城镇新增就业多少？"),
    }
    results: dict[str, str] = {}

    def run(key):
        results[key] = "".join(chunk.content for chunk in model.stream(questions[key]))

    threads = [threading.Thread(target=run, args=(key,)) for key in questions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for key, text in results.items():
        assert key in text  # batched decoding must not mix the two sequences up
