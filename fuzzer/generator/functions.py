"""Scalar function signatures, by portable name and argument family.

A dialect spells (or lacks) each name in its `functions` table; these signatures say what a
call means for typing: `("text", "lit:len")` is a text expression and a small integer literal.
Literal-only arguments keep calls out of the engines' runtime errors (negative lengths,
zero divisors) without restricting anything worth testing.
"""

from __future__ import annotations

from dataclasses import dataclass

from fuzzer.dialects import Dialect


@dataclass(frozen=True)
class Signature:
    name: str
    args: tuple[str, ...]  # families, or "lit:<kind>" for a literal argument
    returns: str
    portable: bool = False  # same result in every dialect for the values we generate


def _poly(name: str, families: tuple[str, ...], arity: int, portable: bool = False):
    return [Signature(name, (f,) * arity, f, portable and f == "int") for f in families]


ORDERABLE = ("int", "numeric", "float", "text", "date")

SIGNATURES: tuple[Signature, ...] = (
    *_poly("ABS", ("int", "numeric", "float"), 1, portable=True),
    Signature("ROUND", ("float",), "float"),
    Signature("ROUND", ("numeric", "lit:scale"), "numeric"),
    Signature("CEIL", ("float",), "float"),
    Signature("FLOOR", ("float",), "float"),
    *_poly("SIGN", ("numeric", "float"), 1),
    Signature("SQRT", ("abs:float",), "float"),
    *_poly("GREATEST", ORDERABLE, 2),
    *_poly("LEAST", ORDERABLE, 2),
    *_poly("COALESCE", ("int", "text"), 2, portable=True),
    *_poly("COALESCE", ("numeric", "float", "bool", "date", "timestamp", "time", "blob"), 2),
    *_poly("NULLIF", ("int",), 2, portable=True),
    *_poly("NULLIF", ("numeric", "float", "text", "date"), 2),
    Signature("LENGTH", ("text",), "int", portable=True),
    Signature("LOWER", ("text",), "text"),
    Signature("UPPER", ("text",), "text"),
    Signature("TRIM", ("text",), "text"),
    Signature("LTRIM", ("text",), "text"),
    Signature("RTRIM", ("text",), "text"),
    Signature("SUBSTR", ("text", "lit:pos", "lit:len"), "text", portable=True),
    Signature("REPLACE", ("text", "lit:text", "lit:text"), "text", portable=True),
    Signature("INSTR", ("text", "lit:text"), "int", portable=True),
    Signature("REVERSE", ("text",), "text"),
    Signature("LEFT", ("text", "lit:len"), "text"),
    Signature("RIGHT", ("text", "lit:len"), "text"),
    Signature("LPAD", ("text", "lit:len", "lit:pad"), "text"),
    Signature("YEAR", ("date",), "int"),
    Signature("MONTH", ("date",), "int"),
    Signature("DAY", ("timestamp",), "int"),
    Signature("DATE_ADD", ("date", "lit:days"), "date"),
    Signature("JSON_TEXT", ("json", "lit:key"), "text"),
)

#: Window-only functions: name -> argument family ("" for none, "any" for the value's own).
WINDOW_FUNCTIONS = {
    "ROW_NUMBER": "",
    "RANK": "",
    "DENSE_RANK": "",
    "LAG": "any",
    "LEAD": "any",
    "FIRST_VALUE": "any",
}
#: Window functions whose result does not depend on how ties in ORDER BY are broken.
TIE_PROOF_WINDOWS = ("RANK", "DENSE_RANK")


def library(dialect: Dialect, families: tuple[str, ...], portable: bool) -> dict[str, list]:
    """The signatures usable in a dialect, by return family, in a fixed order."""
    by_return: dict[str, list[Signature]] = {f: [] for f in families}
    for sig in SIGNATURES:
        if sig.name not in dialect.functions or (portable and not sig.portable):
            continue
        arg_families = [a.split(":")[-1] for a in sig.args if not a.startswith("lit:")]
        if sig.returns in by_return and all(f in families for f in arg_families):
            by_return[sig.returns].append(sig)
    return by_return
