"""The plan-cache oracle: prepared executions against the literal query, on real engines."""

from __future__ import annotations

import re

import pytest
from conftest import open_engine

from fuzzer.engines import EngineError, Failure, Rows
from fuzzer.generator import Generator, Options
from fuzzer.schema import read_schema
from oracles import oracle_class
from oracles.base import Context, Probe, Skip
from oracles.pipeline import Pipeline, Setup
from oracles.plancache import EXECUTIONS, PlanCache, judge_pairs

SERVERS_AND_DUCKDB = ["postgres", "duckdb", "mysql"]


def _rows(*rows: tuple) -> Rows:
    return Rows((), [tuple(r) for r in rows])


def _failed() -> Failure:
    return Failure("22003", "22003", "out of range", 0.0)


QUERIES = ("PREPARE s AS q", "EXECUTE s(1)", "q1", "EXECUTE s(2)", "q2", "DEALLOCATE s")


def test_each_execution_is_judged_against_the_literal_query_after_it() -> None:
    same = [_rows(), _rows((1,)), _rows((1,)), _rows((2,), (3,)), _rows((3,), (2,)), _rows()]
    assert judge_pairs(QUERIES, same) is None
    wrong = [*same[:3], _rows((2,)), _rows((3,), (2,)), _rows()]
    found = judge_pairs(QUERIES, wrong)
    assert found is not None and "execution 2" in found.detail
    assert (found.expected, found.actual) == ([[2], [3]], [[2]])


def test_a_pair_with_a_failed_side_is_left_out_and_a_failed_prepare_skips() -> None:
    failed_pair = [_rows(), _failed(), _rows((7,)), _rows((2,)), _rows((2,)), _rows()]
    assert judge_pairs(QUERIES, failed_pair) is None
    with pytest.raises(Skip):
        judge_pairs(QUERIES, [_failed(), *failed_pair[1:]])
    with pytest.raises(Skip):  # nothing left to compare
        judge_pairs(QUERIES, [_rows(), _failed(), _rows(), _rows(), _failed(), _rows()])


def test_a_users_literals_become_parameters_typed_as_their_spelling_types_them() -> None:
    sql = "SELECT a FROM t WHERE a = 5 AND b LIKE 'x%' AND c > DATE '2000-01-01'"
    (probe,) = PlanCache(Context("postgres")).from_text(sql)
    prepare = probe.queries[0]
    assert prepare == (
        "PREPARE sqlparity_pc AS SELECT a FROM t WHERE a = CAST($1 AS INTEGER) AND b LIKE $2"
        " AND c > DATE '2000-01-01'"
    )
    assert probe.queries[1:3] == ("EXECUTE sqlparity_pc(5, 'x%')", sql)
    assert sum(q.startswith("EXECUTE") for q in probe.queries) == EXECUTIONS


def test_mysql_binds_positional_parameters_through_user_variables() -> None:
    sql = "SELECT a FROM t WHERE a = 5 OR b = 'x'"
    (probe,) = PlanCache(Context("mysql")).from_text(sql)
    assert probe.queries[0] == (
        "PREPARE sqlparity_pc FROM 'SELECT a FROM t WHERE a = CAST(? AS SIGNED) OR b = ?'"
    )
    assert probe.queries[1:4] == ("SET @p1 = 5, @p2 = 'x'", "EXECUTE sqlparity_pc USING @p1, @p2",
                                  sql)  # fmt: skip


def test_a_number_that_may_be_a_position_stays_as_written() -> None:
    sql = "SELECT a FROM t WHERE a IN (SELECT b FROM u ORDER BY 1 LIMIT 2) AND a = 3"
    (probe,) = PlanCache(Context("duckdb")).from_text(sql)
    assert "ORDER BY 1 LIMIT 2" in probe.queries[0] and "CAST($1 AS INTEGER)" in probe.queries[0]


def test_engines_without_sql_prepared_statements_get_no_probes() -> None:
    assert PlanCache(Context("sqlite")).from_text("SELECT a FROM t WHERE a = 1") == []


def test_the_oracle_is_registered_and_opt_in() -> None:
    assert oracle_class("plancache") is PlanCache and not PlanCache.by_default


def _state(engine, seed: int) -> tuple[Generator, list[str]]:
    g = Generator(engine.dialect, seed, Options(deterministic=True))
    setup = [g.render(s) for s in g.database()]
    engine.reset()
    for statement in setup:
        engine.execute(statement)
    return g, setup


def _snapshot(engine) -> tuple:
    schema = read_schema(engine)
    counts = []
    for table in sorted(schema.names()):
        counted = engine.execute(f"SELECT COUNT(*) FROM {table}")
        counts.append((table, counted.rows[0][0] if counted.ok else None))
    left = [engine.execute(q) for q in _LEFT[engine.dialect]]
    return tuple(counts), tuple(o.rows[0][0] if o.ok else None for o in left)


#: what a probe could leave: indexes, prepared statements
_LEFT = {
    "postgres": ("SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema()",
                 "SELECT COUNT(*) FROM pg_prepared_statements"),
    "duckdb": ("SELECT COUNT(*) FROM duckdb_indexes()",),
    "mysql": ("SELECT COUNT(*) FROM information_schema.statistics "
              "WHERE table_schema = DATABASE()",),
}


