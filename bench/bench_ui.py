"""Load test of the web chat: concurrent gradio_client users for a bounded time, latency per mode.

    python -m bench.bench_ui                       # 10 clients for 60 s; 3 of them LLM if the model is there
    python -m bench.bench_ui --llm-clients 0 --seconds 20
    python -m bench.bench_ui --url http://127.0.0.1:7860   # a server that is already running

Starts `python -m ui` on 127.0.0.1 (a free port, data dir .data/bench-ui, so the index is built
once) unless --url is given. Each client is its own session and asks through the public API
endpoints, which share the UI's queues: /ask_extractive (concurrency group "extractive") and
/stream_llm (group "llm", as many generations at once as the model has slots; streamed, so
the first visible text is timed too). A client stops asking at the deadline; an LLM
question already queued then still finishes, so the run can last longer than --seconds.
"""
from __future__ import annotations

import argparse
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT, percentile, table
from index.settings import Settings

QUESTIONS = (
    "2026年城镇新增就业目标是多少？",
    "2025年有几个完整社区完成建设？",
    "嶗山區2026年新增多少個學位？",
    "How many key projects did Laoshan push forward in 2025?",
    "崂山区要高标准打造什么试验区？",
    "2025年新引进多少个过亿元项目？",
)
START_TIMEOUT_S = 300
REQUEST_CAP = 1000  # per client: the loop is bounded in count as well as in time


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)   # question sent -> verified answer, queue included
    first: list[float] = field(default_factory=list)       # question sent -> first visible text
    errors: list[str] = field(default_factory=list)
    refused: int = 0
    clients: int = 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, llm: bool) -> tuple[subprocess.Popen, str, Path]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_") or k == "REPORTQA_MODEL_DIR"}
    env.update(REPORTQA_DATA_DIR=str(data_dir), REPORTQA_PORT=str(port), REPORTQA_HOST="127.0.0.1",
               REPORTQA_LLM="local" if llm else "none", GRADIO_ANALYTICS_ENABLED="False")
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "bench-server.log"
    proc = subprocess.Popen([sys.executable, "-m", "ui"], cwd=ROOT, env=env,
                            stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + START_TIMEOUT_S
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2):
                return proc, url, log_path
        except OSError:
            time.sleep(1)
    proc.kill()
    raise SystemExit(f"the server did not start within {START_TIMEOUT_S} s; see {log_path}")


def client_loop(url: str, mode: str, offset: int, until: float, tally: Tally, lock: threading.Lock) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
    with lock:
        tally.clients += 1
    questions = itertools.islice(itertools.cycle(QUESTIONS), offset, None)
    for _, question in zip(range(REQUEST_CAP), questions):
        if time.time() >= until:
            break
        t0 = time.perf_counter()
        first = None
        try:
            if mode == "llm":  # streamed, as the chat shows it: the first text may come long before the end
                job = client.submit(question, api_name="/stream_llm")
                for _ in job:
                    first = first or time.perf_counter() - t0
                out = job.result()
            else:
                out = client.predict(question, api_name=f"/ask_{mode}")
            ok = isinstance(out, dict) and "answer" in out
            problem = "" if ok else f"unexpected reply {str(out)[:80]!r}"
        except Exception as e:  # noqa: BLE001 - every failure is counted, whatever its type
            out, problem = None, f"{type(e).__name__}: {e}"[:160]
        elapsed = time.perf_counter() - t0
        with lock:
            if problem:
                tally.errors.append(problem)
            else:
                tally.latencies.append(elapsed)
                tally.first.append(first or elapsed)  # an answer composed by code appears whole
                tally.refused += bool(out.get("refused"))
    client.close()


def run(url: str, clients: int, llm_clients: int, seconds: float) -> dict[str, Tally]:
    tallies = {"extractive": Tally(), "llm": Tally()}
    lock = threading.Lock()
    until = time.time() + seconds
    modes = ["llm"] * llm_clients + ["extractive"] * (clients - llm_clients)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(client_loop, url, mode, i, until, tallies[mode], lock) for i, mode in enumerate(modes)]
        for f in futures:
            f.result()
    return {mode: t for mode, t in tallies.items() if t.clients}


def report(tallies: dict[str, Tally], seconds: float, wall: float) -> str:
    rows = []
    for mode, t in tallies.items():
        lat = t.latencies
        rows.append((mode, t.clients, len(lat) + len(t.errors), len(t.errors), t.refused,
                     f"{percentile(t.first, 0.5):.2f}", f"{percentile(t.first, 0.95):.2f}",
                     f"{percentile(lat, 0.5):.2f}", f"{percentile(lat, 0.95):.2f}",
                     f"{max(lat, default=float('nan')):.2f}", f"{len(lat) / wall:.2f}"))
    out = [table(rows, ("mode", "clients", "requests", "errors", "refused", "first text p50 s", "first text p95 s",
                        "answer p50 s", "answer p95 s", "max s", "answers/s")),
           "", "Times run from sending the question, queue wait included.",
           "", f"asking for {seconds:g} s; wall time {wall:.1f} s (queued LLM questions finish after the deadline)"]
    for mode, t in tallies.items():
        for e in sorted(set(t.errors))[:5]:
            out.append(f"- {mode} error: {e}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()
    have_llm = Path(settings.llm_model_path).exists()
    p = argparse.ArgumentParser(prog="python -m bench.bench_ui", description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=10, help="concurrent clients (default 10)")
    p.add_argument("--llm-clients", type=int, default=3 if have_llm else 0,
                   help="how many of them ask in LLM mode (default 3 if the model is there, else 0)")
    p.add_argument("--seconds", type=float, default=60.0, help="how long clients keep asking (default 60)")
    p.add_argument("--data-dir", type=Path, default=ROOT / ".data" / "bench-ui", help="data dir of the started server")
    p.add_argument("--url", help="benchmark this running server instead of starting one")
    args = p.parse_args(argv)
    if args.clients <= 0 or args.seconds <= 0:
        p.error("--clients and --seconds must be greater than 0")
    llm_clients = max(0, min(args.llm_clients, args.clients))
    if llm_clients and not have_llm and not args.url:
        p.error(f"no LLM model at {settings.llm_model_path}; use --llm-clients 0")

    proc = None
    if args.url:
        url = args.url
    else:
        print(f"starting the web chat (data dir {args.data_dir}) ...", file=sys.stderr)
        proc, url, log_path = start_server(args.data_dir, llm=bool(llm_clients))
    try:
        print(f"{args.clients} clients ({llm_clients} LLM) asking {url} for {args.seconds:g} s ...", file=sys.stderr)
        t0 = time.perf_counter()
        tallies = run(url, args.clients, llm_clients, args.seconds)
        wall = time.perf_counter() - t0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(report(tallies, args.seconds, wall))
    return 1 if any(t.errors for t in tallies.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
