"""PostgreSQL's functions and operators (PostgreSQL 15 manual, chapter 9), chapter by chapter.

Operators are signatures too, named by their symbol (`op("&", ...)`); where one symbol means
several things (`||`, `@>`, `-`) the same spelling serves every family it takes. Calls whose
result is not a function of their arguments (time, randomness, the session, the server) are
`deterministic=False`, and so are aggregates that add floats: their last bits depend on the
order the rows arrive in, and a HAVING or WHERE comparison of them could flip. Statistical
aggregates over int and numeric are exact in PostgreSQL (numeric arithmetic), so deterministic.
"""

from __future__ import annotations

from dataclasses import replace

from fuzzer import ast as A
from fuzzer.dialects.base import Dialect, family
from fuzzer.functions import Library, Signature, Template, agg, fn, op, respell, standard, win

NUMBERS = ("int", "numeric", "float")
#: families with a total order whose equal values are indistinguishable (ORDER BY inside
#: an aggregate then fixes its result)
SORTED = ("int", "text", "date", "timestamp", "timestamptz", "uuid")
#: every family GREATEST/LEAST/COALESCE/NULLIF take in PostgreSQL
ORDERABLE = ("int", "numeric", "float", "text", "date", "time", "timestamp", "timestamptz",
             "interval", "uuid", "bool", "enum")  # fmt: skip
ARRAYS = ("int[]", "text[]")


def bare(template: str, *keywords: int) -> Template:
    """A spelling in which the literal arguments at `keywords` are written as bare words
    (`EXTRACT(YEAR FROM x)`, `NORMALIZE(x, NFC)`): the tree holds them as text literals."""

    def spell(d: Dialect, args: list[str], node: A.Func) -> str:
        words = list(args)
        for i in keywords:
            literal = node.args[i]
            assert isinstance(literal, A.Literal)
            words[i] = str(literal.value).upper()
        return template.format(*words)

    return spell


def typed(template: str) -> Template:
    """A spelling that casts string literals to text: a polymorphic parameter (anyelement)
    cannot take a literal of unknown type."""

    def spell(d: Dialect, args: list[str], node: A.Func) -> str:
        words = [f"CAST({a} AS TEXT)" if isinstance(e, A.Literal) and family(e.type) == "text"
                 else a for a, e in zip(args, node.args, strict=True)]  # fmt: skip
        return template.format(*words)

    return spell


def bitwise(template: str) -> Template:
    """A spelling that casts to bigint the operands that are no literal: the int family's
    SUM of a bigint is numeric in PostgreSQL (and so is a view's column of it), which has no
    bitwise operators."""

    def spell(d: Dialect, args: list[str], node: A.Func) -> str:
        words = [a if isinstance(e, A.Literal) else f"CAST({a} AS BIGINT)"
                 for a, e in zip(args, node.args, strict=True)]  # fmt: skip
        return template.format(*words)

    return spell


TO_JSONB = typed("TO_JSONB({0})")
SHIFT_LEFT = bitwise("({0} << {1})")
TO_JSON = typed("CAST(TO_JSON({0}) AS TEXT)")

#: GCD, LCM and TO_HEX have integer and bigint forms, between which a smallint is ambiguous
BIGINTS = "{}(CAST({{0}} AS BIGINT), CAST({{1}} AS BIGINT))"
OVERLAY = "OVERLAY({0} PLACING {1} FROM {2} FOR {3})"
EXTRACT = bare("EXTRACT({0} FROM {1})", 0)

