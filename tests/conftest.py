"""Shared fixtures: settings on a tmp data dir, fake and real models, a real Chroma server."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SEED = ROOT / "corpus" / "documents" / "laoshan-2026-npc-report.txt"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    for key in list(os.environ):
        if key.startswith("REPORTQA_") and key not in ("REPORTQA_MODEL_DIR",):
            monkeypatch.delenv(key)
    return Settings.from_env(data_dir=tmp_path / "data", corpus_dir=ROOT / "corpus" / "documents", llm="none")


@pytest.fixture
def fake_embeddings():
    from tests.fakes import FakeEmbeddings
    return FakeEmbeddings()


def _require_model(path: str, what: str) -> str:
    if not Path(path).exists():
        pytest.fail(f"{what} is missing at {path}: run `make models` (integration tests need the real model)")
    return path


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    return Settings.from_env(data_dir=tmp_path_factory.mktemp("real-data"), corpus_dir=ROOT / "corpus" / "documents")


@pytest.fixture(scope="session")
def real_embeddings(real_settings):
    """EmbeddingGemma, loaded once for the whole session."""
    from index.embed import make_embeddings

    _require_model(real_settings.embed_model_path, "the embedding model")
    emb = make_embeddings(real_settings)
    emb.load()
    return emb


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server (`chroma run`) on a free loopback port, for the scale-out tests."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if not exe:
        pytest.fail("the `chroma` command is missing; `make install` installs chromadb, which provides it")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path / "server.log", "w")
    proc = subprocess.Popen([exe, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"chroma server exited early: {(path / 'server.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma server did not start within 60 s")
    yield ("127.0.0.1", port)
    stop(proc, 10)
    log.close()


def stop(proc: subprocess.Popen, grace_s: float) -> None:
    """Terminate a server the tests started; kill it if it does not exit in time."""
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
