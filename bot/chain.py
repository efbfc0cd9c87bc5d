"""The answering chain (LangChain LCEL): condense -> retrieve -> numbered context -> LLM -> verify.

``Answerer`` is what the CLI and the UI hold. ``stream()`` yields events as the answer forms
(status, tokens, the final verified Answer); ``ask()`` is the same path, consumed.
"""
from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from importlib import resources

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from bot import answer as A
from bot.condense import condense, is_follow_up
from bot.lang import EN, HANS, HANT, detect, to_script
from bot.retrieve import HybridRetriever, Retrieval
from bot.types import EXTRACTIVE, LLM, MODES, Answer, Filter, Hit
from index.settings import Settings

# Text that addresses a model rather than a reader: kept in the index (it is data and can be
# quoted), but never put in front of the LLM, so a document cannot steer the answer.
_INSTRUCTION = re.compile(
    r"(忽略|无视|無視|忽視|忽视).{0,6}(以上|之前|前面|上述|所有).{0,4}(指令|指示|提示|要求|规则|規則)"
    r"|ignore (all |any )?(the )?(previous|above|prior) (instructions|prompts?)"
    r"|system prompt|系统提示|系統提示|你现在是|你現在是|you are now",
    re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f]")
_LANGUAGE_LINE = {HANS: "请用简体中文回答。", HANT: "請用繁體中文回答。",
                  EN: "Answer in English, one or two sentences, each followed by its source number like [1]."}
_PERIOD_NOTE = {"achieved": "已完成", "planned": "计划"}
MESSAGES = {
    "empty": {HANS: "请输入一个问题。", HANT: "請輸入一個問題。", EN: "请输入一个问题。Please type a question."},
    "too_long": {HANS: "问题太长了（{n}个字符），请缩短到{max}个字符以内。",
                 HANT: "問題太長了（{n}個字元），請縮短到{max}個字元以內。",
                 EN: "The question is too long ({n} characters); please keep it under {max}."},
}


