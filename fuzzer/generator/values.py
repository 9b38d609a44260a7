"""Literal values: a small shared pool so that joins and filters meet, plus edge values.

Most values come from a pool of a dozen per family: two tables filled from the same pool
share values, so an equi-join matches rows. A minority are edge values (extreme integers,
-0.0, NaN, empty/long/non-ASCII strings, trailing spaces) where engines most often disagree.
"""

from __future__ import annotations

import datetime
import random
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fuzzer import ast as A
from fuzzer.dialects import family
from fuzzer.dialects.capabilities import Capabilities

INT_POOL = tuple(range(-3, 11))
#: the values each integer kind holds, lowest and highest (BIT(n): 0 .. 2**n - 1)
INT_RANGES = {
    "smallint": (-(2**15), 2**15 - 1), "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1), "usmallint": (0, 2**16 - 1), "uinteger": (0, 2**32 - 1),
    "ubigint": (0, 2**64 - 1), "year": (1901, 2155), "hugeint": (-(2**127), 2**127 - 1),
}  # fmt: skip
YEAR_POOL = (1999, 2000, 2001, 2002, 2010, 2024)
#: the values of a SET column: subsets of the members, in their order
SET_POOL = ("", "a", "b", "a,b", "a,c", "a,b,c", "ab,foo", "x y")
FRACTION = "123456"  # the fractional seconds of a DATETIME(fsp) value, cut to fsp digits
TEXT_POOL = ("a", "b", "c", "ab", "abc", "B", "x y", "foo", "bar", "a%", "q_1", "zz")
TEXT_EDGES = ("", " ", "a ", "  b", "it's", "back\\slash", "Ünïcödé", "日本語", "🙂", "NaN",
              # what collations fold: case, accents (composed and combining), contractions
              # and expansions, Turkish dotted I, ligatures, full-width letters
              "A", "ß", "ss", "SS", "é", "É", "e\u0301", "İ", "\u0131", "ﬁ", "fi", "\uff21", "ǅ")
FLOAT_POOL = (0.0, 1.0, -1.0, 0.5, 2.25, -3.5, 10.0, 1e10, 0.1)
NUMERIC_POOL = tuple(Decimal(s) for s in ("0", "1", "-1", "2.50", "3.14", "-7.25", "10", "0.01"))
DATE_POOL = tuple(datetime.date(2000, 1, 1) + datetime.timedelta(days=d) for d in (0, 1, 31, 59,
                  366, 4000))  # fmt: skip
DATE_EDGES = (datetime.date(1970, 1, 1), datetime.date(2000, 2, 29), datetime.date(9999, 12, 31))
TIME_POOL = ("00:00:00", "12:30:00", "23:59:59", "08:15:30")
TIMESTAMP_POOL = ("2000-01-01 00:00:00", "2000-01-02 12:00:00", "2020-02-29 23:59:59",
                  "1999-12-31 23:59:59")  # fmt: skip
#: instants written in several zones: the session shows them in its own (UTC)
TIMESTAMPTZ_POOL = ("2000-01-01 00:00:00+00", "2000-01-01 05:30:00+05:30",
                    "2020-02-29 23:59:59-08", "1999-12-31 23:00:00-01")  # fmt: skip
#: (no infinities or years near 1 or 9999: the driver cannot read what arithmetic makes of them)
TIMESTAMPTZ_EDGES = ("1970-01-01 00:00:00+00", "2038-01-19 03:14:07+00", "1900-01-01 00:00:00+00")
INTERVAL_POOL = ("1 day", "2 hours", "-3 days", "1 year 2 months", "0 seconds")
UUID_POOL = tuple(str(uuid.UUID(int=i * 0x1111111111111111)) for i in range(4))
JSON_POOL = ('{"a": 1}', '{"a": "x", "b": [1, 2]}', "[1, 2, 3]", '{"b": null}', "{}")
JSON_KEYS = ("a", "b")
BLOB_POOL = (b"", b"\x00", b"ab", b"\xff\xfe")


