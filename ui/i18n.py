"""The web chat's words in Simplified Chinese (the default), Traditional Chinese and English.

Traditional is Simplified converted with OpenCC (s2t), so the two never drift apart; a key
missing from a table is a KeyError at import time (``check()``), not an English word in a
Chinese page.

    >>> t("zh-Hant", "send")
    '發送'
    >>> pick_language("en-US,en;q=0.9"), pick_language("zh-TW"), pick_language("fr")
    ('en', 'zh-Hant', 'zh-Hans')
"""
from __future__ import annotations

from functools import lru_cache

HANS, HANT, EN = "zh-Hans", "zh-Hant", "en"
LANGUAGES = (HANS, HANT, EN)
DEFAULT = HANS
LANGUAGE_NAMES = {HANS: "简体中文", HANT: "繁體中文", EN: "English"}

ZH = {
    "app_title": "报告问答",
    "tagline": "就工作报告和你添加的文件提问，每个说法都标出原文出处。",
    "language": "语言",
    "tab_chat": "对话",
    "tab_docs": "文件",
    "docs_loaded": "已载入 {n} 份文件：",
    "docs_none": "还没有载入文件。",
    "manage_docs": "管理文件",
    "chat_label": "对话",
    "chat_placeholder": "就报告提一个问题，答案里的 [1] 可点开看原文。",
    "question_placeholder": "例如：2026年城镇新增就业目标是多少？（回车发送）",
    "send": "发送",
    "stop": "停止",
    "regenerate": "重新回答",
    "new_chat": "新对话",
    "mode": "回答方式",
    "mode_llm": "AI 概括（经原文核对）",
    "mode_extractive": "直接引用原文（最快）",
    "mode_help": "AI 概括：本地语言模型写一句简短回答，再逐一核对数字与出处，核对不过就改为引用原文；"
                 "直接引用原文：不经模型，立即给出最相关的原句。",
    "mode_help_extractive": "直接引用原文：不经模型，立即给出最相关的原句（本服务未启用语言模型）。",
    "scope": "限定范围",
    "scope_docs": "只用这些文件（不选即全部）",
    "scope_period": "时间",
    "period_all": "全部",
    "period_achieved": "已完成的（如2025年成绩）",
    "period_planned": "计划与目标（如2026年）",
    "scope_note": "限定：{what}",
    "examples": "示例问题（点一下填入输入框）",
    "history": "历史对话",
    "untitled": "新对话",
    "sources_title": "来源",
    "sources_placeholder": "点答案里的 [1] 等编号，这里显示原文段落并标出引用的句子。",
    "sources_none_refused": "没有来源：文件中没有找到这个问题的答案。",
    "sources_none": "这个回答没有来源。",
    "back_to_answer": "← 返回回答",
    "view_whole": "查看全文",
    "viewer_close": "关闭",
    "viewer_title": "全文",
    "viewer_missing": "这份文件已不在索引中。",
    "doc_changed": "文件已改动，只显示当时引用的句子",
    "section": "章节",
    "period_label_achieved": "已完成",
    "period_label_planned": "计划",
    "context_period": "按上下文判断",
    "thinking_search": "正在查找相关原文…",
    "thinking_queue": "正在排队：语言模型一次只写一个回答，排队位置见下方。",
    "thinking_write": "正在撰写，写完后逐句核对出处…",
    "understood_as": "理解为：",
    "stopped": "已停止回答。",
    "busy": "上一个问题还在回答中：请等它完成，或点“停止”。",
    "error": "回答时出了问题，详情已记入服务器日志。请再试一次。",
    "related": "相关段落（不是答案）",
    "answered_llm": "AI 概括，已与原文核对",
    "answered_extractive": "引用原文",
    "seconds": "{s:.1f} 秒（从发送算起）",
    "notice_fallback": "AI 的回答未通过原文核对，下面直接引用原文。",
    "notice_llm_down": "语言模型暂不可用，下面直接引用原文。",
    "notice_dropped": "AI 回答中无法由原文证实的部分已删去。",
    "thanks": "谢谢反馈。",
    "copy_sources": "来源",
    # documents tab
    "docs_table_doc": "文件", "docs_table_title": "标题", "docs_table_format": "格式",
    "docs_table_sentences": "句子数", "docs_table_chunks": "片段数", "docs_table_added": "添加时间",
    "docs_table_empty": "索引中没有文件。",
    "upload": "添加文件（{types}，最大 {mb:g} MB）",
    "doc_choice": "选择文件",
    "title_box": "标题（可修改）",
    "save_title": "保存标题",
    "delete": "删除文件",
    "reindex": "全部重建索引",
    "confirm": "确认",
    "cancel": "取消",
    "confirm_delete": "确定要删除“{doc}”吗？它将从索引中移除，上传的文件也会删除。",
    "confirm_reindex": "确定要重建全部索引吗？这会重新读取索引中每个文件的来源，可能需要几分钟；来源已不存在的文件会保留。",
    "cancelled": "已取消。",
    "replace_upload": "替换同名的已上传文件（不勾选则两个都保留）",
    "cancel_indexing": "取消索引",
    "nothing_indexing": "当前没有正在进行的索引。",
    "cancelling": "正在取消 {doc} 的索引…",
    "reading": "正在读取 {name}",
    "embedding": "正在向量化 {what}",
    "added": "已添加 {doc}：{n_sentences} 句，{n_chunks} 个片段，用时 {s:.1f} 秒。现在就可以提问。",
    "unchanged": "{doc} 没有变化（已在索引中）。",
    "not_added": "未添加：{why}",
    "internal": "未添加：{name} 处理时出错（详见服务器日志）",
    "choose_doc": "请先选择一个文件。",
    "deleted": "已删除 {doc}。",
    "deleted_corpus": "已从索引中删除 {doc}。它的文件还在语料文件夹里，“全部重建索引”会把它加回来。",
    "not_deleted": "未删除：{why}",
    "reindexed": "已重建索引：新增 {added}，更新 {updated}，移除 {removed}，未变 {unchanged}；用时 {s:.1f} 秒。",
    "not_reindexed": "未重建索引：{why}",
    "title_saved": "已把 {doc} 的标题改为“{title}”。",
    "title_empty": "标题不能为空。",
}

