"""MySQL's and MariaDB's functions and operators (MariaDB 10.11 "Built-in Functions").

Only names both MySQL 8.0 and MariaDB 10.11 have, with the same meaning for the values the
generator makes: the dialect speaks for every server of the MySQL protocol. The operators
include the implicit conversions the manual's "Type Conversion in Expression Evaluation"
describes: a string or a date meets a number, a boolean meets an integer.
"""

from __future__ import annotations

from fuzzer.functions import Library, agg, fn, json_path, keywords, op, respell, standard

#: a string or date converted with loss ('abc' to a number, '' to a date) is a warning in a
#: query and an error (22007) in a strict-mode INSERT, UPDATE or DELETE
LOSSY = ("22",)
#: spellings shared by several signatures of one name
_CONVERT = keywords("CONVERT({0}, {1})", 1)
_TIMESTAMPDIFF = keywords("TIMESTAMPDIFF({0}, {1}, {2})", 0)
_TIMESTAMPADD = keywords("TIMESTAMPADD({0}, {1}, {2})", 0)
_EXTRACT = keywords("EXTRACT({0} FROM {1})", 0)
#: a collation names its character set: utf8mb4's fit only strings in it (VERSION() is utf8mb3)
_COLLATE = keywords("(CONVERT({0} USING utf8mb4) COLLATE {1})", 1)
_EQ_COLLATE = keywords("({0} = (CONVERT({1} USING utf8mb4) COLLATE {2}))", 2)
_LT_COLLATE = keywords("({0} < (CONVERT({1} USING utf8mb4) COLLATE {2}))", 2)
_LIKE_COLLATE = keywords("({0} LIKE (CONVERT({1} USING utf8mb4) COLLATE {2}))", 2)
#: latin1 on both sides: the explicit collation and the implicit one share a character set
_EQ_LATIN1 = keywords("(CONVERT({0} USING latin1) = (CONVERT({1} USING latin1) COLLATE {2}))", 2)

MATH = [
    *fn("COT", "float -> float", errors=("22",)),  # COT(0) is out of range
    *fn("LOG", "float -> float"),
    *fn("LOG2", "float -> float"),
    *fn("POW", "float, lit:scale -> float", errors=("22",)),
    *fn("CEILING", "numeric -> int"),
    *fn("CEIL", "int -> int"),
    *fn("FLOOR", "int -> int"),
    *fn("ROUND", "int, lit:scale -> int"),
    *fn("ROUND", "float, lit:scale -> float"),
    *fn("TRUNCATE", "numeric, lit:scale -> numeric"),
    *fn("TRUNCATE", "float, lit:scale -> float"),
    *fn("MOD", "int, lit:divisor -> int"),
    *fn("MOD", "numeric, lit:divisor -> numeric"),
    *fn("CONV", "int, lit:base, lit:base -> text"),
    *fn("BIN", "int -> text"),
    *fn("OCT", "int -> text"),
    *fn("HEX", "int -> text"),
    *fn("CRC32", "text -> int"),
    *fn("RAND", " -> float", deterministic=False),
    *fn("BIT_COUNT", "int -> int"),
    *fn("BIT_COUNT", "bit -> int"),
    *fn("BIN", "bit -> text"),
    *fn("HEX", "bit -> text"),
    *fn("CONVERT", "bit, lit:mysql_integer -> int", _CONVERT),
]

