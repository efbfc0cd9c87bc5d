"""corpus.title: headline, then the file's title property, then the file name."""
from __future__ import annotations

import io

from corpus.load import load_bytes
from corpus.title import document_title, headline, property_title

MAX = 1 << 20


def test_headline_is_a_short_first_line_that_is_not_a_sentence():
    assert headline("\n  嶗山區2026年政府工作報告 \n正文。") == "嶗山區2026年政府工作報告"
    assert headline("“統籌推進263個重點項目建設”“集聚42個垂域大模型”\n正文") == ""
    assert headline("2025年，全区新增就业2.8万人。\n") == ""
    assert headline("甲" * 41) == ""


def test_html_title_is_used_when_the_first_line_is_no_headline():
    page = "<html><head><title>海濱市 新聞</title></head><body><p>今天，海濱市新建了三座公園。</p></body></html>"
    assert load_bytes(page.encode("gb18030"), "news.html", max_bytes=MAX).title == "海濱市 新聞"


def test_docx_title_property():
    from docx import Document

    d = Document()
    d.core_properties.title = "松涛区政府工作报告"
    d.add_paragraph("2025年，松涛区新建三座公园。")
    buf = io.BytesIO()
    d.save(buf)
    assert load_bytes(buf.getvalue(), "r.docx", max_bytes=MAX).title == "松涛区政府工作报告"


def test_pdf_title_property():
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(100, 100)
    w.add_metadata({"/Title": "年度报告"})
    buf = io.BytesIO()
    w.write(buf)
    assert property_title(buf.getvalue(), "pdf", "a.pdf") == "年度报告"


def test_file_name_when_nothing_else_and_a_damaged_property_is_no_title():
    assert document_title(b"not a pdf", "pdf", "“甲”“乙”\n正文。", "x.pdf") == "x.pdf"
