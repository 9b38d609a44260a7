"""MariaDB against MariaDB under another `sql_mode` (`mysql://...?sql_mode=...`), on the real
server: a test of the same-dialect differential itself. A setting that only rejects more
queries (ONLY_FULL_GROUP_BY) leaves every query valid under both modes its answer, and the
differential stays quiet; a setting that gives an operator another meaning (PIPES_AS_CONCAT)
is a divergence it must flag."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import IN_CI, MYSQL_URL

from fuzzer.engines import Engine, EngineError, connect
from fuzzer.engines.mysql import SQL_MODE
from fuzzer.generator import Generator, Options
from oracles.base import Context
from oracles.differential import Accepted, Differential, Profile
from oracles.pipeline import Pipeline, Setup

#: the default mode without ONLY_FULL_GROUP_BY: no query valid under both answers otherwise
LAX_GROUPING = "STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"


def _open(url: str) -> Engine:
    try:
        return connect(url, timeout=10)
    except EngineError as exc:
        if IN_CI:
            raise
        pytest.skip(f"mysql server unavailable: {exc}")


def _with_mode(mode: str) -> str:
    return f"{MYSQL_URL}{'&' if '?' in MYSQL_URL else '?'}sql_mode={mode}"


@pytest.fixture
def reference() -> Iterator[Engine]:
    engine = _open(MYSQL_URL)
    yield engine
    engine.close()


def _mode(engine: Engine) -> str:
    return engine.execute("SELECT @@SESSION.sql_mode").rows[0][0]  # type: ignore[union-attr]


def test_the_urls_sql_mode_is_the_sessions_and_survives_a_reconnect(reference: Engine) -> None:
    assert _mode(reference) == SQL_MODE
    target = _open(_with_mode("ANSI_QUOTES,PIPES_AS_CONCAT"))
    try:
        assert _mode(target) == "PIPES_AS_CONCAT,ANSI_QUOTES"
        target.reconnect()
        assert _mode(target) == "PIPES_AS_CONCAT,ANSI_QUOTES"
        assert "sql_mode=ANSI_QUOTES" in str(target.url)  # findings name the setting
    finally:
        target.close()
    empty = _open(_with_mode(""))
    try:
        assert _mode(empty) == ""
    finally:
        empty.close()


def test_a_mode_the_server_does_not_know_is_one_line() -> None:
    try:
        engine = connect(_with_mode("NO_SUCH_MODE"), timeout=10)
    except EngineError as exc:
        assert "NO_SUCH_MODE" in str(exc) and "\n" not in str(exc)
    else:
        engine.close()
        pytest.fail("an unknown sql_mode was taken")


def _differential(
    reference: Engine, target: Engine, profile: Profile | None = None
) -> tuple[Differential, Pipeline]:
    context = Context(target.dialect, reference=reference.dialect, profile=profile)
    return Differential(context), Pipeline(target, reference)


SETUP = ("CREATE TABLE t (a INTEGER PRIMARY KEY, b VARCHAR(5))",
         "INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'x')")  # fmt: skip


def _build(engine: Engine, setup: tuple[str, ...] | list[str]) -> None:
    engine.reset()
    for statement in setup:
        engine.execute(statement)


def test_a_setting_that_changes_an_operators_meaning_is_flagged(reference: Engine) -> None:
    target = _open(_with_mode(f"PIPES_AS_CONCAT,{SQL_MODE}"))
    try:
        oracle, pipeline = _differential(reference, target)
        for engine in (reference, target):
            _build(engine, SETUP)
        (probe,) = oracle.from_text("SELECT b || 'z' AS c FROM t WHERE a = 1")
        checked = pipeline.check(oracle, probe, Setup(SETUP, SETUP))
        assert checked.finding is not None and checked.finding.variant == "rows"
        assert checked.finding.actual == [["xz"]]
        assert "PIPES_AS_CONCAT" in checked.finding.engine.url
        # what the mode means, a profile accepts
        accepting = Profile(accepted=(Accepted(variant="rows", feature="op:||"),))
        oracle, pipeline = _differential(reference, target, accepting)
        (probe,) = oracle.from_text("SELECT b || 'z' AS c FROM t WHERE a = 1")
        assert pipeline.check(oracle, probe, Setup(SETUP, SETUP)).finding is None
    finally:
        target.close()


def test_grouping_checks_off_change_no_answer_of_the_generators_queries(
    reference: Engine,
) -> None:
    target = _open(_with_mode(LAX_GROUPING))
    try:
        oracle, pipeline = _differential(reference, target)
        (probe,) = oracle.from_text("SELECT b, COUNT(*) AS n FROM t GROUP BY b")
        for engine in (reference, target):
            _build(engine, SETUP)
        assert pipeline.check(oracle, probe, Setup(SETUP, SETUP)).finding is None
        judged = 0
        for seed in range(3):
            g = Generator("mysql", seed, Options(deterministic=True))
            setup = [g.render(s) for s in g.database()]
            for engine in (reference, target):
                _build(engine, setup)
            for turn in range(25):
                for probe in oracle.draw(g, turn):
                    checked = pipeline.check(oracle, probe, Setup(setup, setup))
                    assert checked.finding is None, checked.finding
                    judged += checked.judged
        assert judged >= 40
    finally:
        target.close()
