"""DuckDB's functions and operators (DuckDB manual, "Functions" and "Aggregate Functions").

Grouped by the manual's chapters. Where a result would depend on something other than the
arguments (the clock, randomness, the order rows arrive in, how ties are broken), the
signature says `deterministic=False` and deterministic mode (what `fuzz run` uses) leaves it
out. Statistical aggregates over floats are such: their summation order is the plan's, and
cancellation (variance, correlation) can amplify that last-bit difference past the oracles'
float tolerance; over integers and decimals the same aggregates stay well inside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fuzzer import ast as A
from fuzzer.functions import Library, agg, fn, json_path, op, respell, standard, win

if TYPE_CHECKING:
    from fuzzer.dialects.base import Dialect

NUMBERS = standard.NUMBERS
#: the integer-valued arguments of the statistics aggregates (see the module doc)
EXACT = ("int", "numeric")
ORDERED = ("int", "numeric", "float", "text", "date", "time", "timestamp", "interval")

def _extract(d: Dialect, args: list[str], node: A.Func) -> str:
    """EXTRACT takes its field as a keyword, not a string."""
    part = node.args[0]
    assert isinstance(part, A.Literal)
    return f"CAST(EXTRACT({part.value} FROM {args[1]}) AS BIGINT)"



def _narrow(name: str) -> str:
    """A function DuckDB defines for BIGINT (or narrower) only: HUGEINT and UBIGINT values
    (FACTORIAL's, HASH's) do not convert implicitly, so the argument is cast."""
    return f"{name}(CAST({{0}} AS INTEGER))"


OPERATORS = [
    *op("&", "int, int -> int", "({0} & {1})"),
    *op("|", "int, int -> int", "({0} | {1})"),
    *op("<<", "abs:int, lit:bit_shift -> int", "({0} << {1})", errors=("22",)),  # overflow
    *op(">>", "int, lit:bit_shift -> int", "({0} >> {1})"),
    *op("~", "int -> int", "(~ {0})"),
    *op("//", "int, lit:divisor -> int", "({0} // {1})"),
    *op("**", "float, lit:scale -> float", "({0} ** {1})"),
    *op("^", "float, lit:scale -> float", "({0} ^ {1})"),
    *op("@", "any -> any", "(@ {0})", families=NUMBERS),
    *op("^@", "text, lit:text -> bool", "({0} ^@ {1})"),
    *op("DATE+INTERVAL", "date, interval -> timestamp", "({0} + {1})"),
    *op("TIMESTAMP+INTERVAL", "timestamp, interval -> timestamp", "({0} + {1})"),
    *op("TIMESTAMP-INTERVAL", "timestamp, interval -> timestamp", "({0} - {1})"),
    *op("TIME+INTERVAL", "time, interval -> time", "({0} + {1})"),
    *op("DATE-DATE", "date, date -> int", "({0} - {1})"),
    *op("TIMESTAMP-TIMESTAMP", "timestamp, timestamp -> interval", "({0} - {1})"),
    *op("DATE+TIME", "date, time -> timestamp", "({0} + {1})"),
    *op("INTERVAL+INTERVAL", "interval, interval -> interval", "({0} + {1})"),
    *op("INTERVAL*INT", "interval, lit:len -> interval", "({0} * {1})"),
    *op("-INTERVAL", "interval -> interval", "(- {0})"),
]

MATH = [
    *fn("CEIL", "numeric -> numeric"),
    *fn("FLOOR", "numeric -> numeric"),
    *fn("CEILING", "float -> float"),
    *fn("TRUNC", "any -> any", families=("numeric", "float")),
    *fn("ROUND_EVEN", "any, lit:scale -> any", families=("numeric", "float")),
    *fn("EVEN", "float -> float"),
    *fn("CBRT", "float -> float"),
    *fn("EXP", "float -> float"),
    *fn("LN", "float -> float"),
    *fn("LOG", "float -> float"),
    *fn("LOG10", "float -> float"),
    *fn("LOG2", "float -> float"),
    *fn("POW", "float, float -> float"),
    *fn("POWER", "float, lit:scale -> float"),
    *fn("SIN", "float -> float"),
    *fn("COS", "float -> float"),
    *fn("TAN", "float -> float"),
    *fn("COT", "float -> float"),
    *fn("ASIN", "float -> float"),
    *fn("ACOS", "float -> float"),
    *fn("ATAN", "float -> float"),
    *fn("ATAN2", "float, float -> float"),
    *fn("SINH", "float -> float"),
    *fn("COSH", "float -> float"),
    *fn("TANH", "float -> float"),
    *fn("ASINH", "float -> float"),
    *fn("ACOSH", "float -> float"),
    *fn("ATANH", "float -> float"),
    *fn("DEGREES", "float -> float"),
    *fn("RADIANS", "float -> float"),
    *fn("GAMMA", "float -> float"),
    *fn("LGAMMA", "float -> float"),
    *fn("ISNAN", "float -> bool"),
    *fn("ISINF", "float -> bool"),
    *fn("ISFINITE", "float -> bool"),
    *fn("SIGNBIT", "float -> bool"),
    *fn("NEXTAFTER", "float, float -> float"),
    *fn("FDIV", "int, lit:divisor -> float"),
    *fn("FMOD", "float, lit:divisor -> float"),
    *fn("PI", " -> float"),
    *fn("GCD", "int, int -> int"),
    *fn("LCM", "int, int -> int", errors=("22",)),  # out of range
    *fn("FACTORIAL", "abs:int -> int", "FACTORIAL(CAST({0} AS INTEGER))", errors=("22",)),
    *fn("BIT_COUNT", "int -> int"),
    *fn("XOR", "int, int -> int"),
    *fn("RANDOM", " -> float", deterministic=False),
]

COMPARISON = [
    *fn("GREATEST", "any, any -> any", families=("time", "timestamp", "interval", "bool", "blob")),
    *fn("LEAST", "any, any -> any", families=("time", "timestamp", "interval", "bool", "blob")),
    *fn("COALESCE", "any, any -> any", families=("interval", "uuid", "json")),
    *fn("NULLIF", "any, any -> any", families=("interval", "timestamp")),
    *fn("IFNULL", "any, any -> any", families=("int", "text", "date", "float")),
    *fn("IF", "bool, any, any -> any", families=("int", "text", "numeric", "date")),
    *fn("TYPEOF", "any -> text"),
]  # fmt: skip

STRING = [
    *fn("LCASE", "text -> text"),
    *fn("UCASE", "text -> text"),
    *fn("LEFT_GRAPHEME", "text, lit:len -> text"),
    *fn("RIGHT_GRAPHEME", "text, lit:len -> text"),
    *fn("RPAD", "text, lit:len, lit:pad -> text"),
    *fn("SUBSTRING", "text, lit:pos -> text"),
    *fn("SUBSTRING_GRAPHEME", "text, lit:pos, lit:len -> text"),
    *fn("STRPOS", "text, text -> int"),
    *fn("STRLEN", "text -> int"),
    *fn("LENGTH_GRAPHEME", "text -> int"),
    *fn("BIT_LENGTH", "text -> int"),
    *fn("ASCII", "text -> int"),
    *fn("UNICODE", "text -> int"),
    *fn("ORD", "text -> int"),
    *fn("CHR", "lit:codepoint -> text"),
    *fn("CONCAT", "text, any -> text", families=("int", "text", "date", "float")),
    *fn("CONCAT_WS", "lit:sep, text, text -> text"),
    *fn("REPEAT", "text, lit:count -> text"),
    *fn("SPLIT_PART", "text, lit:sep, lit:pos -> text"),
    *fn("TRANSLATE", "text, lit:text, lit:text -> text"),
    *fn("STRIP_ACCENTS", "text -> text"),
    *fn("NFC_NORMALIZE", "text -> text"),
    *fn("CONTAINS", "text, lit:text -> bool"),
    *fn("STARTS_WITH", "text, lit:text -> bool"),
    *fn("PREFIX", "text, text -> bool"),
    *fn("SUFFIX", "text, text -> bool"),
    *fn("ENDS_WITH", "text, lit:text -> bool"),
    *fn("LEVENSHTEIN", "text, text -> int"),
    *fn("DAMERAU_LEVENSHTEIN", "text, text -> int"),
    # of equal, non-zero lengths only: the second string is the first's reversal
    *fn("HAMMING", "text -> int", "HAMMING({0} || '.', '.' || REVERSE({0}))"),
    *fn("MISMATCHES", "text -> int", "MISMATCHES({0} || '.', '.' || REVERSE({0}))"),
    *fn("JACCARD", "text, text -> float", errors=("22",)),  # an empty argument
    *fn("JARO_SIMILARITY", "text, text -> float"),
    *fn("JARO_WINKLER_SIMILARITY", "text, text -> float"),
    # digests bind nowhere but in queries ("Cannot use \"md5\" in this context" in an index)
    *fn("MD5", "text -> text", storable=False),
    *fn("SHA1", "text -> text", storable=False),
    *fn("SHA256", "text -> text", storable=False),
    *fn("HASH", "any -> int", families=("int", "text", "date")),
    *fn("HEX", "text -> text"),
    *fn("TO_HEX", "int -> text"),
    *fn("BIN", "int -> text"),
    *fn("URL_ENCODE", "text -> text"),
    *fn("FORMAT", "lit:fmt, any -> text", families=("int", "text")),
    *fn("PRINTF", "lit:printf_int, int -> text"),
    *fn("FORMAT_BYTES", "int -> text", "FORMAT_BYTES(CAST({0} AS BIGINT))", errors=("22",)),
    *fn("LIKE_ESCAPE", "text, lit:text, lit:escape_char -> bool"),
    *op("LIKE ESCAPE", "text, lit:like, lit:escape_char -> bool", "({0} LIKE {1} ESCAPE {2})"),
    *fn("ILIKE_ESCAPE", "text, lit:text, lit:escape_char -> bool"),
]

REGEX = [
    *fn("REGEXP_MATCHES", "text, lit:regex -> bool"),
    *fn("REGEXP_FULL_MATCH", "text, lit:regex -> bool"),
    *fn("REGEXP_REPLACE", "text, lit:regex, lit:text -> text"),
    *fn("REGEXP_EXTRACT", "text, lit:regex -> text"),
    *fn("REGEXP_ESCAPE", "text -> text"),
    *op("~~", "text, lit:text -> bool", "({0} ~~ {1})"),
    *op("~~*", "text, lit:text -> bool", "({0} ~~* {1})"),
    *op("!~~", "text, lit:text -> bool", "({0} !~~ {1})"),
    *op("SIMILAR TO", "text, lit:regex -> bool", "({0} SIMILAR TO {1})"),  # the whole string
]

CASTS = [
    *op("::", "int -> text", "({0})::VARCHAR"),
    *op("TRY_CAST", "text -> int", "TRY_CAST({0} AS INTEGER)"),  # NULL, not an error
]

BLOB = [
    *fn("OCTET_LENGTH", "blob -> int"),
    *fn("TO_BASE64", "blob -> text"),
    *fn("ENCODE", "text -> blob"),
    *fn("MD5", "blob -> text", storable=False),
    *fn("HEX", "blob -> text"),
    *fn("UNHEX", "text -> blob", "UNHEX(HEX({0}))"),
    *fn("FROM_BASE64", "blob -> blob", "FROM_BASE64(TO_BASE64({0}))"),
    *op("BLOB||BLOB", "blob, blob -> blob", "({0} || {1})"),
]

DATETIME = [
    *fn("DAYOFMONTH", "date -> int"),
    *fn("DAYOFWEEK", "date -> int"),
    *fn("DAYOFYEAR", "date -> int"),
    *fn("ISODOW", "date -> int"),
    *fn("ISOYEAR", "date -> int"),
    *fn("WEEK", "date -> int"),
    *fn("WEEKOFYEAR", "date -> int"),
    *fn("WEEKDAY", "date -> int"),
    *fn("YEARWEEK", "date -> int"),
    *fn("QUARTER", "date -> int"),
    *fn("DECADE", "date -> int"),
    *fn("CENTURY", "date -> int"),
    *fn("MILLENNIUM", "date -> int"),
    *fn("ERA", "date -> int"),
    *fn("JULIAN", "date -> float"),
    *fn("HOUR", "timestamp -> int"),
    *fn("MINUTE", "time -> int"),
    *fn("SECOND", "time -> int"),
    *fn("MILLISECOND", "timestamp -> int"),
    *fn("MICROSECOND", "time -> int"),
    *fn("EPOCH", "timestamp -> float"),
    *fn("EPOCH_MS", "timestamp -> int"),
    *fn("EPOCH_US", "timestamp -> int"),
    # DuckDB types date_part of a NULL constant as DOUBLE, of any other date as BIGINT
    *fn("DATE_PART", "lit:part, date -> int", "CAST(DATE_PART({0}, {1}) AS BIGINT)"),
    *fn("DATEPART", "lit:time_part, timestamp -> int", "CAST(DATEPART({0}, {1}) AS BIGINT)"),
    *fn("EXTRACT", "lit:part, date -> int", _extract),
    *fn("DATE_TRUNC", "lit:unit, timestamp -> timestamp"),
    *fn("DATETRUNC", "lit:unit, date -> timestamp"),
    *fn("DATE_DIFF", "lit:unit, date, date -> int"),
    *fn("DATEDIFF", "lit:time_part, timestamp, timestamp -> int"),
    *fn("DATE_SUB", "lit:unit, date, date -> int"),
    *fn("DATE_ADD", "date, lit:days -> date", "({0} + {1})"),
    *fn("LAST_DAY", "date -> date"),
    *fn("DAYNAME", "date -> text"),
    *fn("MONTHNAME", "timestamp -> text"),
    *fn("STRFTIME", "date, lit:time_format -> text"),
    *fn("STRPTIME", "date, lit:strptime -> timestamp", "STRPTIME(STRFTIME({0}, {1}), {1})"),
    *fn("TRY_STRPTIME", "text, lit:time_format -> timestamp"),
    *fn("MAKE_DATE", "lit:year, lit:month, lit:pos -> date"),
    *fn("MAKE_TIME", "lit:pos, lit:len, lit:fraction -> time"),
    *fn("MAKE_TIMESTAMP", "lit:year, lit:month, lit:pos, lit:pos, lit:len, lit:fraction -> "
                          "timestamp"),
    *fn("TIME_BUCKET", "lit:bucket, date -> date"),
    *fn("AGE", "timestamp, timestamp -> interval"),
    *fn("TO_DAYS", "int -> interval", _narrow("TO_DAYS"), errors=("22",)),
    *fn("TO_HOURS", "int -> interval", _narrow("TO_HOURS"), errors=("22",)),
    *fn("TO_MINUTES", "int -> interval", _narrow("TO_MINUTES"), errors=("22",)),
    *fn("TO_SECONDS", "float -> interval", errors=("22",)),
    *fn("TO_MONTHS", "lit:days -> interval"),  # Python's timedelta holds < 2.7M years
    *fn("TO_YEARS", "lit:days -> interval"),  # Python's timedelta holds < 2.7M years
    *fn("TO_WEEKS", "int -> interval", _narrow("TO_WEEKS"), errors=("22",)),
    *fn("TO_CENTURIES", "lit:days -> interval"),  # Python's timedelta holds < 2.7M years
    *fn("TO_DECADES", "lit:days -> interval"),  # Python's timedelta holds < 2.7M years
    *fn("TO_MILLISECONDS", "int -> interval", _narrow("TO_MILLISECONDS"), errors=("22",)),
    *fn("TO_MICROSECONDS", "int -> interval", _narrow("TO_MICROSECONDS"), errors=("22",)),
    *fn("EPOCH", "interval -> float"),
    *fn("CURRENT_DATE", " -> date", "CURRENT_DATE", deterministic=False),
    *fn("NOW", " -> timestamp", "CAST(NOW() AS TIMESTAMP)", deterministic=False),
]

JSON = [
    *fn("JSON_TEXT", "json, lit:key -> text", json_path("JSON_EXTRACT_STRING({0}, {1})")),
    *fn("JSON_EXTRACT", "json, lit:key -> json", json_path("JSON_EXTRACT({0}, {1})")),
    *fn("JSON_VALUE", "json, lit:key -> text", json_path("JSON_VALUE({0}, {1})")),
    *fn("JSON_EXISTS", "json, lit:key -> bool", json_path("JSON_EXISTS({0}, {1})")),
    *op("->", "json, lit:key -> json", json_path("({0} -> {1})")),
    *op("->>", "json, lit:key -> text", json_path("({0} ->> {1})")),
    *fn("JSON_ARRAY_LENGTH", "json -> int"),
    *fn("JSON_TYPE", "json -> text"),
    *fn("JSON_VALID", "text -> bool"),
    *fn("JSON_CONTAINS", "json, json -> bool"),
    *fn("JSON_STRUCTURE", "json -> json"),
    *fn("JSON_MERGE_PATCH", "json, json -> json"),
    *fn("JSON_QUOTE", "any -> json", families=("int", "text", "bool")),
    *fn("TO_JSON", "any -> json", families=("float", "date", "numeric")),
    *fn("JSON_OBJECT", "lit:key, any -> json", families=("int", "text")),
    *fn("JSON_ARRAY", "any, any -> json", families=("int", "text")),
]

UUIDS = [
    *fn("UUID_EXTRACT_VERSION", "uuid -> int"),
    *fn("GEN_RANDOM_UUID", " -> uuid", deterministic=False),
]

#: Lists (INTEGER[], VARCHAR[]); 1-based positions. Element order is part of a list's value,
#: so functions that return their elements in an unspecified order are not deterministic.
LISTS = [
    *fn("LIST_VALUE", "any, any -> any[]", families=("int", "text")),
    *op("[]", "any[], lit:pos -> any", "{0}[{1}]", families=("int", "text")),
    *op("[:]", "any[], lit:pos, lit:pos -> any[]", "{0}[{1}:{2}]", families=("int", "text")),
    *fn("LEN", "any[] -> int", families=("int", "text")),
    *fn("ARRAY_LENGTH", "int[] -> int"),
    *fn("LIST_EXTRACT", "any[], lit:pos -> any", families=("int", "text")),
    *fn("LIST_SLICE", "any[], lit:pos, lit:len -> any[]", families=("int", "text")),
    *fn("LIST_CONTAINS", "any[], any -> bool", families=("int", "text")),
    *fn("LIST_HAS", "int[], int -> bool"),
    *fn("LIST_POSITION", "any[], any -> int", families=("int", "text")),
    *fn("LIST_HAS_ANY", "any[], any[] -> bool", families=("int", "text")),
    *fn("LIST_HAS_ALL", "any[], any[] -> bool", families=("int", "text")),
    *fn("LIST_CONCAT", "any[], any[] -> any[]", families=("int", "text")),
    *op("LIST||LIST", "any[], any[] -> any[]", "({0} || {1})", families=("int", "text")),
    *fn("LIST_APPEND", "any[], any -> any[]", families=("int", "text")),
    *fn("LIST_PREPEND", "any, any[] -> any[]", families=("int", "text")),
    *fn("LIST_REVERSE", "any[] -> any[]", families=("int", "text")),
    *fn("LIST_SORT", "any[] -> any[]", families=("int", "text")),
    *fn("LIST_REVERSE_SORT", "any[] -> any[]", families=("int", "text")),
    *fn("LIST_RESIZE", "any[], lit:len -> any[]", families=("int", "text")),
    *fn("LIST_DISTINCT", "any[] -> any[]", families=("int", "text"), deterministic=False,
        storable=False),
    *fn("LIST_INTERSECT", "any[], any[] -> any[]", families=("int", "text"),
        deterministic=False),
    *fn("LIST_UNIQUE", "any[] -> int", families=("int", "text"), storable=False),
    *fn("LIST_SUM", "int[] -> int", storable=False),
    *fn("LIST_PRODUCT", "int[] -> float", storable=False),
    *fn("LIST_MIN", "any[] -> any", families=("int", "text"), storable=False),
    *fn("LIST_MAX", "any[] -> any", families=("int", "text"), storable=False),
    *fn("LIST_AVG", "int[] -> float", storable=False),
    *fn("LIST_ANY_VALUE", "any[] -> any", families=("int", "text"), storable=False),
    *fn("FLATTEN", "any[], any[] -> any[]", "FLATTEN([{0}, {1}])", families=("int", "text")),
    *fn("ARRAY_TO_STRING", "text[], lit:sep -> text", storable=False),
    *fn("STRING_SPLIT", "text, lit:sep -> text[]"),
    *fn("REGEXP_SPLIT_TO_ARRAY", "text, lit:regex -> text[]"),
    *fn("REGEXP_EXTRACT_ALL", "text, lit:regex -> text[]"),
    *fn("JSON_KEYS", "json -> text[]", storable=False),
    *fn("GENERATE_SERIES", "lit:pos, lit:len -> int[]"),
    *fn("RANGE", "lit:len -> int[]"),
    *agg("LIST", "any -> any[]", "LIST({0} ORDER BY {0})", families=("int", "text")),
    *agg("ARRAY_AGG", "any -> any[]", "ARRAY_AGG({0} ORDER BY {0} DESC)", families=("int", "text")),
]

#: STRUCT(a INTEGER, b VARCHAR) and MAP(VARCHAR, INTEGER), the one shape of each generated.
COMPOSITES = [
    *fn("STRUCT_PACK", "int, text -> struct",
        "STRUCT_PACK(a := CAST({0} AS INTEGER), b := CAST({1} AS VARCHAR))", errors=("22",)),
    *fn("ROW", "int, text -> struct", "CAST(ROW({0}, {1}) AS STRUCT(a INTEGER, b VARCHAR))",
        errors=("22",)),  # an unnamed struct, named by the cast
    *fn("STRUCT_EXTRACT", "struct -> int", "STRUCT_EXTRACT({0}, 'a')"),
    *op("STRUCT[]", "struct -> text", "{0}['b']"),
    *fn("MAP_KEYS", "map -> text[]"),
    *fn("MAP_VALUES", "map -> int[]"),
    *fn("CARDINALITY", "map -> int"),
    *fn("MAP_CONTAINS", "map, lit:key -> bool"),
    *fn("MAP_EXTRACT", "map, lit:key -> int[]"),
    *fn("MAP_EXTRACT_VALUE", "map, lit:key -> int"),
    *fn("ELEMENT_AT", "map, lit:key -> int[]"),
    *op("MAP[]", "map, lit:key -> int", "{0}[{1}]"),
    *fn("MAP_CONCAT", "map, map -> map"),
    *fn("MAP_FROM_ENTRIES", "map -> map", "MAP_FROM_ENTRIES(MAP_ENTRIES({0}))"),
]

AGGREGATES = [
    *agg("BIT_AND", "int -> int"),
    *agg("BIT_OR", "int -> int"),
    *agg("BIT_XOR", "int -> int"),
    *agg("COUNT_IF", "bool -> int"),
    *agg("PRODUCT", "any -> float", families=NUMBERS),
    *agg("FSUM", "any -> float", families=NUMBERS),
    *agg("FAVG", "float -> float"),
    *agg("MEDIAN", "any -> float", families=("int", "float")),
    *agg("MEDIAN", "numeric -> numeric"),
    *agg("QUANTILE_CONT", "any, lit:fraction -> float", families=("int", "float")),
    *agg("QUANTILE_DISC", "any, lit:fraction -> any", families=ORDERED),
    *agg("MAD", "any -> float", families=("int", "float")),
    *agg("ENTROPY", "any -> float", families=("int", "text", "date")),
    *agg("ANY_VALUE", "any -> any", deterministic=False),
    *agg("FIRST", "any -> any", deterministic=False),
    *agg("LAST", "any -> any", deterministic=False),
    *agg("ARG_MAX", "any, int -> any", families=("int", "text"), deterministic=False),
    *agg("ARG_MIN", "any, int -> any", families=("int", "text"), deterministic=False),
    *agg("APPROX_COUNT_DISTINCT", "any -> int", families=("int", "text"),
         deterministic=False),
    *agg("PERCENTILE_CONT", "lit:fraction, any -> float",
         "PERCENTILE_CONT({0}) WITHIN GROUP (ORDER BY {1})", families=("int", "float")),
    *agg("PERCENTILE_DISC", "lit:fraction, any -> any",
         "PERCENTILE_DISC({0}) WITHIN GROUP (ORDER BY {1})", families=ORDERED),
    *agg("PERCENTILE_DISC_DESC", "lit:fraction, any -> any",
         "PERCENTILE_DISC({0}) WITHIN GROUP (ORDER BY {1} DESC)", families=("int", "text")),
    *agg("MODE", "any -> any", "MODE() WITHIN GROUP (ORDER BY {0})", families=("int", "text"),
         deterministic=False),  # ties
]

#: Statistics: deterministic over integers and decimals only (see the module doc).
STATISTICS = [
    sig
    for name, errors in (
        ("STDDEV_SAMP", ()), ("STDDEV_POP", ()), ("VAR_SAMP", ()), ("VAR_POP", ()),
        ("STDDEV", ()), ("VARIANCE", ()), ("SEM", ()),
        ("KURTOSIS", ("22",)), ("KURTOSIS_POP", ("22",)), ("SKEWNESS", ("22",)),  # out of range
    )
    for group in (agg(name, "any -> float", families=EXACT, errors=errors),
                  agg(name, "float -> float", deterministic=False, errors=errors))
    for sig in group
] + [
    sig
    for name in ("CORR", "COVAR_POP", "COVAR_SAMP", "REGR_SLOPE", "REGR_INTERCEPT", "REGR_R2",
                 "REGR_AVGX", "REGR_AVGY", "REGR_SXX", "REGR_SYY", "REGR_SXY")
    for group in (agg(name, "any, any -> float", families=EXACT),
                  agg(name, "float, float -> float", deterministic=False))
    for sig in group
] + agg("REGR_COUNT", "any, any -> int", families=NUMBERS)  # fmt: skip

WINDOWS = [
    *win("PERCENT_RANK", " -> float"),
    *win("CUME_DIST", " -> float"),
    *win("NTILE", "lit:buckets -> int", deterministic=False),  # ties split across buckets
    *win("LAST_VALUE", "any -> any", deterministic=False),
    *win("NTH_VALUE", "any, lit:offset -> any", deterministic=False),
]



LIBRARY = Library(
    standard.PORTABLE,
    standard.MATH,
    standard.SIGN,
    standard.COMPARISON,
    standard.STRING,
    standard.STRING_EXTRA,
    respell(standard.DATETIME, {"YEAR": "YEAR({0})", "MONTH": "MONTH({0})", "DAY": "DAY({0})"}),
    standard.WINDOWS,
    standard.BOOL_AGGREGATES,
    OPERATORS,
    MATH,
    COMPARISON,
    STRING,
    REGEX,
    CASTS,
    BLOB,
    DATETIME,
    JSON,
    UUIDS,
    LISTS,
    COMPOSITES,
    AGGREGATES,
    STATISTICS,
    WINDOWS,
)
