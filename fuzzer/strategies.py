"""Hypothesis strategies for writing your own property tests over generated SQL.

    from hypothesis import given
    from fuzzer import strategies as sq

    @given(sq.databases("sqlite"), sq.data())
    def test_count_matches(db, data):
        query = data.draw(sq.queries(db.schema, "sqlite"))
        ...

Every value is drawn from a seed, so Hypothesis can replay it; a failing example prints the
seed and `fuzz generate --seed` reproduces the same SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from fuzzer import ast as A
from fuzzer.generator import Generator, Options
from fuzzer.schema import Schema

__all__ = ["Database", "data", "database", "databases", "predicates", "queries", "seeds"]

data = st.data
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@dataclass(frozen=True)
class Database:
    """A generated database: its statements (tree and SQL) and the schema they create."""

    dialect: str
    seed: int
    statements: tuple[A.Statement, ...]
    sql: tuple[str, ...]
    schema: Schema


def database(dialect: str, seed: int, options: Options | None = None) -> Database:
    """The database a seed makes: what `fuzz generate --seed` prints first."""
    g = Generator(dialect, seed, options)
    statements = tuple(g.database())
    return Database(dialect, seed, statements, tuple(map(g.render, statements)), g.schema)


def databases(dialect: str, options: Options | None = None) -> st.SearchStrategy[Database]:
    """Database scripts for a dialect, with the schema they create."""
    return seeds.map(lambda seed: database(dialect, seed, options))


def queries(
    schema: Schema, dialect: str, options: Options | None = None
) -> st.SearchStrategy[A.Query]:
    """Queries over an existing schema (generated, or read with `fuzzer.schema.read_schema`)."""
    return seeds.map(lambda seed: Generator(dialect, seed, options, schema=schema).query())


def predicates(
    schema: Schema, dialect: str, options: Options | None = None
) -> st.SearchStrategy[tuple[A.Select, A.Expr]]:
    """A base SELECT and a boolean expression over its FROM clause, as TLP and NoREC use."""

    def draw(seed: int) -> tuple[A.Select, A.Expr]:
        g = Generator(dialect, seed, options, schema=schema)
        select, scope = g.base_select()
        return select, g.predicate(scope)

    return seeds.map(draw)