MATH = [  # 9.3
    *op("&", "int, int -> int", bitwise("({0} & {1})"), errors=("22",)),
    *op("|", "int, int -> int", bitwise("({0} | {1})"), errors=("22",)),
    *op("#", "int, int -> int", bitwise("({0} # {1})"), errors=("22",)),
    *op("~", "int -> int", bitwise("(~ {0})"), errors=("22",)),
    # a bit-string constant (bit(8)) cast to the integer it spells
    *op("& X''", "int -> int", bitwise("({0} & CAST(X'1F' AS INTEGER))"), errors=("22",)),
    *op("<<", "int, lit:shift -> int", SHIFT_LEFT, errors=("22",)),
    *op(">>", "int, lit:shift -> int", bitwise("({0} >> {1})"), errors=("22",)),
    *op("^", "float, lit:scale -> float", "({0} ^ {1})", errors=("22",)),
    *op("|/", "abs:float -> float", "(|/ {0})"),
    *op("||/", "float -> float", "(||/ {0})"),
    *op("@", "any -> any", "(@ {0})", families=NUMBERS, errors=("22",)),
    *fn("CBRT", "float -> float"),
    *fn("CEIL", "numeric -> numeric"),
    *fn("CEILING", "any -> any", families=("numeric", "float")),
    *fn("DEGREES", "float -> float"),
    *fn("RADIANS", "float -> float"),
    *fn("DIV", "numeric, numeric -> numeric", errors=("22",)),
    *fn("EXP", "float -> float", errors=("22",)),
    *fn("EXP", "numeric -> numeric", errors=("22",)),
    *fn("FACTORIAL", "lit:small -> numeric"),
    *fn("FLOOR", "numeric -> numeric"),
    *fn("GCD", "int, int -> int", BIGINTS.format("GCD"), errors=("22",)),
    *fn("GCD_NUMERIC", "numeric, numeric -> numeric", "GCD({0}, {1})"),
    *fn("LCM", "int, int -> int", BIGINTS.format("LCM"), errors=("22",)),
    *fn("LN", "abs:float -> float", errors=("22",)),
    *fn("LN", "abs:numeric -> numeric", errors=("22",)),
    *fn("LOG", "abs:float -> float", errors=("22",)),
    *fn("LOG", "lit:base, abs:numeric -> numeric", errors=("22",)),
    *fn("LOG10", "abs:float -> float", errors=("22",)),
    *fn("MIN_SCALE", "numeric -> int"),
    *fn("SCALE", "numeric -> int"),
    *fn("TRIM_SCALE", "numeric -> numeric"),
    *fn("MOD", "int, int -> int", errors=("22",)),
    *fn("MOD", "numeric, numeric -> numeric", errors=("22",)),
    *fn("PI", " -> float"),
    *fn("POWER", "float, lit:scale -> float", errors=("22",)),
    *fn("POWER", "numeric, lit:scale -> numeric", errors=("22",)),
    *fn("ROUND", "numeric, lit:places -> numeric"),
    *fn("SQRT", "abs:numeric -> numeric"),
    *fn("TRUNC", "float -> float"),
    *fn("TRUNC", "numeric, lit:places -> numeric"),
    *fn("WIDTH_BUCKET", "float, lit:low, lit:high, lit:buckets -> int", errors=("22",)),
    *fn("RANDOM", " -> float", deterministic=False),
    # trigonometry: out-of-domain arguments and infinities raise 22003
    *[s for name in ("ACOS", "ASIN", "ATAN", "COS", "COT", "SIN", "TAN", "ACOSD", "ASIND",
                     "ATAND", "COSD", "COTD", "SIND", "TAND", "SINH", "COSH", "TANH", "ASINH",
                     "ACOSH", "ATANH")
      for s in fn(name, "float -> float", errors=("22",))],
    *fn("ATAN2", "float, float -> float", errors=("22",)),
    *fn("ATAN2D", "float, float -> float", errors=("22",)),
]

