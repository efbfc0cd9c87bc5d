"""Loading files into Documents: size and type checks, decoding or text extraction, cleaning, sentences.

The type is decided by the content (PDF and zip magic, binary signatures, HTML sniffing) and
checked against the extension, so a renamed archive or executable is refused, not read as text.

The work one file can cause is bounded: a .docx is unpacked as a stream, counted as it goes
(an absolute cap and a ratio to the packed size) and parsed element by element, and a document
with more sentences than ``max_sentences`` is refused before it is cleaned and tagged.
"""
from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
import unicodedata
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from corpus.clean import clean
from corpus.decode import TEXT_BOMS, decode
from corpus.errors import (CorpusError, EmptyDocument, FileTooLarge, MissingFile, PasswordProtected,
                           TooManySentences, UndecodableFile, UnsupportedFormat)
from corpus.period import tag_periods
from corpus.sentences import split_sentences
from corpus.title import document_title
from corpus.types import Document

EXTENSIONS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
              ".html": "html", ".htm": "html", ".xhtml": "html", ".pdf": "pdf", ".docx": "docx"}
MB = 1 << 20
# Defaults of the limits below; index.settings has the same defaults as REPORTQA_* settings.
MAX_UNPACKED_BYTES = 100 * MB
MAX_UNPACK_RATIO = 100.0
MAX_SENTENCES = 10_000
# Below this many unpacked bytes the ratio is not checked: a tiny, very regular file is no bomb.
RATIO_FLOOR = 1 * MB
# Refusals before cleaning count on the raw text, where lines broken mid-sentence still count
# twice; they allow this factor, and the exact count after splitting is held to the limit itself.
EARLY_SLACK = 3
# One paragraph or table row of a .docx is parsed as a whole; more elements than this is no document.
MAX_BLOCK_ELEMENTS = 200_000
# pypdf's own budget of operators and operands per content stream (its default is 2,000,000, which
# takes about 25 s to exhaust); a dense real page has some tens of thousands.
PDF_STREAM_TOKENS = 300_000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """How much one file may cost; each limit is a setting, named in the message that refuses it."""

    max_bytes: int
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES
    max_unpack_ratio: float = MAX_UNPACK_RATIO
    max_sentences: int = MAX_SENTENCES

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_unpacked_bytes", "max_unpack_ratio", "max_sentences"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be greater than 0, got {getattr(self, name)}")

_BINARY_SIGNATURES = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF (WebP/WAV/AVI) file"), (b"MZ", "a Windows executable"), (b"\x7fELF", "an ELF executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"), (b"\x1f\x8b", "a gzip archive"), (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"), (b"7z\xbc\xaf", "a 7-Zip archive"), (b"Rar!", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0", "an old Office (.doc/.xls) file"), (b"%!PS", "a PostScript file"),
    (b"SQLite format 3", "an SQLite database"), (b"\x00asm", "a WebAssembly module"),
)
_HTML_START = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)


