"""What a dialect lets the generator emit: one frozen object per dialect, narrowed by options.

Like sqlglot's block of `SUPPORTS_*` flags per dialect, each capability is declared once, here,
with its type, its standard value (what most engines accept) and how the generator's options
narrow it: portable mode keeps only what every dialect means alike, deterministic mode only
what has one right answer. A dialect module declares one `Capabilities(...)` that names only
what its engine does differently, and `narrowed()` applies the rules generically. A new
capability is therefore a field here, its value in the dialects that differ, and its use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from fuzzer import ast as A

#: Every family of types the generator reasons about; a dialect lists those it has.
FAMILIES = (
    "int", "numeric", "float", "text", "bool", "date", "time", "timestamp",
    "blob", "json", "interval", "uuid",
)  # fmt: skip

#: The column types most dialects spell the standard way, by family: a dialect adds its own
#: families and overrides what it spells or supports differently.
STANDARD_TYPES: Mapping[str, tuple[A.SQLType, ...]] = {
    "int": (A.SMALLINT, A.INTEGER, A.BIGINT),
    "numeric": (A.numeric(10, 2), A.numeric(18, 4)),
    "float": (A.REAL, A.DOUBLE),
    "text": (A.TEXT, A.varchar(16), A.char(4)),
    "bool": (A.BOOLEAN,),
    "date": (A.DATE,),
    "time": (A.TIME,),
    "timestamp": (A.TIMESTAMP,),
    "blob": (A.BLOB,),
}

#: The one type per portable family whose values mean the same everywhere: no CHAR(n)
#: padding (PostgreSQL pads, SQLite does not), no VARCHAR(n) limit (PostgreSQL enforces it,
#: SQLite does not), no SMALLINT overflow (PostgreSQL raises it, SQLite has no such width).
#: target family -> source families: conversions that succeed for every value we make
STANDARD_CASTS: Mapping[str, tuple[str, ...]] = {
    "int": ("bool", "int"),
    "numeric": ("int",),
    "float": ("int", "numeric"),
    "text": ("int", "text", "date"),
    "date": ("timestamp", "date"),
}

#: the name of the enum type a database gets where the dialect has one (`enum_labels`)
ENUM_TYPE = "mood"

PORTABLE_TYPES: Mapping[str, tuple[A.SQLType, ...]] = {"int": (A.INTEGER,), "text": (A.TEXT,)}


# -- how an option narrows a capability ------------------------------------------------------


@dataclass(frozen=True)
class To:
    """The capability becomes this value: the mode forbids the construct outright."""

    value: Any

    def __call__(self, value: Any, caps: Capabilities) -> Any:
        return self.value


@dataclass(frozen=True)
class Keep:
    """Only these items stay (of a tuple, or the keys of a mapping), in their declared order."""

    items: tuple[Any, ...]

    def __call__(self, value: Any, caps: Capabilities) -> Any:
        if isinstance(value, Mapping):
            return {k: v for k, v in value.items() if k in self.items}
        return tuple(v for v in value if v in self.items)


@dataclass(frozen=True)
class Drop:
    """These items go (of a tuple), the others stay in their declared order."""

    items: tuple[Any, ...]

    def __call__(self, value: Any, caps: Capabilities) -> Any:
        return tuple(v for v in value if v not in self.items)


@dataclass(frozen=True)
class Requires:
    """A flag that stays set only when another capability of the same dialect is set too."""

    other: str

    def __call__(self, value: Any, caps: Capabilities) -> Any:
        return value and getattr(caps, self.other)


Narrowing = To | Keep | Drop | Requires


def capability(
    default: Any, *, portable: Narrowing | None = None, deterministic: Narrowing | None = None
) -> Any:
    """A capability field: its standard value and what each mode makes of it."""
    rules = {"portable": portable, "deterministic": deterministic}
    metadata = {mode: rule for mode, rule in rules.items() if rule is not None}
    if isinstance(default, Mapping):
        return field(default_factory=lambda: default, metadata=metadata)
    return field(default=default, metadata=metadata)


#: the spellings every dialect has (see `ast.SPELLINGS`)
STANDARD_SPELLINGS = ("SELECT ALL", "INNER JOIN", "OUTER JOIN", "!=", "IF NOT EXISTS",
                      "CONSTRAINT NAME", "TABLE UNIQUE", "TABLE CHECK")  # fmt: skip


# -- the capabilities --------------------------------------------------------------------------


@dataclass(frozen=True)
class Capabilities:
    """What a dialect's engine accepts, with the standard as defaults (see the module doc)."""

    #: type families of columns and expressions
    families: tuple[str, ...] = capability(
        ("int", "numeric", "float", "text", "bool", "date"), portable=Keep(("int", "text"))
    )
    #: concrete column types per family
    column_types: Mapping[str, tuple[A.SQLType, ...]] = capability(
        STANDARD_TYPES, portable=To(PORTABLE_TYPES)
    )
    #: kinds of types no key or index may cover
    unkeyed_kinds: tuple[str, ...] = capability(("json",))
    #: GROUP BY keys have distinct column names: MariaDB 10.11 rejects HAVING t.c as an
    #: unknown column when GROUP BY has t.c and u.c
    unique_key_names: bool = capability(False)
    #: NaN and +-Infinity are values of float columns (portable has no float columns)
    float_specials: bool = capability(False)
    #: join kinds; FULL and RIGHT pad NULLs differently in engines without them natively
    joins: tuple[str, ...] = capability(
        ("INNER", "LEFT", "RIGHT", "FULL", "CROSS"),
        portable=Keep(("INNER", "LEFT", "CROSS")),
        # an ASOF match among ties and a POSITIONAL pairing follow the engine's row order
        deterministic=Drop(("ASOF", "POSITIONAL")),
    )
    #: NATURAL JOIN
    natural_join: bool = capability(True, portable=To(False))
    #: LATERAL derived tables
    lateral: bool = capability(False, portable=To(False))
    #: SELECT DISTINCT ON (...)
    distinct_on: bool = capability(False, portable=To(False))
    #: aggregate(...) FILTER (WHERE ...)
    aggregate_filter: bool = capability(False, portable=To(False))
    #: ORDER BY ... NULLS FIRST|LAST
    nulls_order: bool = capability(True, portable=To(False))
    #: set operations as (operator, ALL); portable keeps those whose duplicates all agree on
    set_ops: tuple[tuple[str, bool], ...] = capability(
        (("UNION", False), ("UNION", True), ("INTERSECT", False), ("INTERSECT", True),
         ("EXCEPT", False), ("EXCEPT", True)),
        portable=Keep((("UNION", False), ("UNION", True), ("INTERSECT", False),
                       ("EXCEPT", False))),
    )  # fmt: skip
    #: EXISTS, IN and ANY/ALL over a subquery as predicates (DataFusion plans them only
    #: where it can rewrite them into joins, and "does not support" them elsewhere)
    subquery_predicates: bool = capability(True)
    #: a scalar subquery that may read the outer query's columns may also be a query under
    #: ORDER BY ... LIMIT 1, not only an aggregate (DataFusion decorrelates only aggregates)
    limited_scalar_correlation: bool = capability(True)
    #: a scalar subquery may read the enclosing row through any term (`<>`, `<`, IS NULL, IS
    #: NOT DISTINCT FROM, outer columns in its predicate or aggregate); without, only through
    #: `inner = outer` (DataFusion decorrelates no other: "Physical plan does not support
    #: logical expression ScalarSubquery")
    general_scalar_correlation: bool = capability(True)
    #: x = ANY (SELECT ...) and ALL
    quantified_subquery: bool = capability(True, portable=To(False))
    #: ORDER BY and LIMIT inside IN, ANY and ALL subqueries (MariaDB: "This version of
    #: MariaDB doesn't yet support 'LIMIT & IN/ALL/ANY/SOME subquery'")
    limit_in_subquery: bool = capability(True)
    #: a set operation of set operations that reads an enclosing query's columns (MariaDB:
    #: "Unknown column" for an outer reference inside the nested parentheses)
    correlated_nested_set_ops: bool = capability(True)
    #: families whose equal values are identical (no 'a' = 'a ', -0.0 = 0.0, 2.5 = 2.50,
    #: '1 day' = '24 hours'): a LIMIT under an order of such columns keeps the same rows
    #: whatever the plan, so deterministic mode limits only those
    tie_free: tuple[str, ...] = capability(
        ("int", "bool", "date", "time", "timestamp", "uuid", "text")
    )
    #: pattern operators; portable has none, as SQLite's LIKE ignores ASCII case
    like_ops: tuple[str, ...] = capability(("LIKE",), portable=To(()))
    #: window frame units
    frame_units: tuple[str, ...] = capability(("ROWS", "RANGE"), portable=Drop(("GROUPS",)))
    #: CAST(x AS t); engines convert differently, so portable has none
    casts: bool = capability(True, portable=To(False))
    #: the explicit casts the generator writes, by target family (see STANDARD_CASTS)
    cast_sources: Mapping[str, tuple[str, ...]] = capability(STANDARD_CASTS)
    #: (source, target) families whose cast reads a session setting (DateStyle, TimeZone):
    #: no generated column or index key makes them
    unstable_casts: tuple[tuple[str, str], ...] = capability(())
    #: `x::type` as well as CAST(x AS type)
    cast_shorthand: bool = capability(False, portable=To(False))
    #: STRING_AGG in the dialect's spelling; deterministic only where it can be ordered
    string_aggregate: bool = capability(
        True, portable=To(False), deterministic=Requires("string_agg_order")
    )
    #: STRING_AGG(x, sep ORDER BY ...): without it the result depends on the row order
    string_agg_order: bool = capability(True)
    #: the ordered aggregates of one query may each order by their own key; without, each
    #: one's ORDER BY extends the one before it, so that all are prefixes of the longest
    #: (DataFusion: "Conflicting ordering requirements in aggregate functions")
    independent_aggregate_orders: bool = capability(True)
    #: collation names for COLLATE, each engine's own
    collations: tuple[str, ...] = capability((), portable=To(()))
    #: the labels of an enum type the database gets, in their order (CREATE TYPE ... AS ENUM);
    #: its columns are of family "enum"
    enum_labels: tuple[str, ...] = capability((), portable=To(()))
    #: CREATE INDEX at all (DataFusion has no indexes)
    indexes: bool = capability(True)
    #: CHECK constraints, on columns and tables (DataFusion: "not currently supported")
    checks: bool = capability(True)
    #: CREATE INDEX ... WHERE
    partial_index: bool = capability(False, portable=To(False))
    #: CREATE INDEX on expressions, not only columns
    expression_index: bool = capability(False, portable=To(False))
    #: maintenance statement -> whether it names a table
    maintenance: Mapping[str, bool] = capability({"ANALYZE": True}, portable=Keep(("ANALYZE",)))
    #: numeric / numeric is numeric (DuckDB divides decimals as doubles)
    numeric_division: bool = capability(True)
    #: implicit conversions (issue 10, item 3): family -> the families its values compare
    #: with, the engine converting one side; portable mode has none (engines convert apart)
    implicit_comparisons: Mapping[str, tuple[str, ...]] = capability({}, portable=To({}))
    #: families whose values compare with a string literal spelling one ('2000-01-01')
    string_literal_casts: tuple[str, ...] = capability((), portable=To(()))
    #: family -> the families an arithmetic operand of it may have (promoted to it)
    implicit_arithmetic: Mapping[str, tuple[str, ...]] = capability({}, portable=To({}))

    # -- SELECT clauses beyond the core (each dialect's manual) ----------------------------------

    #: GROUP BY elements: "ROLLUP", "CUBE", "GROUPING SETS"
    grouping_sets: tuple[str, ...] = capability((), portable=To(()))
    #: grouping elements beside plain keys and composite members `(a, b)`; without, only the
    #: whole key list rolls up (MariaDB's `GROUP BY a, b WITH ROLLUP`)
    grouping_mixed: bool = capability(True)
    #: a composite member of ROLLUP and CUBE, `ROLLUP ((a, b))` (DataFusion: "Tuple
    #: expressions are not supported for Rollup expressions")
    grouping_composites: bool = capability(True)
    #: ORDER BY in a query whose GROUP BY rolls up (MariaDB: "Incorrect usage of ... ORDER BY")
    grouping_order_by: bool = capability(True)
    #: a rolled-up key column may be selected twice (MariaDB 10.11 sets only the first copy to
    #: NULL in super-aggregate rows; the other shows some row's value)
    rollup_repeated_keys: bool = capability(True)
    #: grouping elements in a view's query (MariaDB 10.11 stores a rolled-up view over a
    #: self-join with its columns unqualified: reading it fails with "Column ... is ambiguous")
    grouping_in_views: bool = capability(True)
    #: GROUPING(k, ...): which keys a grouping set left out
    grouping_function: bool = capability(False, portable=To(False))
    #: GROUP BY DISTINCT (PostgreSQL)
    group_by_distinct: bool = capability(False, portable=To(False))
    #: GROUP BY ALL and ORDER BY ALL (DuckDB)
    by_all: bool = capability(False, portable=To(False))
    #: the operators a row value `(a, b)` may be compared with
    row_comparisons: tuple[str, ...] = capability(
        ("=", "<>", "<", "<=", ">", ">="), portable=To(())
    )
    #: row values where no subquery may stand (index keys): DuckDB takes a row for a struct
    #: and refuses it there ("Index keys cannot contain lambda functions")
    row_keys: bool = capability(True)
    #: `ROW(a, b)` spelling
    row_keyword: bool = capability(False)
    #: `(a, b) IN ((1, 2), ...)`
    row_in_list: bool = capability(True)
    #: `(a, b) IN (SELECT x, y ...)`
    row_in_subquery: bool = capability(True)
    #: a row IN subquery that reads the outer query's columns (DuckDB: "Correlated IN/ANY/ALL
    #: with multiple columns not yet supported")
    row_in_correlated: bool = capability(True)
    #: `(a, b) BETWEEN (..) AND (..)`
    row_between: bool = capability(True)
    #: VALUES as a query, a set operand and a derived table
    values_query: bool = capability(True, portable=To(False))
    #: a set operation ending in VALUES takes ORDER BY and LIMIT (SQLite: a syntax error)
    values_order_by: bool = capability(True)
    #: VALUES names its columns by its first row's values, so in a subquery they must differ
    values_first_row_names: bool = capability(False)
    #: EXISTS over a set operation one of whose arms is VALUES or `SELECT *` (MariaDB 10.11:
    #: its EXISTS rewrite shortens only the listed SELECT arms, "The used SELECT statements
    #: have a different number of columns")
    exists_unlisted_arm: bool = capability(True)
    #: `(...) AS d (x, y)`: column names for a derived table
    derived_columns: bool = capability(True)
    #: window frame EXCLUDE options
    frame_exclude: tuple[str, ...] = capability(
        ("CURRENT ROW", "GROUP", "TIES", "NO OTHERS"), portable=To(())
    )
    #: the WINDOW clause and `OVER w`, `OVER (w frame)`
    named_windows: bool = capability(True, portable=To(False))
    #: RANGE and GROUPS frames after a named window, `OVER (w GROUPS 1 PRECEDING)` (DataFusion
    #: checks such a frame without the named window's ORDER BY: "GROUPS requires an ORDER BY")
    named_window_frames: bool = capability(True)
    #: SUM and AVG of integers widen or raise, never wrap: DataFusion's wrap modulo 2^64 on
    #: overflow (its documented behaviour), so TLP compares no sums or averages there
    exact_integer_sums: bool = capability(True)
    #: WITH w AS [NOT] MATERIALIZED (...)
    cte_materialized: bool = capability(False, portable=To(False))
    #: UNION [ALL] BY NAME (DuckDB)
    union_by_name: bool = capability(False, portable=To(False))
    #: QUALIFY (DuckDB)
    qualify: bool = capability(False, portable=To(False))
    #: `* EXCLUDE (c)`, `* REPLACE (e AS c)` (DuckDB)
    star_modifiers: bool = capability(False, portable=To(False))
    #: FETCH FIRST n ROWS ONLY / WITH TIES
    fetch: tuple[str, ...] = capability((), portable=To(()))
    #: `TABLE t` as a query
    table_query: bool = capability(False, portable=To(False))
    #: index hints a table reference may carry: "NOT INDEXED", "INDEXED BY", "USE", "FORCE",
    #: "IGNORE"; all but NOT INDEXED and USE name indexes
    index_hints: tuple[str, ...] = capability((), portable=To(()))
    #: SELECT modifiers that change plans, not answers (MariaDB's STRAIGHT_JOIN, SQL_*)
    select_modifiers: tuple[str, ...] = capability((), portable=To(()))
    #: the spellings the manual allows beside the plain one (`ast.SPELLINGS`): drawn per node,
    #: written only where declared; they change no meaning, so portable mode keeps them
    spellings: tuple[str, ...] = capability(STANDARD_SPELLINGS)
    #: unary `+` on numbers (SQLite: it also strips a column's affinity, so portable has none)
    unary_plus: bool = capability(True, portable=To(False))
    # -- database states (issue 10, item 5); portable states stay plain: both engines of a
    # differential must build the same state
    #: CREATE TABLE options as the dialect spells them; each is drawn on its own
    table_options: tuple[str, ...] = capability((), portable=To(()))
    #: table options that need a PRIMARY KEY (SQLite's WITHOUT ROWID)
    keyed_table_options: tuple[str, ...] = capability(())
    #: storage engine -> what it lacks: column kinds, or "generated", "generated_index",
    #: "foreign_keys", "transactions" (a ROLLBACK keeps its writes) (MariaDB's ENGINE=...)
    storage_engines: Mapping[str, tuple[str, ...]] = capability({}, portable=To({}))
    #: CREATE TEMPORARY / UNLOGGED TABLE (where a reset of the scratch space drops them)
    persistence: tuple[str, ...] = capability((), portable=To(()))
    #: generated column kinds: VIRTUAL, STORED, PERSISTENT
    generated_columns: tuple[str, ...] = capability((), portable=To(()))
    #: kinds of columns a generated column's expression may not read (MariaDB: CHAR(n), whose
    #: value depends on the session's PAD_CHAR_TO_FULL_LENGTH)
    ungenerated_kinds: tuple[str, ...] = capability(())
    #: may an index cover a generated column?
    generated_index: bool = capability(True)
    #: foreign keys with these ON DELETE actions ("" for none); empty: no foreign keys.
    #: Without an action, rows a foreign key references are never deleted.
    foreign_keys: tuple[str, ...] = capability((), portable=To(()))
    #: the session setting that makes the engine enforce foreign keys, as (name, value)
    foreign_key_setting: tuple[str, ...] = capability(())
    #: PARTITION BY kinds; `partition_statements`: partitions are tables of their own
    partitioning: tuple[str, ...] = capability((), portable=To(()))
    partition_statements: bool = capability(False)
    #: index method -> family -> the function an indexed column goes through ("" for none)
    index_methods: Mapping[str, Mapping[str, str]] = capability({}, portable=To({}))
    #: an expression whose value is stored (a generated column, an index key) may cast
    #: (PostgreSQL's date/text casts are STABLE); what it may call, each signature says
    #: (`Signature.storable`)
    stored_casts: bool = capability(True)
    #: ASC/DESC and COLLATE on index key parts
    index_order: bool = capability(True, portable=To(False))
    index_collate: bool = capability(False, portable=To(False))
    #: type kinds an index takes only through a prefix length (MariaDB's TEXT, BLOB)
    index_prefix: tuple[str, ...] = capability(())
    #: upsert forms (see `ast.OnConflict`); those that must find one key to conflict on
    upserts: tuple[str, ...] = capability((), portable=To(()))
    one_key_upserts: tuple[str, ...] = capability(("DO UPDATE",))
    #: ANALYZE of a table, for planner statistics (DataFusion has no such statement)
    analyze: bool = capability(True)
    #: ANALYZE option words; `analyze_columns`: ANALYZE may name columns
    analyze_options: tuple[str, ...] = capability((), portable=To(()))
    analyze_columns: bool = capability(False, portable=To(False))
    #: CREATE STATISTICS kinds; `set_statistics`: per-column targets and n_distinct
    statistics: tuple[str, ...] = capability((), portable=To(()))
    set_statistics: bool = capability(False, portable=To(False))
    #: planner statistics written as rows of the engine's own table (SQLite's sqlite_stat1)
    stat_rows: bool = capability(False, portable=To(False))
    #: session settings the planner reads -> their values, the engine's default first; a
    #: state sets every one, so it does not inherit them from the connection's last state
    settings: Mapping[str, tuple[str, ...]] = capability({}, portable=To({}))
    #: collation name prefix -> the codec its column's values must encode in (latin1)
    collation_codecs: Mapping[str, str] = capability({})
    #: the engine's full-text searches, as the fts oracle names its back-ends ("tsearch":
    #: PostgreSQL's tsvector @@ tsquery, "fts5": SQLite's FTS5); none: the oracle is off
    full_text: tuple[str, ...] = capability((), portable=To(()))
    #: extensions of vector columns, distance operators and ANN indexes that the engine
    #: installs for the ann-invariants oracle (`Engine.install`); none: the oracle is off
    vector_extensions: tuple[str, ...] = capability((), portable=To(()))

    def __post_init__(self) -> None:
        for f in fields(self):  # frozen all the way down: no caller can edit a shared mapping
            value = getattr(self, f.name)
            if isinstance(value, Mapping) and not isinstance(value, MappingProxyType):
                object.__setattr__(self, f.name, MappingProxyType(dict(value)))

    def narrowed(
        self,
        *,
        portable: bool = False,
        deterministic: bool = False,
        collations: tuple[str, ...] | None = None,
    ) -> Capabilities:
        """What the generator may emit under these options: each mode's rules, in turn, and
        only the `collations` the server has (when it said which)."""
        caps = self
        if collations is not None:
            caps = replace(caps, collations=Keep(collations)(caps.collations, caps))
        for mode, on in {"portable": portable, "deterministic": deterministic}.items():
            if on:
                caps = replace(caps, **{
                    f.name: f.metadata[mode](getattr(caps, f.name), caps)
                    for f in fields(caps) if mode in f.metadata
                })  # fmt: skip
        return caps