STRING = [  # 9.4 and 9.7
    *fn("BIT_LENGTH", "text -> int"),
    *fn("BIT_LENGTH", "blob -> int"),
    *fn("CHAR_LENGTH", "text -> int"),
    *fn("CHARACTER_LENGTH", "text -> int"),
    *fn("OCTET_LENGTH", "text -> int"),
    *fn("OCTET_LENGTH", "blob -> int"),
    *fn("LENGTH", "blob -> int"),
    *fn("OVERLAY", "text, text, lit:pos, lit:len -> text", OVERLAY),
    *fn("OVERLAY", "blob, blob, lit:pos, lit:len -> blob", OVERLAY),
    *fn("SUBSTRING", "text, lit:pos, lit:len -> text", "SUBSTRING({0} FROM {1} FOR {2})"),
    *fn("SUBSTRING", "blob, lit:pos, lit:len -> blob", "SUBSTRING({0} FROM {1} FOR {2})"),
    *fn("SUBSTRING_REGEX", "text, lit:regex -> text", "SUBSTRING({0} FROM {1})"),
    *fn("TRIM_BOTH", "text, lit:pad -> text", "TRIM(BOTH {1} FROM {0})"),
    *fn("TRIM_LEADING", "text, lit:pad -> text", "TRIM(LEADING {1} FROM {0})"),
    *fn("TRIM_TRAILING", "text, lit:pad -> text", "TRIM(TRAILING {1} FROM {0})"),
    *fn("ASCII", "text -> int"),
    *fn("BTRIM", "text, lit:pad -> text"),
    *fn("BTRIM", "blob, blob -> blob"),
    *fn("CHR", "lit:codepoint -> text"),
    *fn("CONCAT", "any, any -> text", families=ORDERABLE),
    *fn("CONCAT_WS", "lit:sep, text, any -> text", families=("int", "text", "date", "bool")),
    *fn("FORMAT", "lit:format, text, text -> text", errors=("22",)),
    *fn("INITCAP", "text -> text"),
    *fn("LTRIM", "text, lit:pad -> text"),
    *fn("RTRIM", "text, lit:pad -> text"),
    *fn("LTRIM", "blob, blob -> blob"),
    *fn("RTRIM", "blob, blob -> blob"),
    *fn("MD5", "text -> text"),
    *fn("MD5", "blob -> text"),
    *fn("NORMALIZE", "text, lit:form -> text", bare("NORMALIZE({0}, {1})", 1)),
    *fn("IS_NORMALIZED", "text, lit:form -> bool", bare("({0} IS {1} NORMALIZED)", 1)),
    *fn("PARSE_IDENT", "text -> text[]", errors=("22",)),
    *fn("QUOTE_IDENT", "text -> text"),
    *fn("QUOTE_LITERAL", "any -> text", families=("text", "int", "date", "numeric")),
    *fn("QUOTE_NULLABLE", "any -> text", families=("text", "int", "date", "numeric")),
    *fn("REGEXP_COUNT", "text, lit:regex -> int"),
    *fn("REGEXP_INSTR", "text, lit:regex -> int"),
    *fn("REGEXP_LIKE", "text, lit:regex -> bool"),
    *fn("REGEXP_MATCH", "text, lit:regex -> text[]"),
    *fn("REGEXP_REPLACE", "text, lit:regex, lit:text -> text"),
    *fn("REGEXP_SPLIT_TO_ARRAY", "text, lit:regex -> text[]"),
    *fn("REGEXP_SUBSTR", "text, lit:regex -> text"),
    *fn("REPEAT", "text, lit:len -> text"),
    *fn("RPAD", "text, lit:len, lit:pad -> text"),
    *fn("SPLIT_PART", "text, lit:sep, lit:pos -> text"),
    *fn("STARTS_WITH", "text, text -> bool"),
    *op("^@", "text, lit:text -> bool", "({0} ^@ {1})"),
    *fn("STRING_TO_ARRAY", "text, lit:sep -> text[]"),
    *fn("TO_HEX", "int -> text", "TO_HEX(CAST({0} AS BIGINT))"),
    *fn("TRANSLATE", "text, lit:text, lit:pad -> text"),
    *fn("UNISTR", "lit:escapes -> text"),  # a backslash in text is a syntax error to it
    *op("~*", "text, lit:regex -> bool", "({0} ~* {1})"),
    *op("!~*", "text, lit:regex -> bool", "({0} !~* {1})"),
    *op("~~", "text, lit:likepat -> bool", "({0} ~~ {1})"),
    *op("~~*", "text, lit:likepat -> bool", "({0} ~~* {1})"),
    *op("!~~", "text, lit:likepat -> bool", "({0} !~~ {1})"),
    *op("!~~*", "text, lit:likepat -> bool", "({0} !~~* {1})"),
    *op("LIKE ESCAPE", "text, lit:like, lit:escape_char -> bool", "({0} LIKE {1} ESCAPE {2})"),
    *op("= $$", "text -> bool", "({0} = $$a$$)"),  # a dollar-quoted string constant
    *op("||", "blob, blob -> blob", "({0} || {1})"),
    *op("||", "json, json -> json", "({0} || {1})"),
    *op("||", "int[], int[] -> int[]", "({0} || {1})"),
    *op("||", "text[], text[] -> text[]", "({0} || {1})"),
    *op("||", "int[], int -> int[]", "({0} || {1})"),
    *op("||", "text, int -> text", "({0} || {1})"),  # text || anynonarray
]

BINARY = [  # 9.5
    # padded to a byte: an index into an empty bytea is out of range
    *fn("GET_BIT", "blob, lit:bit -> int", "GET_BIT(({0} || '\\x00'::BYTEA), {1})",
        errors=("22",)),
    *fn("GET_BYTE", "blob, lit:few -> int", "GET_BYTE(({0} || '\\x00'::BYTEA), {1})",
        errors=("22",)),
    *fn("SET_BIT", "blob, lit:bit, lit:few -> blob", "SET_BIT(({0} || '\\x00'::BYTEA), {1}, {2})",
        errors=("22",)),
    *fn("SET_BYTE", "blob, lit:few, lit:byte -> blob",
        "SET_BYTE(({0} || '\\x00'::BYTEA), {1}, {2})", errors=("22",)),
    *fn("BIT_COUNT", "blob -> int"),
    *fn("SHA224", "blob -> blob"),
    *fn("SHA256", "blob -> blob"),
    *fn("SHA384", "blob -> blob"),
    *fn("SHA512", "blob -> blob"),
    *fn("ENCODE", "blob, lit:encoding -> text"),
    *fn("DECODE", "blob, lit:encoding -> blob", "DECODE(ENCODE({0}, {1}), {1})"),
    *fn("CONVERT_FROM", "blob, lit:charset -> text", errors=("22",)),
    *fn("CONVERT_TO", "text, lit:charset -> blob", errors=("22",)),
]

