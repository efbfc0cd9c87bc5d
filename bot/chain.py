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

from bot import compose as C
from bot import verify as V
from bot.accept import asks_quantity, rejection
from bot.composite import Composed, answer_parts, compose
from bot.condense import condense, is_follow_up
from bot.gather import clause_quote
from corpus.lang import EN, HANS, HANT, detect, has_chinese, numbers, to_script
from bot.names import as_sourced
from bot.plan import LOOKUP, Part, Plan, plan
from bot.refuse import NOT_GIVEN, Thresholds, refusal_reason
from bot.retrieve import HybridRetriever, Retrieval
from bot.types import EXTRACTIVE, LLM, MODES, Answer, Filter, Hit, strip_markers
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
        self.thresholds = Thresholds()

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
        understood = plan(standalone)
        if standalone != cleaned or understood.rewritten:
            yield Event("status", describe_plan(understood, standalone))
        if understood.kind != LOOKUP:
            yield from self._composite(question, standalone, understood, script, mode, t0, only)
            return

        retrieval = self._retrieve(understood.parts[0], only)
        timings = {"retrieve": retrieval.timings_ms["retrieve"]}
        sims = self.sentence_sims(retrieval)
        retrieval = rerank_by_sentence(retrieval, sims)
        reason = refusal_reason(retrieval, script, self.thresholds, sentence_sim=max(sims.values(), default=0.0))
        if reason:
            yield Event("answer", answer=self._refusal(question, standalone, retrieval, script, mode, timings, t0,
                                                       understood, reason))
            return

        if mode == LLM and self.llm is not None and checkable(retrieval):
            yield from self._generate(question, standalone, retrieval, script, timings, t0, understood)
            return
        answer = self._extractive(question, standalone, retrieval, script, timings, t0,
                                  self._llm_failed if mode == LLM else "", understood)
        if mode == LLM and script == EN and self.llm is not None:
            text, notice = self._translate(answer.text.split(": ", 1)[-1])
            answer = replace(answer, text=text, notice=notice, timings_ms={**answer.timings_ms, "total": _ms(t0)})
        yield Event("answer", answer=answer)

    # --- retrieval helpers ----------------------------------------------------------------------
    def _retrieve(self, part: Part, only: Filter | None = None) -> Retrieval:
        """One part's retrieval; a list gathers from more sentences. Sentences that address a
        model are data: never an answer, never in front of the LLM."""
        r = self.retriever.retrieve(part.question, k=20 if part.gather else None, k_dense=30 if part.gather else None,
                                    only=only)
        return replace(r, hits=tuple(h for h in r.hits if not _INSTRUCTION.search(h.sentence.text)))

    def sentence_sims(self, retrieval: Retrieval) -> dict[int, float]:
        """Cosine of the question and each hit's own sentence (by hit position)."""
        return self.retriever.sentence_similarity(retrieval)

    # --- several parts: lists, comparisons, calculations --------------------------------------
    def _composite(self, question, standalone, understood: Plan, script, mode, t0,
                   only: Filter | None = None) -> Iterator[Event]:
        t_r = time.perf_counter()
        self.retriever.query_vectors([p.question for p in understood.parts])  # one batch for all parts
        results = answer_parts(understood, lambda part: self._retrieve(part, only), self.retriever.snapshot(), script,
                               self.sentence_sims, self.thresholds)
        timings = {"retrieve": _ms(t_r)}
        composed = compose(understood, results, script)
        if composed.refused:
            yield Event("answer", answer=self._refusal(question, standalone, results[0].retrieval, script, mode,
                                                       timings, t0, understood))
            return
        text, notice = composed.text, ""
        if script == EN and mode == LLM and self.llm is not None:
            text, notice = self._translated(composed)
        elif script == HANT:
            text = to_script(text, HANT)
        yield Event("answer", answer=Answer(
            question=question, text=text, citations=C.citations(composed.hits), mode=EXTRACTIVE,
            standalone=standalone, notice=notice, kind=understood.kind, plan=understood.to_json(),
            computation=composed.computation.to_json() if composed.computation else None,
            timings_ms={**timings, "generate": 0.0, "total": _ms(t0)}))

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

    def _refusal(self, question, standalone, retrieval: Retrieval, script, mode, timings, t0,
                 understood: Plan | None = None, reason: str = "") -> Answer:
        related = C.citations(retrieval.hits[:3])
        text = (C.NOT_GIVEN if reason == NOT_GIVEN else C.REFUSAL)[script]
        return Answer(question=question, text=text, refused=True, mode=mode, standalone=standalone,
                      related=related, kind=understood.kind if understood else "",
                      plan=understood.to_json() if understood else None,
                      timings_ms={**timings, "generate": 0.0, "total": _ms(t0)})

    def _extractive(self, question, standalone, retrieval: Retrieval, script, timings, t0, notice="",
                    understood: Plan | None = None) -> Answer:
        text, used = C.extractive(standalone, list(retrieval.hits), script, self.retriever.year_source)
        return Answer(question=question, text=text, citations=C.citations(used), mode=EXTRACTIVE,
                      standalone=standalone, notice=notice, kind=understood.kind if understood else "",
                      plan=understood.to_json() if understood else None,
                      timings_ms={**timings, "generate": 0.0, "total": _ms(t0)})

    def _generate(self, question, standalone, retrieval: Retrieval, script, timings, t0,
                  understood: Plan | None = None) -> Iterator[Event]:
        """The model words the answer in Chinese from the best sentences; it is verified against
        them, and an English question gets the verified answer translated last."""
        context = llm_context(retrieval.hits, self.settings.llm_context)
        answer_script = HANS if script == EN else script
        # A quantity is stated in the clause that names what it counts; the answer to "which" or
        # "who" may well sit in another clause of the sentence, so those keep whole sentences.
        inputs = {"context": format_context(context, retrieval.terms if asks_quantity(standalone) else ()),
                  "question": standalone,
                  "language": _LANGUAGE_LINE[answer_script]}
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
                                                          self._llm_failed, understood))
            return
        timings["generate"] = _ms(t_gen)
        raw = "".join(pieces)
        verified = V.verify(raw, context, standalone)
        quote, quoted = C.extractive(standalone, list(retrieval.hits), script, self.retriever.year_source)
        rejected = rejection(verified, standalone, retrieval, quote, quoted, self.retriever.snapshot().weight)
        if rejected:
            yield Event("answer", answer=self._extractive(
                question, standalone, retrieval, script, timings, t0,
                f"the model's answer {rejected}; showing the sources instead", understood))
            return
        text, notice = to_script(as_sourced(verified.text, verified.hits), answer_script), ""
        if script == EN:
            text, notice = self._translate(text)
        yield Event("answer", answer=Answer(
            question=question, text=text, citations=C.citations(verified.hits), mode=LLM, standalone=standalone,
            notice=notice or (f"dropped unsupported: {' / '.join(verified.dropped)}" if verified.dropped else ""),
            kind=understood.kind if understood else "", plan=understood.to_json() if understood else None,
            timings_ms={**timings, "total": _ms(t0)}))

    def _translated(self, composed: Composed) -> tuple[str, str]:
        body = composed.text.split("\n", 1)[1] if "\n" in composed.text else composed.text
        return self._translate(body)

    def _translate(self, chinese: str) -> tuple[str, str]:
        """English for a verified Chinese answer, line by line. Markers are taken off before and put
        back after by code; every line must keep its numbers and lose its Chinese, otherwise the
        Chinese answer is shown, said to be in Chinese."""
        fallback = "Answer from the report (in Chinese): " + chinese
        prompt = ChatPromptTemplate.from_messages([
            ("system", prompt_text("translate.txt")),
            ("human", "2026年计划：新增学位4140个"), ("ai", "2026 plan: add 4140 school places"),
            ("human", "{text}")])
        chain = prompt | self.llm | StrOutputParser()
        lines = []
        for line in chinese.split("\n"):
            marks = "".join(re.findall(r"\[\d+\]", line))
            body = strip_markers(line).strip()
            if not has_chinese(body):
                lines.append(line)
                continue
            try:
                out = chain.invoke({"text": body}).strip().splitlines()[0].strip() if body else ""
            except Exception as e:  # noqa: BLE001 - the model failing must not lose the answer
                self._note_llm_failure(e)
                return fallback, self._llm_failed
            if not translation_keeps_facts(body, out):
                return fallback, "the translation changed a number; showing the Chinese answer"
            lead = re.match(r"^\s*-\s*", line)
            # the report's own words follow: names and terms a reader can check against the source
            lines.append((lead.group(0) if lead else "") + out.lstrip("- ").rstrip(".") + marks
                         + f" (original: {body.lstrip('- ')})")
        return "\n".join(lines), ""

    def _note_llm_failure(self, error: Exception) -> None:
        self._llm_failed = f"the language model is unavailable ({error}); answering from the sources"


