"""The typed syntax tree shared by the generator, the dialect renderers and the oracles.

Nodes are frozen dataclasses: an oracle derives the queries of a metamorphic pair with
`dataclasses.replace`, so one side can never leak into the other (SQLancer's NoREC lost its
power to exactly that kind of shared mutable query object). The tree says what a statement
means; how it is spelled is the business of one renderer per dialect (`fuzzer.dialects`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import Literal as Lit

#: Spellings: ways the manual lets a construct be written that mean the same (`INNER JOIN` for
#: `JOIN`, `!=` for `<>`). A node's `spellings` names those the generator drew for it; a
#: renderer writes one only where its dialect's `Capabilities.spellings` has it, else the
#: plain form, so a tree renders in every dialect. The names:
SPELLINGS = (
    "SELECT ALL", "DISTINCTROW", "INNER JOIN", "OUTER JOIN", "UNION DISTINCT", "!=", "SOME",
    "LIMIT COMMA", "FROM DUAL", "&&", "||", "IF NOT EXISTS", "CONSTRAINT NAME", "TABLE UNIQUE",
    "TABLE CHECK", "RETURNING", "==", "ISNULL", "LIMIT ALL", "TEMPORARY VIEW",
)

# -- types -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SQLType:
    """A logical type; `kind` is one of the names below, `params` its length/precision/scale."""

    kind: str
    params: tuple[int, ...] = ()
    #: the type of an array's elements (kind "array") or a range's bounds (kind "range"); the
    #: family is the element's plus "[]" or "range" ("int[]", "daterange")
    element: SQLType | None = None

    def __str__(self) -> str:
        if self.element is not None:
            return f"{self.element}[]" if self.kind == "array" else f"{self.kind}<{self.element}>"
        return f"{self.kind}({', '.join(map(str, self.params))})" if self.params else self.kind


SMALLINT = SQLType("smallint")
INTEGER = SQLType("integer")
BIGINT = SQLType("bigint")
REAL = SQLType("real")
DOUBLE = SQLType("double")
TEXT = SQLType("text")
BOOLEAN = SQLType("boolean")
DATE = SQLType("date")
TIME = SQLType("time")
TIMESTAMP = SQLType("timestamp")
BLOB = SQLType("blob")
JSON = SQLType("json")
INTERVAL = SQLType("interval")
UUID = SQLType("uuid")
TIMESTAMPTZ = SQLType("timestamptz")  # an instant, shown in the session's time zone
ENUM = SQLType("enum")  # the database's enum type (Capabilities.enum_labels, CreateEnum)
NULLTYPE = SQLType("null")  # the type of an untyped NULL literal
HUGEINT = SQLType("hugeint")  # DuckDB's 128-bit integer
#: DuckDB's composite types, one shape each: STRUCT(a INTEGER, b VARCHAR), MAP(VARCHAR, INTEGER)
STRUCT = SQLType("struct")
MAP = SQLType("map")


# MySQL's types (DuckDB spells the unsigned integers the same: USMALLINT, UINTEGER, UBIGINT)
USMALLINT = SQLType("usmallint")
UINTEGER = SQLType("uinteger")
UBIGINT = SQLType("ubigint")
YEAR = SQLType("year")  # 1901..2155, an integer
STRING_ENUM = SQLType("string_enum")  # MySQL's ENUM: one of ENUM_MEMBERS, a string
SET = SQLType("set")  # a comma-separated subset of ENUM_MEMBERS, in their order
#: the members every ENUM and SET column has: distinct under any collation, no commas
ENUM_MEMBERS = ("a", "b", "c", "ab", "abc", "foo", "bar", "x y")


def bit(width: int) -> SQLType:
    """MySQL's BIT(n), an n-bit value (family bit): an integer in arithmetic and comparisons,
    a binary string when read (and MAX(b) gives its decimal digits as one)."""
    return SQLType("bit", (width,))


def timestamp(fsp: int) -> SQLType:
    """A timestamp with `fsp` digits of fractional seconds (MySQL's DATETIME(fsp))."""
    return SQLType("timestamp", (fsp,))


def time(fsp: int) -> SQLType:
    return SQLType("time", (fsp,))


def numeric(precision: int, scale: int) -> SQLType:
    return SQLType("numeric", (precision, scale))


def array(element: SQLType) -> SQLType:
    """A one-dimensional array (PostgreSQL) or list (DuckDB) of `element` values."""
    return SQLType("array", element=element)


def range_of(element: SQLType) -> SQLType:
    """A range of `element` values (PostgreSQL's int4range, daterange, ...)."""
    return SQLType("range", element=element)


def varchar(length: int) -> SQLType:
    return SQLType("varchar", (length,))


def char(length: int) -> SQLType:
    return SQLType("char", (length,))


INTEGER_KINDS = frozenset({"smallint", "integer", "bigint"})
NUMERIC_KINDS = INTEGER_KINDS | {"numeric", "real", "double"}
STRING_KINDS = frozenset({"text", "varchar", "char"})


# -- expressions -----------------------------------------------------------------------------


class Expr:
    """Base of every expression node."""


@dataclass(frozen=True)
class Literal(Expr):
    value: Any  # None is NULL
    type: SQLType


@dataclass(frozen=True)
class ColumnRef(Expr):
    table: str | None
    name: str


@dataclass(frozen=True)
class Star(Expr):
    """`*` or `t.*`; DuckDB's `* EXCLUDE (c)` and `* REPLACE (e AS c)` change what it expands to."""

    table: str | None = None
    exclude: tuple[str, ...] = ()
    replace: tuple[SelectItem, ...] = ()


@dataclass(frozen=True)
class Unary(Expr):
    op: str  # "NOT", "-", "+"
    operand: Expr


@dataclass(frozen=True)
class Binary(Expr):
    op: str  # "AND", "OR", "=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "||"
    left: Expr
    right: Expr
    spellings: tuple[str, ...] = ()  # `!=` for `<>`, MariaDB's `&&` and `||` (see SPELLINGS)


@dataclass(frozen=True)
class IsNull(Expr):
    operand: Expr
    negated: bool = False
    spellings: tuple[str, ...] = ()  # postfix ISNULL, NOTNULL


@dataclass(frozen=True)
class IsTruth(Expr):
    """`x IS [NOT] TRUE|FALSE|UNKNOWN`; `value` None means UNKNOWN."""

    operand: Expr
    value: bool | None
    negated: bool = False


@dataclass(frozen=True)
class IsDistinctFrom(Expr):
    left: Expr
    right: Expr
    negated: bool = False


@dataclass(frozen=True)
class Between(Expr):
    operand: Expr
    low: Expr
    high: Expr
    negated: bool = False


@dataclass(frozen=True)
class InList(Expr):
    operand: Expr
    items: tuple[Expr, ...]
    negated: bool = False


@dataclass(frozen=True)
class InQuery(Expr):
    operand: Expr
    query: Query
    negated: bool = False


@dataclass(frozen=True)
class Exists(Expr):
    query: Query
    negated: bool = False


@dataclass(frozen=True)
class Quantified(Expr):
    """`left op ANY|ALL (query)`."""

    left: Expr
    op: str
    quantifier: Lit["ANY", "ALL"]
    query: Query
    spellings: tuple[str, ...] = ()  # SOME for ANY


@dataclass(frozen=True)
class ScalarQuery(Expr):
    query: Query


@dataclass(frozen=True)
class Like(Expr):
    operand: Expr
    pattern: Expr
    op: str = "LIKE"  # "LIKE", "ILIKE", "GLOB", "REGEXP"
    negated: bool = False


@dataclass(frozen=True)
class Case(Expr):
    operand: Expr | None
    whens: tuple[tuple[Expr, Expr], ...]
    default: Expr | None = None


@dataclass(frozen=True)
class Cast(Expr):
    operand: Expr
    type: SQLType
    #: spelled `x::type`, where the dialect has that shorthand (PostgreSQL, DuckDB)
    shorthand: bool = False


@dataclass(frozen=True)
class Parameter(Expr):
    """The `index`-th parameter (from 1) of a prepared statement, bound when it executes."""

    index: int


@dataclass(frozen=True)
class Func(Expr):
    """A scalar function call by its portable name; renderers map names per dialect."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Aggregate(Expr):
    name: str  # "COUNT", "SUM", "AVG", "MIN", "MAX", "STRING_AGG", ...
    args: tuple[Expr, ...]  # empty for COUNT(*)
    distinct: bool = False
    filter: Expr | None = None
    order_by: tuple[OrderItem, ...] = ()


@dataclass(frozen=True)
class Frame:
    unit: Lit["ROWS", "RANGE", "GROUPS"]
    start: str  # "UNBOUNDED PRECEDING", "1 PRECEDING", "CURRENT ROW", ...
    end: str | None = None
    exclude: Lit["CURRENT ROW", "GROUP", "TIES", "NO OTHERS"] | None = None


@dataclass(frozen=True)
class Window(Expr):
    """`f OVER (...)`; `base` names a WINDOW-clause window it refines (`OVER (w frame)`), or
    that it is (`OVER w`) when nothing else is given."""

    function: Func | Aggregate
    partition_by: tuple[Expr, ...] = ()
    order_by: tuple[OrderItem, ...] = ()
    frame: Frame | None = None
    base: str | None = None


# -- relations and queries -------------------------------------------------------------------


class Relation:
    """Base of what can stand in a FROM clause."""


@dataclass(frozen=True)
class TableRef(Relation):
    name: str
    alias: str | None = None
    hint: IndexHint | None = None


@dataclass(frozen=True)
class DerivedTable(Relation):
    query: Query
    alias: str
    lateral: bool = False
    columns: tuple[str, ...] = ()  # `AS alias (x, y)`: the derived table's column names


@dataclass(frozen=True)
class Join(Relation):
    """SEMI, ANTI (only the left side's columns), ASOF (nearest match), POSITIONAL (by row
    number) are DuckDB's; STRAIGHT is MariaDB's STRAIGHT_JOIN (an inner join, left first)."""

    kind: Lit["INNER", "LEFT", "RIGHT", "FULL", "CROSS", "SEMI", "ANTI", "ASOF", "POSITIONAL",
              "STRAIGHT"]
    left: Relation
    right: Relation
    on: Expr | None = None
    using: tuple[str, ...] = ()
    natural: bool = False
    spellings: tuple[str, ...] = ()  # INNER JOIN, LEFT OUTER JOIN


@dataclass(frozen=True)
class SelectItem:
    expr: Expr
    alias: str | None = None


@dataclass(frozen=True)
class OrderItem:
    expr: Expr
    descending: bool = False
    nulls: Lit["FIRST", "LAST"] | None = None


class Query:
    """Base of SELECT, set operations and WITH."""


@dataclass(frozen=True)
class Select(Query):
    items: tuple[SelectItem, ...]
    from_: tuple[Relation, ...] = ()
    where: Expr | None = None
    group_by: tuple[Expr, ...] = ()
    having: Expr | None = None
    distinct: bool = False
    distinct_on: tuple[Expr, ...] = ()
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    fetch: Fetch | None = None  # the limit spelled `FETCH FIRST limit ROWS ONLY|WITH TIES`
    group_distinct: bool = False  # GROUP BY DISTINCT: each grouping set once
    windows: tuple[NamedWindow, ...] = ()  # the WINDOW clause
    qualify: Expr | None = None  # DuckDB: a filter on window functions' results
    modifiers: tuple[str, ...] = ()  # MariaDB: STRAIGHT_JOIN, SQL_SMALL_RESULT, ...
    spellings: tuple[str, ...] = ()  # SELECT ALL, DISTINCTROW, LIMIT n, m, FROM DUAL


@dataclass(frozen=True)
class SetOp(Query):
    op: Lit["UNION", "INTERSECT", "EXCEPT"]
    left: Query
    right: Query
    all: bool = False
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    fetch: Fetch | None = None
    by_name: bool = False  # DuckDB: UNION BY NAME matches the sides' columns by name
    spellings: tuple[str, ...] = ()  # UNION DISTINCT, LIMIT n, m


@dataclass(frozen=True)
class CTE:
    name: str
    query: Query
    columns: tuple[str, ...] = ()
    materialized: bool | None = None  # AS [NOT] MATERIALIZED; None: the planner decides


@dataclass(frozen=True)
class With(Query):
    ctes: tuple[CTE, ...]
    body: Query
    recursive: bool = False


# -- SELECT clauses beyond the core: what each dialect's manual adds ------------------------

Fetch = Lit["ONLY", "WITH TIES"]


@dataclass(frozen=True)
class Row(Expr):
    """A row value `(a, b)`, spelled `ROW(a, b)` with `keyword`: compared element by element."""

    items: tuple[Expr, ...]
    keyword: bool = False


@dataclass(frozen=True)
class GroupingSets(Expr):
    """A GROUP BY element: ROLLUP (a, b), CUBE (a, b) or GROUPING SETS ((a), (a, b), ()).

    Each member is a tuple of expressions: one is a column, several a composite `(a, b)`; for
    GROUPING SETS a member is a set, and () is the grand total."""

    kind: Lit["ROLLUP", "CUBE", "GROUPING SETS"]
    members: tuple[tuple[Expr, ...], ...]


@dataclass(frozen=True)
class Grouping(Expr):
    """GROUPING(k, ...) over keys of a rolled-up GROUP BY: bit i is 1 where the row's grouping
    set left key i out."""

    keys: tuple[Expr, ...]


@dataclass(frozen=True)
class AllColumns(Expr):
    """DuckDB's `GROUP BY ALL` (every item without an aggregate) and `ORDER BY ALL`."""


@dataclass(frozen=True)
class NamedWindow:
    """`WINDOW name AS (PARTITION BY ... ORDER BY ...)`, for `OVER name` to use."""

    name: str
    partition_by: tuple[Expr, ...] = ()
    order_by: tuple[OrderItem, ...] = ()


@dataclass(frozen=True)
class IndexHint:
    """How a table reference tells the planner which indexes to use: SQLite's NOT INDEXED and
    INDEXED BY i, MariaDB's USE/FORCE/IGNORE INDEX (i, ...)."""

    kind: Lit["NOT INDEXED", "INDEXED BY", "USE", "FORCE", "IGNORE"]
    indexes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Values(Query):
    """`VALUES (1, 'a'), (2, 'b')`: a query, a set operand, or (in a DerivedTable) a table."""

    rows: tuple[tuple[Expr, ...], ...]


@dataclass(frozen=True)
class TableQuery(Query):
    """`TABLE t`: every row and column of a table."""

    name: str


# -- statements ------------------------------------------------------------------------------


class Statement:
    """Base of everything that changes the database state."""


@dataclass(frozen=True)
class ColumnDef:
    name: str
    type: SQLType
    not_null: bool = False
    primary_key: bool = False
    unique: bool = False
    default: Expr | None = None
    check: Expr | None = None
    collate: str | None = None
    generated: Generated | None = None


@dataclass(frozen=True)
class CreateTable(Statement):
    name: str
    columns: tuple[ColumnDef, ...]
    primary_key: tuple[str, ...] = ()  # a table-level, possibly multi-column key
    unique: tuple[tuple[str, ...], ...] = ()
    checks: tuple[Expr, ...] = ()
    persistence: str | None = None  # "TEMPORARY", "UNLOGGED"
    foreign_keys: tuple[ForeignKey, ...] = ()
    #: the dialect's table options as it spells them (`STRICT`, `ENGINE=Aria`, `fillfactor=70`)
    options: tuple[str, ...] = ()
    partition_by: PartitionBy | None = None
    spellings: tuple[str, ...] = ()  # IF NOT EXISTS, named and table-level constraints


@dataclass(frozen=True)
class CreateEnum(Statement):
    """CREATE TYPE name AS ENUM (labels): its values order as the labels are listed."""

    name: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class CreateIndex(Statement):
    name: str
    table: str
    exprs: tuple[Expr | IndexItem, ...]
    unique: bool = False
    where: Expr | None = None
    method: str | None = None  # USING btree, hash, gin, gist, brin (PostgreSQL), HASH (MariaDB)
    spellings: tuple[str, ...] = ()  # IF NOT EXISTS


@dataclass(frozen=True)
class CreateView(Statement):
    name: str
    query: Query
    columns: tuple[str, ...] = ()
    spellings: tuple[str, ...] = ()  # TEMPORARY VIEW: the session's, the same to its queries


@dataclass(frozen=True)
class Insert(Statement):
    table: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Expr, ...], ...]
    conflict: OnConflict | None = None
    spellings: tuple[str, ...] = ()  # RETURNING *


