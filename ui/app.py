"""The web chat: ``create_app(answerer, settings)`` builds the Gradio Blocks, ``main()`` serves them.

Queue routing: a question first goes through ``start_turn`` (instant, never queued behind
anything), which hands it to one of two job states according to the mode toggle. Each job
state's change event runs the answer in its own concurrency group: "llm" with a limit of one
(one generation at a time; waiting users see their place in the queue) and "extractive" with
its own limit, so a quoted answer never waits behind a generation.
"""
from __future__ import annotations

import logging
import uuid
from pathlib import Path

import gradio as gr

from bot.types import EXTRACTIVE, LLM, Answer, Citation
from corpus.errors import CorpusError
from index.build import IndexingError
from index.settings import Settings
from ui import render
from ui import documents
from ui.documents import UPLOAD_TYPES, UploadRefused, add_upload_file, reindex_all, remove_document
from ui.feedback import FILENAME as FEEDBACK_FILE
from ui.feedback import record_vote, turn_record

log = logging.getLogger("ui")

EXAMPLES = (
    "2026年城镇新增就业目标是多少？",
    "2025年有几个完整社区完成建设？",
    "嶗山區2026年新增多少個學位？",
    "How many key projects did Laoshan push forward in 2025?",
    "崂山区要高标准打造什么试验区？",
)
LLM_CONCURRENCY = 1          # generations run one at a time (two cores)
EXTRACTIVE_CONCURRENCY = 4   # quoted answers: an embedding and a BM25 lookup each
DEFAULT_CONCURRENCY = 2      # every other queued event
QUEUE_MAX = 64               # waiting requests beyond this are refused ("queue full")
MAX_TURNS_KEPT = 200         # per session, for votes on older answers
MAX_HISTORY = 20             # previous standalone questions kept for follow-ups
_MODE_CHOICES = {LLM: ("LLM answer (verified)", LLM), EXTRACTIVE: ("Quote the sources (fast)", EXTRACTIVE)}


def _message(text_html: str, role: str = "assistant") -> dict:
    return {"role": role, "content": text_html}


