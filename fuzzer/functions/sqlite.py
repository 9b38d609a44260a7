"""SQLite's functions and operators (lang_corefunc, lang_datefunc, lang_aggfunc, json1)."""

from __future__ import annotations

from fuzzer.functions import Library, fn, json_path, respell, standard

LIBRARY = Library(
    standard.PORTABLE,
    standard.MATH,
    standard.SIGN,
    respell(standard.COMPARISON, {"GREATEST": "MAX({*})", "LEAST": "MIN({*})"}),
    standard.STRING,
    respell(standard.DATETIME, {
        "YEAR": "CAST(STRFTIME('%Y', {0}) AS INTEGER)",
        "MONTH": "CAST(STRFTIME('%m', {0}) AS INTEGER)",
        "DAY": "CAST(STRFTIME('%d', {0}) AS INTEGER)",
    }),
    standard.WINDOWS,
    fn("DATE_ADD", "date, lit:days -> date", "DATE({0}, PRINTF('%+d days', {1}))"),
    fn("JSON_TEXT", "json, lit:key -> text", json_path("json_extract({0}, {1})")),
)
