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
    # what GIN and GiST indexes take a column through: their results are of no family the
    # generator has, so they appear in index keys only (Capabilities.index_methods)
    fn("TO_TSVECTOR", "text -> tsvector", "to_tsvector('simple', {0})"),
    fn("INT8RANGE", "int -> range", "int8range({0}, {0}, '[]')"),
    fn("NUMRANGE", "numeric -> range", "numrange({0}, {0}, '[]')"),
    fn("DATERANGE", "date -> range", "daterange({0}, {0}, '[]')"),
    fn("TSRANGE", "timestamp -> range", "tsrange({0}, {0}, '[]')"),
)