def prompt_text(name: str) -> str:
    return resources.files("bot.prompts").joinpath(name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Event:
    """A step of a streamed answer: kind is "status", "token" or "answer" (the last one)."""

    kind: str
    text: str = ""
    answer: Answer | None = None


class Answerer:
    """Answers questions over an index. Models load lazily; inject fakes in tests."""

    def __init__(self, settings: Settings, index=None, llm=None) -> None:
        from index.build import Index

        self.settings = settings
        self.index = index or Index(settings)
        self.retriever = HybridRetriever(index=self.index)
        self._llm = llm
        self._llm_failed = ""
        self.thresholds = A.Thresholds()

    # --- models ------------------------------------------------------------------------------
    @property
    def llm(self):
        if self._llm is None and self.settings.llm != "none" and not self._llm_failed:
            from bot.llm import make_chat_model
            self._llm = make_chat_model(self.settings)
        return self._llm

    def default_mode(self) -> str:
        return LLM if self.settings.llm != "none" else EXTRACTIVE

    def warm_up(self) -> None:
        """Load the models now rather than on the first question."""
        self.index.embeddings.embed_query("warm up")
        self.index.store  # noqa: B018 - opens Chroma now, not under the first questions
        self.retriever.snapshot()
        if self.llm is not None and hasattr(self.llm, "load"):
            self.llm.load()

    # --- LCEL --------------------------------------------------------------------------------
    def as_runnable(self) -> Runnable:
        """The chain as a LangChain Runnable: {"question", "history"?, "mode"?} -> Answer."""
        return RunnableLambda(lambda x: self.ask(x["question"], x.get("history", ()), x.get("mode")))

    def _generation_chain(self) -> Runnable:
        prompt = ChatPromptTemplate.from_messages([
            ("system", prompt_text("answer_system.txt")),
            ("human", prompt_text("answer_user.txt")),
        ])
        return prompt | self.llm | StrOutputParser()

    # --- answering -----------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[str] = (), mode: str | None = None, *,
            only: Filter | None = None) -> Answer:
        final = None
        for event in self.stream(question, history, mode, only=only):
            if event.kind == "answer":
                final = event.answer
        assert final is not None, "stream() always ends with an answer"
        return final

    def stream(self, question: str, history: Sequence[str] = (), mode: str | None = None, *,
               only: Filter | None = None) -> Iterator[Event]:
        """Yield status and token events, then the verified Answer.

        ``history`` holds the previous standalone questions, oldest first; ``only`` restricts
        the sources to some documents and/or one period.
        """
        t0 = time.perf_counter()
        mode = mode or self.default_mode()
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of: {', '.join(MODES)}")
        cleaned = clean_question(question)
        script = detect(cleaned)
        problem = self._input_problem(cleaned, script)
        if problem:
            yield Event("answer", answer=Answer(question=question, text=problem, refused=True, mode=mode, notice=problem,
                                                timings_ms={"retrieve": 0.0, "generate": 0.0, "total": _ms(t0)}))
            return

        standalone = self._standalone(cleaned, list(history), mode)
        if standalone != cleaned:
            yield Event("status", standalone)
        retrieval = self.retriever.retrieve(standalone, only=only)
        timings = {"retrieve": retrieval.timings_ms["retrieve"]}
        # Sentences that address a model are data: never an answer, never in front of the LLM.
        retrieval = replace(retrieval, hits=tuple(h for h in retrieval.hits if not _INSTRUCTION.search(h.sentence.text)))

        if A.should_refuse(retrieval, script, self.thresholds):
            yield Event("answer", answer=self._refusal(question, standalone, retrieval, script, mode, timings, t0))
            return

        if mode == LLM and self.llm is not None:
            yield from self._generate(question, standalone, retrieval, script, timings, t0)
            return
        notice = self._llm_failed if mode == LLM else ""
        yield Event("answer", answer=self._extractive(question, standalone, retrieval, script, timings, t0, notice))

    def _input_problem(self, question: str, script: str) -> str:
        if not question:
            return MESSAGES["empty"][script]
        if len(question) > self.settings.max_question_chars:
            return MESSAGES["too_long"][script].format(n=len(question), max=self.settings.max_question_chars)
        return ""

    def _standalone(self, question: str, history: list[str], mode: str) -> str:
        previous = history[-1] if history else None
        rewritten = condense(question, previous)
        if rewritten is not None:
            return rewritten
        if mode == LLM and self.llm is not None:
            try:
                out = (ChatPromptTemplate.from_messages([("human", prompt_text("condense.txt"))])
                       | self.llm | StrOutputParser()).invoke({"previous": previous, "question": question})
                out = out.strip().splitlines()[0].strip() if out.strip() else ""
                if 2 <= len(out) <= 200:
                    return out
            except Exception as e:  # noqa: BLE001 - any model failure falls back to the heuristic below
                self._note_llm_failure(e)
        return f"{previous} {question}" if previous and is_follow_up(question) else question

    def _refusal(self, question, standalone, retrieval: Retrieval, script, mode, timings, t0) -> Answer:
        related = A.citations(retrieval.hits[:3])
        return Answer(question=question, text=A.REFUSAL[script], refused=True, mode=mode, standalone=standalone,
                      related=related, timings_ms={**timings, "generate": 0.0, "total": _ms(t0)})

    def _extractive(self, question, standalone, retrieval: Retrieval, script, timings, t0, notice="") -> Answer:
        text, used = A.extractive(standalone, list(retrieval.hits), script)
        return Answer(question=question, text=text, citations=A.citations(used), mode=EXTRACTIVE,
                      standalone=standalone, notice=notice,
                      timings_ms={**timings, "generate": 0.0, "total": _ms(t0)})

    def _generate(self, question, standalone, retrieval: Retrieval, script, timings, t0) -> Iterator[Event]:
        context = llm_context(retrieval.hits, self.settings.llm_context)
        inputs = {"context": format_context(context), "question": standalone, "language": _LANGUAGE_LINE[script]}
        t_gen = time.perf_counter()
        pieces: list[str] = []
        try:
            for token in self._generation_chain().stream(inputs):
                if not pieces:
                    timings["first_token"] = _ms(t0)
                pieces.append(token)
                yield Event("token", token)
        except Exception as e:  # noqa: BLE001 - the model failing must not lose the answer
            self._note_llm_failure(e)
            yield Event("answer", answer=self._extractive(question, standalone, retrieval, script, timings, t0,
                                                          notice=self._llm_failed))
            return
        timings["generate"] = _ms(t_gen)
        raw = "".join(pieces)
        verified = A.verify(raw, context, standalone)
        if verified is None:
            rejected = "was not supported by the sources"
        elif not A.answers_the_question(verified.text, verified.hits, retrieval.terms, standalone):
            rejected = "quoted a part of the sources the question is not about"
        else:
            rejected = ""
        if rejected:
            yield Event("answer", answer=self._extractive(
                question, standalone, retrieval, script, timings, t0,
                notice=f"the model's answer {rejected}; showing the sources instead"))
            return
        text = verified.text if script == EN else to_script(verified.text, script)
        yield Event("answer", answer=Answer(
            question=question, text=text, citations=A.citations(verified.hits), mode=LLM, standalone=standalone,
            notice=f"dropped unsupported: {' / '.join(verified.dropped)}" if verified.dropped else "",
            timings_ms={**timings, "total": _ms(t0)}))

    def _note_llm_failure(self, error: Exception) -> None:
        self._llm_failed = f"the language model is unavailable ({error}); answering from the sources"


def llm_context(hits: Sequence[Hit], size: int) -> list[Hit]:
    """The few sentences the model sees: the evidence an extractive answer would quote, then the
    next best up to ``size`` — none from a worse time scope than the top (a small model shown a
    2025 result next to a 2026 target may well pick the wrong one)."""
    if not hits:
        return []
    evidence = A.pick_evidence(list(hits))
    rest = [h for h in hits if h not in evidence and h.scope >= hits[0].scope]
    return (evidence + rest)[:size]


def format_context(hits: Sequence[Hit]) -> str:
    """Numbered source sentences with their time scope: the model sees 2025 results vs 2026 plans."""
    lines = []
    for n, h in enumerate(hits, 1):
        s = h.sentence
        note = _PERIOD_NOTE.get(s.period, "")
        scope = f"（{s.year or ''}年{note}）" if s.year and note else (f"（{note}）" if note else "")
        lines.append(f"[{n}]{scope}{s.text}")
    return "\n".join(lines)


def clean_question(question: str) -> str:
    """NFC, control and zero-width characters out, whitespace collapsed."""
    q = unicodedata.normalize("NFC", question or "")
    q = _CONTROL.sub(" ", q.replace("\r", " ").replace("\n", " ").replace("\t", " "))
    return re.sub(r"\s{2,}", " ", q).strip()


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000
