"""ui.app handlers without a server: routing, streaming, feedback, uploads (good and bad), delete, reindex.

The real Answerer runs over a tmp data dir with the fake embedder and embedded Chroma; a tiny
scripted answerer covers streaming, follow-ups and failures.
"""
from __future__ import annotations

import json

import gradio as gr
import pytest

from bot.chain import Answerer, Event
from bot.types import Answer, Citation
from index.build import Index
from tests.conftest import SEED, SHARED
from ui import documents
from ui.app import EXTRACTIVE_CONCURRENCY, ChatUI, create_app

ATHLETICS = SHARED / "eval" / "external" / "docs" / "64fa9b27b82641eb8ecbe25b.txt"
NOOP = lambda *args, **kwargs: None  # noqa: E731 - a progress bar that shows nothing


def skipped(value) -> bool:
    return value == gr.skip()


@pytest.fixture
def answerer(settings, fake_embeddings) -> Answerer:
    a = Answerer(settings, index=Index(settings, embeddings=fake_embeddings))
    a.index.build()
    return a


@pytest.fixture
def ui(answerer, settings) -> ChatUI:
    return ChatUI(answerer, settings)


def run_turn(ui: ChatUI, question: str, mode: str = "extractive", chat=None, history=None, turns=None):
    """start_turn then the answer generator, as the browser would chain them; returns every yield."""
    box, chat, llm_job, ext_job = ui.start_turn(question, chat or [], mode)
    assert box == "", "the box is cleared and stays usable"
    job = llm_job if mode == "llm" else ext_job
    assert skipped(ext_job if mode == "llm" else llm_job), "only the mode's own queue gets the job"
    return list(ui.answer(job, chat, history or [], turns or []))


def state(catalog_docs, settings) -> tuple:
    """What a failed upload must leave unchanged: the committed documents and the stored files."""
    files = sorted(p.name for p in settings.uploads_dir.rglob("*")) if settings.uploads_dir.exists() else []
    return [(d.doc_id, d.version) for d in catalog_docs()], files


class ScriptedAnswerer:
    """Same interface as Answerer (stream, default_mode, index): replays the given events."""

    def __init__(self, events, index=None, mode="llm"):
        self.events, self.index, self.mode = events, index, mode
        self.calls: list[tuple] = []

    def default_mode(self):
        return self.mode

    def stream(self, question, history=(), mode=None, only=None):
        self.calls.append((question, list(history), mode) + ((only,) if only else ()))
        for e in self.events:
            if isinstance(e, Exception):
                raise e
            yield e


# --- the app ------------------------------------------------------------------------------------
def _fns(demo) -> dict:
    return {fn.api_name: fn for fn in demo.fns.values()}


def test_create_app_routes_llm_and_extractive_to_separate_queues(answerer, settings):
    llm_settings = settings.with_(llm="local", llm_slots=3)  # the model is never loaded: construction is lazy
    demo = create_app(Answerer(llm_settings, index=answerer.index), llm_settings)
    fns = _fns(demo)
    llm = [f for f in fns.values() if f.concurrency_id == "llm"]
    extractive = [f for f in fns.values() if f.concurrency_id == "extractive"]
    assert {f.api_name for f in llm} == {"answer_llm", "ask_llm", "stream_llm"}
    assert all(f.concurrency_limit == 3 for f in llm), "as many generations at once as the model has slots"
    assert {f.api_name for f in extractive} == {"answer_extractive", "ask_extractive"}
    assert all(f.concurrency_limit == EXTRACTIVE_CONCURRENCY for f in extractive)
    assert fns["start_turn"].concurrency_limit is None, "showing the question never waits"
    assert fns["upload"].concurrency_id == "index" and fns["upload"].concurrency_limit == 1
    public = {name for name, f in fns.items() if f.api_visibility == "public"}
    assert public == {"ask_llm", "stream_llm", "ask_extractive"}, "UI internals are not a public API"


def test_create_app_without_llm_offers_only_extractive(answerer, settings):
    demo = create_app(answerer, settings)
    assert "ask_llm" not in _fns(demo)
    assert demo.report_qa.modes == ["extractive"]


def test_the_stream_api_gives_the_text_as_it_forms_then_the_verified_answer(settings):
    fake = ScriptedAnswerer([Event("status", "…"), Event("token", "2.8"), Event("token", "万人[1]"),
                             Event("answer", answer=Answer(question="q", text="2.8万人[1]", mode="llm"))])
    out = list(ChatUI(fake, settings).stream_json("q", "llm"))
    assert out[:2] == [{"partial": "2.8"}, {"partial": "2.8万人[1]"}]
    assert out[-1]["answer_marked"] == "2.8万人[1]" and len(out) == 3


