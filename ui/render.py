"""Pure rendering for the web chat: Answer -> chat-bubble HTML, source panel, document viewer, tables.

Every piece of document or user text goes through ``html.escape`` here and nowhere else is
HTML built from it. The chat bubble is HTML we build ourselves (the Chatbot is created with
``render_markdown=False``), so markdown in a document, ``[x](javascript:...)`` say, stays text.
The only tags emitted are the fixed ones below, and the only link target is a source card,
``#rq-src-<bubble>-<n>`` (``bubble`` is the answer's index in the chat, so a marker of an older
answer opens that answer's sources). Every user-visible word comes from ``ui.i18n``.

    >>> markers_html("新增2.8萬人[1]。", {1}, key=3)
    '新增2.8萬人<sup class="rq-cite"><a href="#rq-src-3-1">[1]</a></sup>。'
"""
from __future__ import annotations

import html
import re
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from bot.types import Answer, Citation
from ui.i18n import DEFAULT, t

# [1], [1, 2], and the full-width forms a model may write: 【1】 ［1］
_MARKER = re.compile(r"[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
_SENTENCE_END = re.compile(r"[。！？；!?;]|\.(?=\s)")
PASSAGE_MAX_CHARS = 480
_PERIODS = ("achieved", "planned")


def esc(text: object) -> str:
    """HTML-escape any text (quotes too, so it is safe inside attributes)."""
    return html.escape(str(text), quote=True)


def _lines(text: str) -> str:
    return esc(text).replace("\n", "<br>")


def card_id(key: int, n: int) -> str:
    return f"rq-src-{key}-{n}"


# --- the chat bubble ------------------------------------------------------------------------------
def marker_html(n: int, key: int = 0) -> str:
    return f'<sup class="rq-cite"><a href="#{card_id(key, n)}">[{n}]</a></sup>'


def markers_html(text: str, known: Collection[int], key: int = 0) -> str:
    """Escape ``text`` and turn markers of known citations into superscript links.

    A marker naming no known citation stays as (escaped) text.
    """
    out, pos = [], 0
    for m in _MARKER.finditer(text):
        numbers = [int(x) for x in re.split(r"[,，、\s]+", m.group(1)) if x]
        if not numbers or any(n not in known for n in numbers):
            continue
        out.append(_lines(text[pos:m.start()]))
        out.append("".join(marker_html(n, key) for n in numbers))
        pos = m.end()
    out.append(_lines(text[pos:]))
    return "".join(out)


def question_html(question: str, scope_note: str = "") -> str:
    """The user's bubble: their text, escaped, and the scope they restricted it to."""
    note = f'<div class="rq-scope">{esc(scope_note)}</div>' if scope_note else ""
    return f'<div class="rq-question">{_lines(question)}</div>{note}'


def understood_as_html(answer: Answer, lang: str = DEFAULT) -> str:
    """"理解为：…" when follow-up condensation rewrote the question, else ""."""
    if not answer.standalone or answer.standalone == answer.question:
        return ""
    return f'<div class="rq-understood">{esc(t(lang, "understood_as"))}<q>{esc(answer.standalone)}</q></div>'


def thinking_html(lang: str = DEFAULT, step: str = "thinking_search", text: str = "", standalone: str = "",
                  question: str = "") -> str:
    """The one bubble shown while an answer forms: the current step, then the unverified draft.

    Wrapped in ``rq-pending``: the page hides the like/copy buttons of a pending bubble.
    """
    parts = ['<div class="rq-pending">']
    if standalone and standalone != question:
        parts.append(f'<div class="rq-understood">{esc(t(lang, "understood_as"))}<q>{esc(standalone)}</q></div>')
    if text:
        parts.append(f'<div class="rq-answer rq-streaming">{_lines(text)}</div>')
    parts.append(f'<div class="rq-step"><span class="rq-dots"></span>{esc(t(lang, step))}</div></div>')
    return "".join(parts)


def is_pending(message: dict | None) -> bool:
    return bool(message) and message.get("role") == "assistant" and 'class="rq-pending"' in str(message.get("content"))


def stopped_html(lang: str = DEFAULT) -> str:
    return f'<div class="rq-answer rq-stopped">{esc(t(lang, "stopped"))}</div>'


def notice_text(answer: Answer, lang: str = DEFAULT) -> str:
    """Answer.notice is written for developers; users get one short translated line, or nothing."""
    notice = answer.notice or ""
    if not notice or notice == answer.text:
        return ""
    if notice.startswith("the language model is unavailable"):
        return t(lang, "notice_llm_down")
    if notice.startswith("the model's answer"):
        return t(lang, "notice_fallback")
    if notice.startswith("dropped unsupported"):
        return t(lang, "notice_dropped")
    return ""  # anything else is for the log, not for the reader


def plain_text(answer: Answer, names: Mapping[str, str] | None = None, lang: str = DEFAULT) -> str:
    """What "copy" puts on the clipboard: the answer with [n] markers, then one footnote per source.

        2.8万人[1]。

        [1] 文件名：原句
    """
    names = names or {}
    text = re.sub(r"[【［]\s*(\d{1,2})\s*[】］]", r"[\1]", answer.text)
    notes = [f"[{c.n}] {names.get(c.doc) or c.doc}：{c.text}" for c in answer.citations]
    if answer.related:
        notes.append(t(lang, "related") + "：")
        notes += [f"- {names.get(c.doc) or c.doc}：{c.text}" for c in answer.related]
    return text + ("\n\n" + "\n".join(notes) if notes else "")


def answer_html(answer: Answer, lang: str = DEFAULT, key: int = 0, seconds: float | None = None,
                names: Mapping[str, str] | None = None) -> str:
    """The assistant's bubble for a final Answer: understood-as line, text with markers, notes.

    A refusal shows the nearest passages in a block labelled as related, not as an answer.
    ``seconds`` is the time from Send (queue wait included); ``rq-plain`` (hidden) is what copy copies.
    """
    parts = [understood_as_html(answer, lang)]
    css = "rq-answer rq-refused" if answer.refused else "rq-answer"
    parts.append(f'<div class="{css}">{markers_html(answer.text, {c.n for c in answer.citations}, key)}</div>')
    if answer.related:
        parts.append(related_html(answer.related, lang, names))
    notice = notice_text(answer, lang)
    if notice:
        parts.append(f'<div class="rq-note">{esc(notice)}</div>')
    parts.append(f'<div class="rq-mode">{esc(_mode_label(answer, lang, seconds))}</div>')
    parts.append(f'<div class="rq-plain">{esc(plain_text(answer, names, lang))}</div>')
    return "".join(p for p in parts if p)


def _mode_label(answer: Answer, lang: str, seconds: float | None) -> str:
    label = t(lang, "answered_llm" if answer.mode == "llm" else "answered_extractive")
    if seconds is None and answer.timings_ms.get("total") is not None:
        seconds = answer.timings_ms["total"] / 1000
    return f"{label} · {t(lang, 'seconds', s=seconds)}" if seconds is not None else label


def related_html(related: Iterable[Citation], lang: str = DEFAULT, names: Mapping[str, str] | None = None) -> str:
    """Nearest passages for a refusal, clearly labelled: they are not an answer."""
    names = names or {}
    items = "".join(
        f'<li><span class="rq-doc">{esc(names.get(c.doc) or c.doc)}</span> {badge(c, lang)}'
        f'<div class="rq-quote">{esc(c.text)}</div></li>' for c in related)
    return (f'<div class="rq-related"><div class="rq-related-title">{esc(t(lang, "related"))}</div>'
            f"<ul>{items}</ul></div>")


def error_html(message: str) -> str:
    return f'<div class="rq-answer rq-error">{_lines(message)}</div>'


# --- the source panel -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Passage:
    """The paragraph around a cited sentence: ``text[start:end]`` is the sentence itself.

    ``cut_before``/``cut_after`` say whether a long paragraph was shortened on that side.
    """

    text: str
    start: int
    end: int
    cut_before: bool = False
    cut_after: bool = False


def paragraph_around(doc_text: str, start: int, end: int, max_chars: int = PASSAGE_MAX_CHARS) -> Passage:
    """The line (a paragraph of the cleaned text) holding ``doc_text[start:end]``.

    A paragraph longer than ``max_chars`` is cut to about that many characters around the
    sentence, at sentence ends where possible.

        >>> p = paragraph_around("標題\\n甲。乙。丙。\\n丁。", 5, 7)
        >>> p.text, p.text[p.start:p.end]
        ('甲。乙。丙。', '乙。')
    """
    if not (0 <= start <= end <= len(doc_text)):
        raise ValueError(f"span {start}:{end} is outside the text (length {len(doc_text)})")
    lo = doc_text.rfind("\n", 0, start) + 1
    hi = doc_text.find("\n", end)
    hi = len(doc_text) if hi < 0 else hi
    room = max(max_chars - (end - start), 0)
    cut_lo, cut_hi = lo, hi
    if hi - lo > max_chars:
        before = min(start - lo, room // 2)
        after = min(hi - end, room - before)
        before = min(start - lo, room - after)
        cut_lo, cut_hi = start - before, end + after
        if cut_lo > lo:  # start just after a sentence end inside the window, if there is one
            m = _SENTENCE_END.search(doc_text, cut_lo, start)
            cut_lo = m.end() if m else cut_lo
        if cut_hi < hi:  # stop at the last sentence end inside the window
            ends = list(_SENTENCE_END.finditer(doc_text, end, cut_hi))
            cut_hi = ends[-1].end() if ends else cut_hi
    return Passage(text=doc_text[cut_lo:cut_hi], start=start - cut_lo, end=end - cut_lo,
                   cut_before=cut_lo > lo, cut_after=cut_hi < hi)


def passage_html(passage: Passage) -> str:
    """The paragraph with the cited sentence in <mark>."""
    p = passage
    return ("…" if p.cut_before else "") + esc(p.text[:p.start]) + f"<mark>{esc(p.text[p.start:p.end])}</mark>" \
        + esc(p.text[p.end:]) + ("…" if p.cut_after else "")


def badge(c: Citation, lang: str = DEFAULT) -> str:
    """The period badge. The year shows only when the sentence itself names it; a period the
    tagger took from the context says so in its tooltip."""
    if c.period not in _PERIODS:
        return ""
    word = t(lang, f"period_label_{c.period}")
    stated = bool(c.year) and str(c.year) in c.text
    label = f"{c.year} · {word}" if stated else word
    tip = "" if stated else f' title="{esc(t(lang, "context_period"))}"'
    return f'<span class="rq-badge rq-{c.period}"{tip}>{esc(label)}</span>'


def citation_html(c: Citation, passage: Passage | None, name: str = "", lang: str = DEFAULT, key: int = 0) -> str:
    """One source card: number, document title, section, period badge, the highlighted paragraph
    and a button that opens the whole document at the sentence.

    ``passage`` None (the document changed or was removed since) shows the quoted sentence alone.
    """
    title = name or c.title or c.doc
    head = (f'<div class="rq-src-head"><span class="rq-src-n">{c.n}</span> <span class="rq-doc">{esc(title)}</span>'
            f" {badge(c, lang)}</div>")
    if title != c.doc:
        head += f'<div class="rq-file">{esc(c.doc)}</div>'
    section = f'<div class="rq-section">§ {esc(c.section)}</div>' if c.section else ""
    if passage is None:
        body = f'<div class="rq-passage"><mark>{esc(c.text)}</mark></div>' \
               f'<div class="rq-note">{esc(t(lang, "doc_changed"))}</div>'
        view = ""
    else:
        body = f'<div class="rq-passage">{passage_html(passage)}</div>'
        view = (f'<button type="button" class="rq-view" data-doc="{esc(c.doc)}" data-start="{c.start}" '
                f'data-end="{c.end}">{esc(t(lang, "view_whole"))}</button>')
    return f'<div class="rq-src" id="{card_id(key, c.n)}">{head}{section}{body}{view}</div>'


def sources_html(answer: Answer, passages: Mapping[int, Passage | None], names: Mapping[str, str] | None = None,
                 lang: str = DEFAULT, key: int = 0) -> str:
    """The source panel for an answer: one card per citation (``passages`` keyed by citation n)."""
    back = f'<button type="button" class="rq-back">{esc(t(lang, "back_to_answer"))}</button>'
    if not answer.citations:
        note = t(lang, "sources_none_refused" if answer.refused else "sources_none")
        return f'<div class="rq-sources rq-empty">{back}{esc(note)}</div>'
    names = names or {}
    cards = "".join(citation_html(c, passages.get(c.n), names.get(c.doc, ""), lang, key) for c in answer.citations)
    return (f'<div class="rq-sources" data-key="{key}">{back}'
            f'<div class="rq-sources-title">{esc(t(lang, "sources_title"))}</div>{cards}</div>')


def sources_placeholder(lang: str = DEFAULT) -> str:
    return f'<div class="rq-sources rq-empty">{esc(t(lang, "sources_placeholder"))}</div>'


def passage_for(doc_text: str | None, c: Citation) -> Passage | None:
    """The paragraph of ``c`` in ``doc_text``, or None when the text no longer holds the quote."""
    if doc_text is None or not (0 <= c.start <= c.end <= len(doc_text)) or doc_text[c.start:c.end] != c.text:
        return None
    return paragraph_around(doc_text, c.start, c.end)


# --- the document viewer --------------------------------------------------------------------------
def document_view_html(doc_id: str, title: str, text: str | None, start: int, end: int, lang: str = DEFAULT,
                       request: object = "") -> str:
    """The whole document, one paragraph per line, with ``text[start:end]`` marked (``rq-view-mark``).

    ``request`` is echoed in ``data-at`` so the page scrolls only once its own request is shown.
    """
    at = f' data-at="{esc(request)}"'
    close = f'<button type="button" class="rq-viewer-close">{esc(t(lang, "viewer_close"))}</button>'
    head = f'<div class="rq-viewer-head">{close}<span class="rq-doc">{esc(title or doc_id)}</span></div>'
    if text is None:
        return f'<div class="rq-viewer"{at}>{head}<div class="rq-empty">{esc(t(lang, "viewer_missing"))}</div></div>'
    if not (0 <= start <= end <= len(text)):
        start = end = 0
    body = esc(text[:start]) + (f'<mark id="rq-view-mark">{esc(text[start:end])}</mark>' if end > start else "") \
        + esc(text[end:])
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n") if p)
    return f'<div class="rq-viewer"{at}>{head}<div class="rq-viewer-text">{paragraphs}</div></div>'


# --- header and documents ------------------------------------------------------------------------
def header_html(docs: Iterable, lang: str = DEFAULT) -> str:
    """The line above the chat: how many documents are loaded, and their titles."""
    docs = list(docs)
    if not docs:
        return f'<div class="rq-header">{esc(t(lang, "docs_none"))}</div>'
    titles = "、".join(f'<span class="rq-doc" title="{esc(d.doc_id)}">{esc(d.title or d.doc_id)}</span>' for d in docs)
    return f'<div class="rq-header">{esc(t(lang, "docs_loaded", n=len(docs)))}{titles}</div>'


def documents_html(docs: Iterable, lang: str = DEFAULT) -> str:
    """The documents table (``DocInfo``s from the catalog), every cell escaped."""
    rows = "".join(
        f"<tr><td>{esc(d.doc_id)}</td><td>{esc(d.title)}</td><td>{esc(d.format)}</td>"
        f'<td class="rq-num">{d.n_sentences}</td><td class="rq-num">{d.n_chunks}</td>'
        f"<td>{esc(_when(d.added_at))}</td></tr>" for d in docs)
    if not rows:
        rows = f'<tr><td colspan="6" class="rq-empty">{esc(t(lang, "docs_table_empty"))}</td></tr>'
    heads = "".join(f"<th>{esc(t(lang, 'docs_table_' + k))}</th>"
                    for k in ("doc", "title", "format", "sentences", "chunks", "added"))
    return f'<table class="rq-docs"><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>'


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def status_html(message: str, ok: bool = True) -> str:
    """A one-line result of a document action."""
    css = "rq-status rq-ok" if ok else "rq-status rq-fail"
    return f'<div class="{css}">{esc(message)}</div>'


def scope_note(doc_names: Iterable[str], period_label: str, lang: str = DEFAULT) -> str:
    what = " · ".join(x for x in ("、".join(doc_names), period_label) if x)
    return t(lang, "scope_note", what=what) if what else ""


def asset(name: str) -> str:
    """A file shipped next to this module (the page's CSS and JavaScript)."""
    return resources.files("ui").joinpath(name).read_text(encoding="utf-8")


CSS = asset("chat.css")
JS = asset("chat.js")
