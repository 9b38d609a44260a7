"""SQLite's functions and operators (lang_corefunc, lang_mathfunc, lang_datefunc,
lang_aggfunc, lang_windowfunc, json1, lang_expr).

Only what SQLite 3.39 (the oldest release sqlparity tests) and the stdlib build both have:
no `soundex` (a compile-time option), nothing from 3.41+ (`unhex`, `concat`, `timediff`,
`string_agg`, `octet_length`). SQLite converts between storage classes by affinity: the
operators below compare and compute across families as the manual's "Type Conversions
Prior To Comparison" says, where a numeric-affinity operand turns the other into a number.
"""

from __future__ import annotations

from fuzzer.functions import Library, agg, fn, json_path, keywords, op, respell, standard

_COLLATE = keywords("({0} COLLATE {1})", 1)

CORE = [
    *fn("CHAR", "int, int -> text"),
    *fn("FORMAT", "lit:printf, any -> text", families=("int", "float", "text")),
    *fn("PRINTF", "lit:printf, any -> text", families=("int", "float", "text", "numeric")),
    *fn("PRINTF", "lit:printf, int, int -> text"),
    *fn("glob()", "lit:glob, text -> bool", "GLOB({*})"),  # the operator as a function
    *fn("like()", "lit:like, text -> bool", "LIKE({*})"),
    *fn("like()", "lit:like, text, lit:escape -> bool", "LIKE({*})"),
    *fn("HEX", "any -> text", families=("int", "float", "text", "blob")),
    *fn("IFNULL", "any, any -> any", families=("int", "text", "float", "date", "blob")),
    *fn("IIF", "bool, any, any -> any", families=("int", "text", "numeric", "date")),
    *fn("INSTR", "blob, blob -> int"),
    *fn("LENGTH", "blob -> int"),
    *fn("LENGTH", "int -> int"),
    *fn("LIKELIHOOD", "bool, lit:probability -> bool"),
    *fn("LIKELY", "bool -> bool"),
    *fn("UNLIKELY", "bool -> bool"),
    *fn("LTRIM", "text, lit:pad -> text"),
    *fn("RTRIM", "text, lit:pad -> text"),
    *fn("TRIM", "text, lit:pad -> text"),
    *fn("QUOTE", "any -> text", families=("int", "float", "text", "blob", "numeric")),
    *fn("ROUND", "float, lit:scale -> float"),
    *fn("ROUND", "numeric, lit:scale -> numeric"),
    *fn("SUBSTR", "text, lit:pos -> text"),
    *fn("SUBSTR", "blob, lit:pos, lit:len -> blob"),
    *fn("SUBSTRING", "text, lit:divisor, lit:len -> text"),
    *fn("TYPEOF", "any -> text",
        families=("int", "numeric", "float", "text", "bool", "date", "blob", "json")),
    *fn("UNICODE", "text -> int"),
    *fn("ZEROBLOB", "lit:len -> blob"),
    # NOCASE and RTRIM make DISTINCT, GROUP BY and MIN/MAX pick one of several equal
    # spellings; a comparison under them has one answer
    *fn("COLLATE", "text, lit:sqlite_binary -> text", _COLLATE),
    *fn("COLLATE", "text, lit:sqlite_collation -> text", _COLLATE, deterministic=False),
    *op("= COLLATE", "text, text, lit:sqlite_collation -> bool",
        keywords("({0} = ({1} COLLATE {2}))", 2)),
    *op("< COLLATE", "text, text, lit:sqlite_collation -> bool",
        keywords("({0} < ({1} COLLATE {2}))", 2)),
    *op("GLOB COLLATE", "text, lit:glob, lit:sqlite_collation -> bool",
        keywords("({0} GLOB ({1} COLLATE {2}))", 2)),  # GLOB ignores collations: always binary
    *fn("GREATEST", "int, text -> text", "MAX({*})"),  # a string is greater than any number
    *fn("LEAST", "float, text -> float", "MIN({*})"),
    *fn("ISNULL", "any -> bool", "({0} ISNULL)", families=("int", "text", "date")),
    *fn("NOTNULL", "any -> bool", "({0} NOTNULL)", families=("int", "text", "float")),
    # conversions by affinity, which never fail: a string becomes the number it starts with
    *fn("CAST AS INTEGER", "text -> int", "CAST({0} AS INTEGER)"),
    *fn("CAST AS INTEGER", "float -> int", "CAST({0} AS INTEGER)"),
    *fn("CAST AS REAL", "text -> float", "CAST({0} AS REAL)"),
    *fn("CAST AS NUMERIC", "text -> numeric", "CAST({0} AS NUMERIC)"),
    *fn("CAST AS NUMERIC", "float -> numeric", "CAST({0} AS NUMERIC)"),
    *fn("CAST AS BLOB", "text -> blob", "CAST({0} AS BLOB)"),
    *fn("CAST AS TEXT", "float -> text", "CAST({0} AS TEXT)"),
    *fn("SQLITE_COMPILEOPTION_USED", "lit:text -> bool", deterministic=False),
    *fn("SQLITE_COMPILEOPTION_GET", "lit:scale -> text", deterministic=False),
    *fn("RANDOM", " -> int", deterministic=False),
    *fn("RANDOMBLOB", "lit:len -> blob", deterministic=False),
    *fn("CHANGES", " -> int", deterministic=False),
    *fn("TOTAL_CHANGES", " -> int", deterministic=False),
    *fn("LAST_INSERT_ROWID", " -> int", deterministic=False),
    *fn("SQLITE_VERSION", " -> text", deterministic=False),
    *fn("SQLITE_SOURCE_ID", " -> text", deterministic=False),
    *fn("CURRENT_DATE", " -> date", "CURRENT_DATE", deterministic=False),
    *fn("CURRENT_TIME", " -> time", "CURRENT_TIME", deterministic=False),
    *fn("CURRENT_TIMESTAMP", " -> timestamp", "CURRENT_TIMESTAMP", deterministic=False),
]