def _one_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


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

    # --- chat --------------------------------------------------------------------------------
    def start_turn(self, question: str, chat: list | None, mode: str):
        """Show the question at once and hand it to the queue of its mode.

        Returns (question box, send button, chat, llm job, extractive job); the job of the
        other mode is left unchanged, so only one answer event fires.
        """
        question = (question or "").strip()
        if not question:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        mode = mode if mode in self.modes else self.modes[-1]
        chat = list(chat or []) + [_message(render.question_html(question), "user"),
                                   _message(render.waiting_html(mode))]
        job = {"id": uuid.uuid4().hex, "question": question, "mode": mode}
        busy = gr.update(value="", interactive=False), gr.update(interactive=False)
        return (*busy, chat, job if mode == LLM else gr.skip(), job if mode == EXTRACTIVE else gr.skip())

    def answer(self, job: dict | None, chat: list | None, history: list | None, turns: list | None):
        """Stream the answer of ``job`` into the last chat message, then the verified answer and sources.

        Yields (chat, sources, history, turns, question box, send button).
        """
        ready = gr.update(interactive=True), gr.update(interactive=True)
        if not job:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), *ready
            return
        chat = list(chat or [])
        if chat and chat[-1].get("role") == "assistant":
            chat = chat[:-1]  # the placeholder start_turn put there
        question, mode = job["question"], job["mode"]
        standalone, text, final = "", "", None
        try:
            for event in self.answerer.stream(question, list(history or []), mode):
                if event.kind == "answer":
                    final = event.answer
                    break
                if event.kind == "status":
                    standalone = event.text
                elif event.kind == "token":
                    text += event.text
                yield (chat + [_message(render.streaming_html(text, standalone, question))],
                       gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip())
        except Exception:  # noqa: BLE001 - the edge: one friendly line for the user, the traceback in the log
            log.exception("answering %r failed", question)
            final = None
        if final is None:
            bubble = render.error_html("Something went wrong while answering; the details are in the server log.")
            yield chat + [_message(bubble)], gr.skip(), gr.skip(), gr.skip(), *ready
            return
        turn = {"index": len(chat), **turn_record(final, mode)}
        history = (list(history or []) + ([final.standalone] if final.standalone else []))[-MAX_HISTORY:]
        yield (chat + [_message(render.answer_html(final))], self.sources(final), history,
               (list(turns or []) + [turn])[-MAX_TURNS_KEPT:], *ready)

    def sources(self, answer: Answer) -> str:
        """The source panel for an answer, with each cited sentence in its paragraph."""
        texts: dict[str, str | None] = {}
        for c in answer.citations:
            if c.doc not in texts:
                try:
                    texts[c.doc] = self.index.catalog.text(c.doc)
                except KeyError:  # removed since the answer was given
                    texts[c.doc] = None
        passages = {c.n: render.passage_for(texts[c.doc], c) for c in answer.citations}
        return render.sources_html(answer, passages)

    def show_turn_sources(self, turns: list | None, data: gr.SelectData):
        """Clicking an earlier answer shows its sources again (the panel follows the chosen answer)."""
        index = data.index if isinstance(data.index, int) else data.index[0]
        turn = next((t for t in turns or [] if t["index"] == index), None)
        if turn is None:
            return gr.skip()
        answer = Answer(question=turn["question"], text=turn["answer"], refused=turn["refused"],
                        citations=tuple(Citation(**c) for c in turn["citations"]))
        return self.sources(answer)

    def new_chat(self):
        """(chat, sources, history, turns, question box, send button) of an empty conversation."""
        return [], render.SOURCES_PLACEHOLDER, [], [], gr.update(interactive=True), gr.update(interactive=True)

    def vote(self, turns: list | None, data: gr.LikeData) -> None:
        """Thumbs up/down on an answer: one JSON line in DATA_DIR/feedback.jsonl."""
        index = data.index if isinstance(data.index, int) else data.index[0]
        turn = next((t for t in turns or [] if t["index"] == index), None)
        if turn is None:
            return  # a vote on a question bubble or an error message: nothing to judge
        vote = "up" if data.liked is True else "down" if data.liked is False else "cleared"
        record_vote(self.feedback_path, {k: v for k, v in turn.items() if k != "index"}, vote)
        gr.Info("Thanks for the feedback.")

    # --- documents ---------------------------------------------------------------------------
    def documents(self):
        """(table, delete choices) of the documents now in the index."""
        docs = self.index.catalog.documents()
        return render.documents_html(docs), gr.update(choices=[d.doc_id for d in docs], value=None)

    def upload(self, file: str | None, replace_existing: bool = False, progress=gr.Progress()):
        """Add one uploaded file. Returns (status, table, delete choices, file box)."""
        if not file:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        name = Path(file).name
        progress(0, desc=f"reading {name}")
        try:
            doc_id, report = self.jobs.run("upload", name, lambda tick, cancel: add_upload_file(
                self.index, self.settings, file, progress=tick, replace_existing=replace_existing, cancel=cancel),
                on_progress=_ticker(progress))
        except (UploadRefused, CorpusError, IndexingError) as e:
            status = render.status_html(f"Not added: {_one_line(e)}", ok=False)
        except Exception:  # noqa: BLE001 - the edge: the traceback goes to the log
            log.exception("upload of %r failed", name)
            status = render.status_html(f"Not added: {name}: internal error (see the server log)", ok=False)
        else:
            status = render.status_html(documents.upload_status(name, doc_id, report,
                                                                self.index.catalog.document(doc_id)))
        return (status, *self.documents(), None)

    def cancel_indexing(self):
        """Stop the running upload or reindex after its current batch. Returns the status."""
        job = self.jobs.cancel()
        if job is None:
            return render.status_html("Nothing is being indexed.", ok=False)
        return render.status_html(f"Cancelling the {job.kind} of {job.name}…")

    def reindex_plan(self):
        """What "Reindex all" will do, shown before it runs. Returns (status, confirm button)."""
        plan = documents.reindex_plan(self.index)
        return render.status_html(plan.describe() + " Click “Confirm reindex” to go ahead."), gr.update(visible=True)

    def delete(self, doc_id: str | None):
        """Remove a document. Returns (status, table, delete choices)."""
        if not doc_id:
            return render.status_html("Choose a document to delete.", ok=False), *self.documents()
        try:
            deleted_file = remove_document(self.index, self.settings, doc_id)
        except IndexingError as e:
            return render.status_html(f"Not deleted: {_one_line(e)}", ok=False), *self.documents()
        note = "" if deleted_file else " Its file stays in the corpus folder, so “Reindex all” brings it back."
        return render.status_html(f"Deleted {doc_id}.{note}"), *self.documents()

    def reindex(self, progress=gr.Progress()):
        """Rebuild the index from the corpus folder and the uploads. Returns (status, table, choices)."""
        progress(0, desc="reading documents")
        try:
            report = self.jobs.run("reindex", "all documents", lambda tick, cancel: reindex_all(
                self.index, progress=tick, cancel=cancel), on_progress=_ticker(progress))
        except (CorpusError, IndexingError) as e:
            return render.status_html(f"Not reindexed: {_one_line(e)}", ok=False), *self.documents()
        return render.status_html(f"Reindexed: {report.summary()}."), *self.documents()

    # --- API (for scripts and the benchmark) -------------------------------------------------
    def ask_json(self, question: str, mode: str) -> dict:
        return self.answerer.ask(question, mode=mode).to_json()


def _ticker(progress):
    """Adapt Gradio's progress bar to the index's (done, total, what) callback."""
    def tick(done: int, total: int, what: str) -> None:
        if total:
            progress((done, total), desc=f"embedding {what}".strip(), unit="chunks")
    return tick


