"""Loading files into Documents: size and type checks, decoding or text extraction, cleaning, sentences.

The type is decided by the content (PDF and zip magic, binary signatures, HTML sniffing) and
checked against the extension, so a renamed archive or executable is refused, not read as text.
"""
from __future__ import annotations

import codecs
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from corpus.clean import clean
from corpus.errors import EmptyDocument, FileTooLarge, MissingFile, UndecodableFile, UnsupportedFormat
from corpus.period import tag_periods
from corpus.sentences import split_sentences
from corpus.title import document_title
from corpus.types import Document

EXTENSIONS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
              ".html": "html", ".htm": "html", ".xhtml": "html", ".pdf": "pdf", ".docx": "docx"}
# A .docx may unpack to this many times the size limit; more looks like a zip bomb.
UNPACK_FACTOR = 50

_BINARY_SIGNATURES = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF (WebP/WAV/AVI) file"), (b"MZ", "a Windows executable"), (b"\x7fELF", "an ELF executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"), (b"\x1f\x8b", "a gzip archive"), (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"), (b"7z\xbc\xaf", "a 7-Zip archive"), (b"Rar!", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0", "an old Office (.doc/.xls) file"), (b"%!PS", "a PostScript file"),
    (b"SQLite format 3", "an SQLite database"), (b"\x00asm", "a WebAssembly module"),
)
_TEXT_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
              (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CJK_LEGACY = ("gb18030", "cp950", "big5hkscs")  # tried in this order; a tie keeps the earlier one
_HTML_START = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)


def load_document(path: str | Path, *, max_bytes: int, doc_id: str | None = None) -> Document:
    """Read ``path`` (its size is checked before it is read) and load it like ``load_bytes``."""
    path = Path(path)
    if not path.is_file():
        reason = "is a folder, not a file" if path.is_dir() else "no such file"
        raise MissingFile(f"{path}: {reason}")
    _check_size(path.name, path.stat().st_size, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MissingFile(f"{path}: cannot be read ({e.strerror})") from e
    return replace(load_bytes(data, path.name, max_bytes=max_bytes, doc_id=doc_id), source=str(path))


def load_bytes(data: bytes, name: str, *, max_bytes: int, doc_id: str | None = None) -> Document:
    """Turn a file's bytes into a cleaned Document with sentences; ``name`` gives the extension.

    Raises a CorpusError subclass naming ``name`` and the reason.
    """
    _check_size(name, len(data), max_bytes)
    if not data.strip():
        raise EmptyDocument(f"{name}: file is empty")
    raw, encoding, kind = _extract(data, name, _detect(data, name), max_bytes)
    text, origin = clean(raw)
    if not text.strip():
        raise EmptyDocument(f"{name}: no text left after cleaning")
    doc_id = doc_id or name
    doc = Document(doc_id=doc_id, title=document_title(data, kind, text, name), source=name, raw=raw, text=text, origin=origin,
                   content_hash=hashlib.sha256(data).hexdigest(), encoding=encoding, format=kind)
    sentences = tag_periods(split_sentences(doc_id, text))
    mapped = []
    for s in sentences:
        raw_start, raw_end = doc.raw_span(s.start, s.end)
        mapped.append(replace(s, raw_start=raw_start, raw_end=raw_end))
    return replace(doc, sentences=tuple(mapped))


# --- size, type ----------------------------------------------------------------------------------
def _check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise FileTooLarge(f"{name}: file is {_size(size)}, over the {_size(max_bytes)} limit")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def _detect(data: bytes, name: str) -> str:
    """The format by content: pdf, docx, html, md or txt; refuses binary data and mismatches."""
    ext = Path(name).suffix.lower()
    if ext and ext not in EXTENSIONS:
        raise UnsupportedFormat(f"{name}: unsupported file type {ext}; expected one of: {', '.join(EXTENSIONS)}")
    claimed = EXTENSIONS.get(ext)
    found = _sniff(data, name)
    if found in ("pdf", "docx") or claimed in ("pdf", "docx"):
        if claimed and claimed != found:
            what = {"pdf": "a PDF", "docx": "a Word .docx file"}.get(found, "text")
            raise UnsupportedFormat(f"{name}: named {ext} but the content is {what}; refusing the mismatch")
        return found
    return claimed or "text"  # "text": no extension, decided after decoding


def _sniff(data: bytes, name: str) -> str:
    head = data[:64]
    if data[:1024].lstrip()[:5] == b"%PDF-":
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data, name)
    # A signature counts only with control bytes after it, so a text starting "MZ Motors" stays text.
    controls = any(b < 0x09 or 0x0E <= b < 0x20 or b == 0x7F for b in head)
    for magic, what in _BINARY_SIGNATURES:
        if head.startswith(magic) and (controls or not magic.isascii()):
            raise UnsupportedFormat(f"{name}: content is {what}, not a document")
    if not any(head.startswith(bom) for bom, _ in _TEXT_BOMS) and b"\x00" in data:
        raise UnsupportedFormat(f"{name}: binary data (NUL bytes), not a text document")
    return "text"


