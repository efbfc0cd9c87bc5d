"""Tests of corpus.load: formats, encodings, refusals with named errors, and the Document it builds."""
from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from corpus.clean import clean, pinyin_annotations
from corpus.errors import (CorpusError, EmptyDocument, FileTooLarge, MissingFile, UndecodableFile,
                           UnsupportedFormat)
from corpus.load import decode, load_bytes, load_document, unwrap_lines
from corpus.period import tag_periods
from corpus.sentences import split_sentences

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SEED = ROOT / "corpus" / "documents" / "laoshan-2026-npc-report.txt"
EXTERNAL_DOCS = ROOT.parent / "shared" / "eval" / "external" / "docs"
MB = 1024 * 1024
MAX_BYTES = 20 * MB
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.fixture(scope="module")
def seed_doc():
    return load_document(SEED, max_bytes=MAX_BYTES)


# --- the seed report ------------------------------------------------------------------------------
def test_seed_document_fields(seed_doc):
    data = SEED.read_bytes()
    assert seed_doc.doc_id == "laoshan-2026-npc-report.txt"
    assert seed_doc.source == str(SEED)
    assert seed_doc.format == "txt" and seed_doc.encoding == "utf-8"
    assert seed_doc.content_hash == hashlib.sha256(data).hexdigest()
    assert seed_doc.raw == data.decode("utf-8")
    assert (seed_doc.text, seed_doc.origin) == clean(seed_doc.raw)
    assert seed_doc.title == SEED.name, "a run of quoted highlights is not a title: the file name is"


def test_seed_sentences_are_split_and_tagged(seed_doc):
    expected = tag_periods(split_sentences(seed_doc.doc_id, seed_doc.text))
    got = [(s.text, s.start, s.end, s.period, s.year, s.section, s.heading) for s in seed_doc.sentences]
    assert got == [(s.text, s.start, s.end, s.period, s.year, s.section, s.heading) for s in expected]


def test_raw_spans_map_back_to_the_original_minus_pinyin(seed_doc):
    for s in seed_doc.sentences:
        assert (s.raw_start, s.raw_end) == seed_doc.raw_span(s.start, s.end)
        original = seed_doc.raw[s.raw_start:s.raw_end]
        minus_pinyin = _without(original, pinyin_annotations(original))
        assert minus_pinyin.replace("金家?guī)X", "金家嶺") == s.text  # the one known repair


def _without(text: str, matches) -> str:
    kept, pos = [], 0
    for m in matches:
        kept.append(text[pos:m.start()])
        pos = m.end()
    return "".join(kept) + text[pos:]


def test_the_disclaimer_is_in_no_sentence(seed_doc):
    assert "特別聲明" in seed_doc.raw
    for s in seed_doc.sentences:
        assert "聲明" not in s.text and "Notice" not in s.text and "storage" not in s.text


def test_load_bytes_and_load_document_agree(seed_doc):
    doc = load_bytes(SEED.read_bytes(), SEED.name, max_bytes=MAX_BYTES)
    assert doc.source == SEED.name
    assert (doc.text, doc.sentences) == (seed_doc.text, seed_doc.sentences)


def test_doc_id_can_be_given():
    doc = load_bytes("第一句。".encode(), "a.txt", max_bytes=MAX_BYTES, doc_id="custom")
    assert doc.doc_id == "custom" and doc.sentences[0].doc_id == "custom"


def test_external_docs_load():
    if not EXTERNAL_DOCS.is_dir():
        pytest.fail(f"{EXTERNAL_DOCS} is missing: the shared evaluation data must sit beside the checkout")
    files = sorted(EXTERNAL_DOCS.glob("*.txt"))
    assert len(files) >= 50
    for f in files:
        doc = load_document(f, max_bytes=MAX_BYTES)
        assert (doc.format, doc.encoding) == ("txt", "utf-8")
        assert doc.sentences and doc.title


# --- encodings ------------------------------------------------------------------------------------
def _tiny_text() -> str:
    return clean((DATA / "tiny-report.txt").read_text(encoding="utf-8"))[0]  # pinyin marks are not in Big5


@pytest.mark.parametrize("codec, reported", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8"), ("gb18030", "gb18030"), ("big5", "cp950"), ("utf-16", "utf-16"),
])
def test_chinese_text_in_any_encoding_loads_to_the_same_text(codec, reported):
    text = _tiny_text()
    doc = load_bytes(text.encode(codec), "tiny.txt", max_bytes=MAX_BYTES)
    assert doc.text == text
    assert doc.encoding == reported


