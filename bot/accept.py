"""Whether the model's verified answer is shown, or the clause quoting would give instead.

The model words the answer; code decides whether it may be shown. It must be supported claim by
claim (``verify``), draw on the part of its sources the question is about, name only the times
and things they name, and state the answering clause's figures — and, where that clause holds
several figures the question could mean, the one whose words match the question.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from bot import verify as V
from corpus.figures import asked_predicate, asked_unit, parse_figures
from bot.gather import Found, ranked_figures, words_matched
from bot.retrieve import Retrieval
from bot.types import Hit, strip_markers


def rejection(verified: V.Verified | None, question: str, retrieval: Retrieval, quote: str,
              quoted: Sequence[Hit], weight: Callable[[str], float]) -> str:
    """Why the model's answer is not shown ("" when it is); ``quote`` is the extractive answer for
    the same question and ``quoted`` the hits it quotes."""
    if verified is None:
        return "was not supported by the sources"
    if not V.answers_the_question(verified.text, verified.hits, retrieval.terms, question):
        return "quoted a part of the sources the question is not about"
    if not V.grounded(verified.text, verified.hits, question, retrieval.scope):
        return "named something, or a time, its sources do not"
    if not V.figures_agree(verified.text, quote):
        return "gave a figure other than the answering clause's"
    if asks_quantity(question) and not parse_figures(strip_markers(verified.text)) and parse_figures(quote):
        return "gave no figure where the question asks how many and the clause states one"
    found = answering_figure(question, quoted, retrieval.terms, weight)
    if found is not None and not V.states_figure(verified.text, found.figure):
        return f"did not give {found.figure.text}, the figure the question asks for"
    return ""


def asks_quantity(question: str) -> bool:
    """"多少个", "几处", "是多少": the answer is a figure."""
    return bool(asked_unit(question)) or "多少" in question


def answering_figure(question: str, hits: Sequence[Hit], terms: Sequence[str],
                     weight: Callable[[str], float]) -> Found | None:
    """For a question asking a quantity in some unit, when the quoted sentences state several
    figures in it, the one whose own words match the question clearly best ("3000多个图层", not
    "50多个市属部门", for "有多少个图层？"); None when there is no choice to make, or no clear one
    ("从27岁提高到30岁": both figures have the same words). "增长了多少" names no unit: then every
    figure of the clauses is a candidate (27.3%, not 5.4个百分点, for "对东盟…增长了多少")."""
    if not asks_quantity(question):
        return None
    ranked = ranked_figures(hits, terms, asked_unit(question), weight)
    if not ranked:
        return None
    # What the question says of the counted things decides first ("多少名患者显示出了抗肿瘤响应":
    # 9名 "观察到了抗肿瘤响应", not 14名 "患者参加", though 14名's clause shares more of its words).
    predicate = [t for t in terms if t in asked_predicate(question)]
    keyed = [((_said(found, predicate, weight), score), found) for score, found in ranked]
    keyed.sort(key=lambda x: x[0], reverse=True)  # stable: the first stated still wins a tie
    (said, score), best = keyed[0]
    rivals = [key for key, found in keyed[1:] if _value(found) != _value(best)]
    return best if rivals and (said, score) > (rivals[0][0], rivals[0][1] + 1e-9) else None


def _said(found: Found, predicate: Sequence[str], weight: Callable[[str], float]) -> float:
    """How much of the question's predicate the figure's own words say (0 without one)."""
    return round(words_matched(found.context, predicate, weight), 6)


def _value(found: Found) -> tuple:
    return found.figure.number, found.figure.base_unit
