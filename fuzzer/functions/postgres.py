"""PostgreSQL's functions and operators (PostgreSQL 15 manual, chapter 9)."""

from __future__ import annotations

from fuzzer.functions import Library, fn, respell, standard

LIBRARY = Library(
    respell(standard.PORTABLE, {"INSTR": "STRPOS({0}, {1})"}),
    standard.MATH,
    standard.COMPARISON,
    standard.STRING,
    standard.STRING_EXTRA,
    respell(standard.DATETIME, {  # EXTRACT is numeric since PostgreSQL 14
        "YEAR": "CAST(EXTRACT(YEAR FROM {0}) AS INTEGER)",
        "MONTH": "CAST(EXTRACT(MONTH FROM {0}) AS INTEGER)",
        "DAY": "CAST(EXTRACT(DAY FROM {0}) AS INTEGER)",
    }),
    standard.WINDOWS,
    standard.BOOL_AGGREGATES,
    fn("SIGN", "any -> any", families=("numeric", "float")),
    fn("DATE_ADD", "date, lit:days -> date", "({0} + {1})"),
    fn("JSON_TEXT", "json, lit:key -> text", "({0} ->> {1})"),
)
