"""End to end in a real Chromium: `python -m ui` on a tmp data dir with the real embedder and Chroma.

Extractive mode (REPORTQA_LLM=none) keeps it fast. Screenshots go to test-artifacts/.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, stop

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts"
EXTERNAL_DOCS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "external" / "docs"
ATHLETICS = "64fa9b27b82641eb8ecbe25b.txt"
START_TIMEOUT_S = 300  # first start indexes the report with the real embedder on two cores
ANSWER_TIMEOUT_MS = 60_000


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install chromium fonts-noto-cjk` "
                    "(CI's .ci/run does); Playwright's own browser download does not work here")
    return str(CHROMIUM)


@pytest.fixture(scope="module")
def server(chromium_path, tmp_path_factory):
    """The real app in a subprocess; yields (base url, data dir)."""
    data = tmp_path_factory.mktemp("ui-data")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_") or k == "REPORTQA_MODEL_DIR"}
    env.update(REPORTQA_DATA_DIR=str(data), REPORTQA_PORT=str(port), REPORTQA_LLM="none",
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    log_path = data / "server.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "ui"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + START_TIMEOUT_S
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"`python -m ui` exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.time() > deadline:
                pytest.fail(f"`python -m ui` did not serve within {START_TIMEOUT_S} s:\n{log_path.read_text()[-3000:]}")
            try:
                if _get(url + "/") == 200:
                    break
            except OSError:
                pass
            time.sleep(1)
        yield url, data
    finally:
        stop(proc, 20)
        log.close()


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.goto(server[0])
    pg.wait_for_selector("#rq-question textarea")
    yield pg
    context.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def ask(page, question: str):
    """Type a question, send it, and wait for its final answer; returns the last answer bubble."""
    bubbles = page.locator('#rq-chat [data-testid="bot"]')
    before = bubbles.count()
    page.fill("#rq-question textarea", question)
    page.click("#rq-send")
    page.wait_for_function(
        """n => { const b = document.querySelectorAll('#rq-chat [data-testid="bot"]');
                  return b.length > n && b[b.length - 1].querySelector('.rq-mode, .rq-error'); }""",
        arg=before, timeout=ANSWER_TIMEOUT_MS)
    return bubbles.last


def upload(page, path: Path) -> str:
    page.get_by_role("tab", name="Documents").click()
    page.wait_for_selector("#rq-documents table")
    page.set_input_files("#rq-upload input[type=file]", str(path))
    page.wait_for_selector("#rq-doc-status .rq-status", timeout=ANSWER_TIMEOUT_MS * 2)
    status = page.inner_text("#rq-doc-status")
    page.get_by_role("tab", name="Chat").click()
    return status


def test_cited_answer_with_highlighted_source(page):
    bubble = ask(page, "2026年城镇新增就业目标是多少？")
    text = bubble.inner_text()
    assert "2.8" in text and "[1]" in text, text
    assert bubble.locator('sup.rq-cite a[href="#rq-src-1"]').count() == 1
    marked = page.locator("#rq-sources mark").all_inner_texts()
    assert any("2.8萬人" in m for m in marked), marked
    shot(page, "chat-answer")

    ask(page, "2025年有几个完整社区完成建设？")
    assert "2.8萬人" not in page.inner_text("#rq-sources")
    page.locator('#rq-chat [data-testid="bot"]').first.click()  # an earlier answer shows its sources again
    page.wait_for_function("() => document.querySelector('#rq-sources').innerText.includes('2.8萬人')")


def test_upload_then_ask_about_it(page):
    doc = EXTERNAL_DOCS / ATHLETICS
    assert doc.exists(), f"missing {doc}"
    status = upload(page, doc)
    assert f"Added {ATHLETICS}" in status, status
    page.get_by_role("tab", name="Documents").click()
    assert ATHLETICS in page.inner_text("#rq-documents")
    shot(page, "documents-after-upload")
    page.get_by_role("tab", name="Chat").click()
    bubble = ask(page, "巩立姣在女子铅球比赛中的成绩是多少？")
    assert "19.67" in bubble.inner_text()
    assert ATHLETICS in page.inner_text("#rq-sources")
    assert any("19.67" in m for m in page.locator("#rq-sources mark").all_inner_texts())
    shot(page, "chat-uploaded-document")


def test_hostile_document_text_never_runs(page, tmp_path):
    evil = tmp_path / "evil.txt"
    evil.write_text("松涛区<img src=x onerror=\"window.__pwned=1\">新建了三座公园<script>window.__pwned=2</script>"
                    "[x](javascript:window.__pwned=3)。\n", encoding="utf-8")
    status = upload(page, evil)
    assert "Added evil.txt" in status, status
    bubble = ask(page, "松涛区新建了几座公园？")
    assert "<img src=x" in bubble.inner_text() or "<img src=x" in page.inner_text("#rq-sources")
    assert "<script>window.__pwned=2</script>" in page.inner_text("#rq-sources")
    assert page.locator('a[href^="javascript"]').count() == 0, "markdown in a document is not a link"
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#rq-sources img, #rq-sources script, #rq-chat .message-content img").count() == 0
    shot(page, "hostile-document")


def test_server_serves_no_data_files(server):
    url, data = server
    for path in (data / "catalog.sqlite", data / "server.log", Path("/etc/passwd")):
        assert _get(f"{url}/gradio_api/file={path}") != 200, path
