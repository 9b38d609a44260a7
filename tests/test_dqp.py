"""The DQP oracle: a query returns the same rows under its default plan and under forced knobs.

Pure tests pin the judge, the exclusions and the shape of a probe (every knob it sets is reset
after the forced query). On the real engines: the guard admits the knob statements, a probe
leaves the session's settings as it found them even when its query fails, generated queries
on correct engines give no finding, `fuzz check --oracle dqp` checks a user's query, and on
SQLite 3.44.0 (an old release from the known-bugs environments) a plan-dependent wrong result
is flagged with its knob, and replays by `triage recheck` there and not on today's SQLite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import open_engine

from fuzzer import ast
from fuzzer.commands.check import parse_oracles
from fuzzer.engines import Failure, Rows
from fuzzer.generator import Generator
from oracles import oracle_class
from oracles.base import Context, Skip
from oracles.dqp import DQP, KNOBS, judge_plans, knobs_of
from oracles.pipeline import Pipeline
from oracles.shape import plan_independent as comparable

Q = "SELECT c0 FROM t0"
SET = "SET enable_hashjoin = off"
RESET = "RESET enable_hashjoin"
PROBE = (Q, SET, Q, RESET)


def rows(*values: tuple) -> Rows:
    return Rows((), list(values))


OK = rows()


def test_the_same_rows_in_another_order_or_spelling_are_no_finding():
    default = rows((1, "a"), (2, "B "), (None, None))
    forced = rows((None, None), (2, "b"), (1, "a"))
    assert judge_plans(PROBE, [default, OK, forced, OK]) is None


def test_a_row_more_under_the_forced_plan_is_a_discrepancy():
    seen = judge_plans(PROBE, [rows((1,)), OK, rows((1,), (1,)), OK])
    assert seen is not None
    assert (seen.expected, seen.actual) == ([[1]], [[1], [1]])


def test_a_knob_the_engine_refuses_or_a_failed_query_skips_the_check():
    refused = Failure("42704", "UndefinedObject", 'unrecognized configuration parameter "x"')
    with pytest.raises(Skip):
        judge_plans(PROBE, [rows((1,)), refused, rows((2,)), OK])
    timeout = Failure("57014", "QueryCanceled", "canceling statement due to statement timeout")
    with pytest.raises(Skip):
        judge_plans(PROBE, [rows((1,)), OK, timeout, OK])


def test_a_finding_names_the_statements_that_set_its_knobs():
    queries = (Q, SET, "SET geqo = on", Q, "RESET geqo", RESET)
    assert knobs_of(queries) == [SET, "SET geqo = on"]


def _select(*items: ast.Expr, **more: object) -> ast.Select:
    return ast.Select(tuple(ast.SelectItem(i) for i in items), (ast.TableRef("t0"),), **more)


COL = ast.ColumnRef(None, "c0")


def test_what_a_plan_may_change_is_never_compared():
    assert comparable(_select(COL))
    assert comparable(_select(ast.Aggregate("MAX", (COL,)), ast.Aggregate("COUNT", ())))
    assert not comparable(_select(ast.Aggregate("SUM", (COL,))))  # floats add in plan order
    assert not comparable(_select(ast.Aggregate("AVG", (COL,))))
    assert not comparable(_select(ast.Window(ast.Aggregate("COUNT", ()))))
    assert not comparable(_select(COL, limit=1))
    assert not comparable(_select(ast.Func("random", ())))
    inner = ast.ScalarQuery(_select(ast.Aggregate("STRING_AGG", (COL, COL))))
    assert not comparable(_select(inner))


#: each statement that sets a knob, and the statements that reset it
RESETS = {k.before[0]: k.after for knobs in KNOBS.values() for k in knobs if k.before}
RESETS |= {b: () for knobs in KNOBS.values() for k in knobs for b in k.before[1:]}


@pytest.mark.parametrize("dialect", sorted(KNOBS))
def test_every_probe_resets_each_knob_it_sets_after_the_forced_query(dialect: str):
    oracle = DQP(Context(dialect))
    generator = Generator(dialect, seed=5)
    generator.database()
    drawn = [p for turn in range(100) for p in oracle.draw(generator, turn)]
    assert len(drawn) >= 20
    for probe in drawn:
        queries = probe.queries
        assert not queries[0].upper().startswith(("SET", "PRAGMA", "RESET"))
        sets = knobs_of(queries)
        resets = [RESETS.get(s, ("RESET disabled_optimizers",)) for s in reversed(sets)]
        expected = dict.fromkeys(r for group in resets for r in group)  # each reset once
        assert list(queries[2 + len(sets) :]) == list(expected), queries


def test_the_draws_are_reproducible_from_the_seed():
    def draws() -> list[tuple[str, ...]]:
        generator = Generator("postgres", seed=11)
        generator.database()
        oracle = DQP(Context("postgres"))
        return [p.queries for turn in range(30) for p in oracle.draw(generator, turn)]

    assert draws() == draws()


def test_a_users_query_gets_one_probe_per_session_knob_and_none_when_nondeterministic():
    oracle = DQP(Context("sqlite"))
    probes = oracle.from_text("SELECT a FROM t WHERE a > 1;")
    assert [p.queries[1] for p in probes] == [
        "PRAGMA automatic_index = off",
        "PRAGMA reverse_unordered_selects = on",
    ]
    assert all(p.queries[0] == p.queries[2] == "SELECT a FROM t WHERE a > 1" for p in probes)
    excluded = (
        "SELECT a FROM t LIMIT 2",
        "SELECT random() FROM t",
        "SELECT group_concat(a) FROM t",
        "SELECT rank() OVER (ORDER BY a) FROM t",
    )
    for sql in excluded:
        assert oracle.from_text(sql) == [], sql


def test_dqp_runs_when_named_and_is_not_in_the_default_rotation():
    assert oracle_class("dqp") is DQP
    assert parse_oracles("dqp", with_reference=False) == ("dqp",)
    assert "dqp" not in parse_oracles(None, with_reference=False)
    assert {"tlp", "norec"} <= set(parse_oracles(None, with_reference=False))


# -- on the real engines ---------------------------------------------------------------------

SETTINGS = {
    "postgres": "SELECT current_setting('enable_hashjoin') || current_setting('geqo_threshold')"
    " || current_setting('parallel_setup_cost')",
    "mysql": "SELECT CONCAT(@@optimizer_switch, @@join_cache_level)",
    "sqlite": "PRAGMA automatic_index",
}


@pytest.mark.parametrize("key", ["postgres", "mysql"])
def test_the_server_guard_admits_every_knob_statement(key: str):
    engine = open_engine(key)  # guarded, as `fuzz check` connects
    try:
        assert engine.guarded
        for knob in KNOBS[engine.dialect]:
            for statement in (*knob.before, *knob.after):
                engine.execute(statement)  # Refused would raise; an unknown setting fails
    finally:
        engine.close()


@pytest.mark.parametrize("key", ["postgres", "mysql", "sqlite"])
def test_a_probe_leaves_the_sessions_settings_as_it_found_them_even_when_its_query_fails(
    key: str,
):
    engine = open_engine(key)
    try:
        engine.reset()
        before = engine.execute(SETTINGS[key])
        assert isinstance(before, Rows)
        oracle = DQP(Context(engine.dialect))
        knobs = [k for k in KNOBS[engine.dialect] if k.spelling is None][:12]
        changed = 0
        for knob in knobs:
            broken = ("SELECT * FROM no_such_table", *knob.before, SETTINGS[key], *knob.after)
            probe = oracle.text_probe("plan", broken, broken[0])
            outcomes, _ = Pipeline(engine).outcomes(oracle, probe)
            with pytest.raises(Skip):
                oracle.judge(probe, outcomes)
            during = outcomes[1 + len(knob.before)]
            changed += isinstance(during, Rows) and during.rows != before.rows
            assert engine.execute(SETTINGS[key]).rows == before.rows, knob.name
        assert changed >= 1  # the settings read do show a knob while it is set
    finally:
        engine.close()


def fuzz(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fuzzer", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)  # fmt: skip


@pytest.mark.parametrize("key", ["sqlite", "duckdb", "postgres", "mysql"])
def test_generated_queries_on_a_correct_engine_give_no_finding(key: str, tmp_path: Path):
    from conftest import ENGINE_URLS

    open_engine(key).close()  # skips when the server is down
    run = fuzz("run", "-t", ENGINE_URLS[key], "--oracle", "dqp", "--workers", "1",
               "--seed", "7", "--checks", "150", "--no-reduce", "--json",
               "--store", str(tmp_path / "s.db"), cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary["checks"] >= 150 and summary["findings_new"] == 0, summary


def test_fuzz_check_runs_a_users_query_under_each_knob(tmp_path: Path):
    case = tmp_path / "case.sql"
    case.write_text(
        "CREATE TABLE t0 (c0 INTEGER, c1 TEXT);\n"
        "CREATE INDEX i0 ON t0 (c0);\n"
        "INSERT INTO t0 VALUES (1, 'a'), (2, NULL), (NULL, 'b');\n"
        "SELECT c1 FROM t0 WHERE c0 >= 1 ORDER BY c1;\n"
    )
    checked = fuzz("check", "--json", "--oracle", "dqp", str(case), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout) == {"findings": [], "checks": 2}


def test_on_the_buggy_sqlite_the_finding_names_its_knob_and_recheck_replays_it(tmp_path: Path):
    """SQLite 3.44.0's RIGHT JOIN bug (corpus/known-bugs) depends on the automatic index."""
    from known_bugs import CORPUS

    old = "sqlite+apsw:?version=3.44.0.0"  # a pinned release, in an engine host
    case = CORPUS / "known-bugs" / "sqlite-left-right-join-where.sql"
    store = str(tmp_path / "s.db")
    checked = fuzz("check", "--json", "--oracle", "dqp", "-t", old, "--store", store, str(case),
                   cwd=tmp_path)  # fmt: skip
    assert checked.returncode == 1, checked.stderr
    (found,) = json.loads(checked.stdout)["findings"]
    assert "PRAGMA automatic_index = off" in found["title"]
    still = fuzz("triage", "recheck", old, "--store", store, "--dry-run", "--id", "1",
                 cwd=tmp_path)  # fmt: skip
    assert "#1 reproduces" in still.stdout, still.stdout + still.stderr
    fixed = fuzz("triage", "recheck", "sqlite+apsw:", "--store", store, "--dry-run", "--id", "1",
                 cwd=tmp_path)  # fmt: skip
    assert "#1 fixed" in fixed.stdout, fixed.stdout + fixed.stderr