FORMATTING = [  # 9.8
    *fn("TO_CHAR", "timestamp, lit:datefmt -> text"),
    *fn("TO_CHAR", "timestamptz, lit:datefmt -> text"),
    *fn("TO_CHAR", "interval, lit:ifmt -> text"),
    *fn("TO_CHAR", "any, lit:numfmt -> text", families=NUMBERS),
    # round trips: a format the value was written in parses back
    *fn("TO_DATE", "date, lit:dateinput -> date", "TO_DATE(TO_CHAR({0}, {1}), {1})",
        errors=("22",)),
    *fn("TO_TIMESTAMP", "timestamp, lit:dateinput -> timestamptz",
        "TO_TIMESTAMP(TO_CHAR({0}, {1}), {1})", errors=("22",)),
    *fn("TO_NUMBER", "numeric, lit:numinput -> numeric", "TO_NUMBER(TO_CHAR({0}, {1}), {1})",
        errors=("22",)),
    *fn("TO_TIMESTAMP_EPOCH", "float -> timestamptz", "TO_TIMESTAMP({0})", errors=("22",)),
]

DATETIME = [  # 9.9
    *op("DATE_SUB", "date, lit:days -> date", "({0} - {1})"),
    *op("DATE_DIFF", "date, date -> int", "({0} - {1})"),
    *op("+interval", "any, interval -> any", "({0} + {1})",
        families=("timestamp", "timestamptz", "time", "interval"), errors=("22",)),
    *op("+interval", "date, interval -> timestamp", "({0} + {1})", errors=("22",)),
    *op("-interval", "any, interval -> any", "({0} - {1})",
        families=("timestamp", "timestamptz", "time", "interval"), errors=("22",)),
    *op("DATE_PLUS_TIME", "date, time -> timestamp", "({0} + {1})"),
    *op("-timestamp", "any, any -> interval", "({0} - {1})",
        families=("timestamp", "timestamptz", "time")),
    *op("INTERVAL_TIMES", "interval, lit:fraction -> interval", "({0} * {1})", errors=("22",)),
    *op("INTERVAL_DIV", "interval, lit:base -> interval", "({0} / {1})"),
    *op("INTERVAL_NEG", "interval -> interval", "(- {0})", errors=("22",)),
    *fn("AGE", "timestamp, timestamp -> interval"),
    *fn("AGE", "timestamptz, timestamptz -> interval"),
    *fn("AGE_NOW", "timestamp -> interval", "AGE({0})", deterministic=False),
    *fn("DATE_BIN", "lit:stride, timestamp, lit:origin -> timestamp"),
    *fn("DATE_BIN", "lit:stride, timestamptz, lit:origin -> timestamptz"),
    *fn("DATE_PART", "lit:field, timestamp -> float"),
    *fn("DATE_PART", "lit:ifield, interval -> float"),
    *fn("DATE_TRUNC", "lit:truncunit, timestamp -> timestamp"),
    *fn("DATE_TRUNC", "lit:truncunit, timestamptz -> timestamptz"),
    *fn("DATE_TRUNC", "lit:iunit, interval -> interval"),
    *fn("DATE_TRUNC_ZONE", "lit:truncunit, timestamptz, lit:zone -> timestamptz",
        "DATE_TRUNC({0}, {1}, {2})"),
    *fn("EXTRACT", "lit:field, timestamp -> numeric", EXTRACT),
    *fn("EXTRACT", "lit:field, timestamptz -> numeric", EXTRACT),
    *fn("EXTRACT", "lit:ifield, interval -> numeric", EXTRACT),
    *fn("ISFINITE", "date -> bool"),
    *fn("ISFINITE", "timestamp -> bool"),
    *fn("ISFINITE", "interval -> bool"),
    *fn("JUSTIFY_DAYS", "interval -> interval"),
    *fn("JUSTIFY_HOURS", "interval -> interval"),
    *fn("JUSTIFY_INTERVAL", "interval -> interval"),
    *fn("MAKE_DATE", "lit:year, lit:month, lit:day -> date"),
    *fn("MAKE_TIME", "lit:month, lit:day, lit:fseconds -> time"),
    *fn("MAKE_TIMESTAMP",
        "lit:year, lit:month, lit:day, lit:month, lit:day, lit:fseconds -> timestamp"),
    *fn("MAKE_TIMESTAMPTZ",
        "lit:year, lit:month, lit:day, lit:month, lit:day, lit:fseconds, lit:zone"
        " -> timestamptz"),
    *fn("MAKE_INTERVAL", "int -> interval", "MAKE_INTERVAL(0, 0, 0, CAST({0} AS INTEGER))",
        errors=("22",)),
    *op("AT TIME ZONE", "timestamp, lit:zone -> timestamptz", "({0} AT TIME ZONE {1})"),
    *op("AT TIME ZONE", "timestamptz, lit:zone -> timestamp", "({0} AT TIME ZONE {1})"),
    *op("OVERLAPS", "timestamp, timestamp, timestamp, timestamp -> bool",
        "(ROW({0}, {1}) OVERLAPS ROW({2}, {3}))"),
    *op("OVERLAPS", "date, date, date, date -> bool", "(ROW({0}, {1}) OVERLAPS ROW({2}, {3}))"),
    *fn("CURRENT_DATE", " -> date", "CURRENT_DATE", deterministic=False),
    *fn("CURRENT_TIMESTAMP", " -> timestamptz", "CURRENT_TIMESTAMP", deterministic=False),
    *fn("LOCALTIMESTAMP", " -> timestamp", "LOCALTIMESTAMP", deterministic=False),
    *fn("LOCALTIME", " -> time", "LOCALTIME", deterministic=False),
    *fn("NOW", " -> timestamptz", deterministic=False),
    *fn("CLOCK_TIMESTAMP", " -> timestamptz", deterministic=False),
    *fn("STATEMENT_TIMESTAMP", " -> timestamptz", deterministic=False),
    *fn("TRANSACTION_TIMESTAMP", " -> timestamptz", deterministic=False),
    *fn("TIMEOFDAY", " -> text", deterministic=False),
]

