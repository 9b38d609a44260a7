"""Adaptive generation: which features a target rejects, learned from its compile errors,
and a generator that then leaves them out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fuzzer import ast as A
from fuzzer.adaptive import EVERY, MIN_FAILURES, Evidence
from fuzzer.cli import cli
from fuzzer.engines import Failure, Rows, connect
from fuzzer.errors import SQLState
from fuzzer.generator import Generator, Options, features
from fuzzer.jobs.session import Session
from triage.store import Store

OK = Rows((), [])
SYNTAX = Failure(SQLState.SYNTAX_ERROR, "1", "near X: syntax error")
NO_TABLE = Failure(SQLState.UNDEFINED_TABLE, "1", "no such table: t0")
ZERO = Failure(SQLState.DIVISION_BY_ZERO, "1", "division by zero")


def observed(*statements: tuple[set[str], object], times: int = 1) -> Evidence:
    evidence = Evidence()
    for _ in range(times):
        for found, outcome in statements:
            evidence.observe("Select", found, outcome)  # type: ignore[arg-type]
    return evidence


# -- attribution, without engines ---------------------------------------------------------------


def test_a_feature_whose_statements_always_fail_while_others_compile_is_turned_off() -> None:
    evidence = observed(
        ({"Select", "Func:ABS", "Func:NEW"}, SYNTAX),
        ({"Select", "Func:ABS"}, OK),
        ({"Select", "Join:LEFT"}, OK),
        times=10,
    )
    assert evidence.decide() == {"Func:NEW"}


def test_a_feature_is_not_turned_off_before_it_failed_often_enough() -> None:
    evidence = observed(({"Select", "Func:NEW"}, SYNTAX), ({"Select"}, OK), times=MIN_FAILURES - 1)
    assert evidence.decide() == frozenset()
    # nor while its failures are no more than the kind's own rate makes likely
    evidence = observed(({"Insert", "Func:NEW"}, SYNTAX), ({"Insert"}, SYNTAX), times=10)
    assert evidence.decide() == frozenset()


def test_a_feature_seen_only_beside_the_culprit_is_explained_away_by_it() -> None:
    evidence = observed(
        ({"Select", "Window", "Frame:GROUPS"}, SYNTAX),
        ({"Select", "Window", "Frame:GROUPS", "Func:RARE"}, SYNTAX),
        ({"Select", "Window", "Frame:ROWS"}, OK),
        ({"Select"}, OK),
        times=10,
    )
    evidence.observe("Select", {"Select", "Func:RARE", "Frame:GROUPS"}, SYNTAX)
    # RARE failed as often as it was seen, but every one of its failures had GROUPS in it
    assert evidence.decide() == {"Frame:GROUPS"}


def test_many_functions_each_failing_a_little_never_turn_every_function_off() -> None:
    """A PostgreSQL-only function per failure: `Func` is in all of them, but the verdict is
    on each function, once it has failed often enough on its own."""
    evidence = observed(
        *(({"Select", "Func", f"Func:PG{i}"}, SYNTAX) for i in range(40)),
        ({"Select", "Func", "Func:ABS"}, OK),
        ({"Select"}, OK),
    )
    assert evidence.decide() == frozenset()
    evidence = observed(({"Select", "Func", "Func:PG0"}, SYNTAX), times=10)
    evidence.merge(observed(({"Select", "Func", "Func:ABS"}, OK), ({"Select"}, OK), times=20))
    assert evidence.decide() == {"Func:PG0"}


def test_a_feature_that_mostly_compiles_stays_on_even_beside_failures() -> None:
    evidence = observed(
        ({"Select", "Join:LEFT", "Func:NEW"}, SYNTAX),
        ({"Select", "Join:LEFT"}, OK),
        ({"Select", "Join:LEFT"}, OK),
        times=10,
    )
    assert evidence.decide() == {"Func:NEW"}
    assert evidence.support("Join:LEFT") > 0.6


def test_runtime_errors_and_missing_tables_never_turn_a_feature_off() -> None:
    evidence = observed(
        ({"Select", "Binary:/"}, ZERO),
        ({"Select", "TableRef"}, NO_TABLE),
        ({"Select"}, OK),
        times=10,
    )
    assert evidence.decide() == frozenset()
    assert evidence.passed["Select", "Binary:/"] == 10  # a runtime error: it was understood
    assert ("Select", "TableRef") not in evidence.failed | evidence.passed


def test_evidence_taken_from_workers_merges_into_the_same_verdict() -> None:
    statements = [({"Select", "Func:NEW"}, SYNTAX), ({"Select"}, OK)]
    whole = observed(*statements, times=12)
    merged = Evidence()
    for _ in range(2):
        merged.merge(observed(*statements, times=6).take())
    assert merged.passed == whole.passed and merged.failed == whole.failed
    assert merged.decide() == whole.decide() == {"Func:NEW"}
    assert merged.passed["Select", EVERY] == 12 and merged.failed["Select", EVERY] == 12


# -- the generator ------------------------------------------------------------------------------

AVOID = frozenset({"Join:LEFT", "Func:ABS", "IsTruth", "Literal:date", "ColumnDef:bigint",
                   "Exists", "CreateIndex.where", "Frame:RANGE", "ColumnDef.collate",
                   "DerivedTable.lateral", "Aggregate.filter"})  # fmt: skip


def drawn(seed: int, avoid: frozenset[str], n: int = 150) -> list[A.Statement | A.Query]:
    g = Generator("postgres", seed, Options(deterministic=True, avoid=avoid))
    return [*g.database(), *(g.query() for _ in range(n))]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_generator_never_emits_what_it_avoids(seed: int) -> None:
    emitted = [features(s, detailed=True) for s in drawn(seed, AVOID)]
    assert not any(found & AVOID for found in emitted)
    assert any("Join:RIGHT" in found for found in emitted)  # the rest is still drawn


def test_the_same_seed_and_the_same_learned_table_give_the_same_sql() -> None:
    g = Generator("postgres", 0)
    render = g.render
    assert [render(s) for s in drawn(7, AVOID)] == [render(s) for s in drawn(7, AVOID)]
    assert [render(s) for s in drawn(7, frozenset())] == [
        render(s) for s in drawn(7, frozenset())
    ]


def test_detailed_features_name_types_and_optional_parts() -> None:
    column = A.ColumnDef("c0", A.UUID, collate="C")
    found = features(A.CreateTable("t0", (column,)), detailed=True)
    assert {"CreateTable", "ColumnDef", "ColumnDef:uuid", "ColumnDef.collate"} <= found
    assert "ColumnDef:uuid" not in features(A.CreateTable("t0", (column,)))


# -- on a real engine ---------------------------------------------------------------------------


def test_sqlite_spoken_to_in_postgres_learns_what_it_rejects_and_is_not_sent_it_again() -> None:
    """Fuzzing SQLite in the PostgreSQL dialect (as `fuzz run --dialect postgres` does): what
    it rejects is turned off, and the states generated after that never contain it."""
    engine = connect("sqlite:")
    engine.dialect = "postgres"  # type: ignore[misc]
    session = Session(target=engine, oracles=("tlp", "norec"), seed=1, checks_per_state=20)
    learned = Evidence()
    try:
        for state in range(60):
            session.run_state(state)
            learned.merge(session.evidence.take())
            session.avoid = learned.decide()
            if len(session.avoid) >= 2:
                break
        assert len(session.avoid) >= 2
        for state in range(100, 103):
            session.run_state(state)
    finally:
        engine.close()
    later = session.evidence.take()
    sent = {f for _, f in (*later.passed, *later.failed)}
    assert sent and sent.isdisjoint(session.avoid)
    for feature in session.avoid:  # each was rejected, again and again, before it went off
        assert learned.totals()[feature][1] >= MIN_FAILURES
        assert learned.support(feature) < learned.expected(feature) / 2


# -- the learned table in the triage store, and `fuzz generate --features` ----------------------


def learned_on_sqlite() -> Evidence:
    evidence = observed(
        ({"Select", "Func:NEW"}, SYNTAX), ({"Select", "Join:LEFT"}, OK), times=30
    )
    evidence.decide()
    evidence.off.add("Frame:GROUPS")  # off in an earlier run, with no counts of its own
    return evidence


def test_the_learned_table_round_trips_through_the_store_by_engine_and_version(
    tmp_path: Path,
) -> None:
    evidence = learned_on_sqlite()
    with Store.open(tmp_path / "t.db") as store:
        store.save_learned("sqlite", "3.40.1", evidence)
        store.save_learned("sqlite", "3.40.1", evidence)  # saving again replaces, never adds
        store.save_learned("duckdb", "1.0.0", Evidence())
    with Store.open(tmp_path / "t.db") as store:
        again = store.learned("sqlite", "3.40.1")
        other = store.learned("sqlite", "3.45.0")
    assert again.passed == evidence.passed and again.failed == evidence.failed
    assert again.off == {"Func:NEW", "Frame:GROUPS"}
    assert not other.off and not other.passed


def test_fuzz_generate_prints_the_table_learned_for_a_target(tmp_path: Path) -> None:
    engine = connect("sqlite:")
    version = engine.version
    engine.close()
    with Store.open(tmp_path / "t.db") as store:
        store.save_learned("sqlite", version, learned_on_sqlite())
    args = ["generate", "--target", "sqlite:", "--store", str(tmp_path / "t.db")]
    shown = CliRunner().invoke(cli, [*args, "--features", "--json"])
    assert shown.exit_code == 0, shown.output
    table = json.loads(shown.output)
    assert table["off"] == ["Frame:GROUPS", "Func:NEW"]
    assert table["statements"] == 60 and table["compiled"] == 30
    rows = {r["feature"]: r for r in table["features"]}
    assert rows["Func:NEW"]["off"] and rows["Func:NEW"]["failed"] == 30
    assert not rows["Join:LEFT"]["off"] and rows["Join:LEFT"]["passed"] == 30
    # each with the names the query text gives it, which profiles and findings use
    assert rows["Func:NEW"]["text"] == ["func:new"]
    assert rows["Join:LEFT"]["text"] == ["kw:JOIN", "kw:LEFT"]
    text = CliRunner().invoke(cli, [*args, "--features"])
    assert text.exit_code == 0 and "2 features off" in text.output
    assert "Func:NEW" in text.output.split("Join:LEFT")[0]  # the features off come first
    script = CliRunner().invoke(cli, [*args, "-n", "5"])
    assert script.exit_code == 0 and "CREATE TABLE" in script.output