class Values:
    """Chooses values of a type; `edges` is the chance of an edge value."""

    def __init__(self, rng: random.Random, caps: Capabilities, edges: float, portable: bool):
        self.rng = rng
        self.caps = caps
        self.edges = 0.0 if portable else edges
        self.portable = portable

    def value(self, t: A.SQLType, edges: bool = True) -> Any:
        """A non-NULL value that fits type t (lengths, precision, range)."""
        edge = edges and self.rng.random() < self.edges
        if t.kind == "range":
            return self._range(t, edge)
        if t.element is not None:
            return self._array(t, edge)
        return getattr(self, "_" + family(t))(t, edge)

    def edge(self, t: A.SQLType) -> Any:
        """An edge value of type t, whatever the edge chance."""
        return getattr(self, "_" + family(t))(t, True)

    def literal(self, t: A.SQLType, value: Any) -> A.Literal:
        return A.Literal(value, t)

    def _int(self, t: A.SQLType, edge: bool) -> int:
        low, high = (0, 2 ** t.params[0] - 1) if t.kind == "bit" else INT_RANGES.get(
            t.kind, INT_RANGES["integer"])
        if edge:
            return self.rng.choice((low, high, *(v for v in (0, -1) if low <= v <= high)))
        if t.kind == "year":
            return self.rng.choice(YEAR_POOL)
        return self.rng.choice(INT_POOL if low < 0 else tuple(v for v in INT_POOL
                                                               if low <= v <= high))

    def _numeric(self, t: A.SQLType, edge: bool) -> Decimal:
        if edge and t.params:
            precision, scale = t.params
            digits = "9" * (precision - scale)
            return Decimal(f"{self.rng.choice(('-', ''))}{digits}.{'9' * scale}")
        v = self.rng.choice(NUMERIC_POOL)
        if t.params and -int(v.as_tuple().exponent) > t.params[1]:  # as the column stores it
            v = v.quantize(Decimal(1).scaleb(-t.params[1]), ROUND_HALF_UP)
        return v

    def _float(self, t: A.SQLType, edge: bool) -> float:
        if edge:
            options = [-0.0, 1e-5]
            if self.caps.float_specials:
                options += [float("nan"), float("inf"), float("-inf")]
            return self.rng.choice(options)
        return self.rng.choice(FLOAT_POOL)

    def _text(self, t: A.SQLType, edge: bool) -> str:
        if t.kind in ("string_enum", "set"):
            return self.rng.choice(A.ENUM_MEMBERS if t.kind == "string_enum" else SET_POOL)
        limit = t.params[0] if t.params else 10_000
        if edge:
            s = self.rng.choice((*TEXT_EDGES, "x" * min(limit, 300)))
        else:
            s = self.rng.choice(TEXT_POOL)
        return s[:limit]

    def _bit(self, t: A.SQLType, edge: bool) -> int:
        return self._int(t, edge)

    def _bool(self, t: A.SQLType, edge: bool) -> bool:
        return self.rng.random() < 0.5

    def _date(self, t: A.SQLType, edge: bool) -> datetime.date:
        return self.rng.choice(DATE_EDGES if edge else DATE_POOL)

    def _time(self, t: A.SQLType, edge: bool) -> str:
        return self._fraction(t, self.rng.choice(TIME_POOL))

    def _timestamp(self, t: A.SQLType, edge: bool) -> str:
        return self._fraction(t, self.rng.choice(TIMESTAMP_POOL))

    def _fraction(self, t: A.SQLType, v: str) -> str:
        """Fractional seconds, half of the time, for a type that keeps them."""
        if t.params and t.params[0] > 0 and self.rng.random() < 0.5:
            return f"{v}.{FRACTION[: self.rng.randint(1, t.params[0])]}"
        return v

    def _timestamptz(self, t: A.SQLType, edge: bool) -> str:
        return self.rng.choice(TIMESTAMPTZ_EDGES if edge else TIMESTAMPTZ_POOL)

    def _array(self, t: A.SQLType, edge: bool) -> tuple[Any, ...]:
        """A tuple of elements from the element's pool, some NULL; edges: empty or long."""
        assert t.element is not None
        n = self.rng.choice((0, 12)) if edge else self.rng.randint(1, 4)
        return tuple(None if self.rng.random() < 0.1 else self.value(t.element, edges=False)
                     for _ in range(n))  # fmt: skip

    def _range(self, t: A.SQLType, edge: bool) -> tuple[Any, Any, str] | str:
        """Bounds from the element's pool, low <= high; edges: empty, or unbounded sides."""
        assert t.element is not None
        if edge and self.rng.random() < 0.3:
            return "empty"
        low, high = sorted(self.value(t.element, edges=False) for _ in range(2))
        if edge:
            low, high = self.rng.choice(((None, high), (low, None), (None, None)))
        return low, high, self.rng.choice(("[)", "[]", "(]", "()"))

    def _enum(self, t: A.SQLType, edge: bool) -> str:
        return self.rng.choice(self.caps.enum_labels)

    def _interval(self, t: A.SQLType, edge: bool) -> str:
        return self.rng.choice(INTERVAL_POOL)

    def _uuid(self, t: A.SQLType, edge: bool) -> str:
        return self.rng.choice(UUID_POOL)

    def _json(self, t: A.SQLType, edge: bool) -> str:
        return self.rng.choice(JSON_POOL)

    def _blob(self, t: A.SQLType, edge: bool) -> bytes:
        return self.rng.choice(BLOB_POOL)

    # Composite values are tuples, so that the literals holding them stay hashable.

    def _struct(self, t: A.SQLType, edge: bool) -> tuple[int, str]:
        """STRUCT(a INTEGER, b VARCHAR) as (a, b)."""
        return (self._int(A.INTEGER, edge), self._text(A.TEXT, edge))

    def _map(self, t: A.SQLType, edge: bool) -> tuple[tuple[str, int], ...]:
        """MAP(VARCHAR, INTEGER) as its (key, value) entries, by key."""
        keys = self.rng.sample((*JSON_KEYS, "c"), self.rng.randint(0 if edge else 1, 3))
        return tuple((k, self._int(A.INTEGER, edge)) for k in sorted(keys))

    @staticmethod
    def text(v: Any) -> str:
        """A value as the string literal engines convert back to it ('2000-01-01', 'NaN')."""
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return "NaN" if v != v else repr(v).replace("inf", "Infinity")
        if isinstance(v, datetime.datetime):
            return v.isoformat(sep=" ")
        return v.isoformat() if isinstance(v, datetime.date) else str(v)

    def is_extreme(self, t: A.SQLType, v: Any) -> bool:
        """Would arithmetic on v overflow or poison a result (NaN, infinities, max ints)?"""
        if isinstance(v, bool):
            return False
        if isinstance(v, int):
            return abs(v) > 1_000_000
        if isinstance(v, float):
            return v != v or abs(v) == float("inf")
        if isinstance(v, Decimal):
            return abs(v) > 1_000_000
        return False