def test_simplified_text_in_big5_and_gb18030():
    text = "海滨市人社局发布数据：上半年全市城镇新增就业3.2万人，同比增长5.1%。"
    assert decode(text.encode("gb18030"), "x.txt") == (text, "gb18030")
    traditional = "海濱市人社局發布數據：上半年全市城鎮新增就業3.2萬人，同比增長5.1%。"
    assert decode(traditional.encode("big5"), "x.txt") == (traditional, "cp950")


def test_the_seed_in_gb18030_loads_like_the_utf8_file(seed_doc):
    doc = load_bytes(seed_doc.raw.encode("gb18030"), "seed.txt", max_bytes=MAX_BYTES)
    assert doc.encoding == "gb18030"
    assert doc.text == seed_doc.text


def test_undecodable_text():
    with pytest.raises(UndecodableFile, match=r"^latin\.txt: not valid UTF-8, GB18030 or Big5 text$"):
        load_bytes("Café crème brûlée ÿ".encode("latin-1"), "latin.txt", max_bytes=MAX_BYTES)


# --- refusals -------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  "])
def test_empty_files(data):
    with pytest.raises(EmptyDocument, match=r"^empty\.txt: file is empty$"):
        load_bytes(data, "empty.txt", max_bytes=MAX_BYTES)


@pytest.mark.parametrize("text", ["\u3000\u3000\n\u200b\n", "特別聲明：以上內容為自媒體平台用戶上傳，本平台僅提供信息存儲服務。"])
def test_nothing_left_after_cleaning(text):
    with pytest.raises(EmptyDocument, match="no text left after cleaning"):
        load_bytes(text.encode(), "blank.txt", max_bytes=MAX_BYTES)


@pytest.mark.parametrize("data, name, reason", [
    (PNG, "picture.txt", "a PNG image"),
    (PNG, "picture", "a PNG image"),
    (b"report\x00\x01\x02 body", "report.txt", "binary data"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "setup.txt", "a Windows executable"),
    ("第一句。".encode(), "setup.exe", "unsupported file type .exe"),
    (b"\x7fELF\x02\x01\x01", "tool", "an ELF executable"),
    (bytes(range(1, 32)) * 20, "noise.txt", "control characters"),
])
def test_binary_and_unsupported_inputs(data, name, reason):
    with pytest.raises(UnsupportedFormat) as e:
        load_bytes(data, name, max_bytes=MAX_BYTES)
    assert str(e.value).startswith(f"{name}: ") and reason in str(e.value)


@pytest.mark.parametrize("text", ["MZ Motors annual report.", "GIF89a is an image format.", "RIFF means riff."])
def test_text_that_starts_like_a_signature_is_text(text):
    assert load_bytes(text.encode(), "notes.txt", max_bytes=MAX_BYTES).text == text