def describe_plan(p: Plan, standalone: str) -> str:
    """How the question was understood, for the chat ("understood as ...")."""
    if len(p.parts) == 1:
        return p.parts[0].question if p.parts[0].question != standalone else standalone
    return " | ".join(part.question for part in p.parts)


def checkable(retrieval: Retrieval, min_coverage: float = 0.5) -> bool:
    """Can a model's wording be checked against the evidence? Verification matches a claim's
    clause to the question's words; when the question's words are not in the evidence (plain
    language, English, a typo) a small model's choice among the facts of a sentence cannot be
    checked, so the sentence itself is the answer (``泰凯英`` for "做生物的公司" passed every
    check while quoting the wrong company of two)."""
    return max((h.coverage for h in retrieval.hits[:3]), default=0.0) >= min_coverage and has_chinese(
        retrieval.question)


def rerank_by_sentence(retrieval: Retrieval, sims: dict[int, float]) -> Retrieval:
    """When the question's words are not the documents' words (plain language, English), the
    fused lexical ranking says little: order the best hits by their own sentence's similarity,
    time scope applied."""
    hits = list(retrieval.hits)
    if not sims or max((h.coverage for h in hits[:3]), default=0.0) >= 0.5:
        return retrieval
    head = sorted(range(len(sims)), key=lambda i: sims[i] * hits[i].scope, reverse=True)
    ordered = [hits[i] for i in head] + hits[len(sims):]
    return replace(retrieval, hits=tuple(ordered))