def _sniff_zip(data: bytes, name: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except zipfile.BadZipFile as e:
        raise UnsupportedFormat(f"{name}: damaged zip archive ({e})") from e
    if "word/document.xml" not in names:
        raise UnsupportedFormat(f"{name}: content is a zip archive, not a Word .docx file")
    return "docx"


# --- extraction ----------------------------------------------------------------------------------
def _extract(data: bytes, name: str, kind: str, max_bytes: int) -> tuple[str, str, str]:
    """(raw text, encoding, format) of the file; for pdf/docx the text of the pages/paragraphs."""
    if kind == "pdf":
        return _pdf_text(data, name), "pdf", kind
    if kind == "docx":
        return _docx_text(data, name, max_bytes), "docx", kind
    text, encoding = decode(data, name)
    if _binary_text(text):
        raise UnsupportedFormat(f"{name}: binary data (control characters), not a text document")
    if kind in ("text", "txt") and _HTML_START.match(text[:2048]):
        kind = "html"  # a saved web page, even one named .txt, is read as a web page
    kind = "txt" if kind == "text" else kind
    if kind == "html":
        return html_text(text), encoding, kind
    if kind == "md":
        return markdown_text(text), encoding, kind
    return text, encoding, kind


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode text bytes: BOM, strict UTF-8, else the better of GB18030 and Big5.

    "Better" is the decoding whose Han characters are more often common ones (the wrong one
    turns text into rare characters). Raises UndecodableFile when none fits.
    """
    for bom, codec in _TEXT_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec.removesuffix("-sig")
            except UnicodeDecodeError as e:
                raise UndecodableFile(f"{name}: starts with a {codec} mark but is not valid {codec}") from e
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[float, str, str] | None = None
    for codec in _CJK_LEGACY:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = _common_share(text)
        if best is None or score > best[0]:
            best = (score, codec, text)
    if best is None:
        raise UndecodableFile(f"{name}: not valid UTF-8, GB18030 or Big5 text")
    return best[2], best[1]


def _common_share(text: str) -> float:
    han = [c for c in text if unicodedata.category(c) in ("Lo", "Co") and ord(c) >= 0x2E80]
    if not han:
        return 0.0
    common = _common_hanzi()
    return sum(c in common for c in han) / len(han)


@lru_cache(maxsize=1)
def _common_hanzi() -> frozenset[str]:
    lines = resources.files("corpus").joinpath("common_hanzi.txt").read_text(encoding="utf-8").splitlines()
    return frozenset("".join(line for line in lines if not line.startswith("#")))


def _binary_text(text: str) -> bool:
    # Control characters other than tab/newline/form feed mean a binary file that happened to decode.
    sample = text[:8192]
    controls = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v")
    return controls > max(2, len(sample) // 100)


def html_text(html: str) -> str:
    """Visible text of an HTML page: one line per block element; script, style and nav dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "nav", "noscript", "template", "svg", "iframe", "head", "button"]):
        tag.decompose()
    for pre in soup("pre"):
        for s in pre.find_all(string=True):
            s.replace_with(s.replace("\n", _BREAK))
    for br in soup("br"):
        br.replace_with(_BREAK)
    for tag in soup(_BLOCKS):
        tag.insert_before(_BREAK)
        tag.insert_after(_BREAK)
    for cell in soup(["td", "th"]):
        cell.insert_after(" ")
    return _block_lines(soup.get_text())