def load_document(path: str | Path, *, max_bytes: int, doc_id: str | None = None, **limits) -> Document:
    """Read ``path`` (its size is checked before it is read) and load it like ``load_bytes``.

    The document's ``source`` is the absolute path, so a reindex finds the file again from anywhere.
    """
    path = Path(path).absolute()
    if not path.is_file():
        reason = "is a folder, not a file" if path.is_dir() else "no such file"
        raise MissingFile(f"{path}: {reason}")
    _check_size(path.name, path.stat().st_size, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MissingFile(f"{path}: cannot be read ({e.strerror})") from e
    return replace(load_bytes(data, path.name, max_bytes=max_bytes, doc_id=doc_id, **limits), source=str(path))


def load_bytes(data: bytes, name: str, *, max_bytes: int, doc_id: str | None = None,
               max_unpacked_bytes: int = MAX_UNPACKED_BYTES, max_unpack_ratio: float = MAX_UNPACK_RATIO,
               max_sentences: int = MAX_SENTENCES) -> Document:
    """Turn a file's bytes into a cleaned Document with sentences; ``name`` gives the extension.

    Raises a CorpusError subclass naming ``name`` and the reason; a limit that was hit is
    named with the setting that raises it.
    """
    limits = Limits(max_bytes, max_unpacked_bytes, max_unpack_ratio, max_sentences)
    _check_size(name, len(data), max_bytes)
    if not data.strip():
        raise EmptyDocument(f"{name}: file is empty")
    raw, encoding, kind = _extract(data, name, _detect(data, name), limits)
    _check_sentences_early(raw, name, max_sentences)
    text, origin = clean(raw)
    if not text.strip():
        raise EmptyDocument(f"{name}: no text left after cleaning")
    doc_id = doc_id or name
    doc = Document(doc_id=doc_id, title=document_title(data, kind, text, name), source=name, raw=raw, text=text, origin=origin,
                   content_hash=hashlib.sha256(data).hexdigest(), encoding=encoding, format=kind)
    sentences = split_sentences(doc_id, text)
    if len(sentences) > max_sentences:
        raise _too_many(name, len(sentences), max_sentences)
    sentences = tag_periods(sentences)
    mapped = []
    for s in sentences:
        raw_start, raw_end = doc.raw_span(s.start, s.end)
        mapped.append(replace(s, raw_start=raw_start, raw_end=raw_end))
    return replace(doc, sentences=tuple(mapped))


# --- size, type ----------------------------------------------------------------------------------
def _check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise FileTooLarge(f"{name}: file is {_size(size)}, over the {_size(max_bytes)} limit")


def _too_many(name: str, count: int, limit: int, *, at_least: bool = False) -> TooManySentences:
    what = f"more than {count:,}" if at_least else f"{count:,}"
    return TooManySentences(f"{name}: {what} sentences, over the limit of {limit:,} per document; "
                            "split the file, or raise REPORTQA_MAX_DOC_SENTENCES")


_MAYBE_END = re.compile(r"[。！？；…;｡.!?]+")


def _check_sentences_early(raw: str, name: str, limit: int) -> None:
    """Refuse a text with far too many sentences before the costly steps (cleaning, tagging).

    A cheap upper bound (end-mark runs plus lines) settles most texts at once; otherwise the
    raw text is split piece by piece and counting stops as soon as the slack limit is passed.
    """
    stop = EARLY_SLACK * limit
    if len(_MAYBE_END.findall(raw)) + raw.count("\n") + 1 <= stop:
        return
    count = 0
    for piece in _pieces(raw, 20_000):
        count += len(split_sentences("", piece))
        if count > stop:
            raise _too_many(name, stop, limit, at_least=True)


def _pieces(text: str, size: int):
    """Consecutive pieces of about ``size`` characters, cut after a line break where there is one."""
    pos = 0
    while pos < len(text):
        end = pos + size
        if end < len(text):
            nl = text.rfind("\n", pos, end)
            end = nl + 1 if nl > pos else end
        yield text[pos:end]
        pos = end


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
    if not any(head.startswith(bom) for bom, _ in TEXT_BOMS) and b"\x00" in data:
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
def _extract(data: bytes, name: str, kind: str, limits: Limits) -> tuple[str, str, str]:
    """(raw text, encoding, format) of the file; for pdf/docx the text of the pages/paragraphs."""
    if kind == "pdf":
        return _pdf_text(data, name, limits), "pdf", kind
    if kind == "docx":
        return _docx_text(data, name, limits), "docx", kind
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


def _pdf_text(data: bytes, name: str, limits: Limits) -> str:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import FileNotDecryptedError, LimitReachedError

    _relay_pypdf_warnings()
    budget = _TextBudget(name, limits)
    pages = []
    unpacked = min(limits.max_unpacked_bytes, 75_000_000)  # per stream; pypdf's default is 75 MB
    # pypdf raises many exception types on malformed input; every one means "cannot read".
    try:
        with warnings.catch_warnings(record=True) as caught, apply_configuration(
                stream_parsing_work_maximum_count=PDF_STREAM_TOKENS, zlib_maximum_output_length=unpacked,
                lzw_maximum_output_length=unpacked, run_length_maximum_output_length=unpacked,
                brotli_maximum_output_length=unpacked, array_based_stream_maximum_output_length=unpacked):
            warnings.simplefilter("always")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise PasswordProtected(f"{name}: the PDF needs a password to open; "
                                        "save a copy without the password and add that")
            for page in reader.pages:
                pages.append(unwrap_lines(page.extract_text() or ""))
                budget.add(pages[-1], sentences=len(split_sentences("", pages[-1])))
        for w in caught:
            log.info("pypdf on %s: %s", name, w.message)
    except CorpusError:
        raise
    except FileNotDecryptedError as e:
        raise PasswordProtected(f"{name}: the PDF needs a password to open; "
                                "save a copy without the password and add that") from e
    except LimitReachedError as e:
        raise FileTooLarge(f"{name}: a part of the PDF is over the reading limits ({e}); "
                           "this looks like a decompression bomb") from e
    except Exception as e:  # noqa: BLE001 - see above
        raise UndecodableFile(f"{name}: cannot read the PDF ({type(e).__name__}: {e})") from e
    return "\n".join(pages)


_relayed = False


def _relay_pypdf_warnings() -> None:
    """pypdf logs what it repairs ("EOF marker not found") as warnings; they go to our log at INFO.

    Python's last-resort handler would otherwise print them on the screen next to the one-line
    error, in the CLI; a configured log (the web server's) still records them.
    """
    global _relayed
    if _relayed:
        return
    _relayed = True

    class _Relay(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            log.info("pypdf: %s", record.getMessage())

    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.addHandler(_Relay())
    pypdf_log.propagate = False


class _TextBudget:
    """Stops extraction early: more sentences than the limit allows, or more text than the file limit."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name, self.limits = name, limits
        self.sentences = self.chars = 0

    def add(self, text: str, sentences: int | None = None) -> None:
        """Count a block of text; ``sentences`` defaults to its lines (each paragraph is one at least)."""
        self.sentences += text.count("\n") + 1 if sentences is None else sentences
        self.chars += len(text)
        if self.sentences > EARLY_SLACK * self.limits.max_sentences:
            raise _too_many(self.name, EARLY_SLACK * self.limits.max_sentences, self.limits.max_sentences,
                            at_least=True)
        if self.chars > self.limits.max_bytes:
            raise FileTooLarge(f"{self.name}: its text is over {self.limits.max_bytes:,} characters, "
                               f"the {_size(self.limits.max_bytes)} file limit (REPORTQA_MAX_FILE_MB)")


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


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Run content that has text, as python-docx reads it (w:br is a line break unless it breaks a page).
_RUN_TEXT = {_W + "t": None, _W + "tab": "\t", _W + "ptab": "\t", _W + "cr": "\n", _W + "noBreakHyphen": "-"}


def _docx_text(data: bytes, name: str, limits: Limits) -> str:
    """The body's paragraphs and table rows, one per line, read as a stream (never the whole tree).

    The sizes the archive declares are checked first; the document part is then counted as it
    is unpacked, so a file whose headers lie is stopped at the same limits.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        _check_unpacked(name, sum(info.file_size for info in zf.infolist()), len(data), limits)
        try:
            with zf.open("word/document.xml") as part:
                return "\n".join(_docx_lines(_CountedStream(part, name, len(data), limits), name, limits))
        except CorpusError:
            raise
        except Exception as e:  # noqa: BLE001 - zipfile/lxml raise assorted types on a damaged file
            raise UndecodableFile(f"{name}: cannot read the .docx ({type(e).__name__}: {e})") from e


def _check_unpacked(name: str, unpacked: int, packed: int, limits: Limits) -> None:
    if unpacked > limits.max_unpacked_bytes:
        raise FileTooLarge(f"{name}: unpacks to more than {_size(limits.max_unpacked_bytes)}, the limit for "
                           "unpacked content (REPORTQA_MAX_UNPACKED_MB); this looks like a zip bomb")
    if unpacked > RATIO_FLOOR and unpacked > limits.max_unpack_ratio * packed:
        raise FileTooLarge(f"{name}: unpacks to more than {limits.max_unpack_ratio:g} times its size of "
                           f"{_size(packed)}, the limit (REPORTQA_MAX_UNPACK_RATIO); this looks like a zip bomb")


class _CountedStream:
    """A file-like reader that refuses to unpack more than the limits allow."""

    def __init__(self, raw, name: str, packed: int, limits: Limits) -> None:
        self.raw, self.name, self.packed, self.limits = raw, name, packed, limits
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n if n and n > 0 else 1 << 16)
        self.count += len(data)
        _check_unpacked(self.name, self.count, self.packed, self.limits)
        return data


def _docx_lines(stream, name: str, limits: Limits):
    """Yield the text of each body paragraph and table row, freeing each once it is read."""
    from lxml import etree

    budget = _TextBudget(name, limits)
    body = None
    above: dict[int, str] = {}  # grid column -> text of the cell above, for vertically merged cells
    elements = 0
    parser = etree.iterparse(stream, events=("start", "end"), resolve_entities=False, no_network=True,
                             load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True)
    for event, el in parser:
        if event == "start":
            if el.tag == _W + "body":
                body = el
            elif el.tag == _W + "tbl" and body is not None and el.getparent() is body:
                above = {}
            continue
        elements += 1
        parent = el.getparent()
        if body is not None and parent is body:
            if el.tag == _W + "p":
                text = _paragraph_text(el)
                budget.add(text)
                yield text
        elif el.tag == _W + "tr" and parent is not None and parent.tag == _W + "tbl" and parent.getparent() is body:
            text = _docx_row_text(el, above)
            budget.add(text)
            yield text
        elif elements > MAX_BLOCK_ELEMENTS:
            raise FileTooLarge(f"{name}: a paragraph or table row has more than {MAX_BLOCK_ELEMENTS:,} parts; "
                               "this is not a document that can be read")
        else:
            continue
        elements = 0
        el.clear()
        while el.getprevious() is not None:  # drop what was read, so memory holds one block at a time
            del parent[0]


def _paragraph_text(p) -> str:
    """A paragraph's text as python-docx gives it: its runs and hyperlinked runs."""
    out = []
    for child in p:
        runs = [child] if child.tag == _W + "r" else list(child.iterchildren(_W + "r")) \
            if child.tag == _W + "hyperlink" else []
        for run in runs:
            for item in run:
                if item.tag in _RUN_TEXT:
                    out.append(item.text or "" if _RUN_TEXT[item.tag] is None else _RUN_TEXT[item.tag])
                elif item.tag == _W + "br" and item.get(_W + "type", "textWrapping") == "textWrapping":
                    out.append("\n")
    return "".join(out)


def _docx_row_text(tr, above: dict[int, str]) -> str:
    """A table row: each cell's paragraphs, a merged cell once (python-docx's ``row.cells`` order)."""
    cells: list[str] = []
    col = 0
    for tc in tr.iterchildren(_W + "tc"):
        props = tc.find(_W + "tcPr")
        span, merge = 1, None
        if props is not None:
            grid = props.find(_W + "gridSpan")
            span = int(grid.get(_W + "val", "1")) if grid is not None else 1
            vmerge = props.find(_W + "vMerge")
            merge = None if vmerge is None else vmerge.get(_W + "val", "continue")
        if merge == "continue":
            text = above.get(col, "")
        else:
            text = "\n".join(_paragraph_text(p) for p in tc.iterchildren(_W + "p"))
        for _ in range(max(span, 1)):
            above[col] = text
            cells.append(text)
            col += 1
    return _row_text(cells)


def _row_text(row_cells: list[str]) -> str:
    cells: list[str] = []
    for cell in row_cells:
        text = " ".join(cell.split())
        if not cells or cells[-1] != text:  # a merged cell repeats in every column it spans
            cells.append(text)
    return " ".join(cells)