def create_app(answerer, settings: Settings) -> gr.Blocks:
    """The chat and documents UI over ``answerer``, with its queue configured; no server is started."""
    ui = ChatUI(answerer, settings)
    private = {"api_visibility": "private"}
    with gr.Blocks(title="report-qa", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown("### report-qa · ask the work report — every claim is tied to its source sentence")
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Chat", elem_id="rq-chat", height=520, render_markdown=False,
                                      sanitize_html=True, feedback_options=("Like", "Dislike"),
                                      buttons=["copy"], placeholder="Ask a question about the report.")
                    with gr.Row():
                        question = gr.Textbox(show_label=False, placeholder="例如：2026年城镇新增就业目标是多少？",
                                              elem_id="rq-question", scale=5, lines=1, max_lines=4, autofocus=True)
                        send = gr.Button("Send", variant="primary", elem_id="rq-send", scale=1, min_width=80)
                    with gr.Row():
                        mode = gr.Radio([_MODE_CHOICES[m] for m in ui.modes], value=ui.modes[0], label="Answer mode",
                                        elem_id="rq-mode", interactive=len(ui.modes) > 1, scale=3)
                        new_chat = gr.Button("New chat", elem_id="rq-new-chat", scale=1)
                    gr.Examples([[q] for q in EXAMPLES], inputs=[question], label="Example questions")
                with gr.Column(scale=2):
                    sources = gr.HTML(render.SOURCES_PLACEHOLDER, elem_id="rq-sources", js_on_load=None)
        with gr.Tab("Documents"):
            table = gr.HTML(elem_id="rq-documents", js_on_load=None)
            with gr.Row():
                upload = gr.File(label=f"Add a document ({' '.join(UPLOAD_TYPES)}, up to {settings.max_file_mb:g} MB)",
                                 file_types=list(UPLOAD_TYPES), type="filepath", elem_id="rq-upload")
                with gr.Column():
                    doc_choice = gr.Dropdown(label="Document", choices=[], elem_id="rq-doc-choice")
                    delete = gr.Button("Delete document", variant="stop", elem_id="rq-delete")
                    reindex = gr.Button("Reindex all", elem_id="rq-reindex")
                    confirm = gr.Button("Confirm reindex", elem_id="rq-reindex-confirm", visible=False)
                    replace_box = gr.Checkbox(label="Replace an upload with the same name (otherwise both are kept)",
                                              value=False, elem_id="rq-replace")
                    cancel = gr.Button("Cancel indexing", elem_id="rq-cancel")
            status = gr.HTML(elem_id="rq-doc-status", js_on_load=None)

        history, turns = gr.State([]), gr.State([])
        llm_job, extractive_job = gr.State(None), gr.State(None)

        start = dict(fn=ui.start_turn, inputs=[question, chat, mode],
                     outputs=[question, send, chat, llm_job, extractive_job],
                     concurrency_limit=None, show_progress="hidden", **private)
        question.submit(**start)
        send.click(**start)
        answer_io = dict(inputs=[llm_job, chat, history, turns], outputs=[chat, sources, history, turns, question, send],
                         show_progress_on=[chat], **private)
        llm_event = llm_job.change(ui.answer, api_name="answer_llm", concurrency_limit=LLM_CONCURRENCY,
                                   concurrency_id="llm", **answer_io)
        answer_io["inputs"] = [extractive_job, chat, history, turns]
        extractive_event = extractive_job.change(ui.answer, api_name="answer_extractive",
                                                 concurrency_limit=EXTRACTIVE_CONCURRENCY,
                                                 concurrency_id="extractive", **answer_io)
        reset = dict(fn=ui.new_chat, inputs=None, outputs=[chat, sources, history, turns, question, send],
                     cancels=[llm_event, extractive_event], concurrency_limit=None, **private)
        new_chat.click(**reset)
        chat.clear(**reset)  # the chat's own trash button
        chat.like(ui.vote, [turns], None, concurrency_limit=None, **private)
        chat.select(ui.show_turn_sources, [turns], [sources], concurrency_limit=None, show_progress="hidden",
                    **private)

        docs_out = [status, table, doc_choice]
        upload.upload(ui.upload, [upload, replace_box], [*docs_out, upload], concurrency_limit=1,
                      concurrency_id="index", **private)
        delete.click(ui.delete, [doc_choice], docs_out, concurrency_limit=1, concurrency_id="index", **private)
        reindex.click(ui.reindex_plan, None, [status, confirm], concurrency_limit=None, **private)
        confirm.click(lambda: gr.update(visible=False), None, [confirm], concurrency_limit=None, **private).then(
            ui.reindex, None, docs_out, concurrency_limit=1, concurrency_id="index", **private)
        cancel.click(ui.cancel_indexing, None, [status], concurrency_limit=None, **private)
        demo.load(ui.documents, None, [table, doc_choice], concurrency_limit=None, **private)

        def ask_extractive(question: str) -> dict:
            """Answer by quoting the source sentences (never waits behind an LLM generation)."""
            return ui.ask_json(question, EXTRACTIVE)

        gr.api(ask_extractive, api_name="ask_extractive", concurrency_limit=EXTRACTIVE_CONCURRENCY,
               concurrency_id="extractive")
        if LLM in ui.modes:
            def ask_llm(question: str) -> dict:
                """Answer with the language model, verified against the sources (one generation at a time)."""
                return ui.ask_json(question, LLM)

            gr.api(ask_llm, api_name="ask_llm", concurrency_limit=LLM_CONCURRENCY, concurrency_id="llm")

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
                enable_monitoring=False, css=render.CSS)


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