JSON = [  # 9.16: the generator's json family is jsonb
    *op("->", "json, lit:key -> json", "({0} -> {1})"),
    *op("->", "json, lit:scale -> json", "({0} -> {1})"),
    *op("->>", "json, lit:scale -> text", "({0} ->> {1})"),
    *op("#>", "json, lit:keypath -> json", "({0} #> {1})"),
    *op("#>>", "json, lit:keypath -> text", "({0} #>> {1})"),
    *op("@>", "json, lit:document -> bool", "({0} @> {1})"),
    *op("<@", "json, json -> bool", "({0} <@ {1})"),
    *op("?", "json, lit:key -> bool", "({0} ? {1})"),
    *op("?|", "json, lit:keys -> bool", "({0} ?| {1})"),
    *op("?&", "json, lit:keys -> bool", "({0} ?& {1})"),
    *op("-", "json, lit:key -> json", "({0} - {1})", errors=("22",)),  # not from a scalar
    *op("#-", "json, lit:keypath -> json", "({0} #- {1})", errors=("22",)),
    *op("@?", "json, lit:jsonpath -> bool", "({0} @? {1})"),
    *op("@@", "json, lit:jsonpred -> bool", "({0} @@ {1})"),
    *fn("TO_JSONB", "any -> json", TO_JSONB, families=("int", "numeric", "text", "bool", "date",
                                             "timestamp", "int[]", "text[]")),
    *fn("TO_JSON", "any -> text", TO_JSON,
        families=("int", "text", "bool", "date", "timestamptz")),
    *fn("ARRAY_TO_JSON", "any -> text", "CAST(ARRAY_TO_JSON({0}) AS TEXT)", families=ARRAYS),
    *fn("JSONB_BUILD_ARRAY", "any, any -> json", families=("int", "text", "numeric", "bool")),
    *fn("JSONB_BUILD_OBJECT", "lit:key, any -> json", families=("int", "text", "json")),
    *fn("JSON_BUILD_OBJECT", "lit:key, any -> text", "CAST(JSON_BUILD_OBJECT({0}, {1}) AS TEXT)",
        families=("int", "text")),
    *fn("JSONB_OBJECT", "lit:pairs -> json"),
    *fn("JSONB_ARRAY_LENGTH", "json -> int", errors=("22",)),
    *fn("JSONB_EXTRACT_PATH", "json, lit:key -> json"),
    *fn("JSONB_EXTRACT_PATH_TEXT", "json, lit:key -> text"),
    *fn("JSONB_TYPEOF", "json -> text"),
    *fn("JSONB_STRIP_NULLS", "json -> json"),
    *fn("JSONB_PRETTY", "json -> text"),
    *fn("JSONB_SET", "json, lit:keypath, lit:jsonvalue -> json", errors=("22",)),
    *fn("JSONB_SET_LAX", "json, lit:keypath, lit:jsonvalue -> json", errors=("22",)),
    *fn("JSONB_INSERT", "json, lit:keypath, lit:jsonvalue -> json", errors=("22",)),
    *fn("JSONB_PATH_EXISTS", "json, lit:jsonpath -> bool", errors=("22",)),
    *fn("JSONB_PATH_MATCH", "json, lit:jsonpred -> bool", errors=("22",)),
    *fn("JSONB_PATH_QUERY_ARRAY", "json, lit:jsonpath -> json", errors=("22",)),
    *fn("JSONB_PATH_QUERY_FIRST", "json, lit:jsonpath -> json", errors=("22",)),
]