@pytest.mark.parametrize("key", SERVERS_AND_DUCKDB)
def test_probes_run_on_the_engine_and_leave_the_state_as_they_found_it(key: str) -> None:
    engine = open_engine(key, timeout=10)
    try:
        oracle, pipeline = PlanCache(Context(engine.dialect)), Pipeline(engine)
        judged = drawn = 0
        for seed in range(10, 30):
            g, setup = _state(engine, seed)
            before = _snapshot(engine)
            for turn in range(12):
                for probe in oracle.draw(g, turn):
                    drawn += 1
                    checked = pipeline.check(oracle, probe, Setup(setup))
                    assert checked.finding is None, checked.finding
                    judged += checked.judged
                    assert _snapshot(engine) == before, probe.queries
            if drawn >= 12:
                break
        assert drawn >= 12 and judged >= drawn // 2
    finally:
        engine.close()


# -- the driver's extended protocol (PostgreSQL) ----------------------------------------------

TABLE = ("CREATE TABLE t (a INTEGER, b TEXT)",
         "INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'x'), (NULL, 'z')")  # fmt: skip


def _driver_probe(mode: str) -> Probe:
    """Seven Binds of one Parse, each beside its literal query, with an index and an ANALYZE
    in between; the statement is left prepared, for the catalog to be asked about it."""
    values = [("1", "x"), ("3", "y"), ("0", "z"), ("2", "x"), ("9", "x"), ("1", "q"), ("3", "x")]
    queries = [f"SET plan_cache_mode = {mode}",
               "PREPARE sqlparity_pc(INTEGER, unknown) AS SELECT a FROM t "
               "WHERE a >= CAST($1 AS INTEGER) AND b = $2"]  # fmt: skip
    for n, (a, b) in enumerate(values):
        queries += [f"EXECUTE sqlparity_pc('{a}', '{b}')",
                    f"SELECT a FROM t WHERE a >= CAST({a} AS INTEGER) AND b = '{b}'"]  # fmt: skip
        queries += [("CREATE INDEX sqlparity_pc_i ON t (b)", "ANALYZE t")[n % 2]] if n < 2 else []
    return Probe("plancache", f"driver-{mode.split('_')[-2:][0]}", tuple(queries))


@pytest.mark.parametrize("mode", ["force_generic_plan", "force_custom_plan", "auto"])
def test_a_driver_probe_is_one_protocol_statement_reused_with_its_parameters_typed(
    mode: str,
) -> None:
    engine = open_engine("postgres", timeout=10)
    try:
        engine.reset()
        for statement in TABLE:
            assert engine.execute(statement).ok
        oracle, probe = PlanCache(Context("postgres")), _driver_probe(mode)
        checked = Pipeline(engine).check(oracle, probe, Setup(TABLE))
        assert checked.judged and checked.finding is None and checked.nonempty
        # prepared through the protocol, not by SQL; the unknown parameter typed by the server
        (row,) = engine.execute(
            "SELECT from_sql, parameter_types::text, generic_plans, custom_plans "
            "FROM pg_prepared_statements WHERE name = 'sqlparity_pc'").rows  # fmt: skip
        from_sql, types, generic, custom = row
        assert not from_sql and types == "{integer,text}"
        # seven executions of one statement; auto plans the first five for their values
        assert generic + custom == EXECUTIONS
        assert {"force_generic_plan": custom == 0, "force_custom_plan": generic == 0,
                "auto": custom >= 5}[mode]  # fmt: skip
        assert engine.execute("DEALLOCATE sqlparity_pc").ok
    finally:
        engine.close()


def test_driver_probes_are_drawn_on_postgres_only_and_spell_the_protocol_as_sql() -> None:
    engine = open_engine("postgres", timeout=10)
    try:
        oracle = PlanCache(Context("postgres"))
        drawn: list[Probe] = []
        for seed in range(10, 30):
            g, _ = _state(engine, seed)
            drawn = [p for turn in range(6, 12) for p in oracle.draw(g, turn)]
            if drawn:
                break
        assert drawn and all(p.variant.startswith("driver-") for p in drawn)
        for probe in drawn:
            (prepare,) = [q for q in probe.queries if q.startswith("PREPARE")]
            assert re.fullmatch(r"PREPARE sqlparity_pc\([\w ]+(, [\w ]+)*\) AS .*", prepare, re.S)
            executes = [q for q in probe.queries if q.startswith("EXECUTE")]
            assert len(executes) == EXECUTIONS
            assert all(re.fullmatch(r"EXECUTE sqlparity_pc\('.*'\)", q, re.S) for q in executes)
        # the same text, run as SQL, means the same: the probe's queries replay in psql
        outcomes = [engine.execute(q) for q in drawn[0].queries]
        assert judge_pairs(drawn[0].queries, outcomes) is None
    finally:
        engine.close()
    mysql = PlanCache(Context("mysql"))
    assert not mysql.prepared.protocol  # PyMySQL has no COM_STMT_PREPARE


def test_an_engine_without_protocol_statements_says_so() -> None:
    engine = open_engine("mysql", timeout=10)
    try:
        assert not engine.binds
        with pytest.raises(EngineError, match="no prepared statements"), engine.protocol():
            pass
        probe = Probe("plancache", "driver-auto", ("PREPARE s(INTEGER) AS SELECT 1",))
        assert not Pipeline(engine).check(PlanCache(Context("mysql")), probe, Setup(())).judged
    finally:
        engine.close()
