"""DuckDB's functions and operators (DuckDB manual, "Functions")."""

from __future__ import annotations

from fuzzer.functions import Library, fn, json_path, standard

LIBRARY = Library(
    standard.PORTABLE,
    standard.MATH,
    standard.SIGN,
    standard.COMPARISON,
    standard.STRING,
    standard.STRING_EXTRA,
    standard.DATETIME,
    standard.WINDOWS,
    standard.BOOL_AGGREGATES,
    fn("DATE_ADD", "date, lit:days -> date", "({0} + {1})"),
    fn("JSON_TEXT", "json, lit:key -> text", json_path("JSON_EXTRACT_STRING({0}, {1})")),
)
