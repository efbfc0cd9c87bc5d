"""Arithmetic on cited figures, done by code (never by the model), with the working shown.

    >>> from corpus.figures import parse_figures
    >>> a, b = parse_figures("80个项目开工")[0], parse_figures("80个项目竣工")[0]
    >>> compute("sum", [a, b], ["[1]", "[2]"]).text
    '80个[1] + 80个[2] = 160个'
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from corpus.figures import Figure, format_number

SUM, DIFF, RATIO, AVERAGE, MORE = "sum", "diff", "ratio", "average", "more"
OPS = (SUM, DIFF, RATIO, AVERAGE, MORE)


class CannotCompute(ValueError):
    """The figures found cannot be combined as asked (different units, a zero divisor...)."""


@dataclass(frozen=True)
class Computation:
    op: str
    operands: tuple[Figure, ...]
    result: Decimal
    unit: str           # unit of the result as displayed ("万人", "%", "户")
    approx: bool        # an operand was a bound or an estimate (余, 以上...)
    text: str           # the working: "5548户[1] − 2300余户[2] ≈ 3248户"

    def to_json(self) -> dict:
        return {"op": self.op, "operands": [f.text for f in self.operands], "result": format_number(self.result),
                "unit": self.unit, "approx": self.approx, "text": self.text}


def compute(op: str, figures: list[Figure], marks: list[str], divisor: int | None = None) -> Computation:
    """Combine ``figures`` (each shown followed by its citation mark) as ``op`` asks.

    sum: a + b + ...; diff: |a - b|; ratio: a / b as a percentage; average: a / ``divisor``;
    more: which is larger (the result is the difference).
    """
    if op not in OPS:
        raise ValueError(f"unknown op {op!r}; expected one of: {', '.join(OPS)}")
    shown = [f"{f.text}{m}" for f, m in zip(figures, marks)]
    approx = any(f.approx for f in figures)
    eq = "≈" if approx else "="
    if op == AVERAGE:
        if len(figures) != 1 or not divisor:
            raise CannotCompute("an average needs one total and a count")
        f = figures[0]
        result = f.number / divisor
        unit = _display_unit(f)
        return Computation(op, tuple(figures), result, unit, approx,
                           f"{shown[0]} ÷ {divisor} {eq} {format_number(result, unit)}")
    if len(figures) < 2:
        raise CannotCompute("this needs two figures")
    if len({f.kind for f in figures}) > 1 and op != RATIO:
        raise CannotCompute(f"the figures are in different units ({', '.join(f.text for f in figures)})")
    unit = _display_unit(figures[0])
    if op == SUM:
        result = sum((f.number for f in figures), Decimal(0))
        return Computation(op, tuple(figures), result, unit, approx,
                           f"{' + '.join(shown)} {eq} {format_number(result, unit)}")
    a, b = figures[0], figures[1]
    if op in (DIFF, MORE):
        result = abs(a.number - b.number)
        big, small = (0, 1) if a.number >= b.number else (1, 0)
        return Computation(op, (a, b), result, unit, approx,
                           f"{shown[big]} − {shown[small]} {eq} {format_number(result, unit)}")
    if b.number == 0:
        raise CannotCompute("the second figure is zero")
    result = a.number / b.number * 100
    return Computation(op, (a, b), result, "%", approx, f"{shown[0]} ÷ {shown[1]} {eq} {format_number(result, '%')}")


def _display_unit(f: Figure) -> str:
    return f"{f.scale}{f.base_unit}" if f.scale else f.unit