#: lang_mathfunc: outside their domain they return NULL
MATH = [
    *(s for name in ("ACOSH", "ASINH", "ATANH", "COSH", "SINH", "TANH", "LOG2", "TRUNC")
      for s in fn(name, "float -> float")),
    *fn("LOG", "float -> float"),
    *fn("LOG", "lit:base, abs:float -> float"),
    *fn("CEILING", "float -> float"),
    *fn("MOD", "float, lit:divisor -> float"),
    *fn("MOD", "int, lit:divisor -> float"),
    *fn("POW", "float, lit:scale -> float"),
    *fn("TRUNC", "numeric -> numeric"),
]

#: lang_datefunc: dates are text; a modifier moves them, 'start of', 'weekday N'
DATETIME = [
    *fn("DATE", "date, lit:modifier -> date"),
    *fn("DATE", "timestamp -> date"),
    *fn("TIME", "timestamp -> time"),
    *fn("TIME", "time, lit:modifier -> time"),
    *fn("DATETIME", "timestamp, lit:modifier -> timestamp"),
    *fn("DATETIME", "date -> timestamp"),
    *fn("JULIANDAY", "date -> float"),
    *fn("JULIANDAY", "timestamp -> float"),
    *fn("UNIXEPOCH", "timestamp -> int"),
    *fn("UNIXEPOCH", "date, lit:modifier -> int"),
    *fn("STRFTIME", "lit:strftime, timestamp -> text"),
    *fn("STRFTIME", "lit:strftime, date, lit:modifier -> text"),
]

#: json1: documents are text; a malformed one is an error, so only the json family is parsed
JSON = [
    *fn("JSON", "json -> json"),
    *fn("JSON_ARRAY", "int, text -> json"),
    *fn("JSON_ARRAY", "json, float -> json"),
    *fn("JSON_ARRAY_LENGTH", "json -> int"),
    *fn("JSON_ARRAY_LENGTH", "json, lit:path -> int"),
    *fn("JSON_EXTRACT", "json, lit:path -> text"),
    *fn("JSON_EXTRACT", "json, lit:path, lit:path -> json"),
    *fn("JSON_INSERT", "json, lit:path, int -> json"),
    # before 3.45, replacing `$` by a string gives the bare string, which json1 then rejects
    *fn("JSON_REPLACE", "json, lit:path, text -> json", errors=("22",)),
    *fn("JSON_SET", "json, lit:path, json -> json", errors=("22",)),
    *fn("JSON_OBJECT", "lit:key, int, lit:key, text -> json"),
    *fn("JSON_PATCH", "json, json -> json"),
    *fn("JSON_REMOVE", "json, lit:path -> json"),
    *fn("JSON_TYPE", "json -> text"),
    *fn("JSON_TYPE", "json, lit:path -> text"),
    *fn("JSON_VALID", "text -> bool"),
    *fn("JSON_VALID", "json -> bool"),
    *fn("JSON_QUOTE", "any -> json", families=("int", "float", "text")),
    *op("->", "json, lit:path -> json", "({0} -> {1})"),
    *op("->>", "json, lit:path -> text", "({0} ->> {1})"),
]