def _zip(entries: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    return buf.getvalue()


def test_zip_disguised_as_text():
    with pytest.raises(UnsupportedFormat, match=r"^notes\.txt: content is a zip archive"):
        load_bytes(_zip({"a.txt": "第一句。"}), "notes.txt", max_bytes=MAX_BYTES)


def test_docx_disguised_as_text(tmp_path):
    with pytest.raises(UnsupportedFormat, match=r"^notes\.txt: named \.txt but the content is a Word"):
        load_bytes(_docx_bytes(tmp_path), "notes.txt", max_bytes=MAX_BYTES)


@pytest.mark.parametrize("name", ["report.pdf", "report.docx"])
def test_text_disguised_as_pdf_or_docx(name):
    with pytest.raises(UnsupportedFormat, match="but the content is text"):
        load_bytes("第一句。".encode(), name, max_bytes=MAX_BYTES)


def test_pdf_named_docx():
    with pytest.raises(UnsupportedFormat, match="named .docx but the content is a PDF"):
        load_bytes(_pdf_bytes(["Hello"]), "report.docx", max_bytes=MAX_BYTES)


def test_damaged_pdf():
    with pytest.raises(UndecodableFile, match=r"^broken\.pdf: cannot read the PDF"):
        load_bytes(b"%PDF-1.4\nthis is not a pdf body\n", "broken.pdf", max_bytes=MAX_BYTES)


def test_oversize_bytes():
    with pytest.raises(FileTooLarge, match=r"^big\.txt: file is 2 KB, over the 1 KB limit$"):
        load_bytes(b"x" * 2048, "big.txt", max_bytes=1024)


def test_oversize_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "report.pdf"
    with open(path, "wb") as f:
        f.truncate(int(31.2 * MB))  # sparse: no disk or memory used

    def no_reading(self):
        raise AssertionError("the file was read before its size was checked")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(FileTooLarge) as e:
        load_document(path, max_bytes=MAX_BYTES)
    assert str(e.value) == "report.pdf: file is 31.2 MB, over the 20 MB limit"


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(MissingFile, match="nope.txt: no such file"):
        load_document(tmp_path / "nope.txt", max_bytes=MAX_BYTES)
    with pytest.raises(MissingFile, match="is a folder"):
        load_document(tmp_path, max_bytes=MAX_BYTES)


def test_errors_are_corpus_errors_with_one_line_messages():
    for data, name in [(b"", "a.txt"), (PNG, "b.png"), (b"x" * 10, "c.txt")]:
        with pytest.raises(CorpusError) as e:
            load_bytes(data, name, max_bytes=5)
        assert "\n" not in str(e.value) and str(e.value).startswith(name)


# --- formats --------------------------------------------------------------------------------------
def test_tiny_report():
    doc = load_document(DATA / "tiny-report.txt", max_bytes=MAX_BYTES)
    assert doc.title == "松濤區2026年政府工作報告摘要"
    assert "統籌推進120個重點項目建設" in doc.text and "區中心醫院(二期)" in doc.text
    assert "聲明" not in doc.text and "Notice" not in doc.text
    assert sum(s.heading for s in doc.sentences) == 3


def test_markdown():
    doc = load_document(DATA / "tiny-news.md", max_bytes=MAX_BYTES)
    assert doc.format == "md"
    assert doc.title == "海滨市上半年城镇新增就业3.2万人"
    lines = doc.text.split("\n")
    assert lines[0] == "海滨市上半年城镇新增就业3.2万人" and "下半年安排" in lines
    assert not any(mark in doc.text for mark in ("#", "**", "](", "- "))
    # A soft line break between Chinese characters joins without a space.
    assert "同比增长5.1%。其中，高校毕业生" in doc.text
    assert "相关链接：海滨市人社局" in doc.text
    headings = [s.text for s in doc.sentences if s.heading]
    assert headings == ["海滨市上半年城镇新增就业3.2万人", "下半年安排"]


def test_markdown_drops_scripts_and_keeps_code_text():
    md = "# 標題\n\n正文*強調*。\n\n<script>alert(1)</script>\n\n```\nprint(1)\n```\n"
    doc = load_bytes(md.encode(), "a.md", max_bytes=MAX_BYTES)
    assert doc.text == "標題\n正文強調。\nprint(1)"


HTML = """<!DOCTYPE html>
<html><head><title>頁面標題</title><style>p {color: red}</style><script>var x = "腳本";</script></head>
<body><nav><a href="/">首頁</a> | <a href="/news">新聞</a></nav>
<h1>嶗山區政府工作報告</h1>
<p>2025年，嶗山區新引進125個
過億元項目。<b>這一年</b>，全區完成改造。</p>
<ul><li>第一項</li><li>第二項</li></ul>
<table><tr><th>指標</th><th>數值</th></tr><tr><td>新增就業</td><td>3.19萬人</td></tr></table>
<p>第一行<br>第二行</p><!-- 註釋 -->
</body></html>"""


def test_html():
    doc = load_bytes(HTML.encode(), "page.html", max_bytes=MAX_BYTES)
    assert doc.format == "html"
    assert doc.text.split("\n") == ["嶗山區政府工作報告", "2025年，嶗山區新引進125個過億元項目。這一年，全區完成改造。",
                                    "第一項", "第二項", "指標 數值", "新增就業 3.19萬人", "第一行", "第二行"]
    assert doc.raw == doc.text
    assert doc.title == "嶗山區政府工作報告"


@pytest.mark.parametrize("name", ["page.txt", "page"])
def test_html_is_sniffed_by_content(name):
    assert load_bytes(HTML.encode(), name, max_bytes=MAX_BYTES).format == "html"


def test_html_in_big5():
    doc = load_bytes(HTML.replace("腳本", "").encode("big5"), "page.htm", max_bytes=MAX_BYTES)
    assert (doc.format, doc.encoding) == ("html", "cp950")
    assert "新引進125個過億元項目" in doc.text


def _docx_bytes(tmp_path) -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("松濤區政府工作報告", level=1)
    d.add_paragraph("2025年，松濤區新引進42個過億元項目。這一年，全區完成改造。")
    table = d.add_table(rows=2, cols=2)
    for r, row in enumerate([("指標", "數值"), ("新增就業", "1.05萬人")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("2026年將新引進過億元項目50個以上。")
    path = tmp_path / "report.docx"
    d.save(path)
    return path.read_bytes()


def test_docx(tmp_path):
    data = _docx_bytes(tmp_path)
    (tmp_path / "report.docx").write_bytes(data)
    doc = load_document(tmp_path / "report.docx", max_bytes=MAX_BYTES)
    assert (doc.format, doc.encoding) == ("docx", "docx")
    assert doc.text.split("\n") == ["松濤區政府工作報告", "2025年，松濤區新引進42個過億元項目。這一年，全區完成改造。",
                                    "指標 數值", "新增就業 1.05萬人", "2026年將新引進過億元項目50個以上。"]
    assert doc.sentences[0].heading
    assert doc.content_hash == hashlib.sha256(data).hexdigest()


def test_docx_zip_bomb_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", "<w:document/>")
        zf.writestr("word/media/padding.bin", b"\0" * (8 * MB))  # compresses to a few KB
    data = buf.getvalue()
    assert len(data) < 100_000
    with pytest.raises(FileTooLarge, match=r"^bomb\.docx: unpacks to more than 100 times its size of [\d.]+ KB, "
                                           r"the limit \(REPORTQA_MAX_UNPACK_RATIO\); this looks like a zip bomb$"):
        load_bytes(data, "bomb.docx", max_bytes=MAX_BYTES)


def _pdf_bytes(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF; Chinese lines use a Type0 font whose ToUnicode map makes them extractable."""
    han = sorted({ch for line in lines for ch in line if ord(ch) > 127})
    cid = {ch: i + 1 for i, ch in enumerate(han)}
    content = []
    for n, line in enumerate(lines):
        y = 800 - 20 * n
        if any(ord(ch) > 127 for ch in line):
            hexed = "".join(f"{cid[ch]:04X}" if ord(ch) > 127 else f"{0xE000 + ord(ch):04X}" for ch in line)
            content.append(f"BT /F2 12 Tf 50 {y} Td <{hexed}> Tj ET")
        else:
            content.append(f"BT /F1 12 Tf 50 {y} Td ({line}) Tj ET")
    stream = "\n".join(content).encode()
    pairs = [(cid[ch], ord(ch)) for ch in han] + [(0xE000 + c, c) for c in range(32, 127)]
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n")
    for i in range(0, len(pairs), 100):
        chunk = pairs[i:i + 100]
        cmap += f"{len(chunk)} beginbfchar\n" + "".join(f"<{a:04X}> <{b:04X}>\n" for a, b in chunk) + "endbfchar\n"
    cmap += "endcmap CMapName currentdict /CMap defineresource pop end end"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Fake /Encoding /Identity-H "
        b"/DescendantFonts [7 0 R] /ToUnicode 8 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Fake /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (Identity) /Supplement 0 >> /FontDescriptor 9 0 R /DW 1000 >>",
        b"<< /Length %d >>\nstream\n" % len(cmap.encode()) + cmap.encode() + b"\nendstream",
        b"<< /Type /FontDescriptor /FontName /Fake /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0 "
        b"/Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(_pdf_bytes(["Annual report 2025", "2025年新引進42個過億元項目", "這一年，全區完成改造。"]))
    doc = load_document(path, max_bytes=MAX_BYTES)
    assert (doc.format, doc.encoding) == ("pdf", "pdf")
    assert doc.text.split("\n") == ["Annual report 2025", "2025年新引進42個過億元項目", "這一年，全區完成改造。"]
    assert [s.heading for s in doc.sentences] == [True, True, False]


def test_pdf_is_sniffed_without_an_extension():
    assert load_bytes(_pdf_bytes(["Hello world."]), "report", max_bytes=MAX_BYTES).format == "pdf"


def test_pdf_wrapped_lines_are_joined():
    page = ("短標題\n"
            "2025年，嶗山區新引進125個過億元項目，統籌推進\n"
            "263個重點項目建設，124個項目實現新開工，70個\n"
            "項目竣工投用。\n"
            "這一年，嶗山區在全市率先完成產業母基金組建。\n"
            "下一段。")
    assert unwrap_lines(page) == ("短標題\n"
                                  "2025年，嶗山區新引進125個過億元項目，統籌推進263個重點項目建設，"
                                  "124個項目實現新開工，70個項目竣工投用。\n"
                                  "這一年，嶗山區在全市率先完成產業母基金組建。\n"
                                  "下一段。")
    english = ("A line of English text that was wrapped by\nthe layout of the page and then went on\n"
               "for a third line of text that is long\nend.")
    assert unwrap_lines(english) == english.replace("\n", " ")


def test_pdf_pages_without_a_text_block_keep_their_lines():
    page = "2025年新引進42個過億元項目\n這一年，全區完成改造。"
    assert unwrap_lines(page) == page