STRING = [
    *fn("ASCII", "text -> int"),
    *fn("ORD", "text -> int"),
    *fn("BIT_LENGTH", "text -> int"),
    *fn("OCTET_LENGTH", "text -> int"),
    *fn("CHARACTER_LENGTH", "text -> int"),
    *fn("CHAR", "int -> blob"),
    *fn("CONCAT", "text, text, text -> text"),
    *fn("CONCAT", "text, int -> text"),
    *fn("CONCAT_WS", "lit:sep, text, text -> text"),
    *fn("ELT", "lit:pos, text, text, text -> text"),
    *fn("FIELD", "text, text, text -> int"),
    *fn("FIELD", "int, int, int -> int"),
    *fn("FIND_IN_SET", "text, lit:set -> int"),
    *fn("FORMAT", "float, lit:scale -> text"),
    *fn("FORMAT", "numeric, lit:scale -> text"),
    *fn("INSERT", "text, lit:pos, lit:len, text -> text"),
    *fn("LOCATE", "lit:text, text -> int"),
    *fn("LOCATE", "text, text, lit:pos -> int"),
    *fn("LCASE", "text -> text"),
    *fn("UCASE", "text -> text"),
    *fn("MAKE_SET", "lit:bits, text, text, text -> text"),
    *fn("EXPORT_SET", "lit:bits, lit:text, lit:text, lit:sep, lit:len -> text"),
    *fn("MID", "text, lit:pos, lit:len -> text"),
    *fn("SUBSTRING_INDEX", "text, lit:text, lit:divisor -> text"),
    *fn("QUOTE", "text -> text"),
    *fn("REPEAT", "text, lit:len -> text"),
    *fn("RPAD", "text, lit:len, lit:pad -> text"),
    *fn("SPACE", "lit:len -> text"),
    *fn("STRCMP", "text, text -> int"),
    *fn("SOUNDEX", "text -> text"),
    *fn("TO_BASE64", "text -> text"),
    *fn("FROM_BASE64", "text -> blob"),
    *fn("HEX", "text -> text"),
    *fn("UNHEX", "text -> blob"),
    *fn("MD5", "text -> text"),
    *fn("SHA1", "text -> text"),
    *fn("SHA2", "text, lit:sha -> text"),
    *fn("LOWER", "blob -> blob"),  # a binary string has no letter case: unchanged
    *fn("OCTET_LENGTH", "blob -> int"),
    *fn("HEX", "blob -> text"),
    *fn("REGEXP_INSTR", "text, lit:regex -> int"),
    *fn("REGEXP_REPLACE", "text, lit:regex, lit:text -> text"),
    *fn("REGEXP_SUBSTR", "text, lit:regex -> text"),
]

DATETIME = [
    *fn("ADDDATE", "date, lit:days -> date"),
    *fn("SUBDATE", "date, lit:days -> date"),
    *fn("DATE_SUB", "date, lit:days -> date", "DATE_SUB({0}, INTERVAL {1} DAY)"),
    *fn("DATE", "timestamp -> date"),
    *fn("DATEDIFF", "date, date -> int"),
    *fn("DATE_FORMAT", "date, lit:date_format -> text"),
    *fn("DATE_FORMAT", "timestamp, lit:date_format -> text"),
    *fn("TIME_FORMAT", "time, lit:date_format -> text"),
    *fn("DAYNAME", "date -> text"),
    *fn("MONTHNAME", "date -> text"),
    *fn("DAYOFWEEK", "date -> int"),
    *fn("DAYOFYEAR", "date -> int"),
    *fn("WEEKDAY", "date -> int"),
    *fn("WEEK", "date, lit:mode -> int"),
    *fn("WEEKOFYEAR", "date -> int"),
    *fn("YEARWEEK", "date, lit:mode -> int"),
    *fn("QUARTER", "date -> int"),
    *fn("TO_DAYS", "date -> int"),
    *fn("TO_SECONDS", "timestamp -> int"),
    *fn("FROM_DAYS", "date -> date", "FROM_DAYS(TO_DAYS({0}) + 1)"),
    *fn("LAST_DAY", "date -> date"),
    *fn("MAKEDATE", "lit:year, lit:dayofyear -> date"),
    *fn("MAKETIME", "lit:len, lit:len, lit:len -> time"),
    *fn("HOUR", "time -> int"),
    *fn("MINUTE", "time -> int"),
    *fn("SECOND", "timestamp -> int"),
    *fn("MICROSECOND", "time -> int"),
    *fn("PERIOD_ADD", "lit:period, lit:days -> int"),
    *fn("PERIOD_DIFF", "lit:period, lit:period -> int"),
    *fn("SEC_TO_TIME", "lit:seconds -> time"),
    *fn("TIME_TO_SEC", "time -> int"),
    *fn("TIME", "timestamp -> time"),
    *fn("TIMEDIFF", "time, time -> time"),
    *fn("TIMESTAMP", "date -> timestamp"),
    *fn("TIMESTAMP", "date, time -> timestamp"),
    *fn("ADDTIME", "timestamp, time -> timestamp"),
    *fn("SUBTIME", "time, time -> time"),
    *fn("STR_TO_DATE", "text -> date", "STR_TO_DATE({0}, '%Y-%m-%d')", errors=LOSSY),
    *fn("TIMESTAMPDIFF", "lit:unit, timestamp, timestamp -> int", _TIMESTAMPDIFF),
    *fn("TIMESTAMPDIFF", "lit:unit, date, date -> int", _TIMESTAMPDIFF),
    *fn("TIMESTAMPADD", "lit:unit, lit:days, timestamp -> timestamp", _TIMESTAMPADD),
    *fn("EXTRACT", "lit:unit, timestamp -> int", _EXTRACT),
    *fn("+INTERVAL", "date, lit:days -> date", "({0} + INTERVAL {1} MONTH)"),
    *fn("NOW", " -> timestamp", deterministic=False),
    *fn("CURDATE", " -> date", deterministic=False),
    *fn("CURTIME", " -> time", deterministic=False),
    *fn("UTC_TIMESTAMP", " -> timestamp", deterministic=False),
    *fn("UNIX_TIMESTAMP", "timestamp -> int", deterministic=False),  # the session's zone
    *fn("FROM_UNIXTIME", "lit:seconds -> timestamp", deterministic=False),
]

