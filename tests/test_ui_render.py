"""ui.render: markers, the highlighted paragraph, refusals, and escaping of every untrusted text."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from bot.types import Answer, Citation
from index.catalog import DocInfo
from ui import render

HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
           '"><svg onload=alert(1)>', "**bold** `code` <a href='javascript:alert(1)'>x</a>")
ALLOWED_TAGS = {"div", "span", "sup", "a", "mark", "q", "ul", "li", "br", "table", "thead", "tbody", "tr", "th", "td",
                "button", "p"}

DOC = "標題\n全力擴增服務供給,推動民生幸福更加充實。將高質量辦好30件政府實事,實現城鎮新增就業2.8萬人;投用區第一中學。\n下一段。"
SENTENCE = "將高質量辦好30件政府實事,實現城鎮新增就業2.8萬人;"


def cite(n=1, text=SENTENCE, doc="report.txt", **kw) -> Citation:
    start = DOC.find(text) if text in DOC else 0
    return Citation(n=n, doc=doc, text=text, start=start, end=start + len(text), **kw)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def assert_safe(markup: str) -> _Tags:
    """Only our fixed tags, no event handlers, no links but to source cards."""
    parsed = _Tags()
    parsed.feed(markup)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, f"unexpected tag <{tag}> in {markup!r}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name} in {markup!r}"
            if name in ("href", "src", "action", "formaction"):  # data-* and title hold text, never run
                assert "javascript:" not in (value or "").lower()
            if name == "href":
                assert re.fullmatch(r"#rq-src-\d+-\d+", value), value
    return parsed


# --- markers --------------------------------------------------------------------------------------
def test_markers_become_superscript_links_to_their_source_card():
    out = render.markers_html("就业2.8万人[1]；学位4140个[2, 3]。", {1, 2, 3}, key=5)
    assert out == ("就业2.8万人" + render.marker_html(1, 5) + "；学位4140个" + render.marker_html(2, 5)
                   + render.marker_html(3, 5) + "。")
    assert '<a href="#rq-src-5-1">[1]</a>' in out, "a marker opens the card of its own answer"
    assert_safe(out)


def test_full_width_markers_and_unknown_numbers():
    out = render.markers_html("甲【1】乙［2］丙[7]", {1, 2})
    assert out.count('class="rq-cite"') == 2
    assert "[7]" in out and "#rq-src-0-7" not in out, "a marker naming no citation stays text"


def test_answer_bubble_has_markers_mode_and_timing():
    a = Answer(question="q", text="实现城镇新增就业2.8万人[1]。", citations=(cite(),), mode="extractive",
               standalone="q", timings_ms={"total": 812.0})
    out = render.answer_html(a, "zh-Hans", key=1)
    assert "2.8万人" + render.marker_html(1, 1) in out
    assert "引用原文 · 0.8 秒（从发送算起）" in out
    assert "理解为" not in out
    assert "引用原文 · 17.4 秒" in render.answer_html(a, "zh-Hans", key=1, seconds=17.4), "queue wait included"
    assert "quoted from the sources · 0.8 s from Send" in render.answer_html(a, "en", key=1)
    assert_safe(out)


def test_understood_as_shown_only_when_the_question_was_rewritten():
    same = Answer(question="那学位呢？", text="x", standalone="那学位呢？")
    rewritten = Answer(question="那学位呢？", text="x", standalone="2026年新增多少个学位？")
    assert render.understood_as_html(same) == ""
    assert "理解为：<q>2026年新增多少个学位？</q>" in render.answer_html(rewritten)


# --- the paragraph and its highlight ---------------------------------------------------------------
def test_source_card_highlights_the_exact_sentence_inside_its_paragraph():
    c = cite(section="民生", period="planned", year=2026, title="報告")
    passage = render.passage_for(DOC, c)
    assert passage.text == DOC.splitlines()[1]
    out = render.citation_html(c, passage, key=2)
    marked = re.findall(r"<mark>(.*?)</mark>", out)
    assert marked == [SENTENCE]
    assert "全力擴增服務供給,推動民生幸福更加充實。<mark>" in out and "</mark>投用區第一中學。" in out
    assert "下一段" not in out and "標題" not in out.split("rq-passage")[1]
    assert 'id="rq-src-2-1"' in out and "report.txt" in out and "報告" in out and "§ 民生" in out
    assert ">计划<" in out and "按上下文判断" in out, "the sentence does not name 2026: no year on its badge"
    assert 'class="rq-view" data-doc="report.txt" data-start="{}"'.format(c.start) in out
    assert_safe(out)


def test_paragraph_around_uses_line_breaks_and_keeps_the_sentence():
    text = "a。\nb。c。d。\ne。"
    p = render.paragraph_around(text, text.index("c"), text.index("c") + 2)
    assert (p.text, p.text[p.start:p.end], p.cut_before, p.cut_after) == ("b。c。d。", "c。", False, False)


def test_long_paragraph_is_cut_around_the_sentence_at_sentence_ends():
    before = "".join(f"前文第{i}句。" for i in range(200))
    after = "".join(f"後文第{i}句。" for i in range(200))
    text = "標題\n" + before + SENTENCE + after + "\n尾"
    start = text.index(SENTENCE)
    p = render.paragraph_around(text, start, start + len(SENTENCE), max_chars=120)
    assert p.text[p.start:p.end] == SENTENCE
    assert p.cut_before and p.cut_after and len(p.text) <= 120
    assert p.text.startswith("前文") and p.text.endswith("。"), p.text
    out = render.passage_html(p)
    assert out.startswith("…") and out.endswith("…")


def test_a_changed_document_shows_the_quote_alone():
    c = cite()
    assert render.passage_for(DOC.replace("2.8", "3.0"), c) is None
    assert render.passage_for(None, c) is None
    out = render.citation_html(c, None)
    assert f"<mark>{SENTENCE}</mark>" in out and "文件已改动" in out and "rq-view" not in out


def test_paragraph_around_rejects_a_span_outside_the_text():
    with pytest.raises(ValueError, match="outside the text"):
        render.paragraph_around("abc", 2, 9)


# --- refusals ---------------------------------------------------------------------------------------
def test_refusal_shows_related_passages_labelled_as_not_an_answer():
    related = (cite(1, "全力擴增服務供給,推動民生幸福更加充實。"), cite(2, "投用區第一中學。"))
    a = Answer(question="火星基地什么时候建成？", text="报告中没有找到这个问题的答案。", refused=True,
               related=related, standalone="火星基地什么时候建成？")
    out = render.answer_html(a)
    assert "相关段落（不是答案）" in out
    assert "rq-refused" in out and "投用區第一中學。" in out
    assert "rq-cite" not in out, "related passages are not cited as an answer"
    assert "没有来源" in render.sources_html(a, {})
    assert_safe(out)


# --- escaping ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("evil", HOSTILE)
def test_hostile_text_everywhere_is_escaped(evil):
    c = Citation(n=1, doc=f"{evil}.txt", text=f"{evil}。", start=0, end=len(evil) + 1, section=evil,
                 period="achieved", year=2025, title=evil)
    doc_text = f"{evil}。{evil}"
    a = Answer(question=evil, text=f"{evil}[1] {evil}", citations=(c,), standalone=f"{evil}?", notice=evil,
               related=(c,), refused=False)
    pieces = [
        render.question_html(evil),
        render.answer_html(a),
        render.thinking_html("zh-Hans", "thinking_write", f"{evil}[1]", standalone=evil, question="q"),
        render.document_view_html(evil, evil, doc_text, 0, len(evil), request=evil),
        render.header_html([DocInfo(evil, "v", "h", evil, evil, evil, 1, 1, 0.0, 0.0)]),
        render.question_html(evil, scope_note=evil),
        render.sources_html(a, {1: render.passage_for(doc_text, c)}),
        render.citation_html(c, None),
        render.documents_html([DocInfo(evil, "v", "h", evil, evil, evil, 1, 1, 0.0, 0.0)]),
        render.status_html(evil, ok=False),
        render.error_html(evil),
    ]
    for out in pieces:
        parsed = assert_safe(out)
        assert html.escape(evil, quote=True) in out
        assert evil in "".join(parsed.text), "the text reads back as the user wrote it"


def test_line_breaks_in_text_become_br_after_escaping():
    assert render.question_html("a<b\nc") == '<div class="rq-question">a&lt;b<br>c</div>'


def test_documents_table_lists_every_document():
    docs = [DocInfo("a.txt", "a@1", "h1", "甲", "/x/a.txt", "txt", 10, 4, 1_700_000_000.0, 1_700_000_000.0),
            DocInfo("b.pdf", "b@1", "h2", "乙", "/x/b.pdf", "pdf", 3, 1, 1_700_000_000.0, 1_700_000_000.0)]
    out = render.documents_html(docs)
    assert out.count("<tr>") == 3 and "a.txt" in out and "b.pdf" in out and ">10<" in out
    assert "索引中没有文件" in render.documents_html([]) and "No documents" in render.documents_html([], "en")


# --- what issue 7 asked for -------------------------------------------------------------------------
def test_copy_text_is_plain_with_footnotes():
    c2 = cite(2, "全力擴增服務供給,推動民生幸福更加充實。")
    a = Answer(question="q", text="实现城镇新增就业2.8万人[1]，民生更充实【2】。", citations=(cite(), c2))
    plain = render.plain_text(a, {"report.txt": "崂山区政府工作报告"})
    assert plain == ("实现城镇新增就业2.8万人[1]，民生更充实[2]。\n\n"
                     f"[1] 崂山区政府工作报告：{SENTENCE}\n[2] 崂山区政府工作报告：全力擴增服務供給,推動民生幸福更加充實。")
    out = render.answer_html(a, names={"report.txt": "崂山区政府工作报告"})
    assert f'<div class="rq-plain">{html.escape(plain)}</div>' in out
    assert "<" not in plain


def test_developer_notices_become_short_translated_lines_or_nothing():
    base = dict(question="q", text="x[1]", citations=(cite(),))
    fell_back = Answer(**base, notice="the model's answer was not supported by the sources; showing the sources instead")
    down = Answer(**base, notice="the language model is unavailable (boom); answering from the sources")
    odd = Answer(**base, notice="dense similarity 0.41 < 0.45")
    assert "未通过原文核对" in render.answer_html(fell_back) and "showing the sources" not in render.answer_html(fell_back)
    assert "暂不可用" in render.answer_html(down) and "boom" not in render.answer_html(down)
    assert "The language model is unavailable" in render.answer_html(down, "en")
    assert "0.41" not in render.answer_html(odd) and render.notice_text(odd) == ""


def test_badge_names_the_year_only_when_the_sentence_does():
    stated = Citation(n=1, doc="d", text="2026年将新增学位4140个。", start=0, end=15, period="planned", year=2026)
    context = Citation(n=1, doc="d", text="将新增学位4140个。", start=0, end=10, period="planned", year=2026)
    unknown = Citation(n=1, doc="d", text="学位。", start=0, end=3, period="unknown")
    assert ">2026 · 计划<" in render.badge(stated) and "title=" not in render.badge(stated)
    assert ">计划<" in render.badge(context) and "2026" not in render.badge(context)
    assert render.badge(unknown) == ""


def test_thinking_bubble_is_one_pending_bubble_with_its_step():
    out = render.thinking_html("zh-Hans", "thinking_write", "新增<b>", standalone="q2", question="q")
    assert out.count('class="rq-pending"') == 1 and "正在撰写" in out and "新增&lt;b&gt;" in out
    assert render.is_pending({"role": "assistant", "content": out})
    assert not render.is_pending({"role": "assistant", "content": render.stopped_html()})


def test_viewer_marks_the_sentence_in_the_whole_document():
    start = DOC.index(SENTENCE)
    out = render.document_view_html("report.txt", "報告", DOC, start, start + len(SENTENCE), request="7")
    assert f'<mark id="rq-view-mark">{SENTENCE}</mark>' in out and "標題" in out and "下一段" in out
    assert 'data-at="7"' in out and out.count("<p>") == 3
    assert "已不在索引中" in render.document_view_html("gone.txt", "", None, 0, 0)


def test_header_names_the_loaded_documents():
    docs = [DocInfo("a.txt", "a@1", "h1", "甲报告", "/x/a.txt", "txt", 10, 4, 0.0, 0.0),
            DocInfo("b.pdf", "b@1", "h2", "乙", "/x/b.pdf", "pdf", 3, 1, 0.0, 0.0)]
    out = render.header_html(docs)
    assert "已载入 2 份文件" in out and "甲报告" in out and "乙" in out
    assert "No documents loaded" in render.header_html([], "en")
