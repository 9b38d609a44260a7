"""DataFusion's functions and operators (DataFusion's "SQL Reference": scalar, aggregate and
window functions).

Only what the engine has under these names and types: DataFusion spells SIGN as SIGNUM, has
no MOD function (the `%` operator), and its string functions take Utf8View. Where a result
would depend on something other than the arguments (the clock, randomness, the order rows
arrive in, how ties are broken), the signature says `deterministic=False`. Statistical
aggregates over floats are such too: DataFusion sums per partition and then merges, so the
plan decides the order of float additions, which cancellation can amplify.
"""

from __future__ import annotations

from fuzzer.functions import Library, agg, fn, op, respell, standard, win

OPERATORS = [
    *op("%", "int, lit:divisor -> int", "({0} % {1})"),
    *op("&", "int, int -> int", "({0} & {1})"),
    *op("|", "int, int -> int", "({0} | {1})"),
    *op(">>", "int, lit:bit_shift -> int", "({0} >> {1})"),
    *op("^@", "text, lit:text -> bool", "(STARTS_WITH({0}, {1}))"),
]

MATH = [
    *fn("SIGNUM", "float -> float"),
    *fn("TRUNC", "float -> float"),
    *fn("CBRT", "float -> float"),
    *fn("LOG2", "abs:float -> float", errors=("22",)),
    *fn("COT", "float -> float", errors=("22",)),
    *fn("SINH", "float -> float", errors=("22",)),
    *fn("COSH", "float -> float", errors=("22",)),
    *fn("TANH", "float -> float"),
    *fn("ISNAN", "float -> bool"),
    *fn("ISZERO", "float -> bool"),
    *fn("NANVL", "float, float -> float"),
    *fn("GCD", "int, int -> int", errors=("22",)),
    *fn("LCM", "int, int -> int", errors=("22",)),
    *fn("RANDOM", " -> float", deterministic=False),
]

STRING = [
    *fn("STRPOS", "text, lit:text -> int"),
    *fn("INITCAP", "text -> text"),
    *fn("BTRIM", "text -> text"),
    *fn("REPEAT", "text, lit:count -> text"),
    *fn("SPLIT_PART", "text, lit:sep, lit:pos -> text", errors=("22",)),
    *fn("TRANSLATE", "text, lit:text, lit:text -> text"),
    *fn("RPAD", "text, lit:len, lit:pad -> text"),
    *fn("CONCAT", "text, text -> text"),
    *fn("CONCAT_WS", "lit:sep, text, text -> text"),
    *fn("MD5", "text -> text"),
    *fn("ASCII", "text -> int"),
    *fn("TO_HEX", "int -> text"),
    *fn("STARTS_WITH", "text, lit:text -> bool"),
    *fn("ENDS_WITH", "text, lit:text -> bool"),
]

#: not of dates: NVL and IFNULL of two dates give text in DataFusion 55
COMPARISON = [
    *fn("NVL", "any, any -> any", families=("int", "text")),
    *fn("IFNULL", "any, any -> any", families=("int", "float", "numeric")),
]

AGGREGATES = [
    *agg("BIT_AND", "int -> int"),
    *agg("BIT_OR", "int -> int"),
    *agg("BIT_XOR", "int -> int"),
    *agg("MEDIAN", "numeric -> numeric"),
    *agg("MEDIAN", "int -> float"),  # the mean of the middle two: a Float64
    *(s for name in ("STDDEV", "VAR_SAMP", "VAR_POP", "STDDEV_POP")
      for s in agg(name, "int -> float")),
    *(s for name in ("STDDEV", "VAR_SAMP", "VAR_POP", "STDDEV_POP", "MEDIAN")
      for s in agg(name, "float -> float", deterministic=False)),
]

LIBRARY = Library(
    standard.PORTABLE,
    standard.MATH,
    standard.COMPARISON,
    standard.STRING,
    standard.STRING_EXTRA,
    respell(standard.DATETIME, {"DAY": "EXTRACT(DAY FROM {0})"}),
    standard.WINDOWS,
    standard.WINDOWS_EXTRA,
    standard.BOOL_AGGREGATES,
    standard.TRANSCENDENTAL,
    standard.PROMOTIONS,
    OPERATORS,
    MATH,
    STRING,
    COMPARISON,
    AGGREGATES,
    [*win("LAST_VALUE", "any -> any", deterministic=False, families=("float",))],
)