JSON = [
    *fn("JSON_ARRAY", "int, text -> json"),
    *fn("JSON_ARRAY", "json, float -> json"),
    *fn("JSON_OBJECT", "lit:key, int, lit:key, text -> json"),
    *fn("JSON_OBJECT", "lit:key, json -> json"),
    *fn("JSON_QUOTE", "text -> text"),
    *fn("JSON_UNQUOTE", "text -> text"),
    *fn("JSON_VALID", "text -> int"),
    *fn("JSON_VALID", "json -> int"),
    *fn("JSON_TYPE", "json -> text"),
    *fn("JSON_LENGTH", "json -> int"),
    *fn("JSON_LENGTH", "json, lit:path -> int"),
    *fn("JSON_DEPTH", "json -> int"),
    *fn("JSON_KEYS", "json -> json"),
    *fn("JSON_EXTRACT", "json, lit:path -> json"),
    *fn("JSON_EXTRACT", "json, lit:path, lit:path -> json"),
    *fn("JSON_VALUE", "json, lit:path -> text"),
    *fn("JSON_CONTAINS", "json, lit:json -> int"),
    *fn("JSON_CONTAINS", "json, lit:json, lit:path -> int"),
    *fn("JSON_CONTAINS_PATH", "json, lit:oneall, lit:path, lit:path -> int"),
    *fn("JSON_OVERLAPS", "json, lit:json -> int"),
    *fn("JSON_SEARCH", "json, lit:oneall, lit:text -> text"),
    *fn("JSON_SET", "json, lit:path, int -> json"),
    *fn("JSON_INSERT", "json, lit:path, text -> json"),
    *fn("JSON_REPLACE", "json, lit:path, json -> json"),
    *fn("JSON_REMOVE", "json, lit:path -> json", errors=("42",)),  # `$` cannot be removed
    *fn("JSON_ARRAY_APPEND", "json, lit:path, int -> json"),
    *fn("JSON_ARRAY_INSERT", "json, lit:array_path, int -> json"),
    *fn("JSON_MERGE_PATCH", "json, json -> json"),
    *fn("JSON_MERGE_PRESERVE", "json, json -> json"),
]