EN_TABLE = {
    "app_title": "Report Q&A",
    "tagline": "Ask about the work report and your own documents; every claim shows its source sentence.",
    "language": "Language",
    "tab_chat": "Chat",
    "tab_docs": "Documents",
    "docs_loaded": "{n} document(s) loaded: ",
    "docs_none": "No documents loaded yet.",
    "manage_docs": "Manage documents",
    "chat_label": "Chat",
    "chat_placeholder": "Ask a question about the report; click a [1] in an answer to see the source.",
    "question_placeholder": "e.g. 2026年城镇新增就业目标是多少？ (Enter sends)",
    "send": "Send",
    "stop": "Stop",
    "regenerate": "Answer again",
    "new_chat": "New chat",
    "mode": "How to answer",
    "mode_llm": "AI summary (checked against the sources)",
    "mode_extractive": "Quote the sources (fastest)",
    "mode_help": "AI summary: a local language model writes a short answer, then every number and citation is "
                 "checked; if the check fails you get the quotes instead. Quote the sources: no model, the most "
                 "relevant sentences at once.",
    "mode_help_extractive": "Quote the sources: no model, the most relevant sentences at once (no language model "
                            "is enabled on this server).",
    "scope": "Restrict to",
    "scope_docs": "Only these documents (none = all)",
    "scope_period": "Time",
    "period_all": "Everything",
    "period_achieved": "Achieved (e.g. 2025 results)",
    "period_planned": "Planned (e.g. 2026 targets)",
    "scope_note": "Restricted to: {what}",
    "examples": "Example questions (click to fill in)",
    "history": "Past conversations",
    "untitled": "New chat",
    "sources_title": "Sources",
    "sources_placeholder": "Click a [1] in an answer: the source paragraph appears here, the quoted sentence marked.",
    "sources_none_refused": "No sources: the documents do not answer this question.",
    "sources_none": "No sources for this answer.",
    "back_to_answer": "← Back to the answer",
    "view_whole": "Whole document",
    "viewer_close": "Close",
    "viewer_title": "Whole document",
    "viewer_missing": "This document is no longer in the index.",
    "doc_changed": "the document has changed since; showing the quoted sentence",
    "section": "Section",
    "period_label_achieved": "achieved",
    "period_label_planned": "planned",
    "context_period": "from the context",
    "thinking_search": "Looking for the relevant passages…",
    "thinking_queue": "Waiting: the language model writes one answer at a time; your place is shown below.",
    "thinking_write": "Writing; every sentence is checked against its source when done…",
    "understood_as": "Understood as: ",
    "stopped": "Stopped.",
    "busy": "The previous question is still being answered: wait for it, or press Stop.",
    "error": "Something went wrong while answering; the details are in the server log. Please try again.",
    "related": "Related passages (not an answer)",
    "answered_llm": "AI summary, checked against the sources",
    "answered_extractive": "quoted from the sources",
    "seconds": "{s:.1f} s from Send",
    "notice_fallback": "The AI answer did not pass the source check; quoting the sources instead.",
    "notice_llm_down": "The language model is unavailable; quoting the sources instead.",
    "notice_dropped": "Parts of the AI answer the sources do not support were removed.",
    "thanks": "Thanks for the feedback.",
    "copy_sources": "Sources",
    "docs_table_doc": "Document", "docs_table_title": "Title", "docs_table_format": "Format",
    "docs_table_sentences": "Sentences", "docs_table_chunks": "Chunks", "docs_table_added": "Added",
    "docs_table_empty": "No documents indexed.",
    "upload": "Add a document ({types}, up to {mb:g} MB)",
    "doc_choice": "Document",
    "title_box": "Title (editable)",
    "save_title": "Save title",
    "delete": "Delete document",
    "reindex": "Reindex all",
    "confirm": "Confirm",
    "cancel": "Cancel",
    "confirm_delete": "Delete “{doc}”? It leaves the index, and an uploaded file is deleted too.",
    "confirm_reindex": "Reindex everything? This rereads every indexed document from its source and may take minutes; "
                       "a document whose source is gone is kept.",
    "cancelled": "Cancelled.",
    "replace_upload": "Replace an upload with the same name (otherwise both are kept)",
    "cancel_indexing": "Cancel indexing",
    "nothing_indexing": "Nothing is being indexed.",
    "cancelling": "Cancelling the indexing of {doc}…",
    "reading": "reading {name}",
    "embedding": "embedding {what}",
    "added": "Added {doc}: {n_sentences} sentences, {n_chunks} chunks, indexed in {s:.1f} s. You can ask about it now.",
    "unchanged": "{doc} is unchanged (already indexed).",
    "not_added": "Not added: {why}",
    "internal": "Not added: {name}: internal error (see the server log)",
    "choose_doc": "Choose a document first.",
    "deleted": "Deleted {doc}.",
    "deleted_corpus": "Deleted {doc} from the index. Its file stays in the corpus folder, so “Reindex all” brings it back.",
    "not_deleted": "Not deleted: {why}",
    "reindexed": "Reindexed: {added} added, {updated} updated, {removed} removed, {unchanged} unchanged in {s:.1f} s.",
    "not_reindexed": "Not reindexed: {why}",
    "title_saved": "The title of {doc} is now “{title}”.",
    "title_empty": "A title must not be empty.",
}


@lru_cache(maxsize=1)
def tables() -> dict[str, dict[str, str]]:
    from corpus.lang import to_traditional

    check()
    return {HANS: ZH, HANT: {k: to_traditional(v) for k, v in ZH.items()}, EN: EN_TABLE}


def check() -> None:
    """Every key in every table (raises KeyError naming the missing ones)."""
    missing = set(ZH) ^ set(EN_TABLE)
    if missing:
        raise KeyError(f"i18n keys missing from one table: {', '.join(sorted(missing))}")


def t(lang: str, key: str, **values) -> str:
    """The text of ``key`` in ``lang`` (unknown languages get the default), formatted with ``values``."""
    table = tables().get(lang) or tables()[DEFAULT]
    text = table[key]
    return text.format(**values) if values else text


def pick_language(accept: str | None) -> str:
    """The UI language for a browser's language list ("zh-TW,en;q=0.8"): Traditional for zh-TW/HK/MO
    and zh-Hant, English for en*, else Simplified Chinese (the default)."""
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if not tag:
            continue
        if tag.startswith("zh"):
            return HANT if any(x in tag for x in ("hant", "-tw", "-hk", "-mo")) else HANS
        if tag.startswith("en"):
            return EN
    return DEFAULT


def normalize(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT
