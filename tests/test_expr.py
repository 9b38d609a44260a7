"""The expr oracle, and runtime errors compared where the evaluation order cannot matter.

A data exception is compared in full by the expr oracle (one call over literals), by class in
a full query that reads one row, and not at all otherwise. Real engines throughout: the
errors come from PostgreSQL, and a PostgreSQL and a MariaDB against themselves find nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import open_engine

from fuzzer.engines import Engine
from fuzzer.generator import Generator, Options
from fuzzer.script import one_row
from oracles import oracle_class
from oracles.base import Context, Probe, Skip
from oracles.differential import Differential, compare
from oracles.expr import FunctionFidelity
from oracles.pipeline import Pipeline, Setup


@pytest.fixture(scope="module")
def postgres() -> Iterator[Engine]:
    engine = open_engine("postgres")
    yield engine
    engine.close()


def test_expr_is_registered_and_needs_a_reference() -> None:
    cls = oracle_class("expr")
    assert cls is FunctionFidelity and cls.needs_reference and not cls.by_default


def test_draws_one_call_over_literals_and_over_a_one_row_source() -> None:
    generator = Generator("postgres", 5, Options(deterministic=True))
    oracle = FunctionFidelity(Context("postgres", "postgres"))
    probes = [p for turn in range(40) for p in oracle.draw(generator, turn)]
    assert len(probes) == 40
    const = [p for p in probes if p.variant == "const"]
    row = [p for p in probes if p.variant == "row"]
    assert const and row
    assert all(one_row(p.queries[0]) for p in const)
    assert any(" FROM (SELECT " in p.queries[0] and "AS s" in p.queries[0] for p in row)
    assert all(p.queries == p.reference_queries for p in probes)


def test_draws_nothing_between_dialects() -> None:
    generator = Generator("postgres", 5, Options(deterministic=True))
    assert FunctionFidelity(Context("postgres", "sqlite")).draw(generator, 0) == []


def test_from_text_takes_only_queries_that_read_one_row() -> None:
    oracle = FunctionFidelity(Context("postgres", "postgres"))
    assert [p.variant for p in oracle.from_text("SELECT CAST('0x1F' AS integer)")] == ["const"]
    assert oracle.from_text("SELECT a FROM t") == []


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT CAST('0x1F' AS integer)", True),
    ("SELECT EXTRACT(YEAR FROM DATE '2000-01-01'), SUBSTRING('abc' FROM 2)", True),
    ("SELECT 1 IS DISTINCT FROM 2", True),
    ("SELECT a FROM t", False),
    ("SELECT (SELECT MAX(a) FROM t)", False),
    ("SELECT 1 UNION SELECT 2", False),
    ("SELECT generate_series(1, 3) / 0", False),
    ("INSERT INTO t VALUES (1)", False),
])  # fmt: skip
def test_one_row(sql: str, expected: bool) -> None:
    assert one_row(sql) is expected


def _outcomes(engine: Engine, reference_sql: str, target_sql: str) -> tuple:
    return engine.execute(reference_sql), engine.execute(target_sql)


def test_runtime_errors_are_compared_in_full_by_class_or_not_at_all(postgres: Engine) -> None:
    bad_cast, zero = "SELECT CAST('x' AS integer)", "SELECT 1 / 0"
    ref, tgt = _outcomes(postgres, bad_cast, zero)  # 22P02 against 22012
    assert compare(ref, tgt, ordered=True, compare_types=True, runtime="full").variant == "sqlstate"
    assert compare(ref, tgt, ordered=True, compare_types=True, runtime="class") is None
    ref, tgt = _outcomes(postgres, bad_cast, "SELECT CAST('31' AS integer)")
    assert compare(ref, tgt, ordered=True, compare_types=True, runtime="class").variant == "error"
    assert compare(ref, tgt, ordered=True, compare_types=True) is None  # "never"


def test_the_differential_compares_a_data_exception_of_a_one_row_query(postgres: Engine) -> None:
    """`CAST('0x1F' AS integer)` is 22P02 on PostgreSQL 15 and 31 on 16: here the reference
    runs the failing spelling and the target the succeeding one, on one real server."""
    oracle = Differential(Context("postgres", "postgres"))
    pipeline = Pipeline(postgres, postgres)
    one = Probe("diff", "", ("SELECT CAST('31' AS integer)",),
                reference_queries=("SELECT CAST('0x1F' AS integer)",))  # fmt: skip
    assert pipeline.run(oracle, one).variant == "error"
    # over a table, which row fails first is the plan's choice: not compared
    postgres.reset()
    postgres.execute("CREATE TABLE t (a text)")
    postgres.execute("INSERT INTO t VALUES ('31'), ('x')")
    many = Probe("diff", "", ("SELECT CAST(a AS integer) FROM t WHERE a = '31'",),
                 reference_queries=("SELECT CAST(a AS integer) FROM t",))  # fmt: skip
    with pytest.raises(Skip):
        pipeline.run(oracle, many)


@pytest.mark.parametrize("key", ["postgres", "mysql"])
def test_an_engine_against_itself_finds_nothing(key: str) -> None:
    """One session as both target and reference: the calls read no table, so they need no
    second scratch space (whose drop costs seconds on a busy server)."""
    with open_engine(key) as engine:
        oracle = FunctionFidelity(Context(engine.dialect, engine.dialect))
        generator = Generator(engine.dialect, 11, Options(deterministic=True))
        pipeline = Pipeline(engine, engine)
        judged = 0
        for turn in range(60):
            for probe in oracle.draw(generator, turn):
                checked = pipeline.check(oracle, probe, Setup([], []))
                judged += checked.judged
                assert checked.finding is None, probe.queries
        assert judged > 40