CONDITIONAL = [
    *fn("IF", "bool, any, any -> any", families=("int", "text", "numeric", "date")),
    *fn("IFNULL", "any, any -> any", families=("int", "text", "float", "timestamp")),
    *fn("ISNULL", "any -> int", families=("int", "text", "date")),
    *fn("CONVERT", "text, lit:mysql_integer -> int", _CONVERT, errors=LOSSY),
    *fn("CONVERT", "float, lit:mysql_integer -> int", _CONVERT),
    *fn("CONVERT", "int, lit:mysql_char -> text", _CONVERT),
    *fn("CONVERT", "text, lit:mysql_decimal -> numeric", _CONVERT, errors=LOSSY),
    *fn("CONVERT", "timestamp, lit:mysql_date -> date", _CONVERT),
    # a value under a case- or accent-insensitive collation makes DISTINCT, GROUP BY and
    # MIN/MAX pick one of several equal spellings; a comparison under it has one answer
    *fn("COLLATE", "text, lit:mysql_binary -> text", _COLLATE),
    *fn("COLLATE", "text, lit:mysql_collation -> text", _COLLATE, deterministic=False),
    *op("= COLLATE", "text, text, lit:mysql_collation -> bool", _EQ_COLLATE),
    *op("< COLLATE", "text, text, lit:mysql_collation -> bool", _LT_COLLATE),
    *op("LIKE COLLATE", "text, lit:like, lit:mysql_collation -> bool", _LIKE_COLLATE),
    *op("= COLLATE latin1", "text, text, lit:latin1_collation -> bool", _EQ_LATIN1),
    # its own name, so that a server without these collations (MySQL) turns it off alone
    *op("= COLLATE uca1400", "text, text, lit:uca1400_collation -> bool", _EQ_COLLATE),
    *op("BINARY", "text, text -> bool", "(BINARY {0} = {1})"),
    *fn("INET_ATON", "text -> int"),
    *fn("INET_NTOA", "int -> text"),
    *fn("IS_IPV4", "text -> int"),
    *fn("UUID", " -> text", "CAST(UUID() AS CHAR)", deterministic=False),  # MariaDB: uuid
    *fn("CONNECTION_ID", " -> int", deterministic=False),
    *fn("VERSION", " -> text", deterministic=False),
]

