"""What problem a finding shows, exactly: the yardstick a reduction must keep.

A reducer that only keeps "a TLP finding" or "a rows divergence" may slip to another problem
on the way: the target that had too many rows ends with too few, an error on the target
becomes an error on the reference, a `bigint` against `integer` column becomes a `text`
against `varchar` one. `Problem` names the problem by what cannot change while it is the
same one: the oracle and variant, the direction (which side errs, or has more rows, or the
larger value), the SQLSTATE pair, and the differing columns with their type pair.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from oracles.finding import Finding


@dataclass(frozen=True)
class Problem:
    oracle: str
    variant: str
    #: "target errs", "reference errs", "both err", "more", "fewer", "larger", "smaller",
    #: "null", "not null", or "other" (the same count, other values)
    direction: str
    sqlstates: tuple[str | None, str | None] = (None, None)  # (expected side, actual side)
    #: the differing columns (0-based), with (expected, actual) types where the oracle
    #: compared types
    columns: tuple[tuple[int, str | None, str | None], ...] = ()

    def describe(self) -> str:
        parts = [f"{self.oracle}/{self.variant}", self.direction]
        if self.sqlstates != (None, None):
            parts.append("SQLSTATE {} vs {}".format(*(s or "-" for s in self.sqlstates)))
        for index, expected, actual in self.columns:
            types = f" {expected} vs {actual}" if expected or actual else ""
            parts.append(f"column {index + 1}{types}")
        return ", ".join(parts)


def problem_of(finding: Finding) -> Problem:
    """The finding's problem, read from its expected and actual sides."""
    expected, actual = finding.expected, finding.actual
    if isinstance(expected, dict) or isinstance(actual, dict):
        return _errors(finding, expected, actual)
    if finding.variant == "types" and isinstance(expected, list) and isinstance(actual, list):
        return Problem(finding.oracle, finding.variant, "other", columns=_typed(expected, actual))
    if isinstance(expected, list) and isinstance(actual, list):
        direction, columns = _rows(expected, actual)
        return Problem(finding.oracle, finding.variant, direction, columns=columns)
    return Problem(finding.oracle, finding.variant, _scalar(expected, actual))


def _errors(finding: Finding, expected: Any, actual: Any) -> Problem:
    def state(side: Any) -> str | None:
        return side.get("sqlstate") if isinstance(side, dict) else None

    pair = (state(expected), state(actual))
    direction = {
        (True, True): "both err",
        (False, True): "target errs",
        (True, False): "reference errs",
    }.get((pair[0] is not None, pair[1] is not None), "other")
    return Problem(finding.oracle, finding.variant, direction, pair)


def _typed(expected: list, actual: list) -> tuple[tuple[int, str | None, str | None], ...]:
    width = max(len(expected), len(actual))
    padded = [(expected[i] if i < len(expected) else None,
               actual[i] if i < len(actual) else None) for i in range(width)]  # fmt: skip
    return tuple((i, str(e), str(a)) for i, (e, a) in enumerate(padded) if e != a)


def _rows(expected: list, actual: list) -> tuple[str, tuple[tuple[int, None, None], ...]]:
    if len(expected) != len(actual):
        return ("more" if len(actual) > len(expected) else "fewer"), ()
    if len(expected) == 1 and _width(expected) == _width(actual) == 1:
        return _scalar(expected[0][0], actual[0][0]), ()
    return "other", _differing_columns(expected, actual)


def _width(rows: list) -> int | None:
    widths = {len(r) if isinstance(r, list | tuple) else -1 for r in rows}
    return widths.pop() if len(widths) == 1 else None


def _differing_columns(expected: list, actual: list) -> tuple[tuple[int, None, None], ...]:
    """The columns whose multisets of values differ (rows of one width on both sides)."""
    width = _width(expected)
    if width is None or width < 0 or width != _width(actual):
        return ()

    def column(rows: list, i: int) -> Counter[str]:
        return Counter(repr(r[i]) for r in rows)

    return tuple((i, None, None) for i in range(width)
                 if column(expected, i) != column(actual, i))  # fmt: skip


def _scalar(expected: Any, actual: Any) -> str:
    if expected is None or actual is None:
        return "other" if expected is None and actual is None else \
            ("null" if actual is None else "not null")  # fmt: skip
    a, b = _number(expected), _number(actual)
    if a is None or b is None or a == b:
        return "other"
    return "larger" if b > a else "smaller"


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None