ARRAY = [  # 9.19
    *fn("ARRAY", "any, any -> int[]", "ARRAY[{*}]", families=("int",)),
    *fn("ARRAY", "text, text -> text[]", "ARRAY[{*}]"),
    # an integer array may be integer[] or bigint[] (ARRAY_AGG of a bigint), a text array
    # character varying[] (ARRAY[] of such columns): these operators need one element type
    *[s for symbol in ("@>", "<@", "&&") for element, t in (("int", "BIGINT"), ("text", "TEXT"))
      for s in op(f"{symbol}{element}[]", f"{element}[], {element}[] -> bool",
                  f"(CAST({{0}} AS {t}[]) {symbol} CAST({{1}} AS {t}[]))")],
    *op("= ANY", "int, int[] -> bool", "({0} = ANY ({1}))"),
    *op("= ANY", "text, text[] -> bool", "({0} = ANY ({1}))"),
    *op("<> ALL", "int, int[] -> bool", "({0} <> ALL ({1}))"),
    *op("< ANY", "text, text[] -> bool", "({0} < ANY ({1}))"),
    *op("[]", "int[], lit:pos -> int", "(({0})[{1}])"),
    *op("[]", "text[], lit:pos -> text", "(({0})[{1}])"),
    *op("[:]", "any, lit:pos, lit:pos -> any", "(({0})[{1}:{2}])", families=ARRAYS),
    *fn("ARRAY_APPEND", "int[], int -> int[]"),
    *fn("ARRAY_PREPEND", "text, text[] -> text[]"),
    *fn("ARRAY_CAT", "any, any -> any", families=ARRAYS),
    *fn("ARRAY_DIMS", "any -> text", families=ARRAYS),
    *fn("ARRAY_FILL", "int, lit:ints -> int[]", errors=("22",)),
    *fn("ARRAY_LENGTH", "any -> int", "ARRAY_LENGTH({0}, 1)", families=ARRAYS),
    *fn("ARRAY_LOWER", "any -> int", "ARRAY_LOWER({0}, 1)", families=ARRAYS),
    *fn("ARRAY_UPPER", "any -> int", "ARRAY_UPPER({0}, 1)", families=ARRAYS),
    *fn("ARRAY_NDIMS", "any -> int", families=ARRAYS),
    *fn("ARRAY_POSITION", "int[], int -> int"),
    *fn("ARRAY_POSITION", "text[], text -> int"),
    *fn("ARRAY_POSITIONS", "int[], int -> int[]"),
    *fn("ARRAY_REMOVE", "int[], int -> int[]"),
    *fn("ARRAY_REPLACE", "text[], lit:text, text -> text[]"),
    *fn("ARRAY_TO_STRING", "any, lit:sep -> text", families=ARRAYS),
    *fn("ARRAY_TO_STRING_NULL", "text[], lit:sep, lit:text -> text", "ARRAY_TO_STRING({*})"),
    *fn("CARDINALITY", "any -> int", families=ARRAYS),
    *fn("TRIM_ARRAY", "any, lit:few -> any", families=ARRAYS, errors=("22",)),
]

ENUM = [  # 9.10: a value's type is all ENUM_FIRST and ENUM_LAST read of it
    *fn("ENUM_FIRST", "enum -> enum"),
    *fn("ENUM_LAST", "enum -> enum"),
    *fn("ENUM_RANGE", "enum -> text", "CAST(ENUM_RANGE({0}) AS TEXT)"),
    *fn("ENUM_RANGE_BETWEEN", "enum, enum -> text", "CAST(ENUM_RANGE({0}, {1}) AS TEXT)"),
]

RANGES = ("intrange", "daterange")
#: a range's family and its bounds'
BOUNDS = (("intrange", "int"), ("daterange", "date"))

RANGE = [  # 9.20
    *[s for symbol in ("@>", "<@", "&&", "&<", "&>", "-|-")
      for s in op(symbol, "any, any -> bool", f"({{0}} {symbol} {{1}})", families=RANGES)],
    *[s for name, symbol in (("<<range", "<<"), (">>range", ">>"))
      for s in op(name, "any, any -> bool", f"({{0}} {symbol} {{1}})", families=RANGES)],
    *[s for r, e in BOUNDS for s in (*fn("LOWER", f"{r} -> {e}"), *fn("UPPER", f"{r} -> {e}"))],
    *op("@>", "daterange, date -> bool", "({0} @> {1})"),
    *op("<@", "date, daterange -> bool", "({0} <@ {1})"),
    # an int4range holds integers: a smallint or bigint does not convert implicitly
    *op("@>int", "intrange, int -> bool", "({0} @> CAST({1} AS INTEGER))", errors=("22",)),
    *op("<@int", "int, intrange -> bool", "(CAST({0} AS INTEGER) <@ {1})", errors=("22",)),
    *op("+range", "any, any -> any", "({0} + {1})", families=RANGES, errors=("22",)),
    *op("*range", "any, any -> any", "({0} * {1})", families=RANGES),
    *op("-range", "any, any -> any", "({0} - {1})", families=RANGES, errors=("22",)),
    *fn("RANGE_MERGE", "any, any -> any", families=RANGES),
    *[s for name in ("ISEMPTY", "LOWER_INC", "UPPER_INC", "LOWER_INF", "UPPER_INF")
      for s in fn(name, "any -> bool", families=RANGES)],
    *fn("INT4RANGE", "int, int -> intrange",
        "INT4RANGE(CAST(LEAST({0}, {1}) AS INTEGER), CAST(GREATEST({0}, {1}) AS INTEGER))",
        errors=("22",)),
    *fn("DATERANGE_BETWEEN", "date, date, lit:bounds -> daterange",
        "DATERANGE(LEAST({0}, {1}), GREATEST({0}, {1}), {2})"),
    *agg("RANGE_INTERSECT_AGG", "any -> any", families=RANGES),
]

