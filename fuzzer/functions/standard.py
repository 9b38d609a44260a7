"""Signatures that most dialects share, spelled the standard way.

A dialect's table takes the groups it has, respelling a name where its manual does
(`respell`), and adds its own. `PORTABLE` is what portable mode may call: a differential
between two dialects renders the same call in both, so every dialect's table has these names.
"""

from __future__ import annotations

from typing import Any

from fuzzer.functions import Signature, agg, fn, op, win

NUMBERS = ("int", "numeric", "float")
ORDERABLE = ("int", "numeric", "float", "text", "date")

#: Called in portable mode too: the same result everywhere for the values the generator makes.
PORTABLE = [
    *fn("ABS", "int -> int", portable=True),
    *fn("COALESCE", "any, any -> any", families=("int", "text"), portable=True),
    *fn("NULLIF", "int, int -> int", portable=True),
    *fn("LENGTH", "text -> int", portable=True),
    *fn("SUBSTR", "text, lit:pos, lit:len -> text", portable=True),
    *fn("REPLACE", "text, lit:text, lit:text -> text", portable=True),
    *fn("INSTR", "text, lit:text -> int", portable=True),
]

MATH = [
    *fn("ABS", "any -> any", families=("numeric", "float")),
    *fn("ROUND", "float -> float"),
    *fn("ROUND", "numeric, lit:scale -> numeric"),
    *fn("CEIL", "float -> float"),
    *fn("FLOOR", "float -> float"),
    *fn("SQRT", "abs:float -> float"),
]

COMPARISON = [
    *fn("GREATEST", "any, any -> any", families=ORDERABLE),
    *fn("LEAST", "any, any -> any", families=ORDERABLE),
    *fn("COALESCE", "any, any -> any",
        families=("numeric", "float", "bool", "date", "timestamp", "time", "blob")),
    *fn("NULLIF", "any, any -> any", families=("numeric", "float", "text", "date")),
]

STRING = [
    *fn("LOWER", "text -> text"),
    *fn("UPPER", "text -> text"),
    *fn("TRIM", "text -> text"),
    *fn("LTRIM", "text -> text"),
    *fn("RTRIM", "text -> text"),
]

#: SIGN as an integer (-1, 0, 1); PostgreSQL's keeps its argument's type
SIGN = [*fn("SIGN", "numeric -> int"), *fn("SIGN", "float -> int")]

#: LEFT/RIGHT/LPAD/REVERSE: every dialect but SQLite
STRING_EXTRA = [
    *fn("REVERSE", "text -> text"),
    *fn("LEFT", "text, lit:len -> text"),
    *fn("RIGHT", "text, lit:len -> text"),
    *fn("LPAD", "text, lit:len, lit:pad -> text"),
]

DATETIME = [
    *fn("YEAR", "date -> int", "EXTRACT(YEAR FROM {0})"),
    *fn("MONTH", "date -> int", "EXTRACT(MONTH FROM {0})"),
    *fn("DAY", "timestamp -> int", "EXTRACT(DAY FROM {0})"),
]

#: Window-only functions. Ranking by ties-broken order (ROW_NUMBER) and offsets (LAG/LEAD,
#: FIRST_VALUE) depend on how ties in the window's ORDER BY are broken.
WINDOWS = [
    *win("ROW_NUMBER", " -> int", deterministic=False),
    *win("RANK", " -> int"),
    *win("DENSE_RANK", " -> int"),
    *win("LAG", "any -> any", deterministic=False),
    *win("LEAD", "any -> any", deterministic=False),
    *win("FIRST_VALUE", "any -> any", deterministic=False),
]

BOOL_AGGREGATES = [*agg("BOOL_AND", "bool -> bool"), *agg("BOOL_OR", "bool -> bool")]


# -- shared by MySQL/MariaDB and SQLite (and present in PostgreSQL and DuckDB too) ------------

#: Trigonometry, exponentials and logarithms. Out of their domain some engines raise an error
#: (PostgreSQL, MySQL's EXP overflow), others return NULL or NaN: every one may raise.
TRANSCENDENTAL = [
    *(s for name in ("ACOS", "ASIN", "ATAN", "COS", "SIN", "TAN", "DEGREES", "RADIANS", "EXP",
                     "LN", "LOG10")
      for s in fn(name, "float -> float", errors=("22",))),
    *fn("ATAN2", "float, float -> float", errors=("22",)),
    *fn("POWER", "abs:float, lit:fraction -> float", errors=("22",)),
    *fn("PI", " -> float"),
]

#: Window functions beyond ranking: PERCENT_RANK and CUME_DIST see only peers; NTILE splits
#: ties across buckets, NTH_VALUE and LAST_VALUE depend on the order within ties.
WINDOWS_EXTRA = [
    *win("PERCENT_RANK", " -> float"),
    *win("CUME_DIST", " -> float"),
    *win("NTILE", "lit:buckets -> int", deterministic=False),
    *win("NTH_VALUE", "any, lit:offset -> any", deterministic=False,
         families=("int", "text", "date")),
    *win("LAST_VALUE", "any -> any", deterministic=False, families=("int", "text")),
]

#: Numbers of two families meet: the narrower is converted to the wider, in every dialect.
PROMOTIONS = [
    *(s for name in ("+", "-", "*")
      for pair, result in (("int, numeric", "numeric"), ("int, float", "float"),
                           ("numeric, float", "float"))
      for s in op(name, f"{pair} -> {result}", f"({{0}} {name} {{1}})")),
]


def comparisons(names: tuple[str, ...], pairs: tuple[str, ...], **flags: Any) -> list[Signature]:
    """Comparison operators between families the dialect converts implicitly (`text, int`:
    a string compared with a number), one signature per operator and pair."""
    return [s for name in names for pair in pairs
            for s in op(name, f"{pair} -> bool", f"({{0}} {name} {{1}})", **flags)]  # fmt: skip
