"""Canonical values and result comparison.

Two results are compared as canonical values: exact types exactly (Decimal 1.50 equals 1.5, an
integer equals the same integer), text byte-exact, NaN equal to NaN, -0.0 equal to 0.0, and
floating-point values with a relative tolerance, since an aggregate summed in another order
differs in its last bits without anything being wrong.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-12

NAN = ("float", "nan")  # NaN never equals itself; its canonical form does


def canonical(value: Any) -> Any:
    """A hashable value that compares equal exactly when the SQL values are the same."""
    if value is None or isinstance(value, str | int):
        return value  # bool is an int: TRUE equals 1, as SQLite and MySQL spell it
    if isinstance(value, float):
        if math.isnan(value):
            return NAN
        return 0.0 if value == 0 else value
    if isinstance(value, Decimal):
        if value.is_nan():
            return NAN
        if value.is_infinite():
            return float(value)
        normal = value.normalize()
        return int(normal) if normal == normal.to_integral_value() else normal
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_element)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date | time | timedelta):
        return value
    return repr(value)


def _element(value: Any) -> Any:
    """A list element JSON has no type for: psycopg reads a PostgreSQL array as a list, whose
    elements may be numerics, dates or bytes. Written as its canonical value, so that the
    arrays {1.0} and {1.00} are the same."""
    made = canonical(value)
    return made if isinstance(made, int | float | str) else repr(made)


def canonical_rows(rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    return [tuple(canonical(v) for v in row) for row in rows]


def values_equal(a: Any, b: Any) -> bool:
    """Canonical values equal, floats (and decimals facing floats) within the tolerance."""
    if a == b:
        return True
    numeric = (float, int, Decimal)
    if (
        isinstance(a, numeric)
        and isinstance(b, numeric)
        and (isinstance(a, float) or isinstance(b, float))
    ):
        fa, fb = _float(a), _float(b)
        if math.isinf(fa) or math.isinf(fb):
            return fa == fb
        return math.isclose(fa, fb, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)
    return False


def _float(v: float | int | Decimal) -> float:
    """A number as a float, infinite beyond the float range (numeric(1000, 0) holds such
    integers; float() of a Python int that large raises)."""
    return float(Decimal(v)) if isinstance(v, int) else float(v)


def rows_equal(a: Sequence[Any], b: Sequence[Any]) -> bool:
    return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # Floats rounded so that nearly equal values sort next to each other; types by name so
    # that mixed columns (SQLite) still sort.
    key = []
    for v in row:
        if isinstance(v, float):
            key.append((1, "number", round(v, 6)))
        elif isinstance(v, int | Decimal):
            key.append((1, "number", round(_float(v), 6)))
        elif v is None:
            key.append((0, "", 0))
        else:
            key.append((2, type(v).__name__, str(v)))
    return tuple(key)


def multisets_equal(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> bool:
    """Same rows, same multiplicities, in any order."""
    if len(a) != len(b):
        return False
    if Counter(a) == Counter(b):
        return True
    # Only floats can make exact equality too strict: pair the rows up in a tolerant order.
    return lists_equal(sorted(a, key=_sort_key), sorted(b, key=_sort_key))


def sets_equal(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> bool:
    return multisets_equal(sorted(set(a), key=_sort_key), sorted(set(b), key=_sort_key))


def lists_equal(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> bool:
    return len(a) == len(b) and all(rows_equal(x, y) for x, y in zip(a, b, strict=True))


def jsonable(rows: list[tuple[Any, ...]], limit: int = 50) -> list[list[Any]]:
    """Rows for a report: JSON-serialisable, at most `limit` of them."""
    return [[_jsonable_value(v) for v in row] for row in rows[:limit]]


def _jsonable_value(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if v == NAN:
        return "NaN"
    if isinstance(v, bytes):
        return "\\x" + v.hex()
    return str(v)