def test_empty_question_starts_nothing(ui):
    assert all(skipped(x) for x in ui.start_turn("   ", [], "extractive"))


# --- chat -----------------------------------------------------------------------------------------
def test_extractive_turn_answers_with_markers_and_highlighted_sources(ui):
    steps = run_turn(ui, "2026年城镇新增就业目标是多少？")
    chat, sources, history, turns, store, conv_list = steps[-1]
    assert chat[0]["role"] == "user" and "2026年城镇新增就业目标是多少？" in chat[0]["content"]
    bubble = chat[-1]["content"]
    assert chat[-1]["role"] == "assistant" and "2.8" in bubble and 'href="#rq-src-1-1"' in bubble
    assert "<mark>" in sources and "2.8萬人" in sources.split("<mark>")[1].split("</mark>")[0]
    assert history == ["2026年城镇新增就业目标是多少？"]
    assert turns[0]["index"] == 1 and turns[0]["mode"] == "extractive" and turns[0]["citations"]
    assert store["convs"][0]["chat"] == chat and store["convs"][0]["turns"] == turns, "kept in the browser"


def test_llm_turn_streams_tokens_then_shows_the_verified_answer():
    cited = Citation(n=1, doc="gone.txt", text="新增就业2.8万人。", start=0, end=9)
    final = Answer(question="那学位呢？", text="新增学位4140个[1]。", citations=(cited,), mode="llm",
                   standalone="2026年新增多少个学位？")
    fake = ScriptedAnswerer([Event("status", "2026年新增多少个学位？"), Event("token", "新增<b>"),
                             Event("token", "学位"), Event("answer", answer=final)],
                            index=_NoDocs())
    ui = ChatUI(fake, _settings_stub())
    steps = run_turn(ui, "那学位呢？", mode="llm", history=["2026年城镇新增就业目标是多少？"])
    assert fake.calls == [("那学位呢？", ["2026年城镇新增就业目标是多少？"], "llm")]
    partial = [s[0][-1]["content"] for s in steps[:-1]]
    assert "理解为：<q>2026年新增多少个学位？</q>" in partial[1]
    assert "新增&lt;b&gt;学位" in partial[-1], "tokens are shown escaped as they arrive"
    chat, sources, history, *_ = steps[-1]
    assert "rq-streaming" not in chat[-1]["content"] and "4140" in chat[-1]["content"]
    assert "理解为" in chat[-1]["content"] and all("rq-pending" in p for p in partial)
    assert history == ["2026年城镇新增就业目标是多少？", "2026年新增多少个学位？"]
    assert "文件已改动" in sources, "a citation of a removed document still shows its quote"


def test_a_failing_answer_shows_one_line_and_reenables_input():
    fake = ScriptedAnswerer([Event("token", "半"), RuntimeError("chroma went away")], index=_NoDocs())
    steps = run_turn(ChatUI(fake, _settings_stub()), "问题", mode="llm")
    chat, sources, history, turns, store, conv_list = steps[-1]
    assert "回答时出了问题" in chat[-1]["content"] and "chroma" not in chat[-1]["content"]
    assert skipped(history) and not any("rq-pending" in m["content"] for m in chat)


def test_new_chat_clears_the_chat_and_keeps_the_old_one_in_the_list(ui):
    chat, sources, history, turns, store, _ = run_turn(ui, "2026年城镇新增就业目标是多少？")[-1]
    chat2, sources, history, turns, conv_id, conv_list = ui.new_chat(store, "zh-Hans")
    assert chat2 == [] and history == [] and turns == [] and "点答案里的" in sources
    assert [label for label, _ in conv_list["choices"]] == ["2026年城镇新增就业目标是多少？"]
    back = ui.open_conversation(conv_list["choices"][0][1], store, "zh-Hans")
    assert back[0] == chat