@dataclass(frozen=True)
class Update(Statement):
    table: str
    assignments: tuple[tuple[str, Expr], ...]
    where: Expr | None = None


@dataclass(frozen=True)
class Delete(Statement):
    table: str
    where: Expr | None = None
    spellings: tuple[str, ...] = ()  # RETURNING *


@dataclass(frozen=True)
class Maintenance(Statement):
    """ANALYZE, VACUUM, OPTIMIZE: statements that change plans, not answers."""

    kind: str
    table: str | None = None


# -- database states: table options, partitions, index items, upserts, statistics ------------
# (issue 10, item 5: what real schemas have, beyond columns, keys and rows)


@dataclass(frozen=True)
class Generated:
    """`GENERATED ALWAYS AS (expr) kind`: kind is VIRTUAL, STORED or PERSISTENT (MariaDB)."""

    expr: Expr
    kind: str = "STORED"


@dataclass(frozen=True)
class ForeignKey:
    """`FOREIGN KEY (column) REFERENCES table (references) [ON DELETE action]`."""

    column: str
    table: str
    references: str
    on_delete: str | None = None  # "CASCADE", "SET NULL"


@dataclass(frozen=True)
class Partition:
    """One partition. RANGE: from `low` to `high` (None: unbounded); LIST: `values`; HASH:
    remainder `low` of modulus `high`; `default` takes the rows no other partition takes."""

    name: str
    low: Expr | None = None
    high: Expr | None = None
    values: tuple[Expr, ...] = ()
    default: bool = False


