"""MySQL's and MariaDB's functions and operators (MariaDB 10.11 "Built-in Functions")."""

from __future__ import annotations

from fuzzer.functions import Library, fn, json_path, respell, standard

LIBRARY = Library(
    respell(standard.PORTABLE, {
        "LENGTH": "CHAR_LENGTH({0})", "SUBSTR": "SUBSTRING({0}, {1}, {2})",
    }),
    standard.MATH,
    standard.SIGN,
    standard.COMPARISON,
    standard.STRING,
    standard.STRING_EXTRA,
    respell(standard.DATETIME, {"YEAR": "YEAR({0})", "MONTH": "MONTH({0})",
                                "DAY": "DAYOFMONTH({0})"}),
    standard.WINDOWS,
    fn("DATE_ADD", "date, lit:days -> date", "DATE_ADD({0}, INTERVAL {1} DAY)"),
    fn("JSON_TEXT", "json, lit:key -> text", json_path("JSON_UNQUOTE(JSON_EXTRACT({0}, {1}))")),
)