def test_vote_appends_a_feedback_line(ui, settings):
    chat, sources, history, turns, *_ = run_turn(ui, "2026年城镇新增就业目标是多少？")[-1]
    ui.vote(turns, "zh-Hans", gr.LikeData(None, {"index": 1, "value": chat[1]["content"], "liked": False}))
    ui.vote(turns, "zh-Hans", gr.LikeData(None, {"index": 1, "value": chat[1]["content"], "liked": True}))
    ui.vote(turns, "zh-Hans", gr.LikeData(None, {"index": 0, "value": "the question bubble", "liked": True}))
    lines = [json.loads(x) for x in (settings.data_dir / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [x["vote"] for x in lines] == ["down", "up"]
    first = lines[0]
    assert set(first) >= {"time", "question", "standalone", "answer", "citations", "mode", "vote"}
    assert first["question"] == "2026年城镇新增就业目标是多少？" and "2.8" in first["answer"]
    assert first["citations"][0]["text"] in ui.index.catalog.text(first["citations"][0]["doc"])


# --- documents: good uploads ------------------------------------------------------------------------
def test_upload_adds_a_document_that_is_answerable_at_once(ui, settings, tmp_path):
    src = tmp_path / "in" / ATHLETICS.name
    src.parent.mkdir()
    src.write_bytes(ATHLETICS.read_bytes())
    ticks = []
    status, table, choices, scope, header, file_box = ui.upload(str(src), progress=lambda *a, **k: ticks.append(a))
    assert "已添加 64fa9b27b82641eb8ecbe25b.txt" in status and "rq-ok" in status
    assert ATHLETICS.name in str(scope["choices"]) and "已载入 2 份文件" in header
    assert ATHLETICS.name in table and ATHLETICS.name in str(choices["choices"]) and file_box is None
    assert (settings.uploads_dir / ATHLETICS.name).read_bytes() == ATHLETICS.read_bytes()
    assert [p.name for p in settings.uploads_dir.iterdir()] == [ATHLETICS.name], "no partial file left"
    done, total = ticks[-1][0]
    assert done == total > 0, "the progress bar reaches the end"
    chat, sources, *_ = run_turn(ui, "巩立姣在女子铅球比赛中的成绩是多少？")[-1]
    assert "19.67" in chat[-1]["content"] and ATHLETICS.name in sources


def test_uploading_the_same_file_again_changes_nothing(ui, settings, tmp_path):
    src = tmp_path / "news.md"
    src.write_text("# 新闻\n\n松涛区新建三座公园。\n", encoding="utf-8")
    ui.upload(str(src), progress=NOOP)
    before = state(ui.index.catalog.documents, settings)
    status, *_ = ui.upload(str(src), progress=NOOP)
    assert "没有变化" in status and state(ui.index.catalog.documents, settings) == before


# --- documents: bad uploads change nothing ---------------------------------------------------------
BAD_FILES = {  # name, content, what the one-line message says
    "empty": ("empty.txt", b"", "file is empty"),
    "blank": ("blank.txt", b"  \n\t\n", "file is empty"),
    "binary renamed .txt": ("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "a PNG image"),
    "elf renamed .md": ("tool.md", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "an ELF executable"),
    "zip renamed .docx": ("archive.docx", b"PK\x03\x04" + b"\x00" * 100, "damaged zip archive"),
    "unsupported type": ("script.exe", b"MZ\x90\x00", "unsupported file type .exe"),
    "same content as the seed": ("copy-of-report.txt", SEED.read_bytes(), "same content is already indexed"),
}


@pytest.mark.parametrize("label", BAD_FILES)
def test_bad_uploads_show_one_line_and_change_nothing(ui, settings, tmp_path, label):
    name, data, reason = BAD_FILES[label]
    path = tmp_path / "bad" / name
    path.parent.mkdir()
    path.write_bytes(data)
    before = state(ui.index.catalog.documents, settings)
    status, *_ = ui.upload(str(path), progress=NOOP)
    assert status.startswith('<div class="rq-status rq-fail">未添加：') and reason in status
    assert "\n" not in status
    assert state(ui.index.catalog.documents, settings) == before


def test_too_large_upload_is_refused_before_reading(answerer, settings, tmp_path):
    small = settings.with_(max_file_mb=0.001)  # about 1 KB
    ui = ChatUI(answerer, small)
    before = state(ui.index.catalog.documents, small)
    big = tmp_path / "big.txt"
    big.write_text("很长的文件。" * 400, encoding="utf-8")
    status, *_ = ui.upload(str(big), progress=NOOP)
    assert "未添加" in status and "over the 0.001 MB limit" in status
    assert state(ui.index.catalog.documents, small) == before


@pytest.mark.parametrize("name", ["../../etc/passwd.txt", "..\\..\\windows\\win.ini.txt", "/etc/passwd.txt", ".."])
def test_path_traversal_names_are_refused(answerer, settings, tmp_path, name):
    before = state(answerer.index.catalog.documents, settings)
    with pytest.raises(documents.UploadRefused, match="plain file name"):
        documents.add_upload(answerer.index, settings, "root:x:0:0。\n".encode(), name, progress=NOOP)
    assert state(answerer.index.catalog.documents, settings) == before
    assert not (settings.data_dir / "etc").exists() and not (tmp_path / "etc").exists()


def test_odd_characters_in_names_are_replaced():
    assert documents.safe_filename("..hidden report?.TXT") == "hidden_report.txt"
    assert documents.safe_filename("年度<报告>.md") == "年度_报告.md"
    assert documents.safe_filename("???.pdf") == "document.pdf"
    with pytest.raises(documents.UploadRefused, match="unsupported file type"):
        documents.safe_filename("notes")


def test_failed_indexing_leaves_no_stored_file(ui, settings, tmp_path, monkeypatch):
    from index.build import IndexBusy

    def busy(*args, **kwargs):
        raise IndexBusy("another reindex is running; try again when it has finished")

    monkeypatch.setattr(ui.index, "add_documents", busy)
    src = tmp_path / "ok.txt"
    src.write_text("松涛区新建三座公园。\n", encoding="utf-8")
    status, *_ = ui.upload(str(src), progress=NOOP)
    assert "未添加：another reindex is running" in status
    assert not settings.uploads_dir.exists() or list(settings.uploads_dir.iterdir()) == []


# --- documents: delete and reindex ----------------------------------------------------------------
def test_delete_an_upload_removes_its_file_and_reindex_keeps_the_others(ui, settings, tmp_path):
    for name, text in (("a.txt", "甲区新建三座公园。\n"), ("b.txt", "乙区新建五座桥梁。\n")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        ui.upload(str(tmp_path / name), progress=NOOP)
    status, table, choices, *_ = ui.delete("a.txt")
    assert "已删除 a.txt" in status and "a.txt" not in str(choices["choices"])
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == ["b.txt"]

    status, table, choices, *_ = ui.reindex(progress=NOOP)
    assert "已重建索引" in status
    assert sorted(v for _, v in choices["choices"]) == sorted([SEED.name, "b.txt"]), "a full reindex keeps the uploads"


def test_delete_the_seed_then_reindex_brings_it_back(ui, settings):
    status, _, choices, *_ = ui.delete(SEED.name)
    assert "已从索引中删除" in status and "全部重建索引" in status and choices["choices"] == []
    assert SEED.exists(), "the corpus file itself is never deleted"
    chat, *_ = run_turn(ui, "2026年城镇新增就业目标是多少？")[-1]
    assert "2.8" not in chat[-1]["content"]
    _, _, choices, *_ = ui.reindex(progress=NOOP)
    assert [v for _, v in choices["choices"]] == [SEED.name]


def test_delete_unknown_or_nothing(ui):
    assert "请先选择一个文件" in ui.delete(None)[0]
    assert "未删除：no document &#x27;nope.txt&#x27;" in ui.delete("nope.txt")[0]


# --- small stand-ins --------------------------------------------------------------------------------
class _NoDocs:
    class catalog:  # noqa: N801 - mimics Index.catalog
        @staticmethod
        def text(doc_id):
            raise KeyError(doc_id)


def _settings_stub():
    from index.settings import Settings
    return Settings(llm="local")


def test_clicking_an_earlier_answer_shows_its_sources_again(ui):
    chat, _, history, turns, *_ = run_turn(ui, "2026年城镇新增就业目标是多少？")[-1]
    chat, latest, history, turns, *_ = run_turn(ui, "2025年有几个完整社区完成建设？", chat=chat, history=history,
                                                turns=turns)[-1]
    first = ui.show_turn_sources(turns, "zh-Hans", gr.SelectData(None, {"index": 1, "value": chat[1]["content"]}))
    assert "2.8萬人" in first and first != latest and 'id="rq-src-1-1"' in first
    assert skipped(ui.show_turn_sources(turns, "zh-Hans", gr.SelectData(None, {"index": 0, "value": "question"})))


# --- issue 7: stop, regenerate, a usable box, scoping, the viewer, titles, confirmations, reload ----
def test_a_question_sent_while_an_answer_forms_waits_in_the_box(ui):
    box, chat, _, job = ui.start_turn("2026年城镇新增就业目标是多少？", [], "extractive")
    again = ui.start_turn("第二个问题", chat, "extractive")
    assert all(skipped(x) for x in again), "the box keeps the text; nothing is sent twice"


def test_stop_keeps_the_conversation_and_the_next_question_works(ui):
    chat, _, history, turns, store, _ = run_turn(ui, "2026年城镇新增就业目标是多少？")[-1]
    _, chat, _, job = ui.start_turn("2025年有几个完整社区完成建设？", chat, "extractive")
    partial = next(ui.answer(job, chat, history, turns, store, "c1"))[0]  # the answer is then cancelled
    stopped, store, _ = ui.stop(partial, history, turns, store, "c1", "zh-Hans")
    assert len(stopped) == 4 and "2.8" in stopped[1]["content"] and "已停止" in stopped[-1]["content"]
    assert store["convs"][0]["chat"] == stopped
    chat, *_ = run_turn(ui, "嶗山區2026年新增多少個學位？", chat=stopped, history=history, turns=turns)[-1]
    assert "4140" in chat[-1]["content"] and len(chat) == 6


def test_regenerate_replaces_the_last_answer(ui):
    chat, _, history, turns, store, _ = run_turn(ui, "2026年城镇新增就业目标是多少？")[-1]
    chat2, llm_job, ext_job, history2, turns2 = ui.regenerate(chat, history, turns, "extractive", [], "all", "zh-Hans")
    assert skipped(llm_job) and ext_job["question"] == "2026年城镇新增就业目标是多少？"
    assert len(chat2) == 2 and "rq-pending" in chat2[-1]["content"] and history2 == [] and turns2 == []
    final = list(ui.answer(ext_job, chat2, history2, turns2, store, "c"))[-1][0]
    assert "2.8" in final[-1]["content"] and len(final) == 2


def test_scope_reaches_the_answerer_as_a_filter():
    fake = ScriptedAnswerer([Event("answer", answer=Answer(question="q", text="无"))], index=_NoDocs(), mode="extractive")
    ui = ChatUI(fake, _settings_stub())
    _, chat, _, job = ui.start_turn("问题", [], "extractive", ["a.txt"], "planned")
    assert "限定：a.txt · 计划与目标" in chat[0]["content"]
    list(ui.answer(job, chat, [], []))
    from bot.types import Filter
    assert fake.calls[0][3] == Filter(doc_ids=frozenset({"a.txt"}), period="planned")


def test_viewer_shows_the_whole_document_with_the_sentence_marked(ui):
    chat, sources, *_ = run_turn(ui, "2026年城镇新增就业目标是多少？")[-1]
    c = ui.index.catalog
    text = c.text(SEED.name)
    phrase = "實現城鎮新增就業2.8萬人"
    start = text.index(phrase)
    out = ui.view(json.dumps({"doc": SEED.name, "start": start, "end": start + len(phrase), "at": 1}), "zh-Hans")
    assert '<mark id="rq-view-mark">實現城鎮新增就業2.8萬人</mark>' in out and out.count("<p>") > 10
    assert 'class="rq-view" data-doc="laoshan-2026-npc-report.txt"' in sources
    assert skipped(ui.view("not json", "zh-Hans"))


def test_titles_are_editable_and_shown_on_source_cards(ui):
    status, *_ = ui.save_title(SEED.name, "崂山区2026年政府工作报告", "zh-Hans")
    assert "崂山区2026年政府工作报告" in status and ui.title_of(SEED.name) == "崂山区2026年政府工作报告"
    chat, sources, *_ = run_turn(ui, "2026年城镇新增就业目标是多少？")[-1]
    assert "崂山区2026年政府工作报告" in sources
    assert "标题不能为空" in ui.save_title(SEED.name, "  ", "zh-Hans")[0]


def test_delete_and_reindex_ask_for_confirmation_first(ui):
    status, row, pending = ui.ask_confirm("delete", SEED.name, "zh-Hans")
    assert "确定要删除" in status and row["visible"] and pending == f"delete:{SEED.name}"
    assert [v for _, v in ui.documents()[1]["choices"]] == [SEED.name], "nothing deleted yet"
    status, row, pending = ui.cancel("zh-Hans")
    assert "已取消" in status and not row["visible"] and pending == ""
    out = ui.confirmed(f"delete:{SEED.name}", "zh-Hans", progress=NOOP)
    assert "已从索引中删除" in out[0] and out[2]["choices"] == []
    assert "确定要重建全部索引" in ui.ask_confirm("reindex", None, "zh-Hans")[0]
    out = ui.confirmed("reindex:", "zh-Hans", progress=NOOP)
    assert "已重建索引" in out[0] and [v for _, v in out[2]["choices"]] == [SEED.name]


def test_reload_restores_the_last_conversation_in_the_saved_language(ui):
    chat, _, history, turns, store, _ = run_turn(ui, "2026年城镇新增就业目标是多少？")[-1]
    lang, chat2, history2, turns2, conv_id, conv_list, _ = ui.restore(store, "en-US")
    assert lang == "en", "no saved choice: the browser's language"
    assert (chat2, history2, turns2) == (chat, history, turns)
    lang, *_ = ui.restore({**store, "lang": "zh-Hant"}, "en-US")
    assert lang == "zh-Hant", "a language picked in the page wins over the browser's"
    lang, chat3, *_ = ui.restore(None, "")
    assert lang == "zh-Hans" and chat3 == []