def translation_keeps_facts(chinese: str, english: str) -> bool:
    """Every number of the Chinese text is in the translation, nothing new, and no Chinese left."""
    if not english or re.search(r"[\u4e00-\u9fff]{3,}", english):
        return False
    return _same_numbers(numbers(strip_markers(chinese)), numbers(strip_markers(english)))


def _same_numbers(src: list[str], out: list[str]) -> bool:
    """2.8万 may become 28,000 in English: compare values, allowing 万/亿 scaling."""
    def values(xs):
        return sorted(float(x) for x in xs)
    if values(src) == values(out):
        return True
    scaled = {float(x) * f for x in src for f in (1, 1e4, 1e8, 1e-2)}
    return len(out) == len(src) and all(any(abs(float(o) - v) < 1e-6 * max(v, 1) for v in scaled) for o in out)


def llm_context(hits: Sequence[Hit], size: int) -> list[Hit]:
    """The few sentences the model sees: those an extractive answer would quote, at most ``size``.
    Not the next best as well: every figure the model gives must be the quoted clause's anyway
    (see bot.accept), and each sentence more costs a second or so of prompt processing here."""
    return C.pick_evidence(list(hits))[:size] if hits else []


def format_context(hits: Sequence[Hit], terms: Sequence[str] = ()) -> str:
    """Numbered sources with their time scope: the model sees 2025 results vs 2026 plans. Given
    the question's terms, each source is only its clauses that name one (the whole sentence when
    none does): fewer tokens to read on two cores, and fewer other figures to pick from."""
    lines = []
    for n, h in enumerate(hits, 1):
        s = h.sentence
        note = _PERIOD_NOTE.get(s.period, "")
        scope = f"（{s.year or ''}年{note}）" if s.year and note else (f"（{note}）" if note else "")
        lines.append(f"[{n}]{scope}{clause_quote(s.text, terms) if terms else s.text}")
    return "\n".join(lines)


def clean_question(question: str) -> str:
    """NFC, control and zero-width characters out (and lone surrogates, which no encoder takes),
    whitespace collapsed."""
    q = re.sub(r"[\ud800-\udfff]", "", question or "")
    q = unicodedata.normalize("NFC", q)
    q = _CONTROL.sub(" ", q.replace("\r", " ").replace("\n", " ").replace("\t", " "))
    return re.sub(r"\s{2,}", " ", q).strip()


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000
