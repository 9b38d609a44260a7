"""The hand-written PostgreSQL 15 -> 16 cases (corpus/parity/pg15-pg16): a second PostgreSQL
against the test server's 15 must flag every one, and 15 against itself none. The second
PostgreSQL is each of conftest's session servers: pgserver (`pgserver_url`, PostgreSQL 16 on
a Unix socket, from PyPI) and PGlite (`pglite_url`, PostgreSQL 18, which has all of 16's
changes, from npm). Locally a missing one is skipped; in CI it fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import open_engine

from fuzzer.engines import Engine, connect
from fuzzer.script import split
from oracles.checker import Checker, Script

CASES = sorted((Path(__file__).parent.parent / "corpus/parity/pg15-pg16").glob("*.sql"))


@pytest.fixture(scope="module")
def pg15() -> Iterator[Engine]:
    engine = open_engine("postgres")
    if not engine.version.startswith("15"):
        engine.close()
        pytest.skip(f"the cases are 15's; the test server is {engine.version}")
    yield engine
    engine.close()


def _scripts() -> list[Script]:
    return [Script.of(p, split(p.read_text(encoding="utf-8"))) for p in CASES]


def test_there_are_cases() -> None:
    assert len(CASES) >= 15


def test_a_later_postgresql_against_15_flags_every_case(second_postgres: str, pg15: Engine) -> None:
    with connect(second_postgres) as target:
        checker = Checker(target, ("diff",), pg15)
        flagged = {s.path.name: [f.variant for f in checker.check(s)] for s in _scripts()}
    assert {name: len(v) for name, v in flagged.items()} == {p.name: 1 for p in CASES}
    # a data exception on 15, a value on 16: compared because the query reads one row
    assert flagged["hex_input_integer.sql"] == ["error"]
    assert flagged["hex_literal_overflow.sql"] == ["sqlstate"]  # 42601 on 15, 22003 on 16


def test_postgresql_15_against_itself_flags_none(pg15: Engine) -> None:
    checker = Checker(pg15, ("diff", "expr"), pg15)
    assert [f for s in _scripts() for f in checker.check(s)] == []
