"""The web chat: ``create_app(answerer, settings)`` builds the Gradio Blocks, ``main()`` serves them.

Queue routing: a question first goes through ``start_turn`` (instant, never queued behind
anything), which hands it to one of two job states according to the mode toggle. Each job
state's change event runs the answer in its own concurrency group: "llm" with a limit of one
(one generation at a time; waiting users see their place in the queue) and "extractive" with
its own limit, so a quoted answer never waits behind a generation. Stop cancels both.

The text box stays usable while an answer forms; conversations live in the browser
(``gr.BrowserState``, see ``ui.conversations``) and come back on reload. Every word shown is
from ``ui.i18n`` in the language picked in the header (Simplified Chinese unless the browser
asks for Traditional or English).
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from bot.types import EXTRACTIVE, LLM, Answer, Citation, Filter
from corpus.errors import CorpusError
from corpus.types import ACHIEVED, PLANNED
from index.build import IndexingError
from index.settings import Settings
from ui import conversations as conv
from ui import render
from ui import documents
from ui.documents import UPLOAD_TYPES, UploadRefused, add_upload_file, reindex_all, remove_document
from ui.feedback import FILENAME as FEEDBACK_FILE
from ui.feedback import record_vote, turn_record
from ui.i18n import DEFAULT, LANGUAGE_NAMES, LANGUAGES, normalize, pick_language, t

log = logging.getLogger("ui")

# Each one is answered correctly today (tests/test_ui_examples.py asks them with the real models).
EXAMPLES = (
    ("2026年城镇新增就业目标是多少？", "2.8"),
    ("嶗山區去年新增就業多少人？", "3.19"),
    ("2025年有几个完整社区完成建设？", "8"),
    ("嶗山區2026年新增多少個學位？", "4140"),
    ("How many jobs does Laoshan plan to add in cities and towns in 2026?", "2.8"),
)
EXTRACTIVE_CONCURRENCY = 4   # quoted answers: an embedding and a BM25 lookup each
DEFAULT_CONCURRENCY = 2      # every other queued event
QUEUE_MAX = 64               # waiting requests beyond this are refused ("queue full")
MAX_TURNS_KEPT = 200         # per conversation, for votes on older answers
MAX_HISTORY = 20             # previous standalone questions kept for follow-ups
PERIOD_ALL = "all"


def _message(text_html: str, role: str = "assistant") -> dict:
    return {"role": role, "content": text_html}


def _one_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _index_of(data) -> int:
    return data.index if isinstance(data.index, int) else data.index[0]


class ChatUI:
    """The event handlers, over an Answerer and Settings; plain methods so tests call them directly."""

    def __init__(self, answerer, settings: Settings) -> None:
        self.answerer = answerer
        self.settings = settings
        self.modes = [LLM, EXTRACTIVE] if answerer.default_mode() == LLM else [EXTRACTIVE]
        self.jobs = documents.IndexJobs()  # indexing runs in the background, so it can be cancelled

    @property
    def index(self):
        return self.answerer.index

    @property
    def feedback_path(self) -> Path:
        return self.settings.data_dir / FEEDBACK_FILE

    def names(self) -> dict[str, str]:
        """doc_id -> title, as the catalog has them now (titles are editable)."""
        try:
            return {d.doc_id: d.title for d in self.index.catalog.documents()}
        except AttributeError:  # a test stand-in without documents
            return {}

    # --- chat --------------------------------------------------------------------------------
    def start_turn(self, question: str, chat: list | None, mode: str, docs: list | None = None,
                   period: str | None = None, lang: str = DEFAULT):
        """Show the question at once and hand it to the queue of its mode.

        Returns (question box, chat, llm job, extractive job); the job of the other mode is left
        unchanged, so only one answer event fires. The box is cleared but stays usable; while an
        answer is still forming a new question waits in the box (with a message saying why).
        """
        question = (question or "").strip()
        lang = normalize(lang)
        if not question:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        chat = list(chat or [])
        if chat and render.is_pending(chat[-1]):
            gr.Warning(t(lang, "busy"))
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        mode = mode if mode in self.modes else self.modes[-1]
        docs = [d for d in docs or [] if isinstance(d, str)]
        period = period if period in (ACHIEVED, PLANNED) else None
        names = self.names()
        note = render.scope_note([names.get(d, d) for d in docs], t(lang, f"period_{period}") if period else "", lang)
        step = "thinking_queue" if mode == LLM else "thinking_search"
        chat += [_message(render.question_html(question, note), "user"), _message(render.thinking_html(lang, step))]
        job = {"id": uuid.uuid4().hex, "question": question, "mode": mode, "docs": docs, "period": period,
               "lang": lang, "sent": time.time()}
        return "", chat, job if mode == LLM else gr.skip(), job if mode == EXTRACTIVE else gr.skip()

    def answer(self, job: dict | None, chat: list | None, history: list | None, turns: list | None,
               store: dict | None = None, conv_id: str = ""):
        """Stream the answer of ``job`` into the last chat message, then the verified answer and sources.

        Yields (chat, sources, history, turns, store, conversation list).
        """
        if not job:
            yield (gr.skip(),) * 6
            return
        lang = normalize(job.get("lang"))
        chat = list(chat or [])
        if chat and render.is_pending(chat[-1]):
            chat = chat[:-1]  # the thinking bubble start_turn put there
        question, mode = job["question"], job["mode"]
        only = Filter(doc_ids=frozenset(job.get("docs") or ()), period=job.get("period"))
        skip5 = (gr.skip(),) * 5
        yield (chat + [_message(render.thinking_html(lang, "thinking_search"))], *skip5)
        standalone, text, final = "", "", None
        try:
            for event in self.answerer.stream(question, list(history or []), mode, only=only or None):
                if event.kind == "answer":
                    final = event.answer
                    break
                if event.kind == "status":
                    standalone = event.text
                elif event.kind == "token":
                    text += event.text
                step = "thinking_write" if text else "thinking_search"
                yield (chat + [_message(render.thinking_html(lang, step, text, standalone, question))], *skip5)
        except Exception:  # noqa: BLE001 - the edge: one friendly line for the user, the traceback in the log
            log.exception("answering %r failed", question)
            final = None
        if final is None:
            chat = chat + [_message(render.error_html(t(lang, "error")))]
            store = conv.save(store, conv_id, chat, history or [], turns or [])
            yield chat, gr.skip(), gr.skip(), gr.skip(), store, self._conv_list(store, lang, conv_id)
            return
        key = len(chat)
        names = self.names()
        seconds = time.time() - job.get("sent", time.time())
        turn = {"index": key, **turn_record(final, mode), "lang": lang}
        history = (list(history or []) + ([final.standalone] if final.standalone else []))[-MAX_HISTORY:]
        turns = (list(turns or []) + [turn])[-MAX_TURNS_KEPT:]
        chat = chat + [_message(render.answer_html(final, lang, key, seconds, names))]
        store = conv.save(store, conv_id, chat, history, turns)
        yield chat, self.sources(final, lang, key), history, turns, store, self._conv_list(store, lang, conv_id)

    def sources(self, answer: Answer, lang: str = DEFAULT, key: int = 0) -> str:
        """The source panel for an answer, with each cited sentence in its paragraph."""
        texts: dict[str, str | None] = {}
        for c in answer.citations:
            if c.doc not in texts:
                try:
                    texts[c.doc] = self.index.catalog.text(c.doc)
                except KeyError:  # removed since the answer was given
                    texts[c.doc] = None
        passages = {c.n: render.passage_for(texts[c.doc], c) for c in answer.citations}
        return render.sources_html(answer, passages, self.names(), lang, key)

    def show_turn_sources(self, turns: list | None, lang: str, data: gr.SelectData):
        """Clicking an answer (or one of its [n]) shows its sources (the panel follows the chosen answer)."""
        index = _index_of(data)
        turn = next((x for x in turns or [] if x["index"] == index), None)
        if turn is None:
            return gr.skip()
        return self.sources(_turn_answer(turn), normalize(lang), index)

    def stop(self, chat: list | None, history: list | None, turns: list | None, store: dict | None,
             conv_id: str, lang: str):
        """Stop the answer being formed (the event is cancelled): the conversation stays, the
        unfinished bubble says it was stopped. Returns (chat, store, conversation list)."""
        chat = list(chat or [])
        if not chat or not render.is_pending(chat[-1]):
            return gr.skip(), gr.skip(), gr.skip()
        chat[-1] = _message(render.stopped_html(normalize(lang)))
        store = conv.save(store, conv_id, chat, history or [], turns or [])
        return chat, store, self._conv_list(store, lang, conv_id)

    def regenerate(self, chat: list | None, history: list | None, turns: list | None, mode: str,
                   docs: list | None, period: str | None, lang: str):
        """Ask the last question again (its answer is replaced).

        Returns (chat, llm job, extractive job, history, turns).
        """
        chat = list(chat or [])
        last_user = max((i for i, m in enumerate(chat) if m.get("role") == "user"), default=None)
        if last_user is None or (chat and render.is_pending(chat[-1])):
            return (gr.skip(),) * 5
        turns = [x for x in turns or [] if x["index"] < last_user]
        history = list(history or [])
        previous = _question_of(chat[last_user])
        if history and chat[last_user + 1:]:
            history = history[:-1]  # the answer being replaced added its standalone question
        _, chat, llm_job, ext_job = self.start_turn(previous, chat[:last_user], mode, docs, period, lang)
        return chat, llm_job, ext_job, history, turns

    def new_chat(self, store: dict | None, lang: str):
        """(chat, sources, history, turns, conversation id, conversation list) of an empty conversation;
        the one before stays in the list."""
        conv_id = conv.new_id()
        return [], render.sources_placeholder(normalize(lang)), [], [], conv_id, self._conv_list(store, lang, None)

    def open_conversation(self, chosen: str | None, store: dict | None, lang: str):
        """Switch to a past conversation: (chat, sources, history, turns, conversation id)."""
        found = conv.find(store, chosen or "")
        if found is None:
            return (gr.skip(),) * 5
        return (_settled(found["chat"], lang), render.sources_placeholder(normalize(lang)), found["history"],
                found["turns"], found["id"])

    def restore(self, store: dict | None, browser_languages: str = ""):
        """On page load: the language (saved choice, else the browser's) and the last conversation.

        Returns (language, chat, history, turns, conversation id, conversation list, sources).
        """
        store = conv.valid(store)
        lang = store["lang"] if store["lang"] in LANGUAGES else pick_language(browser_languages)
        current = conv.find(store, store["current"]) or (store["convs"][0] if store["convs"] else None)
        if current is None:
            conv_id = conv.new_id()
            return lang, [], [], [], conv_id, self._conv_list(store, lang, None), render.sources_placeholder(lang)
        return (lang, _settled(current["chat"], lang), current["history"], current["turns"], current["id"],
                self._conv_list(store, lang, current["id"]), render.sources_placeholder(lang))

    def _conv_list(self, store, lang: str, current: str | None):
        return gr.update(choices=conv.choices(store, t(normalize(lang), "untitled")), value=current or None)

    def vote(self, turns: list | None, lang: str, data: gr.LikeData) -> None:
        """Thumbs up/down on an answer: one JSON line in DATA_DIR/feedback.jsonl."""
        turn = next((x for x in turns or [] if x["index"] == _index_of(data)), None)
        if turn is None:
            return  # a vote on a question bubble or an error message: nothing to judge
        vote = "up" if data.liked is True else "down" if data.liked is False else "cleared"
        record_vote(self.feedback_path, {k: v for k, v in turn.items() if k not in ("index", "lang")}, vote)
        gr.Info(t(normalize(lang), "thanks"))

    def view(self, request: str, lang: str) -> str:
        """The whole-document viewer for a source card's request ({"doc", "start", "end", "at"})."""
        try:
            req = json.loads(request or "{}")
            doc, start, end = str(req["doc"]), int(req["start"]), int(req["end"])
        except (ValueError, KeyError, TypeError):
            return gr.skip()
        try:
            text = self.index.catalog.text(doc)
        except KeyError:
            text = None
        return render.document_view_html(doc, self.names().get(doc, doc), text, start, end, normalize(lang),
                                         req.get("at", ""))

    # --- documents ---------------------------------------------------------------------------
    def documents(self, lang: str = DEFAULT):
        """(table, document choice, scope choices, header) for the documents now in the index."""
        lang = normalize(lang)
        docs = self.index.catalog.documents()
        choices = [(f"{d.title} ({d.doc_id})" if d.title != d.doc_id else d.doc_id, d.doc_id) for d in docs]
        return (render.documents_html(docs, lang), gr.update(choices=choices, value=None),
                gr.update(choices=choices), render.header_html(docs, lang))

    def upload(self, file: str | None, replace_existing: bool = False, lang: str = DEFAULT, progress=gr.Progress()):
        """Add one uploaded file. Returns (status, table, document choice, scope choices, header, file box)."""
        lang = normalize(lang)
        if not file:
            return (gr.skip(),) * 6
        name = Path(file).name
        progress(0, desc=t(lang, "reading", name=name))
        try:
            doc_id, report = self.jobs.run("upload", name, lambda tick, cancel: add_upload_file(
                self.index, self.settings, file, progress=tick, replace_existing=replace_existing, cancel=cancel),
                on_progress=_ticker(progress, lang))
        except (UploadRefused, CorpusError, IndexingError) as e:
            status = render.status_html(t(lang, "not_added", why=_one_line(e)), ok=False)
        except Exception:  # noqa: BLE001 - the edge: the traceback goes to the log
            log.exception("upload of %r failed", name)
            status = render.status_html(t(lang, "internal", name=name), ok=False)
        else:
            info = self.index.catalog.document(doc_id)
            status = render.status_html(t(lang, "unchanged", doc=doc_id) if report.unchanged else t(
                lang, "added", doc=doc_id, n_sentences=info.n_sentences, n_chunks=info.n_chunks, s=report.seconds)
                + (f" ({documents.upload_status(name, doc_id, report, info)})" if doc_id != name or report.replaced
                   else ""))
        return (status, *self.documents(lang), None)

    def ask_confirm(self, action: str, doc_id: str | None, lang: str = DEFAULT):
        """First step of delete / reindex all: (status, confirmation row, pending action)."""
        lang = normalize(lang)
        if action == "delete" and not doc_id:
            return render.status_html(t(lang, "choose_doc"), ok=False), gr.update(visible=False), ""
        text = t(lang, "confirm_delete", doc=doc_id) if action == "delete" else \
            t(lang, "confirm_reindex") + " " + documents.reindex_plan(self.index).describe()
        return render.status_html(text, ok=False), gr.update(visible=True), f"{action}:{doc_id or ''}"

    def cancel_indexing(self, lang: str = DEFAULT):
        """Stop the running upload or reindex after its current batch. Returns the status."""
        job = self.jobs.cancel()
        if job is None:
            return render.status_html(t(normalize(lang), "nothing_indexing"), ok=False)
        return render.status_html(t(normalize(lang), "cancelling", doc=job.name))

    def cancel(self, lang: str = DEFAULT):
        """(status, confirmation row, pending action) after "cancel"."""
        return render.status_html(t(normalize(lang), "cancelled")), gr.update(visible=False), ""

    def confirmed(self, pending: str, lang: str = DEFAULT, progress=gr.Progress()):
        """Run the confirmed action. Returns (status, table, document choice, scope choices, header,
        confirmation row, pending action)."""
        action, _, doc_id = (pending or "").partition(":")
        hide = (gr.update(visible=False), "")
        if action == "delete":
            return (*self.delete(doc_id, lang), *hide)
        if action == "reindex":
            return (*self.reindex(lang, progress), *hide)
        return (gr.skip(),) * 5 + hide

    def delete(self, doc_id: str | None, lang: str = DEFAULT):
        """Remove a document. Returns (status, table, document choice, scope choices, header)."""
        lang = normalize(lang)
        if not doc_id:
            return render.status_html(t(lang, "choose_doc"), ok=False), *self.documents(lang)
        try:
            deleted_file = remove_document(self.index, self.settings, doc_id)
        except IndexingError as e:
            return render.status_html(t(lang, "not_deleted", why=_one_line(e)), ok=False), *self.documents(lang)
        return render.status_html(t(lang, "deleted" if deleted_file else "deleted_corpus", doc=doc_id)), \
            *self.documents(lang)

    def reindex(self, lang: str = DEFAULT, progress=gr.Progress()):
        """Rebuild the index from the corpus folder and the uploads. Returns like ``delete``."""
        lang = normalize(lang)
        progress(0, desc=t(lang, "reading", name="…"))
        try:
            r = self.jobs.run("reindex", "all documents", lambda tick, cancel: reindex_all(
                self.index, progress=tick, cancel=cancel), on_progress=_ticker(progress, lang))
        except (CorpusError, IndexingError) as e:
            return render.status_html(t(lang, "not_reindexed", why=_one_line(e)), ok=False), *self.documents(lang)
        return render.status_html(t(lang, "reindexed", added=len(r.added), updated=len(r.updated),
                                    removed=len(r.removed), unchanged=len(r.unchanged), s=r.seconds)), \
            *self.documents(lang)

    def title_of(self, doc_id: str | None) -> str:
        info = self.index.catalog.document(doc_id) if doc_id else None
        return info.title if info else ""

    def save_title(self, doc_id: str | None, title: str, lang: str = DEFAULT):
        """Rename a document. Returns (status, table, document choice, scope choices, header)."""
        lang = normalize(lang)
        if not doc_id:
            return render.status_html(t(lang, "choose_doc"), ok=False), *self.documents(lang)
        try:
            found = self.index.catalog.set_title(doc_id, title)
        except ValueError:
            return render.status_html(t(lang, "title_empty"), ok=False), *self.documents(lang)
        if not found:
            return render.status_html(t(lang, "not_deleted", why=doc_id), ok=False), *self.documents(lang)
        new = self.title_of(doc_id)
        return render.status_html(t(lang, "title_saved", doc=doc_id, title=new)), *self.documents(lang)

    # --- API (for scripts and the benchmark) -------------------------------------------------
    def ask_json(self, question: str, mode: str) -> dict:
        return self.answerer.ask(question, mode=mode).to_json()

    def stream_json(self, question: str, mode: str) -> Iterator[dict]:
        """The answer as a reader sees it form: {"partial": the text so far} per token the model
        writes, then the verified answer's JSON (which may differ: unsupported claims go)."""
        text = ""
        for event in self.answerer.stream(question, mode=mode):
            if event.kind == "token":
                text += event.text
                yield {"partial": text}
            elif event.kind == "answer":
                yield event.answer.to_json()


def _question_of(message: dict) -> str:
    import html
    import re

    content = str(message.get("content", ""))
    m = re.search(r'<div class="rq-question">(.*?)</div>', content, re.DOTALL)
    return html.unescape((m.group(1) if m else content).replace("<br>", "\n"))


def _settled(chat: list, lang: str) -> list:
    """A stored chat whose last bubble was still forming (the page was reloaded mid-answer) ends "stopped"."""
    chat = list(chat or [])
    if chat and render.is_pending(chat[-1]):
        chat[-1] = _message(render.stopped_html(normalize(lang)))
    return chat


def _turn_answer(turn: dict) -> Answer:
    return Answer(question=turn["question"], text=turn["answer"], refused=turn["refused"],
                  citations=tuple(Citation(**c) for c in turn["citations"]))


def _ticker(progress, lang: str = DEFAULT):
    """Adapt Gradio's progress bar to the index's (done, total, what) callback."""
    def tick(done: int, total: int, what: str) -> None:
        if total:
            progress((done, total), desc=t(lang, "embedding", what=what).strip(), unit="chunks")
    return tick


def _mode_choices(modes: list[str], lang: str) -> list[tuple[str, str]]:
    return [(t(lang, f"mode_{m}"), m) for m in modes]


def _period_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(lang, "period_all"), PERIOD_ALL), (t(lang, "period_achieved"), ACHIEVED),
            (t(lang, "period_planned"), PLANNED)]