#: Operators: bitwise on 64-bit integers, `||` of any two values, integer division, NOT/AND/
#: OR of numbers, and the conversions by affinity in arithmetic and comparisons.
OPERATORS = [
    *op("&", "int, int -> int", "({0} & {1})"),
    *op("|", "int, int -> int", "({0} | {1})"),
    *op("<<", "int, lit:shift -> int", "({0} << {1})"),
    *op(">>", "int, lit:shift -> int", "({0} >> {1})"),
    *op("~", "int -> int", "(~ {0})"),
    *op("||", "int, float -> text", "({0} || {1})"),
    *op("||", "text, numeric -> text", "({0} || {1})"),
    *op("/", "int, lit:divisor -> int", "({0} / {1})"),  # integer division truncates
    *op("%", "float, lit:divisor -> float", "({0} % {1})"),
    *op("+", "text, int -> float", "({0} + {1})"),
    *op("+", "int, text -> float", "({0} + {1})"),
    *op("+", "date, int -> int", "({0} + {1})"),  # '2000-01-01' + 1 is 2001
    *op("+", "bool, int -> int", "({0} + {1})"),
    *op("-", "text, float -> float", "({0} - {1})"),
    *op("*", "text, int -> float", "({0} * {1})"),
    *op("NEGATE", "text -> float", "(- {0})"),
    *op("NOT", "int -> int", "(NOT {0})"),
    *op("AND", "int, int -> int", "({0} AND {1})"),
    *op("OR", "int, int -> int", "({0} OR {1})"),
    *op("LIKE", "int, lit:pos -> bool", "({0} LIKE ({1} || '%'))"),
    *op("LIKE ESCAPE", "text, lit:like, lit:escape -> bool", "({0} LIKE {1} ESCAPE {2})"),
    *op("& 0x", "int -> int", "({0} & 0x1F)"),  # a hexadecimal integer literal
    # IS and IS NOT compare any two values, NULL equal to NULL (the grammar: right side in
    # parentheses); IN () is FALSE and NOT IN () TRUE, for NULL too
    *op("IS", "int, int -> bool", "({0} IS ({1}))"),
    *op("IS NOT", "text, text -> bool", "({0} IS NOT ({1}))"),
    *op("IN ()", "int -> bool", "({0} IN ())"),
    *op("NOT IN ()", "text -> bool", "({0} NOT IN ())"),
    *op("UNARY PLUS", "text -> text", "(+ {0})"),  # a no-op that drops the column's affinity
    *op("UNARY PLUS", "int -> int", "(+ {0})"),
    *op("GLOB", "int, lit:pos -> bool", "({0} GLOB ({1} || '*'))"),
    *op("BETWEEN", "text, int, int -> bool", "({0} BETWEEN {1} AND {2})"),
    *op("BETWEEN", "date, text, text -> bool", "({0} BETWEEN {1} AND {2})"),
    *op("IN", "text, int, int -> bool", "({0} IN ({1}, {2}))"),
    *op("IN", "int, text, float -> bool", "({0} IN ({1}, {2}))"),
]

#: comparisons across storage classes and affinities
CROSS = ("text, int", "int, text", "text, float", "numeric, text", "date, text", "text, date",
         "timestamp, date", "int, bool", "bool, bool", "int, float", "numeric, float",
         "blob, text", "blob, int", "date, int", "time, timestamp", "json, text")  # fmt: skip
COMPARISONS = standard.comparisons(
    ("=", "==", "<>", "!=", "<", "<=", ">", ">=", "IS DISTINCT FROM", "IS NOT DISTINCT FROM"),
    CROSS,
)

AGGREGATES = [
    *agg("TOTAL", "int -> float"),
    *agg("TOTAL", "float -> float"),
    *agg("TOTAL", "text -> float"),
    *agg("SUM", "text -> float"),  # a string is summed as the number it starts with
    *agg("AVG", "text -> float"),
    *agg("GROUP_CONCAT", "text -> text", deterministic=False),  # in the order rows come
    *agg("JSON_GROUP_ARRAY", "int -> json", deterministic=False),  # in the order rows come
    *agg("JSON_GROUP_OBJECT", "text, int -> json", deterministic=False),
]

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
    standard.TRANSCENDENTAL,
    standard.WINDOWS_EXTRA,
    standard.PROMOTIONS,
    CORE, MATH, DATETIME, JSON, OPERATORS, COMPARISONS, AGGREGATES,
)
