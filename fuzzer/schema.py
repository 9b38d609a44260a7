"""What the generator knows about a database: tables, views, columns, and values they hold.

The generator keeps this model up to date as it emits CREATE/INSERT statements; `read_schema`
builds the same model from a live engine's catalog so the generator can target a database
it did not create. Known values let the generator pick constants that match rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fuzzer import ast as A
from fuzzer.dialects import Dialect, family, get
from fuzzer.dialects.catalog import UNTYPED
from fuzzer.engines import Engine

#: How many values per column `read_schema` samples.
SAMPLE_ROWS = 20


@dataclass
class Column:
    name: str
    type: A.SQLType
    not_null: bool = False
    unique: bool = False  # a single-column key: no two rows share a non-NULL value
    #: values some row held at some point; constants drawn from these make filters match
    values: list[Any] = field(default_factory=list)
    #: holds extreme values (min/max integers, infinities): arithmetic on it may overflow
    extreme: bool = False
    #: a generated column: its values are the engine's to compute, `values` stays empty
    generated: bool = False
    collate: str | None = None

    @property
    def family(self) -> str:
        return family(self.type)


@dataclass
class Table:
    name: str
    columns: list[Column]
    view: bool = False
    rows: int = 0  # how many rows the generator inserted (a view: unknown, 0)
    keys: list[tuple[str, ...]] = field(default_factory=list)  # column sets that are unique
    temporary: bool = False  # a view may not read it (SQLite, MariaDB)
    #: a view's query, when the generator made it (a catalog's view: None, unknown)
    query: A.Query | None = None
    #: indexes over every row (not partial), by name: what INDEXED BY and FORCE INDEX may name
    indexes: list[str] = field(default_factory=list)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass
class Schema:
    tables: list[Table] = field(default_factory=list)

    def add(self, table: Table) -> None:
        self.tables.append(table)

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def base_tables(self) -> list[Table]:
        return [t for t in self.tables if not t.view]

    def names(self) -> list[str]:
        return [t.name for t in self.tables]


# -- reading a schema back from an engine ----------------------------------------------------

#: Python types a sampled value may have, per family, for it to be rendered as a literal.
_SAMPLE_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "numeric": (Decimal, int),
    "float": (float, int),
    "text": (str,),
    "bool": (bool, int),
    "date": (datetime.date, str),
    "timestamp": (datetime.datetime, str),
}


def read_schema(engine: Engine, sample: int = SAMPLE_ROWS) -> Schema:
    """The tables and views in the engine's scratch space, with sampled column values."""
    dialect = get(engine.dialect)
    listing = engine.execute(dialect.catalog_query)
    if not listing.ok:
        raise RuntimeError(f"cannot read the catalog: {listing.message}")  # type: ignore[union-attr]
    schema = Schema()
    for table_name, column_name, type_name, is_view in listing.rows:  # type: ignore[union-attr]
        sql_type = dialect.parse_type(str(type_name or ""))
        if sql_type is None:
            continue
        if not schema.tables or schema.tables[-1].name != table_name:
            schema.add(Table(table_name, [], view=bool(is_view)))
        schema.tables[-1].columns.append(Column(column_name, sql_type))
    schema.tables = [t for t in schema.tables if t.columns]
    for table in schema.tables:
        _sample(engine, dialect, table, sample)
    return schema


_BY_PYTHON_TYPE = ((bool, A.BOOLEAN), (int, A.BIGINT), (float, A.DOUBLE), (str, A.TEXT),
                   (bytes, A.BLOB))  # fmt: skip


def _infer(values: list[Any]) -> A.SQLType:
    """The type of an untyped column from its values: one Python type, or text."""
    kinds = {type(v) for v in values if v is not None}
    for python_type, sql_type in _BY_PYTHON_TYPE:
        if kinds == {python_type}:
            return sql_type
    return A.TEXT


def _sample(engine: Engine, dialect: Dialect, table: Table, limit: int) -> None:
    cols = ", ".join(dialect.ident(c.name) for c in table.columns)
    result = engine.execute(f"SELECT {cols} FROM {dialect.ident(table.name)} LIMIT {limit}")
    if not result.ok:
        return
    table.rows = len(result.rows)  # type: ignore[union-attr]
    for i, column in enumerate(table.columns):
        if column.type == UNTYPED:
            column.type = _infer([row[i] for row in result.rows])  # type: ignore[union-attr]
        kinds = _SAMPLE_TYPES.get(column.family)
        if kinds is None:
            continue
        for row in result.rows:  # type: ignore[union-attr]
            v = row[i]
            if isinstance(v, kinds) and v not in column.values:
                column.values.append(v)
