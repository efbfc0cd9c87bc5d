"""A document's title: its headline when the first line reads like one, else the file's own title
property (HTML <title>, docx core properties, PDF metadata), else the file name.

    >>> document_title(b"", "txt", "松濤區政府工作報告\\n正文。", "a.txt")
    '松濤區政府工作報告'
    >>> document_title(b"", "txt", "“統籌推進263個重點項目”“集聚42個…”\\n正文。", "report.txt")
    'report.txt'
"""
from __future__ import annotations

import io
import re

from corpus.decode import decode

HEADLINE_MAX_CHARS = 40
TITLE_MAX_CHARS = 60
_SENTENCE_END = ("。", "！", "？", "；", ";", "!", "?", "：", ":")
_QUOTE_RUN = re.compile(r"[”\"」』][“\"「『]")  # “甲”“乙”: a run of quoted highlights, not a title
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def document_title(data: bytes, kind: str, text: str, name: str) -> str:
    """The title of a loaded file (``kind`` is load.py's format: txt, md, html, pdf, docx)."""
    return _shorten(headline(text) or property_title(data, kind, name) or name)


def headline(text: str) -> str:
    """The first line when it reads like a title: short, not a sentence, not a run of quotes."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first or len(first) > HEADLINE_MAX_CHARS or first.endswith(_SENTENCE_END):
        return ""
    if _QUOTE_RUN.search(first) or first.count("，") + first.count(",") > 1 or "。" in first:
        return ""
    return first


def property_title(data: bytes, kind: str, name: str) -> str:
    """The title the file itself declares, or "" (a damaged property is simply no title)."""
    try:
        if kind == "html":
            m = _HTML_TITLE.search(data[:65536])
            return " ".join(decode(m.group(1), name)[0].split()) if m else ""
        if kind == "docx":
            from docx import Document as open_docx

            return (open_docx(io.BytesIO(data)).core_properties.title or "").strip()
        if kind == "pdf":
            from pypdf import PdfReader

            meta = PdfReader(io.BytesIO(data)).metadata
            return str(meta.title or "").strip() if meta else ""
    except Exception:  # noqa: BLE001 - the text was already read; a bad property only loses the title
        return ""
    return ""


def _shorten(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= TITLE_MAX_CHARS else title[:TITLE_MAX_CHARS - 1] + "…"