@dataclass(frozen=True)
class PartitionBy:
    kind: Lit["RANGE", "LIST", "HASH", "KEY"]
    column: str
    partitions: tuple[Partition, ...] = ()  # empty for HASH/KEY by count
    count: int = 0  # HASH/KEY ... PARTITIONS count


@dataclass(frozen=True)
class CreatePartition(Statement):
    """PostgreSQL's `CREATE TABLE name PARTITION OF table FOR VALUES ...` (or DEFAULT)."""

    name: str
    table: str
    kind: str
    partition: Partition


@dataclass(frozen=True)
class IndexItem:
    """An index key part with what only indexes say about it: order, collation, prefix."""

    expr: Expr
    descending: bool | None = None  # None: neither ASC nor DESC is written
    collate: str | None = None
    prefix: int | None = None  # MariaDB: index the first n characters


@dataclass(frozen=True)
class Excluded(Expr):
    """In an upsert's UPDATE: the value the conflicting row would have inserted."""

    name: str


@dataclass(frozen=True)
class OnConflict:
    """What an INSERT does with a row whose key is taken. `form` is the dialect's statement
    form: "DO NOTHING", "DO UPDATE" (ON CONFLICT), "OR IGNORE", "OR REPLACE", "REPLACE",
    "IGNORE", "ON DUPLICATE KEY UPDATE"."""

    form: str
    target: tuple[str, ...] = ()
    assignments: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True)
class InsertSelect(Statement):
    table: str
    columns: tuple[str, ...]
    query: Query


@dataclass(frozen=True)
class Analyze(Statement):
    """ANALYZE with options: `columns` to analyze only those, `options` the dialect's words
    (PostgreSQL SKIP_LOCKED, VERBOSE; MariaDB PERSISTENT)."""

    table: str | None
    columns: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreateStatistics(Statement):
    """PostgreSQL extended statistics over several columns."""

    name: str
    table: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...] = ()  # ndistinct, dependencies, mcv; empty: all


@dataclass(frozen=True)
class SetStatistics(Statement):
    """`ALTER TABLE t ALTER COLUMN c SET STATISTICS n` or `SET (n_distinct = n)`."""

    table: str
    column: str
    target: int | None = None
    n_distinct: float | None = None


@dataclass(frozen=True)
class Setting(Statement):
    """A session setting the planner or the constraints read: PRAGMA, SET SESSION."""

    name: str
    value: str
