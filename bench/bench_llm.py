"""Benchmark the local LLM: load time, first-token latency, prompt and generation speed, prefix cache;
then parallel slots: N concurrent generations on a server with S slots (each in its own process).

    python -m bench.bench_llm            # prints markdown tables; uses REPORTQA_* settings, 2 threads
    python -m bench.bench_llm --parallel-only
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from langchain_core.messages import HumanMessage, SystemMessage

from bot.llm import LocalGGUFChat
from index.settings import Settings

# A system prompt of the size the answer chain will use, shared by both calls so the second
# call shows what the cached prefix saves.
SYSTEM = (
    "你是一個報告問答助手。只根據下面提供的上下文回答問題，不要使用上下文以外的知識。"
    "每個事實後面用方括號標出來源編號，例如 [1]。如果上下文沒有答案，就說「報告中沒有提到」。"
    "數字必須與上下文完全一致，包括單位（萬人、億元、百分比）。回答使用與問題相同的語言。"
    "You answer questions about a government work report. Use only the numbered context passages. "
    "Cite every fact with its passage number in square brackets. Never invent numbers, dates or names. "
    "If the passages do not contain the answer, say so plainly. Keep answers short and factual.\n"
)
CONTEXT_A = (
    "[1] 2026年全市新增就業2.8萬人，城鎮登記失業率控制在3.5%以內。\n"
    "[2] 地區生產總值增長5.2%，一般公共預算收入達到86.4億元，同比增長6.1%。\n"
    "[3] 新建改建農村公路120公里，完成老舊小區改造45個，惠及居民1.2萬戶。\n"
    "[4] 城鄉居民人均可支配收入分別增長4.8%和6.9%，居民消費價格漲幅1.1%。\n"
    "[5] 新增幼兒園學位3600個，新建中小學4所，引進高層次人才210名。\n"
    "[6] 研發經費投入強度達到2.6%，高新技術企業新增85家，總數達到612家。\n"
    "[7] 新能源汽車產量增長32.5%，充電樁新增4200個，公共交通分擔率達到48%。\n"
)
CONTEXT_B = (
    "[1] 2025年全市新增就業2.5萬人，完成職業技能培訓1.8萬人次。\n"
    "[2] 固定資產投資增長7.3%，其中工業投資增長11.2%，民間投資增長4.5%。\n"
    "[3] 空氣質量優良天數比例達到91.5%，PM2.5平均濃度下降到28微克每立方米。\n"
    "[4] 新增綠地面積36萬平方米，建成口袋公園18個，改造供水管網65公里。\n"
    "[5] 全年接待遊客1520萬人次，旅遊總收入增長9.4%。\n"
    "[6] 實際使用外資3.2億美元，進出口總額增長8.7%，跨境電商交易額達到56億元。\n"
    "[7] 新建保障性租賃住房2800套，發放住房公積金貸款34.6億元。\n"
)
QUESTION = "請逐條列出上下文中的每一個數字，並說明它的含義和來源編號。"
GEN_TOKENS = 100


@dataclass(frozen=True)
class Run:
    label: str
    first_token_s: float
    total_s: float
    prompt_tokens: int
    cached_tokens: int
    prompt_per_s: float
    generated_tokens: int
    gen_per_s: float


def timed_call(model: LocalGGUFChat, label: str, context: str) -> Run:
    messages = [SystemMessage(SYSTEM), HumanMessage(f"上下文：\n{context}\n問題：{QUESTION}")]
    start = time.perf_counter()
    first = None
    usage, timings = None, None
    for chunk in model.stream(messages, max_tokens=GEN_TOKENS):
        if chunk.content and first is None:
            first = time.perf_counter() - start
        usage = chunk.usage_metadata or usage
        timings = chunk.response_metadata.get("timings") or timings
    total = time.perf_counter() - start
    return Run(
        label=label,
        first_token_s=first or total,
        total_s=total,
        prompt_tokens=usage["input_tokens"],
        cached_tokens=usage["input_token_details"]["cache_read"],
        prompt_per_s=timings["prompt_per_second"],
        generated_tokens=usage["output_tokens"],
        gen_per_s=timings["predicted_per_second"],
    )


def idle_cpu_seconds(seconds: float = 2.0) -> float:
    """CPU the process burns while nobody asks anything (spinning threads would show here)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    time.sleep(seconds)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


