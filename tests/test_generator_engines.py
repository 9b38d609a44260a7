"""The generator against real engines: databases create cleanly, queries compile, and the
catalog reader sees what the generator made."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import ENGINE_URLS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzer import ast as A
from fuzzer.dialects import render
from fuzzer.engines import Engine, EngineError, connect
from fuzzer.errors import ErrorCategory
from fuzzer.generator import Generator, Options
from fuzzer.generator.state import Layout
from fuzzer.schema import Column, Table, read_schema

ENGINES = [
    pytest.param("sqlite"),
    pytest.param("duckdb"),
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mysql),
]


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Engine:
    try:
        e = connect(ENGINE_URLS[request.param])
    except EngineError as exc:
        pytest.skip(str(exc))
    yield e
    e.close()


def create(engine: Engine, seed: int, options: Options | None = None) -> Generator:
    """Run a generated database script; every statement must succeed."""
    engine.reset()
    g = Generator(engine.dialect, seed, options)
    for statement in g.database():
        sql = g.render(statement)
        outcome = engine.execute(sql)
        assert outcome.ok, f"{sql}\n-> {outcome.message}"
    return g


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_generated_databases_create_without_error(engine: Engine, seed: int) -> None:
    create(engine, seed)


def test_queries_compile_and_mostly_succeed(engine: Engine) -> None:
    """Almost no compile error; most queries run: 90%, as bench/validity.py holds the
    generator to over 10,000 queries (views draw nothing that may raise, so no state loses
    every query that reads one of them)."""
    compile_errors, ok, nonempty, total = [], 0, 0, 0
    for seed in range(8):
        g = create(engine, seed)
        for _ in range(25):
            sql = g.render(g.query())
            outcome = engine.execute(sql)
            total += 1
            if outcome.ok:
                ok += 1
                nonempty += bool(outcome.rows)
            elif outcome.category is ErrorCategory.COMPILE:
                compile_errors.append((sql, outcome.message))
    assert len(compile_errors) <= 2, compile_errors
    assert ok >= 0.9 * total
    assert nonempty >= 0.3 * ok


def test_every_view_reads_without_error(engine: Engine) -> None:
    """A view's query draws no call, cast or edge-value arithmetic that may raise: a view
    that raises fails every query that reads it, and TLP or NoREC over it test nothing."""
    views = 0
    for seed in range(12):
        g = create(engine, seed)
        for table in g.schema.tables:
            if table.view:
                views += 1
                outcome = engine.execute(f"SELECT * FROM {table.name}")
                assert outcome.ok, (seed, g.render(table.query), outcome.message)
    assert views >= 6


def test_oracle_api_queries_run(engine: Engine) -> None:
    """Base SELECTs with a generated WHERE, as TLP and NoREC build them, all compile."""
    g = create(engine, 7, Options(deterministic=True))
    for _ in range(40):
        select, scope = g.base_select()
        predicate = g.predicate(scope)
        for where in (predicate, None):
            sql = g.render(dataclasses.replace(select, where=where))
            outcome = engine.execute(sql)
            assert outcome.ok or outcome.category is not ErrorCategory.COMPILE, (sql, outcome)


def test_read_schema_sees_the_generated_tables(engine: Engine) -> None:
    g = create(engine, 3)
    schema = read_schema(engine)
    assert sorted(schema.names()) == sorted(g.schema.names())
    for table in g.schema.tables:
        read = schema.table(table.name)
        assert [c.name for c in read.columns] == [c.name for c in table.columns]
        assert read.view == table.view
        if not table.view:
            families = [c.family for c in read.columns]
            expected = [c.family for c in table.columns]
            if engine.dialect == "sqlite":  # declared types only; no JSON family
                continue
            assert families == expected
    # a generator working from the catalog alone produces queries the engine compiles
    reader = Generator(engine.dialect, 1, schema=schema)
    for _ in range(30):
        sql = reader.render(reader.query())
        outcome = engine.execute(sql)
        assert outcome.ok or outcome.category is not ErrorCategory.COMPILE, (sql, outcome.message)


@pytest.mark.parametrize("dialect", ["sqlite", "duckdb"])
def test_portable_databases_build_alike_on_every_embedded_engine(dialect: str) -> None:
    """The differential compares only states both engines built alike: portable ones must be."""
    engines = [connect("sqlite:"), connect(ENGINE_URLS["duckdb"])]
    try:
        for seed in range(10):
            statements = Generator(dialect, seed, Options(portable=True)).database()
            for e in engines:
                e.reset()
            for statement in statements:
                built = [e.execute(render(statement, e.dialect)).ok for e in engines]
                assert built[0] == built[1], render(statement, dialect)
    finally:
        for e in engines:
            e.close()



def test_duckdb_predicates_compare_across_families_and_compile() -> None:
    """Implicit conversions (issue 10, item 3): a value against its string spelling, int
    against float or bool, date against timestamp; DuckDB compiles every one of them."""
    with connect(ENGINE_URLS["duckdb"]) as engine:
        g = Generator("duckdb", 3)
        for statement in g.database():
            assert engine.execute(g.render(statement)).ok
        spelled = 0
        for _ in range(150):
            select, scope = g.base_select()
            where = g.predicate(scope)
            outcome = engine.execute(g.render(dataclasses.replace(select, where=where)))
            assert outcome.ok or outcome.category is not ErrorCategory.COMPILE, outcome
            spelled += any(f"'{y}-" in g.render(where) for y in (1999, 2000, 2010, 2020))
    assert spelled > 0

#: Where a dialect's catalog reads a type back as another: MariaDB's JSON is LONGTEXT.
READ_AS = {("mysql", "json"): "text"}


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_every_column_type_is_created_filled_and_read_back_as_itself(dialect: str) -> None:
    """Unsigned integers, YEAR, BIT(n), DECIMAL(65, 30), ENUM, SET, DATETIME(fsp): the
    renderer spells them, the engine takes the values made for them (edge values too), and
    the catalog reader parses them back to the same type."""
    try:
        engine = connect(ENGINE_URLS[dialect])
    except EngineError as exc:
        pytest.skip(str(exc))
    g = Generator(dialect, 11, Options(edge_values=0.5))
    types = [t for ts in g.caps.column_types.values() for t in ts]
    columns = [Column(f"c{i}", t) for i, t in enumerate(types)]
    table = Table("every", columns)
    g.schema.add(table)
    engine.reset()
    create = A.CreateTable("every", tuple(A.ColumnDef(c.name, c.type) for c in columns))
    for statement in (create, *g.state.inserts(Layout(table))):
        outcome = engine.execute(g.render(statement))
        assert outcome.ok, f"{g.render(statement)}\n-> {outcome.message}"
    read = [c.type for c in read_schema(engine).table("every").columns]
    expected = [A.SQLType(READ_AS.get((dialect, t.kind), t.kind), t.params) for t in types]
    assert read == expected
    engine.close()
