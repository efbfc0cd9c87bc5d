"""ui.i18n and ui.conversations: the word tables and the browser-kept conversation list."""
from __future__ import annotations

from ui import conversations as conv
from ui.i18n import EN, HANS, HANT, ZH, EN_TABLE, pick_language, t, tables


def test_every_key_in_every_language_and_traditional_is_converted():
    assert set(ZH) == set(EN_TABLE)
    hant = tables()[HANT]
    assert t(HANS, "send") == "发送" and t(HANT, "send") == "發送" and t(EN, "send") == "Send"
    assert hant["mode_llm"] != ZH["mode_llm"], "Traditional differs from Simplified"
    assert t("xx", "send") == "发送", "an unknown language falls back to Simplified Chinese"
    for lang in (HANS, HANT, EN):
        assert "{" not in t(lang, "added", doc="a", n_sentences=1, n_chunks=1, s=1.0)


def test_browser_language_picks_the_ui_language():
    assert pick_language("") == HANS and pick_language("de-DE,fr") == HANS
    assert pick_language("zh-TW,zh;q=0.9") == HANT and pick_language("zh-Hant-HK") == HANT
    assert pick_language("zh-CN,en") == HANS and pick_language("en-GB,zh-CN") == EN


def test_conversations_are_kept_newest_first_and_empty_ones_are_not():
    chat = [{"role": "user", "content": '<div class="rq-question">问一</div>'}, {"role": "assistant", "content": "答"}]
    store = conv.save(None, "a", chat, ["问一"], [{"index": 1, "question": "问一"}], now=1.0)
    store = conv.save(store, "b", [], [], [], now=2.0)
    assert [c["id"] for c in store["convs"]] == ["a"] and store["current"] == "b"
    store = conv.save(store, "b", chat, [], [{"index": 1, "question": "问二"}], now=3.0)
    assert conv.choices(store, "新对话") == [("问二", "b"), ("问一", "a")]
    assert conv.find(store, "a")["history"] == ["问一"]
    assert conv.valid("garbage") == conv.empty_store() and conv.valid({"convs": [{"id": 1}]})["convs"] == []
    many = store
    for i in range(conv.MAX_CONVERSATIONS + 5):
        many = conv.save(many, f"c{i}", chat, [], [{"index": 1, "question": f"q{i}"}])
    assert len(many["convs"]) == conv.MAX_CONVERSATIONS and many["convs"][0]["id"] == f"c{conv.MAX_CONVERSATIONS + 4}"