_BREAK = "\u2029"  # a hard line break while the page's own (soft) whitespace is collapsed
_BLOCKS = ["address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl", "dt",
           "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
           "header", "hr", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tr", "ul"]
_CJK_CHAR = r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]"


def _block_lines(text: str) -> str:
    text = re.sub(r"[ \t\n\r\f\v]+", _soft_space, text)
    lines = (line.strip(" ") for line in text.split(_BREAK))
    return "\n".join(line for line in lines if line)


def _soft_space(m: re.Match[str]) -> str:
    # A wrapped line next to a Chinese character joins without a space; elsewhere one space.
    s = m.string
    if "\n" in m.group() and _joins_tight(s[m.start() - 1:m.start()], s[m.end():m.end() + 1]):
        return ""
    return " "


def _joins_tight(before: str, after: str) -> bool:
    return bool(re.match(_CJK_CHAR, before or " ") or re.match(_CJK_CHAR, after or " "))


def markdown_text(md: str) -> str:
    """Text of a Markdown file: rendered, then read like HTML (headings become their own lines)."""
    from markdown_it import MarkdownIt

    return html_text(MarkdownIt("commonmark").enable("table").render(md))


def _pdf_text(data: bytes, name: str) -> str:
    from pypdf import PdfReader

    # pypdf raises many exception types on malformed input; every one means "cannot read".
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsupportedFormat(f"{name}: the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnsupportedFormat:
        raise
    except Exception as e:  # noqa: BLE001 - see above
        raise UndecodableFile(f"{name}: cannot read the PDF ({type(e).__name__}: {e})") from e
    return "\n".join(unwrap_lines(page) for page in pages)


def unwrap_lines(page: str) -> str:
    """Join the lines a PDF wrapped mid-sentence.

    On a page with a block of body text (at least three lines as wide as the widest, within
    85%), a full-width line that does not end a sentence was wrapped by the layout, so the
    next line continues it; short lines (headings, the last line of a paragraph) keep their
    break. A page without such a block (a title page, a short list) is left as it is.
    """
    lines = [line.rstrip() for line in page.splitlines()]
    widest = max((_width(line) for line in lines), default=0)
    if sum(_width(line) >= 0.85 * widest for line in lines) < 3:
        return "\n".join(lines)
    out: list[str] = []
    for line in lines:
        if out and _wrapped(out[-1], widest) and line.strip():
            glue = "" if _joins_tight(out[-1][-1], line.lstrip()[0]) else " "
            out[-1] = out[-1] + glue + line.lstrip()
        else:
            out.append(line)
    return "\n".join(out)


def _wrapped(line: str, widest: int) -> bool:
    return bool(line.strip()) and _width(line) >= 0.85 * widest and line[-1] not in "。！？；：.!?;:"


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _docx_text(data: bytes, name: str, max_bytes: int) -> str:
    from docx import Document as open_docx
    from docx.table import Table

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        unpacked = sum(info.file_size for info in zf.infolist())
    if unpacked > UNPACK_FACTOR * max_bytes:
        raise FileTooLarge(f"{name}: unpacks to {_size(unpacked)}, over {UNPACK_FACTOR} times "
                           f"the {_size(max_bytes)} limit")
    try:
        doc = open_docx(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - python-docx/lxml raise assorted types on a damaged file
        raise UndecodableFile(f"{name}: cannot read the .docx ({type(e).__name__}: {e})") from e
    lines = []
    for block in doc.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_row_text(row) for row in block.rows)
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _row_text(row) -> str:
    cells: list[str] = []
    for cell in row.cells:
        text = " ".join(cell.text.split())
        if not cells or cells[-1] != text:  # a merged cell repeats in every column it spans
            cells.append(text)
    return " ".join(cells)

