"""Pure rendering for the web chat: Answer -> chat-bubble HTML, source panel, documents table.

Every piece of document or user text goes through ``html.escape`` here and nowhere else is
HTML built from it. The chat bubble is HTML we build ourselves (the Chatbot is created with
``render_markdown=False``), so markdown in a document, ``[x](javascript:...)`` say, stays text.
The only tags emitted are the fixed ones below, and the only link target is ``#rq-src-<n>``.

    >>> markers_html("新增2.8萬人[1]。", {1})
    '新增2.8萬人<sup class="rq-cite"><a href="#rq-src-1" title="source 1">[1]</a></sup>。'
"""
from __future__ import annotations

import html
import re
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from bot.types import Answer, Citation

# [1], [1, 2], and the full-width forms a model may write: 【1】 ［1］
_MARKER = re.compile(r"[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
_SENTENCE_END = re.compile(r"[。！？；!?;]|\.(?=\s)")
PASSAGE_MAX_CHARS = 480
_PERIODS = {"achieved": "achieved · 已完成", "planned": "planned · 计划"}
SOURCES_PLACEHOLDER = '<div class="rq-sources rq-empty">Sources of the latest answer appear here.</div>'


def esc(text: object) -> str:
    """HTML-escape any text (quotes too, so it is safe inside attributes)."""
    return html.escape(str(text), quote=True)


def _lines(text: str) -> str:
    return esc(text).replace("\n", "<br>")


# --- the chat bubble ------------------------------------------------------------------------------
def marker_html(n: int) -> str:
    return f'<sup class="rq-cite"><a href="#rq-src-{n}" title="source {n}">[{n}]</a></sup>'


def markers_html(text: str, known: Collection[int]) -> str:
    """Escape ``text`` and turn markers of known citations into superscript links.

    A marker naming no known citation stays as (escaped) text.
    """
    out, pos = [], 0
    for m in _MARKER.finditer(text):
        numbers = [int(x) for x in re.split(r"[,，、\s]+", m.group(1)) if x]
        if not numbers or any(n not in known for n in numbers):
            continue
        out.append(_lines(text[pos:m.start()]))
        out.append("".join(marker_html(n) for n in numbers))
        pos = m.end()
    out.append(_lines(text[pos:]))
    return "".join(out)


def question_html(question: str) -> str:
    """The user's bubble: their text, escaped."""
    return f'<div class="rq-question">{_lines(question)}</div>'


def understood_as_html(answer: Answer) -> str:
    """"understood as: …" when follow-up condensation rewrote the question, else ""."""
    if not answer.standalone or answer.standalone == answer.question:
        return ""
    return f'<div class="rq-understood">understood as: <q>{esc(answer.standalone)}</q></div>'


def streaming_html(text: str, standalone: str = "", question: str = "") -> str:
    """The bubble while tokens arrive: raw model text, escaped and marked as not yet verified."""
    parts = []
    if standalone and standalone != question:
        parts.append(f'<div class="rq-understood">understood as: <q>{esc(standalone)}</q></div>')
    body = _lines(text) if text else "…"
    parts.append(f'<div class="rq-answer rq-streaming">{body}</div>')
    parts.append('<div class="rq-note">writing… (checked against the sources when done)</div>')
    return "".join(parts)


def waiting_html(mode: str) -> str:
    """The bubble between sending and the first answer event."""
    if mode != "llm":
        return '<div class="rq-answer rq-streaming">…</div>'
    return ('<div class="rq-answer rq-streaming">…</div><div class="rq-note">waiting for the language model: '
            "it writes one answer at a time, your place in the queue shows below the chat</div>")


def answer_html(answer: Answer) -> str:
    """The assistant's bubble for a final Answer: understood-as line, text with markers, notes.

    A refusal shows the nearest passages in a block labelled as related, not as an answer.
    """
    parts = [understood_as_html(answer)]
    css = "rq-answer rq-refused" if answer.refused else "rq-answer"
    parts.append(f'<div class="{css}">{markers_html(answer.text, {c.n for c in answer.citations})}</div>')
    if answer.related:
        parts.append(related_html(answer.related))
    if answer.notice and answer.notice != answer.text:
        parts.append(f'<div class="rq-note">note: {esc(answer.notice)}</div>')
    parts.append(f'<div class="rq-mode">{esc(_mode_label(answer))}</div>')
    return "".join(p for p in parts if p)


def _mode_label(answer: Answer) -> str:
    label = "LLM answer, verified against the sources" if answer.mode == "llm" else "quoted from the sources"
    total = answer.timings_ms.get("total")
    return f"{label} · {total / 1000:.1f} s" if total is not None else label


def related_html(related: Iterable[Citation]) -> str:
    """Nearest passages for a refusal, clearly labelled: they are not an answer."""
    items = "".join(
        f'<li><span class="rq-doc">{esc(c.doc)}</span> {_badge(c)}'
        f'<div class="rq-quote">{esc(c.text)}</div></li>' for c in related)
    return ('<div class="rq-related"><div class="rq-related-title">Related passages (not an answer)</div>'
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


def _badge(c: Citation) -> str:
    period = _PERIODS.get(c.period, "")
    label = " · ".join(x for x in (str(c.year) if c.year else "", period) if x)
    if not label:
        return ""
    css = f"rq-badge rq-{c.period}" if c.period in _PERIODS else "rq-badge"
    return f'<span class="{css}">{esc(label)}</span>'


def citation_html(c: Citation, passage: Passage | None, name: str = "") -> str:
    """One source card: number, document, section, period/year badge and the highlighted paragraph.

    ``passage`` None (the document changed or was removed since) shows the quoted sentence alone.
    """
    title = name or c.title
    head = (f'<div class="rq-src-head"><span class="rq-src-n">{c.n}</span> <span class="rq-doc">{esc(c.doc)}</span>'
            f" {_badge(c)}</div>")
    if title and title != c.doc:
        head += f'<div class="rq-title">{esc(_shorten(title, 48))}</div>'
    section = f'<div class="rq-section">§ {esc(c.section)}</div>' if c.section else ""
    if passage is None:
        body = f'<div class="rq-passage"><mark>{esc(c.text)}</mark></div>' \
               '<div class="rq-note">the document has changed since; showing the quoted sentence</div>'
    else:
        body = f'<div class="rq-passage">{passage_html(passage)}</div>'
    return f'<div class="rq-src" id="rq-src-{c.n}">{head}{section}{body}</div>'


def sources_html(answer: Answer, passages: Mapping[int, Passage | None], names: Mapping[str, str] | None = None) -> str:
    """The source panel for an answer: one card per citation (``passages`` keyed by citation n)."""
    if not answer.citations:
        note = "No sources: this question was not answered from the documents." if answer.refused \
            else "No sources for this answer."
        return f'<div class="rq-sources rq-empty">{note}</div>'
    names = names or {}
    cards = "".join(citation_html(c, passages.get(c.n), names.get(c.doc, "")) for c in answer.citations)
    return f'<div class="rq-sources"><div class="rq-sources-title">Sources</div>{cards}</div>'


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def passage_for(doc_text: str | None, c: Citation) -> Passage | None:
    """The paragraph of ``c`` in ``doc_text``, or None when the text no longer holds the quote."""
    if doc_text is None or not (0 <= c.start <= c.end <= len(doc_text)) or doc_text[c.start:c.end] != c.text:
        return None
    return paragraph_around(doc_text, c.start, c.end)


# --- documents ------------------------------------------------------------------------------------
def documents_html(docs: Iterable) -> str:
    """The documents table (``DocInfo``s from the catalog), every cell escaped."""
    rows = "".join(
        f"<tr><td>{esc(d.doc_id)}</td><td>{esc(d.title)}</td><td>{esc(d.format)}</td>"
        f'<td class="rq-num">{d.n_sentences}</td><td class="rq-num">{d.n_chunks}</td>'
        f"<td>{esc(_when(d.added_at))}</td></tr>" for d in docs)
    if not rows:
        rows = '<tr><td colspan="6" class="rq-empty">No documents indexed.</td></tr>'
    return ('<table class="rq-docs"><thead><tr><th>Document</th><th>Title</th><th>Format</th>'
            f"<th>Sentences</th><th>Chunks</th><th>Added</th></tr></thead><tbody>{rows}</tbody></table>")


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def status_html(message: str, ok: bool = True) -> str:
    """A one-line result of a document action."""
    css = "rq-status rq-ok" if ok else "rq-status rq-fail"
    return f'<div class="{css}">{esc(message)}</div>'


CSS = """
.rq-cite a { text-decoration: none; font-size: 0.8em; margin-left: 1px; color: #2563eb !important; font-weight: 600; }
.rq-understood { font-size: 0.85em; opacity: 0.75; margin-bottom: 0.3em; }
.rq-note, .rq-mode { font-size: 0.8em; opacity: 0.65; margin-top: 0.3em; }
.rq-refused { font-style: italic; }
.rq-error { color: #b91c1c; }
.rq-related { margin-top: 0.5em; padding: 0.4em 0.6em; border-left: 3px solid #9ca3af; font-size: 0.9em; }
.rq-related-title { font-weight: 600; opacity: 0.8; }
.rq-related ul { margin: 0.2em 0 0 1em; padding: 0; }
.rq-sources-title { font-weight: 600; margin-bottom: 0.4em; }
.rq-src { border: 1px solid #e5e7eb; border-radius: 8px; padding: 0.5em 0.7em; margin-bottom: 0.6em; }
.rq-src-n { display: inline-block; min-width: 1.4em; text-align: center; border-radius: 0.7em; background: #2563eb;
  color: #fff; font-weight: 600; font-size: 0.85em; }
.rq-doc { font-weight: 600; }
.rq-title, .rq-section { font-size: 0.8em; opacity: 0.7; }
.rq-badge { font-size: 0.75em; padding: 0.05em 0.5em; border-radius: 0.7em; background: #e5e7eb; color: #111; }
.rq-badge.rq-achieved { background: #dcfce7; } .rq-badge.rq-planned { background: #fef3c7; }
.rq-passage { margin-top: 0.3em; line-height: 1.6; }
.rq-passage mark { background: #fde68a; color: inherit; padding: 0 1px; }
.rq-empty { opacity: 0.6; }
.rq-docs { width: 100%; border-collapse: collapse; font-size: 0.9em; }
.rq-docs th, .rq-docs td { border-bottom: 1px solid #e5e7eb; padding: 0.3em 0.5em; text-align: left; }
.rq-num { text-align: right !important; }
.rq-ok { color: #15803d; } .rq-fail { color: #b91c1c; font-weight: 600; }
"""