COMPARISON = [  # 9.2 and 9.18
    *fn("NUM_NULLS", "any, any -> int", families=ORDERABLE),
    *fn("NUM_NONNULLS", "any, any, any -> int", families=("int", "text", "json")),
    *op("BETWEEN SYMMETRIC", "any, any, any -> bool", "({0} BETWEEN SYMMETRIC {1} AND {2})",
        families=("int", "numeric", "text", "date")),
    *op("ISNULL", "any -> bool", "({0} ISNULL)", families=("int", "text", "json")),
    *op("NOTNULL", "any -> bool", "({0} NOTNULL)", families=("int", "text", "int[]")),
    *fn("GREATEST", "any, any -> any",
        families=("time", "timestamp", "timestamptz", "interval", "uuid", "bool", "numeric")),
    *fn("LEAST", "any, any -> any",
        families=("time", "timestamp", "timestamptz", "interval", "uuid", "bool", "numeric")),
    *fn("COALESCE", "any, any -> any", families=("json", "interval", "uuid", "timestamptz",
                                                 "int[]", "text[]", *RANGES)),
    *fn("NULLIF", "any, any -> any", families=("bool", "timestamp", "interval", "uuid")),
]

TEXT_SEARCH = [  # 9.13, with the configuration named: its default is a server setting
    *op("@@ TSQUERY", "text, lit:tsquery -> bool",
        "(TO_TSVECTOR('simple', {0}) @@ TO_TSQUERY('simple', {1}))"),
    *fn("TSVECTOR_TEXT", "text -> text", "CAST(TO_TSVECTOR('english', {0}) AS TEXT)"),
    *fn("PLAINTO_TSQUERY", "text -> text", "CAST(PLAINTO_TSQUERY('english', {0}) AS TEXT)"),
    *fn("TS_RANK", "text, lit:tsquery -> float",
        "TS_RANK(TO_TSVECTOR('simple', {0}), TO_TSQUERY('simple', {1}))"),
]

SESSION = [  # 9.26: the same statement differs between sessions and servers
    *fn("CURRENT_DATABASE", " -> text", "CAST(CURRENT_DATABASE() AS TEXT)", deterministic=False),
    *fn("CURRENT_SCHEMA", " -> text", "CAST(CURRENT_SCHEMA() AS TEXT)", deterministic=False),
    *fn("VERSION", " -> text", deterministic=False),
    *fn("PG_BACKEND_PID", " -> int", deterministic=False),
    *fn("GEN_RANDOM_UUID", " -> uuid", deterministic=False),
    *fn("PG_TYPEOF", "any -> text", "CAST(PG_TYPEOF({0}) AS TEXT)",
        families=("int", "numeric", "text", "json", "int[]")),
]

