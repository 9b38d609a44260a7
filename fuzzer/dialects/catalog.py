"""Type names as engines' catalogs spell them, read back as the generator's logical types.

`read_schema` lets the generator target a database it did not create; each dialect parses
its catalog's type names with `Dialect.parse_type`. The rules below hold every engine's
spellings: SQLite keeps a column's declared type as written, so it may meet any of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fuzzer import ast as A

#: A pattern searched in the lower-cased catalog name, and the type a match stands for.
TypeRule = tuple[re.Pattern[str], Callable[[re.Match[str]], A.SQLType | None]]


def _rules(*rules: tuple[str, Callable[[re.Match[str]], A.SQLType | None]]) -> tuple[TypeRule, ...]:
    return tuple((re.compile(pattern), make) for pattern, make in rules)


#: The spellings of the four engines' catalogs. The first match wins: order matters
#: (datetime before date, bigint before int, interval before int). `int` starts a word or
#: follows the prefixes engines put before it (MySQL's mediumint, DuckDB's uinteger), so
#: that `point` is no integer.
CATALOG_TYPES = _rules(
    (r"^struct\(a integer, b varchar\)$", lambda m: A.STRUCT),  # the one shape generated
    (r"^map\(varchar, integer\)$", lambda m: A.MAP),
    (r"^(?:struct|map|union)\(", lambda m: None),  # another shape: skipped
    (r"^enum\(", lambda m: A.STRING_ENUM),  # first: a member may read like a type name
    (r"^set\(", lambda m: A.SET),
    (r"tinyint\(1\)|^bool", lambda m: A.BOOLEAN),
    (r"smallint.*unsigned|usmallint", lambda m: A.USMALLINT),
    (r"bigint.*unsigned|ubigint", lambda m: A.UBIGINT),
    (r"int.*unsigned|uinteger", lambda m: A.UINTEGER),
    (r"^year", lambda m: A.YEAR),
    (r"^bit\((\d+)\)", lambda m: A.bit(int(m.group(1)))),
    (r"smallint|int2\b", lambda m: A.SMALLINT),
    (r"int4range", lambda m: A.range_of(A.INTEGER)),
    (r"daterange", lambda m: A.range_of(A.DATE)),
    (r"^hugeint", lambda m: A.HUGEINT),
    (r"bigint|int8\b|hugeint", lambda m: A.BIGINT),
    (r"timestamp(?:\(\d\))? with time zone|timestamptz", lambda m: A.TIMESTAMPTZ),
    (r"interval", lambda m: A.INTERVAL),
    (r"(?:^|[^a-z]|tiny|medium|u)int", lambda m: A.INTEGER),
    (r"(?:numeric|decimal)\s*\((\d+)\s*,\s*(\d+)\)", lambda m: A.numeric(*map(int, m.groups()))),
    (r"numeric|decimal", lambda m: A.numeric(18, 4)),
    (r"double|float8", lambda m: A.DOUBLE),
    (r"real|float", lambda m: A.REAL),
    (r"(?:character varying|varchar)\s*\((\d+)\)", lambda m: A.varchar(int(m.group(1)))),
    (r"(?:character|char|bpchar)\s*\((\d+)\)", lambda m: A.char(int(m.group(1)))),
    (r"text|char|string|clob", lambda m: A.TEXT),
    (r"(?:timestamp|datetime)\((\d)\)", lambda m: A.timestamp(int(m.group(1)))),
    (r"timestamp|datetime", lambda m: A.TIMESTAMP),
    (r"date", lambda m: A.DATE),
    (r"^time\((\d)\)", lambda m: A.time(int(m.group(1)))),
    (r"time", lambda m: A.TIME),
    (r"bytea|blob|binary", lambda m: A.BLOB),
    (r"json", lambda m: A.JSON),
    (r"uuid", lambda m: A.UUID),
    (r"^mood$", lambda m: A.ENUM),  # the generator's enum type (fuzzer.generator.state)
)

#: The provisional type of a column declared without one; sampling its values replaces it.
UNTYPED = A.SQLType("untyped")


def parse(rules: tuple[TypeRule, ...], name: str) -> A.SQLType | None:
    """The type the first matching rule gives, or None for a type the generator skips."""
    lowered = name.lower()
    if lowered.endswith("[]"):  # an array of the element type the rest names
        element = parse(rules, name[:-2])
        return A.array(element) if element is not None else None
    for pattern, make in rules:
        m = pattern.search(lowered)
        if m:
            return make(m)
    return None
