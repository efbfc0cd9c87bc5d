"""The example questions shown in the chat are answered correctly (real embedder, real Chroma, extractive)."""
from __future__ import annotations

import pytest

from ui.app import EXAMPLES

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def answerer(real_settings, real_embeddings):
    from bot.chain import Answerer
    from index.build import Index

    a = Answerer(real_settings.with_(llm="none"), index=Index(real_settings, embeddings=real_embeddings))
    a.index.build()
    return a


@pytest.mark.parametrize("question, expected", EXAMPLES)
def test_example_question_is_answered_correctly(answerer, question, expected):
    answer = answerer.ask(question, mode="extractive")
    assert not answer.refused, answer.text
    assert expected in answer.text, f"{question} -> {answer.text}"
    assert any(expected in c.text for c in answer.citations), "the number is in a cited sentence"