#: Aggregates (9.21): ordered ones sort by their own argument, so their result is a function
#: of the group's multiset wherever equal values are indistinguishable (SORTED).
AGGREGATES = [
    *agg("ARRAY_AGG", "int -> int[]", "ARRAY_AGG({0} ORDER BY {0})"),
    *agg("ARRAY_AGG", "text -> text[]", "ARRAY_AGG({0} ORDER BY {0})"),
    *agg("JSONB_AGG", "any -> json", "JSONB_AGG({0} ORDER BY {0})", families=SORTED),
    *agg("STRING_AGG_BYTEA", "blob -> blob", "STRING_AGG({0}, '\\x2c'::BYTEA ORDER BY {0})"),
    *agg("JSONB_OBJECT_AGG", "text, int -> json", deterministic=False,  # a repeated key
         errors=("22",)),  # a NULL key
    *[s for name in ("BIT_AND", "BIT_OR", "BIT_XOR")  # bigint: see `bitwise`
      for s in agg(name, "int -> int", name + "(CAST({0} AS BIGINT))", errors=("22",))],
    *agg("EVERY", "bool -> bool"),
    *agg("COUNT_DISTINCT_ARRAY", "int[] -> int", "COUNT(DISTINCT {0})"),
    *agg("MIN_ARRAY", "any -> any", "MIN({0})", families=ARRAYS),
    *agg("MAX_TZ", "timestamptz -> timestamptz", "MAX({0})"),
    *[s for name in ("STDDEV", "STDDEV_POP", "STDDEV_SAMP", "VARIANCE", "VAR_POP", "VAR_SAMP")
      for s in (*agg(name, "int -> numeric"), *agg(name, "numeric -> numeric"),
                *agg(name, "float -> float", deterministic=False))],
    *[s for name in ("CORR", "COVAR_POP", "COVAR_SAMP", "REGR_AVGX", "REGR_AVGY",
                     "REGR_INTERCEPT", "REGR_R2", "REGR_SLOPE", "REGR_SXX", "REGR_SXY",
                     "REGR_SYY")
      for s in agg(name, "float, float -> float", deterministic=False)],
    *agg("REGR_COUNT", "float, float -> int"),
    # ordered-set aggregates
    *agg("PERCENTILE_CONT", "lit:fraction, float -> float",
         "PERCENTILE_CONT({0}) WITHIN GROUP (ORDER BY {1})"),
    *agg("PERCENTILE_CONT", "lit:fraction, interval -> interval",
         "PERCENTILE_CONT({0}) WITHIN GROUP (ORDER BY {1})"),
    *agg("PERCENTILE_DISC", "lit:fraction, any -> any",
         "PERCENTILE_DISC({0}) WITHIN GROUP (ORDER BY {1})", families=(*SORTED, "float")),
    *agg("MODE", "any -> any", "MODE() WITHIN GROUP (ORDER BY {0})", families=SORTED),
    # hypothetical-set aggregates: where a value would rank among the group's
    *[s for name in ("RANK", "DENSE_RANK", "PERCENT_RANK", "CUME_DIST")
      for s in agg("HYPOTHETICAL_" + name, "lit:pos, int -> " +
                   ("int" if "RANK" in name and "PERCENT" not in name else "float"),
                   name + "({0}) WITHIN GROUP (ORDER BY {1})")],
]

WINDOWS = [  # 9.22
    *win("PERCENT_RANK", " -> float"),
    *win("CUME_DIST", " -> float"),
    *win("NTILE", "lit:buckets -> int", deterministic=False),
    *win("LAST_VALUE", "any -> any", families=("int", "text"), deterministic=False),
    *win("NTH_VALUE", "any, lit:offset -> any", families=("int", "text"), deterministic=False),
    *win("LAG_DEFAULT", "int, lit:offset, int -> int", "LAG({*})", deterministic=False),
    *win("LEAD_DEFAULT", "text, lit:offset, text -> text", "LEAD({*})", deterministic=False),
]

#: Calls that read a session setting (TimeZone, DateStyle, search_path, ...): STABLE in
#: PostgreSQL, which no generated column or index key may call. Found by indexing each.
STABLE = frozenset({
    "ARRAY_TO_JSON", "ARRAY_TO_STRING", "ARRAY_TO_STRING_NULL", "CONCAT", "CONCAT_WS",
    "CONVERT_FROM", "CONVERT_TO", "ENUM_FIRST", "ENUM_LAST", "ENUM_RANGE", "ENUM_RANGE_BETWEEN",
    "FORMAT", "JSONB_BUILD_ARRAY", "JSONB_BUILD_OBJECT", "JSON_BUILD_OBJECT", "MAKE_TIMESTAMPTZ",
    "PG_TYPEOF", "TO_CHAR", "TO_DATE", "TO_JSON", "TO_JSONB", "TO_NUMBER", "TO_TIMESTAMP",
})
#: ... and the forms of other names that do: over timestamptz, and dates made instants
STABLE_FORMS = frozenset({
    ("+interval", ("timestamptz", "interval")), ("-interval", ("timestamptz", "interval")),
    ("DATE_BIN", ("lit:stride", "timestamptz", "lit:origin")),
    ("DATE_TRUNC", ("lit:truncunit", "timestamptz")),
    ("DATE_TRUNC_ZONE", ("lit:truncunit", "timestamptz", "lit:zone")),
    ("EXTRACT", ("lit:field", "timestamptz")), ("OVERLAPS", ("date", "date", "date", "date")),
    ("QUOTE_LITERAL", ("date",)), ("QUOTE_NULLABLE", ("date",)),
})


def _volatility(groups: list[list[Signature]]) -> list[Signature]:
    """The groups' signatures, those that read a setting or are volatile not `storable`."""
    return [replace(s, storable=False)
            if s.name in STABLE or (s.name, s.args) in STABLE_FORMS or not s.deterministic
            else s for g in groups for s in g]  # fmt: skip


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
    _volatility([MATH, STRING, BINARY, FORMATTING, DATETIME, JSON, ARRAY, RANGE, ENUM,
                 COMPARISON, TEXT_SEARCH, SESSION, AGGREGATES, WINDOWS]),
)
