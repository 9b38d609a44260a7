"""The fts oracle: its verdict on deliberately wrong runs, and its checks on the real engines
(PostgreSQL 15, pgserver's PostgreSQL 16, SQLite through sqlite3 and apsw)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import drawn_checks, open_engine, plan_of

from fuzzer.engines import Engine, Rows, connect
from fuzzer.generator import Generator, Options
from oracles.base import Context, Discrepancy, Skip
from oracles.fts import FTS, split
from oracles.fts.verdict import Answers, Run, verdict
from oracles.pipeline import Pipeline

CHECKS = 12


def _rows(*values: object) -> Rows:
    return Rows((), [v if isinstance(v, tuple) else (v,) for v in values])


# -- the verdict, on made-up runs --------------------------------------------------------------


def test_a_plan_that_loses_a_row_is_a_plan_finding() -> None:
    runs = [Run("a sequential scan", "q1", (1, 2)), Run("enable_seqscan=off", "q2", (1,))]
    found = verdict([Answers("'cat'", runs, expected=(1, 2))])
    assert found is not None and found.variant == "plan"
    assert found.expected["rows"] == [1, 2] and found.actual["rows"] == [1]
    assert "enable_seqscan=off" in found.detail


def test_plans_that_agree_against_the_query_language_are_an_eval_finding() -> None:
    runs = [Run("a sequential scan", "q1", (1,)), Run("enable_seqscan=off", "q2", (1,))]
    found = verdict([Answers("'cat' <-> 'dog'", runs, expected=(1, 3))])
    assert found is not None and found.variant == "eval"
    assert verdict([Answers("'cat'", runs, expected=(1,))]) is None


def test_without_an_evaluator_the_runs_are_compared_with_each_other() -> None:
    same = [Run("MATCH", "q1", (2, 1)), Run("=", "q2", (1, 2))]
    assert verdict([Answers("cat", same)]) is None
    differ = [Run("MATCH", "q1", (1, 2)), Run("=", "q2", (2,))]
    found = verdict([Answers("cat", differ)])
    assert found is not None and found.variant == "plans"


def test_rows_out_of_their_order_are_an_order_finding() -> None:
    runs = [Run("ORDER BY rowid DESC", "q", (1, 3), order="desc")]
    found = verdict([Answers("cat", runs, expected=(1, 3))])
    assert found is not None and found.variant == "order" and found.expected == [3, 1]


def test_nothing_ran_is_no_verdict() -> None:
    with pytest.raises(Skip):
        verdict([Answers("cat")])


def test_the_postgresql_judge_reads_the_engines_tokens_and_each_plan() -> None:
    oracle = FTS(Context("postgres"))
    checks = oracle.backend.checks("SELECT id FROM fts_docs WHERE tsv @@ (to_tsquery('x'))")
    assert checks is not None
    vectors = _rows((1, "'cat':1 'dog':2"), (2, "'dog':1"), (3, None))
    text = _rows("'cat' <-> 'dog'")

    def outcomes(*plans: tuple[int, ...]) -> list[Rows]:
        """The vectors, the query's text, each run's ids in turn, nothing for the settings."""
        found = iter(plans)
        kinds = {"SELECT id FROM": lambda: _rows(*next(found)), "SELECT id, (": lambda: vectors,
                 "SELECT (": lambda: text}  # fmt: skip
        return [next((f() for k, f in kinds.items() if q.startswith(k)), _rows()) for q in checks]

    judge = oracle.backend.judge
    assert judge(checks, outcomes((1,), (1,), (1,), (1,))) is None
    assert judge(checks, outcomes((1,), (1,), (), (1,))).variant == "plan"
    assert judge(checks, outcomes((1, 2), (1, 2), (1, 2), (1, 2))).variant == "eval"


def test_the_fts5_judge_restricts_by_rowid_and_column() -> None:
    oracle = FTS(Context("sqlite"))
    vocab = _rows((1, "a", 0, "cat"), (2, "b", 0, "cat"), (3, "a", 0, "dog"))
    checks = [
        "SELECT doc, col, offset, term FROM fts_vocab",
        "SELECT rowid FROM fts_docs WHERE fts_docs MATCH 'cat'",
        "SELECT rowid FROM fts_docs WHERE fts_docs MATCH 'cat' AND rowid > 1",
        "SELECT rowid FROM fts_docs WHERE a MATCH 'cat'",
    ]
    judge = oracle.backend.judge
    assert judge(checks, [vocab, _rows(1, 2), _rows(2), _rows(1)]) is None
    found = judge(checks, [vocab, _rows(1, 2), _rows(1, 2), _rows(1)])
    assert found is not None and found.variant == "eval" and "rowid > 1" in found.detail


# -- on the engines ----------------------------------------------------------------------------


@pytest.fixture(params=["postgres", "sqlite", "sqlite+apsw"])
def target(request: pytest.FixtureRequest) -> Iterator[Engine]:
    engine = open_engine(request.param)
    yield engine
    engine.close()


def test_drawn_checks_are_judged_and_find_nothing_on_stock_engines(target: Engine) -> None:
    judged, rows = drawn_checks(target, "fts", 18, CHECKS)
    assert judged == CHECKS and rows > CHECKS // 2


def test_drawn_checks_on_pgserver(pgserver_url: str) -> None:
    engine = connect(pgserver_url)
    try:
        judged, rows = drawn_checks(engine, "fts", 5, CHECKS)
    finally:
        engine.close()
    assert judged == CHECKS and rows > CHECKS // 2


def test_the_forced_plan_is_an_index_scan() -> None:
    engine = open_engine("postgres")
    try:
        generator = Generator("postgres", 3, Options())
        (probe,) = FTS(Context("postgres")).draw(generator, 0)
        start, _ = split(probe.queries)
        for statement in probe.queries[:start]:
            assert engine.execute(statement).ok, statement
        query = next(q for q in probe.queries if q.startswith("SELECT id FROM"))
        assert "Index" in plan_of(engine, query, "enable_seqscan")
    finally:
        engine.execute("DROP TABLE IF EXISTS fts_docs")
        engine.close()


def test_a_finding_keeps_the_table_in_its_setup_and_replays_from_its_query(target: Engine) -> None:
    oracle = FTS(Context(target.dialect))
    (probe,) = oracle.draw(Generator(target.dialect, 7, Options()), 0)
    first = next(q for q in probe.queries if oracle.backend.is_run(q))
    seen = Discrepancy({"query": first, "rows": []}, {"query": first, "rows": [0]}, "made up")
    finding = oracle.finding(probe, seen, target, None, ["CREATE TABLE t0 (c0 integer)"])
    assert finding.setup[0] == "CREATE TABLE t0 (c0 integer)"
    assert any("fts_docs" in s for s in finding.setup)
    assert not any(s.startswith("DROP") for s in finding.setup + finding.queries)
    assert FTS.case_query(finding) == first
    (again,) = oracle.from_text(FTS.case_query(finding))
    # the stock engine agrees with itself: the made-up finding does not reproduce
    assert Pipeline(target).reproduces(oracle, again, finding.setup) is False


def test_an_engine_without_full_text_search_draws_no_fts_check() -> None:
    for dialect in ("mysql", "duckdb"):
        assert FTS(Context(dialect)).draw(Generator(dialect, 1, Options()), 0) == []
        assert FTS(Context(dialect)).from_text("SELECT 1") == []