PARALLEL_RUNS = ((1, 1), (1, 4), (4, 1), (4, 4))  # (slots, concurrent clients)
CONTEXTS = (CONTEXT_A, CONTEXT_B)


def concurrent_calls(slots: int, clients: int) -> dict:
    """``clients`` threads each stream one answer at once from a model with ``slots`` slots."""
    settings = Settings.from_env(llm_threads=2, llm_slots=slots)
    model = LocalGGUFChat.from_settings(settings)
    model.load()
    timed_call(model, "warm-up", CONTEXT_B)  # the system prompt is cached in one slot, as in a running app
    runs: list[Run] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        r = timed_call(model, f"client {i}", CONTEXTS[i % 2])
        with lock:
            runs.append(r)

    start = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    first = sorted(r.first_token_s for r in runs)
    total = sorted(r.total_s for r in runs)
    return {"slots": slots, "clients": clients, "wall_s": wall,
            "tokens_per_s": sum(r.generated_tokens for r in runs) / wall,
            "first_token_p50_s": first[len(first) // 2], "first_token_max_s": first[-1],
            "total_p50_s": total[len(total) // 2], "total_max_s": total[-1],
            "per_request_gen_tok_s": sum(r.gen_per_s for r in runs) / len(runs)}


def parallel_table() -> str:
    rows = []
    for slots, clients in PARALLEL_RUNS:
        proc = subprocess.run([sys.executable, "-m", "bench.bench_llm", "--one", f"{slots},{clients}"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            rows.append(f"| {slots} | {clients} | failed: {proc.stderr.strip().splitlines()[-1:]} |")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(f"| {slots} | {clients} | {r['tokens_per_s']:.1f} | {r['per_request_gen_tok_s']:.1f} | "
                    f"{r['first_token_p50_s']:.2f} / {r['first_token_max_s']:.2f} s | "
                    f"{r['total_p50_s']:.2f} / {r['total_max_s']:.2f} s | {r['wall_s']:.1f} s |")
    head = ("| slots | concurrent requests | generated tok/s, all requests | gen tok/s per request (llama.cpp) | "
            "first token p50 / max | answer p50 / max | wall |\n|---|---|---|---|---|---|---|")
    return head + "\n" + "\n".join(rows)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        slots, clients = map(int, sys.argv[2].split(","))
        print(json.dumps(concurrent_calls(slots, clients)))
        return
    if "--parallel-only" in sys.argv:
        print(parallel_table())
        return
    settings = Settings.from_env(llm_threads=2)
    model = LocalGGUFChat.from_settings(settings)
    start = time.perf_counter()
    model.load()
    load_s = time.perf_counter() - start
    runs = [timed_call(model, "1st call (cold)", CONTEXT_A),
            timed_call(model, "2nd call, same system prompt", CONTEXT_B)]
    idle = idle_cpu_seconds()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"model: {settings.llm_model_path}  threads: {settings.llm_threads}  n_ctx: {settings.llm_ctx}\n")
    print(f"load: {load_s:.2f} s   peak RSS: {peak_rss_mb:.0f} MB   idle CPU over 2 s: {idle:.2f} s\n")
    print("| call | prompt tok (cached) | first token | prompt tok/s | generated tok | gen tok/s | total |")
    print("|---|---|---|---|---|---|---|")
    for r in runs:
        print(f"| {r.label} | {r.prompt_tokens} ({r.cached_tokens}) | {r.first_token_s:.2f} s | "
              f"{r.prompt_per_s:.1f} | {r.generated_tokens} | {r.gen_per_s:.1f} | {r.total_s:.2f} s |")
    del model
    print(f"\n{GEN_TOKENS} tokens per answer, concurrent requests on a server with several slots:\n")
    print(parallel_table())


if __name__ == "__main__":
    main()