def create_app(answerer, settings: Settings) -> gr.Blocks:
    """The chat and documents UI over ``answerer``, with its queue configured; no server is started."""
    ui = ChatUI(answerer, settings)
    private = {"api_visibility": "private"}
    lang0 = DEFAULT
    L = lambda key, **kw: t(lang0, key, **kw)  # noqa: E731 - the initial (default-language) labels
    mode_help = "mode_help" if len(ui.modes) > 1 else "mode_help_extractive"
    with gr.Blocks(title=L("app_title"), analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        with gr.Row(equal_height=True):
            title = gr.HTML(f'<h3 style="margin:0">{L("app_title")}</h3><div class="rq-tagline">{L("tagline")}</div>',
                            elem_id="rq-title")
            lang = gr.Radio([(LANGUAGE_NAMES[x], x) for x in LANGUAGES], value=lang0, label=L("language"),
                            elem_id="rq-lang", scale=0, min_width=260)
        with gr.Row(equal_height=True):
            header = gr.HTML(render.header_html([], lang0), elem_id="rq-header")
            manage = gr.Button(L("manage_docs"), elem_id="rq-manage", size="sm", scale=0, min_width=100)
        with gr.Tabs() as tabs:
            with gr.Tab(L("tab_chat"), id="chat", elem_id="rq-tab-chat") as tab_chat:
                with gr.Row():
                    with gr.Column(scale=3, min_width=320):
                        chat = gr.Chatbot(label=L("chat_label"), elem_id="rq-chat", height=520, render_markdown=False,
                                          sanitize_html=True, feedback_options=("Like", "Dislike"),
                                          buttons=["copy", "copy_all"], placeholder=L("chat_placeholder"))
                        progress_box = gr.HTML("", elem_id="rq-progress")
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(show_label=False, placeholder=L("question_placeholder"),
                                                  elem_id="rq-question", scale=5, lines=1, max_lines=4, autofocus=True)
                            send = gr.Button(L("send"), variant="primary", elem_id="rq-send", scale=1, min_width=70)
                            stop = gr.Button(L("stop"), variant="stop", elem_id="rq-stop", scale=1, min_width=70)
                        with gr.Row():
                            regenerate = gr.Button(L("regenerate"), elem_id="rq-regenerate", size="sm")
                            new_chat = gr.Button(L("new_chat"), elem_id="rq-new-chat", size="sm")
                        mode = gr.Radio(_mode_choices(ui.modes, lang0), value=ui.modes[0], label=L("mode"),
                                        info=L(mode_help), elem_id="rq-mode", interactive=len(ui.modes) > 1)
                        with gr.Accordion(L("scope"), open=False, elem_id="rq-scope") as scope_box:
                            scope_docs = gr.Dropdown(choices=[], value=[], multiselect=True, label=L("scope_docs"),
                                                     elem_id="rq-scope-docs")
                            scope_period = gr.Radio(_period_choices(lang0), value=PERIOD_ALL, label=L("scope_period"),
                                                    elem_id="rq-scope-period")
                        examples = gr.Dataset(components=[question], samples=[[q] for q, _ in EXAMPLES],
                                              label=L("examples"), elem_id="rq-examples")
                        conv_list = gr.Dropdown(choices=[], value=None, label=L("history"), elem_id="rq-history")
                    with gr.Column(scale=2, min_width=280, elem_id="rq-sources-col"):
                        sources = gr.HTML(render.sources_placeholder(lang0), elem_id="rq-sources")
            with gr.Tab(L("tab_docs"), id="docs", elem_id="rq-tab-docs") as tab_docs:
                table = gr.HTML(elem_id="rq-documents")
                status = gr.HTML(elem_id="rq-doc-status")
                with gr.Row():
                    with gr.Column():
                        upload = gr.File(label=L("upload", types=" ".join(UPLOAD_TYPES), mb=settings.max_file_mb),
                                         type="filepath", elem_id="rq-upload")
                        replace_box = gr.Checkbox(label=L("replace_upload"), value=False, elem_id="rq-replace")
                        cancel_indexing = gr.Button(L("cancel_indexing"), elem_id="rq-cancel-indexing", size="sm")
                    with gr.Column():
                        doc_choice = gr.Dropdown(label=L("doc_choice"), choices=[], elem_id="rq-doc-choice")
                        title_box = gr.Textbox(label=L("title_box"), elem_id="rq-title-box", max_lines=1)
                        save_title = gr.Button(L("save_title"), elem_id="rq-save-title", size="sm")
                        with gr.Row():
                            delete = gr.Button(L("delete"), variant="stop", elem_id="rq-delete", size="sm")
                            reindex = gr.Button(L("reindex"), elem_id="rq-reindex", size="sm")
                        with gr.Row(visible=False, elem_id="rq-confirm-row") as confirm_row:
                            confirm = gr.Button(L("confirm"), variant="stop", elem_id="rq-confirm", size="sm")
                            cancel = gr.Button(L("cancel"), elem_id="rq-cancel", size="sm")
        with gr.Column(elem_id="rq-viewer-wrap"):
            viewer = gr.HTML("", elem_id="rq-viewer")
        viewer_req = gr.Textbox(visible="hidden", elem_id="rq-viewer-req")
        browser_langs = gr.Textbox(visible="hidden", elem_id="rq-browser-langs")

        store = gr.BrowserState(conv.empty_store(), storage_key="report-qa-conversations")
        history, turns, conv_id = gr.State([]), gr.State([]), gr.State("")
        llm_job, extractive_job, pending = gr.State(None), gr.State(None), gr.State("")

        # --- language -------------------------------------------------------------------------
        def relabel(code: str, saved: dict):
            code = normalize(code)
            T = lambda key, **kw: t(code, key, **kw)  # noqa: E731
            saved = {**conv.valid(saved), "lang": code}
            return (
                f'<h3 style="margin:0">{T("app_title")}</h3><div class="rq-tagline">{T("tagline")}</div>',
                gr.update(label=T("language")), gr.update(value=T("manage_docs")),
                gr.update(label=T("tab_chat")), gr.update(label=T("tab_docs")),
                gr.update(label=T("chat_label"), placeholder=T("chat_placeholder")),
                gr.update(placeholder=T("question_placeholder")), gr.update(value=T("send")),
                gr.update(value=T("stop")), gr.update(value=T("regenerate")), gr.update(value=T("new_chat")),
                gr.update(choices=_mode_choices(ui.modes, code), label=T("mode"), info=T(mode_help)),
                gr.update(label=T("scope")), gr.update(label=T("scope_docs")),
                gr.update(choices=_period_choices(code), label=T("scope_period")),
                gr.update(label=T("examples")), gr.update(label=T("history"),
                                                          choices=conv.choices(saved, T("untitled"))),
                gr.update(label=T("upload", types=" ".join(UPLOAD_TYPES), mb=settings.max_file_mb)),
                gr.update(label=T("doc_choice")), gr.update(label=T("title_box")), gr.update(value=T("save_title")),
                gr.update(value=T("delete")), gr.update(value=T("reindex")), gr.update(value=T("confirm")),
                gr.update(value=T("cancel")), render.header_html(ui.index.catalog.documents(), code),
                render.documents_html(ui.index.catalog.documents(), code), saved)

        labelled = [title, lang, manage, tab_chat, tab_docs, chat, question, send, stop, regenerate, new_chat, mode,
                    scope_box, scope_docs, scope_period, examples, conv_list, upload, doc_choice, title_box,
                    save_title, delete, reindex, confirm, cancel, header, table, store]
        lang.change(relabel, [lang, store], labelled, concurrency_limit=None, show_progress="hidden", **private)

        demo.load(ui.restore, [store, browser_langs], [lang, chat, history, turns, conv_id, conv_list, sources],
                  js="(store, langs) => [store, (navigator.languages || [navigator.language]).join(',')]",
                  concurrency_limit=None, show_progress="hidden", **private)
        demo.load(ui.documents, [lang], [table, doc_choice, scope_docs, header], concurrency_limit=None,
                  show_progress="hidden", **private)
        manage.click(lambda: gr.Tabs(selected="docs"), None, tabs, concurrency_limit=None, **private)

        # --- chat -----------------------------------------------------------------------------
        scope_in = [scope_docs, scope_period]
        start = dict(fn=ui.start_turn, inputs=[question, chat, mode, *scope_in, lang],
                     outputs=[question, chat, llm_job, extractive_job],
                     concurrency_limit=None, show_progress="hidden", **private)
        question.submit(**start)
        send.click(**start)
        answer_io = dict(inputs=[llm_job, chat, history, turns, store, conv_id],
                         outputs=[chat, sources, history, turns, store, conv_list],
                         show_progress_on=[progress_box], show_progress="minimal", **private)
        llm_event = llm_job.change(ui.answer, api_name="answer_llm", concurrency_limit=settings.llm_slots,
                                   concurrency_id="llm", **answer_io)
        answer_io["inputs"] = [extractive_job, chat, history, turns, store, conv_id]
        extractive_event = extractive_job.change(ui.answer, api_name="answer_extractive",
                                                 concurrency_limit=EXTRACTIVE_CONCURRENCY,
                                                 concurrency_id="extractive", **answer_io)
        answering = [llm_event, extractive_event]
        stop.click(ui.stop, [chat, history, turns, store, conv_id, lang], [chat, store, conv_list],
                   cancels=answering, concurrency_limit=None, show_progress="hidden", **private)
        again = dict(fn=ui.regenerate, inputs=[chat, history, turns, mode, *scope_in, lang],
                     outputs=[chat, llm_job, extractive_job, history, turns], concurrency_limit=None,
                     show_progress="hidden", **private)
        regenerate.click(**again)
        chat.retry(**again)
        reset = dict(fn=ui.new_chat, inputs=[store, lang], outputs=[chat, sources, history, turns, conv_id, conv_list],
                     cancels=answering, concurrency_limit=None, show_progress="hidden", **private)
        new_chat.click(**reset)
        chat.clear(**reset)  # the chat's own trash button
        conv_list.input(ui.open_conversation, [conv_list, store, lang], [chat, sources, history, turns, conv_id],
                        cancels=answering, concurrency_limit=None, show_progress="hidden", **private)
        chat.like(ui.vote, [turns, lang], None, concurrency_limit=None, **private)
        chat.select(ui.show_turn_sources, [turns, lang], [sources], concurrency_limit=None, show_progress="hidden",
                    **private)
        examples.click(lambda sample: sample[0] if sample else gr.skip(), [examples], [question],
                       concurrency_limit=None, show_progress="hidden", **private)
        viewer_req.change(ui.view, [viewer_req, lang], [viewer], concurrency_limit=None, show_progress="hidden",
                          **private)

        # --- documents --------------------------------------------------------------------------
        docs_out = [status, table, doc_choice, scope_docs, header]
        index_queue = dict(concurrency_limit=1, concurrency_id="index", **private)
        upload.upload(ui.upload, [upload, replace_box, lang], [*docs_out, upload], show_progress_on=[status],
                      **index_queue)
        cancel_indexing.click(ui.cancel_indexing, [lang], [status], concurrency_limit=None, show_progress="hidden",
                              **private)
        doc_choice.input(ui.title_of, [doc_choice], [title_box], concurrency_limit=None, show_progress="hidden",
                         **private)
        save_title.click(ui.save_title, [doc_choice, title_box, lang], docs_out, show_progress_on=[status],
                         **index_queue)
        ask = dict(outputs=[status, confirm_row, pending], concurrency_limit=None, show_progress="hidden", **private)
        delete.click(lambda d, code: ui.ask_confirm("delete", d, code), [doc_choice, lang], **ask)
        reindex.click(lambda code: ui.ask_confirm("reindex", None, code), [lang], **ask)
        cancel.click(ui.cancel, [lang], **ask)
        confirm.click(ui.confirmed, [pending, lang], [*docs_out, confirm_row, pending], show_progress_on=[status],
                      **index_queue)

        def ask_extractive(question: str) -> dict:
            """Answer by quoting the source sentences (never waits behind an LLM generation)."""
            return ui.ask_json(question, EXTRACTIVE)

        gr.api(ask_extractive, api_name="ask_extractive", concurrency_limit=EXTRACTIVE_CONCURRENCY,
               concurrency_id="extractive")
        if LLM in ui.modes:
            def ask_llm(question: str) -> dict:
                """Answer with the language model, verified against the sources (one generation at a time)."""
                return ui.ask_json(question, LLM)

            gr.api(ask_llm, api_name="ask_llm", concurrency_limit=settings.llm_slots, concurrency_id="llm")

            def stream_llm(question: str) -> Iterator[dict]:
                """As ask_llm, streamed: {"partial": text so far} as the model writes, then the answer."""
                yield from ui.stream_json(question, LLM)

            gr.api(stream_llm, api_name="stream_llm", concurrency_limit=settings.llm_slots, concurrency_id="llm")

    demo.queue(default_concurrency_limit=DEFAULT_CONCURRENCY, max_size=QUEUE_MAX)
    demo.report_qa = ui  # the handlers, for tests and scripts
    return demo


def launch_options(settings: Settings) -> dict:
    """Server options: loopback by default, no share link, optional login, no extra files served."""
    auth = documents.LoginGuard(settings.auth, settings.login_attempts) if settings.auth else None
    return dict(server_name=settings.host, server_port=settings.port, share=False, auth=auth,
                max_file_size=settings.max_file_bytes, allowed_paths=None,
                blocked_paths=[str(settings.data_dir.resolve()), str(settings.model_dir.resolve())],
                footer_links=["api"], show_error=False, ssr_mode=False, mcp_server=False, pwa=False,
                enable_monitoring=False, css=render.CSS, js=render.JS)


def ensure_index(answerer, settings: Settings) -> None:
    """A fresh data dir gets the default corpus (and any kept uploads) indexed first."""
    if answerer.index.catalog.documents():
        return
    log.info("the index at %s is empty; indexing %s", settings.data_dir, settings.corpus_dir)
    reindex_all(answerer.index)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.chain import Answerer
    from bot.llm import LLMError
    from index.build import IndexBusy

    try:
        settings = Settings.from_env()
    except ValueError as e:
        log.error("%s", e)
        return 2
    answerer = Answerer(settings)
    documents.remove_stale_parts(settings)
    try:
        ensure_index(answerer, settings)
    except IndexBusy as e:
        log.warning("%s; starting anyway, documents appear when it finishes", e)
    except (CorpusError, IndexingError) as e:
        log.error("cannot build the index: %s", e)
        return 1
    try:
        answerer.warm_up()
    except LLMError as e:
        log.warning("the language model is unavailable (%s); answering by quoting the sources", e)
        answerer = Answerer(settings.with_(llm="none"), index=answerer.index)
        answerer.warm_up()
    demo = create_app(answerer, settings)
    demo.launch(**launch_options(settings))
    return 0