#: Operators: bitwise (on BIGINT UNSIGNED), integer division, XOR, and the implicit
#: conversions: a string in arithmetic is a number, a date in arithmetic is YYYYMMDD, a
#: comparison of a string with a number compares them as numbers.
OPERATORS = [
    *op("&", "int, int -> int", "({0} & {1})"),
    *op("|", "int, int -> int", "({0} | {1})"),
    *op("^", "int, int -> int", "({0} ^ {1})"),
    *op("<<", "int, lit:shift -> int", "({0} << {1})"),
    *op(">>", "int, lit:shift -> int", "({0} >> {1})"),
    *op("~", "int -> int", "(~ {0})"),
    *op("DIV", "int, lit:divisor -> int", "({0} DIV {1})"),
    *op("DIV", "numeric, lit:divisor -> int", "({0} DIV {1})"),
    *op("x MOD y", "int, lit:divisor -> int", "({0} MOD {1})"),
    *op("XOR", "bool, bool -> bool", "({0} XOR {1})"),
    *op("+", "text, int -> float", "({0} + {1})", errors=LOSSY),
    *op("+", "int, text -> float", "({0} + {1})", errors=LOSSY),
    *op("+", "date, int -> int", "({0} + {1})", errors=LOSSY),
    *op("+", "bool, int -> int", "({0} + {1})"),
    *op("+", "bit, int -> int", "({0} + {1})"),
    *op("&", "bit, int -> int", "({0} & {1})"),
    *op("-", "text, float -> float", "({0} - {1})", errors=LOSSY),
    *op("-", "timestamp, int -> int", "({0} - {1})"),  # YYYYMMDDhhmmss - n
    *op("*", "text, int -> float", "({0} * {1})", errors=LOSSY),
    *op("/", "int, lit:divisor -> numeric", "({0} / {1})"),
    *op("/", "text, lit:divisor -> float", "({0} / {1})", errors=LOSSY),
    *op("%", "float, lit:divisor -> float", "({0} % {1})"),
    *op("NEGATE", "text -> float", "(- {0})", errors=LOSSY),
    *op("NOT", "int -> int", "(NOT {0})"),
    *op("AND", "int, int -> int", "({0} AND {1})"),
    *op("OR", "int, int -> int", "({0} OR {1})"),
    *op("LIKE", "int, lit:pos -> bool", "({0} LIKE CONCAT({1}, '%'))"),
    *op("REGEXP", "int, lit:regex -> bool", "({0} REGEXP {1})"),
    *op("LIKE ESCAPE", "text, lit:like, lit:escape_char -> bool", "({0} LIKE {1} ESCAPE {2})"),
    *op("SOUNDS LIKE", "text, text -> bool", "({0} SOUNDS LIKE {1})"),
    *op("= _utf8mb4", "text, lit:text -> bool", "({0} = _utf8mb4{1})"),  # an introducer
    *op("!", "bool -> bool", "(! {0})"),
    # literals: hexadecimal and bit values are numbers in a numeric context; the mask keeps
    # the unsigned result small, as later arithmetic on it must not overflow
    *op("& 0x", "int -> int", "({0} & 0x1F)"),
    *op("& b''", "int -> int", "({0} & b'101')"),
    *op("< UNSIGNED MAX", "int -> bool", "({0} < 18446744073709551615)"),
    *op("<= CURRENT_DATE", "date -> bool", "({0} <= CURRENT_DATE)", deterministic=False),
    *op("BETWEEN", "text, int, int -> bool", "({0} BETWEEN {1} AND {2})", errors=LOSSY),
    *op("BETWEEN", "date, text, text -> bool", "({0} BETWEEN {1} AND {2})", errors=LOSSY),
    *op("IN", "text, int, int -> bool", "({0} IN ({1}, {2}))", errors=LOSSY),
    *op("IN", "int, text, float -> bool", "({0} IN ({1}, {2}))", errors=LOSSY),
]

#: comparisons across families: (left, right) pairs MySQL converts implicitly; a string read
#: as a number or a date is truncated with a warning, which strict mode makes error 1292
#: (22007) where the value is stored: a generated column, an index key
CROSS = ("timestamp, date", "date, timestamp", "int, bool", "bool, bool", "int, float",
         "numeric, float", "date, int", "bit, int")  # fmt: skip
CONVERTING = ("text, int", "int, text", "text, float", "numeric, text", "date, text",
              "text, date", "time, text", "json, text")  # fmt: skip
_OPERATORS = ("=", "<>", "!=", "<", "<=", ">", ">=", "<=>")
COMPARISONS = [*standard.comparisons(_OPERATORS, CROSS),
               *standard.comparisons(_OPERATORS, CONVERTING, errors=("22",))]

AGGREGATES = [
    *agg("BIT_AND", "int -> int"),
    *agg("BIT_OR", "int -> int"),
    *agg("BIT_XOR", "int -> int"),
    *agg("BIT_OR", "bit -> int"),
    # floating point: the result may depend on summation order in its last digits; the
    # oracles compare floats with a tolerance, and only COUNT/SUM/AVG/MIN/MAX across queries
    *agg("STD", "float -> float"),
    *agg("STDDEV", "int -> float"),
    *agg("STDDEV_POP", "float -> float"),
    *agg("STDDEV_SAMP", "numeric -> float"),
    *agg("VARIANCE", "int -> float"),
    *agg("VAR_POP", "numeric -> float"),
    *agg("VAR_SAMP", "float -> float"),
    *agg("JSON_ARRAYAGG", "int -> json", deterministic=False),  # in the order rows come
    *agg("JSON_OBJECTAGG", "text, int -> json", deterministic=False),
]

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
    standard.TRANSCENDENTAL,
    standard.WINDOWS_EXTRA,
    standard.PROMOTIONS,
    MATH, STRING, DATETIME, JSON, CONDITIONAL, OPERATORS, COMPARISONS, AGGREGATES,
)
