"""The isolation oracle on the real servers: schedules, blocked clients, findings, profiles.

Hand-written schedules make the outcome certain (a lost update that MariaDB's REPEATABLE
READ lets through and PostgreSQL's aborts with 40001); drawn ones check that PostgreSQL's
SERIALIZABLE shows nothing over whole schedules, through the pipeline that confirms.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ENGINE_URLS, open_engine

from fuzzer.cli import cli
from fuzzer.engines import Engine
from fuzzer.reduce.interesting import script_text
from oracles.base import Context
from oracles.isolation import Isolation, schedule, workload
from oracles.isolation.history import FAIL, OK
from oracles.pipeline import Pipeline, Setup, replay


@pytest.fixture(params=["postgres", "mysql"])
def server(request: pytest.FixtureRequest) -> Iterator[Engine]:
    engine = open_engine(request.param)
    yield engine
    engine.close()


def oracle(engine: Engine, level: str, **options: object) -> Isolation:
    """The oracle at `level`; two clients unless told (the hand-written schedules use two)."""
    given = {"isolation": level, "clients": 2, **options}
    return Isolation(Context(engine.dialect, options=tuple(given.items())))


def script(engine: Engine, level: str, steps: list[tuple[int, int, str, str]]) -> list[str]:
    """The setup, then `(client, txn, what, sql)` steps (begin and commit spelled per
    dialect: sql None), then the final read."""
    spell = workload.spelling(engine.dialect)
    queries = workload.setup(engine.dialect, 5)
    for client, txn, what, sql in steps:
        if what == "begin":
            queries += [f"/* c{client} t{txn} begin */ {s}" for s in spell.begin[level]]
        elif what == "commit":
            queries.append(f"/* c{client} t{txn} commit */ COMMIT")
        else:
            queries.append(f"/* c{client} t{txn} {what} */ {sql}")
    final = max(t for _, t, _, _ in steps) + 1
    queries += [f"/* c0 t{final} begin */ {s}" for s in spell.begin["serializable"]]
    queries.append(f"/* c0 t{final} read */ SELECT k, v FROM iso_list ORDER BY k")
    queries.append(f"/* c0 t{final} commit */ COMMIT")
    return queries


def lost_update(engine: Engine, level: str) -> list[str]:
    """Both read l0, the first appends and commits, then the second appends."""
    append = workload.spelling(engine.dialect).append
    read = "SELECT k, v FROM iso_list WHERE k = 0"
    return script(engine, level, [
        (0, 1, "begin", ""), (1, 2, "begin", ""),
        (0, 1, "read", read), (1, 2, "read", read),
        (0, 1, "append l0=1", f"UPDATE iso_list SET v = {append.format(x=',1')} WHERE k = 0"),
        (0, 1, "commit", ""),
        (1, 2, "append l0=2", f"UPDATE iso_list SET v = {append.format(x=',2')} WHERE k = 0"),
        (1, 2, "commit", ""),
    ])  # fmt: skip


def check(engine: Engine, isolation: Isolation, queries: list[str]):
    probe = isolation._probe(queries, "full")
    return Pipeline(engine).check(isolation, probe, Setup([]))


def history(engine: Engine, isolation: Isolation, queries: list[str]):
    engine.reset()
    probe = isolation._probe(queries, "full")
    outcomes = isolation.run(probe, engine, lambda e, s: e.execute(s))
    return schedule.history_of(queries, outcomes)


def test_a_lost_update_is_found_under_read_committed_checked_as_serializable(server):
    isolation = oracle(server, "read-committed", expect="serializable")
    checked = check(server, isolation, lost_update(server, "read-committed"))
    assert checked.finding is not None
    assert checked.finding.variant == "lost-update"
    assert "T2" in checked.finding.actual and "T1" in checked.finding.actual
    assert checked.finding.features == ("isolation:read-committed", "append", "read")


def test_postgres_repeatable_read_aborts_the_lost_update_with_40001():
    engine = open_engine("postgres")
    try:
        isolation = oracle(engine, "repeatable-read")
        txns = history(engine, isolation, lost_update(engine, "repeatable-read")).txns
        assert [(t.status, t.sqlstate) for t in txns[:2]] == [(OK, None), (FAIL, "40001")]
        assert check(engine, isolation, lost_update(engine, "repeatable-read")).finding is None
    finally:
        engine.close()


def test_mariadb_repeatable_read_lost_update_is_reported_and_profiled_away():
    engine = open_engine("mysql")
    try:
        strict = oracle(engine, "repeatable-read")
        found = check(engine, strict, lost_update(engine, "repeatable-read")).finding
        assert found is not None and found.variant == "lost-update"
        assert replay(found, engine) is True  # as `triage recheck` asks
        profiled = oracle(engine, "repeatable-read", isolation_profile="mariadb")
        assert check(engine, profiled, lost_update(engine, "repeatable-read")).finding is None
    finally:
        engine.close()


def test_a_blocked_client_does_not_stop_the_others(server):
    """c1's append waits for c0's row lock; the scheduler goes on to c0's commit."""
    isolation = oracle(server, "read-committed", grace=0.5)  # c0 first, even under load
    append = workload.spelling(server.dialect).append
    queries = script(server, "read-committed", [
        (0, 1, "begin", ""), (1, 2, "begin", ""),
        (0, 1, "append l0=1", f"UPDATE iso_list SET v = {append.format(x=',1')} WHERE k = 0"),
        (1, 2, "append l0=2", f"UPDATE iso_list SET v = {append.format(x=',2')} WHERE k = 0"),
        (0, 1, "commit", ""), (1, 2, "commit", ""),
    ])  # fmt: skip
    txns = history(server, isolation, queries).txns
    assert [t.status for t in txns] == [OK, OK, OK]
    assert txns[-1].ops[0].value == (1, 2)  # the final read: c1's append after c0's


@pytest.mark.parametrize("level", ["serializable", "repeatable-read"])
def test_postgres_shows_nothing_its_level_forbids(level):
    engine = open_engine("postgres")
    try:
        isolation = oracle(engine, level, clients=4)
        rng = random.Random(5)
        for n in range(2):
            drawer = workload.Drawer(engine.dialect, isolation.workload, rng)
            queries = [*workload.setup(engine.dialect, 5), *drawer.schedule()]
            checked = check(engine, isolation, queries)
            assert checked.judged and checked.finding is None, (n, checked.finding)
    finally:
        engine.close()


def test_a_schedule_is_a_function_of_its_seed_and_tags_every_statement():
    draw = [workload.Drawer("postgres", workload.Workload(), random.Random(3)).schedule()
            for _ in range(2)]  # fmt: skip
    assert draw[0] == draw[1]
    tags = [workload.tag_of(s) for s in draw[0]]
    assert all(tags) and {t.client for t in tags} == {0, 1, 2, 3}
    assert tags[-1].txn == 25 and tags[-1].what == "commit"  # the final read's


def test_history_of_reads_tags_and_outcomes():
    from fuzzer.engines import Failure, Rows

    queries = [
        "/* c0 t1 begin */ BEGIN", "/* c0 t1 append l0=1 l1=1 */ UPDATE ...",
        "/* c0 t1 pread */ SELECT k, v FROM iso_list WHERE k BETWEEN 0 AND 1 FOR UPDATE",
        "/* c0 t1 commit */ COMMIT",
        "/* c1 t2 begin */ BEGIN", "/* c1 t2 read */ SELECT k, v FROM iso_reg WHERE k = 0",
        "/* c1 t2 commit */ COMMIT",
    ]  # fmt: skip
    ok = Rows((), [])
    outcomes = [ok, ok, Rows((), [(0, ",1"), (1, "")]), ok, ok, Rows((), [(0, None)]),
                Failure("40001", "40001", "could not serialize")]  # fmt: skip
    t1, t2 = schedule.history_of(queries, outcomes).txns
    assert (t1.status, t2.status, t2.sqlstate) == (OK, FAIL, "40001")
    assert [(o.f, o.key, o.value, o.predicate, o.locking) for o in t1.ops] == [
        ("append", "l0", 1, False, False), ("append", "l1", 1, False, False),
        ("read", "l0", (1,), True, True), ("read", "l1", (), True, True),
    ]  # fmt: skip
    assert [(o.key, o.value) for o in t2.ops] == [("r0", None)]


def test_a_companion_shares_the_scratch_space_and_closing_it_drops_nothing(server):
    server.reset()
    server.execute("CREATE TABLE shared (k INT)")
    other = server.companion()
    other.execute("INSERT INTO shared VALUES (1)")
    other.close()
    assert server.execute("SELECT k FROM shared").rows == [(1,)]


def test_an_in_process_engine_has_no_companion():
    from fuzzer.engines import EngineError, connect

    with connect("sqlite:") as engine, pytest.raises(EngineError, match="one session"):
        engine.companion()


def write_skew_among_others(engine: Engine, level: str) -> list[str]:
    """T1 and T2 both read l0 and l1, then T1 appends to l0 and T2 to l1 (a G2-item under
    READ COMMITTED); T3 and T4 and the extra reads and writes are beside the point."""
    append = workload.spelling(engine.dialect).append

    def on(key: int, x: int) -> tuple[str, str]:
        return (f"append l{key}={x}",
                f"UPDATE iso_list SET v = {append.format(x=f',{x}')} WHERE k = {key}")  # fmt: skip

    def read(table: str, key: int) -> tuple[str, str]:
        return "read", f"SELECT k, v FROM {table} WHERE k = {key}"

    return script(engine, level, [
        (0, 1, "begin", ""), (1, 2, "begin", ""), (2, 3, "begin", ""),
        (0, 1, *read("iso_list", 0)), (2, 3, *on(3, 1)), (1, 2, *read("iso_list", 0)),
        (0, 1, *read("iso_list", 1)), (1, 2, *read("iso_reg", 4)), (1, 2, *read("iso_list", 1)),
        (2, 3, *read("iso_list", 3)), (0, 1, *on(0, 2)), (1, 2, *on(1, 3)),
        (2, 3, "commit", ""), (0, 1, *read("iso_list", 2)), (0, 1, "commit", ""),
        (1, 2, "commit", ""), (2, 4, "begin", ""), (2, 4, *on(4, 4)), (2, 4, "commit", ""),
    ])  # fmt: skip


def test_a_finding_shrinks_to_its_cycle_by_dropping_transactions_and_operations():
    """On PostgreSQL's READ COMMITTED checked as serializable: the write skew alone stays,
    one read and one append in each of its transactions."""
    engine = open_engine("postgres")
    try:
        isolation = oracle(engine, "read-committed", clients=3, expect="serializable",
                           grace=0.5)  # the order holds under load: no statement here blocks
        queries = write_skew_among_others(engine, "read-committed")
        result = isolation.reduce(queries, engine)
        assert result is not None and result.finding is not None
        assert result.finding.variant == "G2-item"
        tags = [t for q in result.statements if (t := workload.tag_of(q))]
        assert {t.txn for t in tags} == {1, 2, 5}  # the cycle and the final read
        ops = [(t.txn, t.what) for t in tags if t.txn != 5 and t.what not in ("begin", "commit")]
        # each reads the list the other appends to, and appends to its own
        assert sorted(ops) == [(1, "append"), (1, "read"), (2, "append"), (2, "read")]
        assert result.stats.statements_after < result.stats.statements_before
    finally:
        engine.close()


def test_fuzz_reduce_reads_a_schedule_with_its_tags_and_reduces_it_by_the_oracle(tmp_path: Path):
    engine = open_engine("postgres")
    try:
        case = tmp_path / "skew.sql"
        case.write_text(script_text(write_skew_among_others(engine, "read-committed")))
    finally:
        engine.close()
    result = CliRunner().invoke(cli, [
        "reduce", str(case), "--oracle", "isolation", "--isolation", "read-committed",
        "--expect", "serializable", "-t", ENGINE_URLS["postgres"], "--json",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    reduced = (tmp_path / "skew.reduced.sql").read_text()
    assert "isolation/G2-item" in reduced and "t3" not in reduced and "t4" not in reduced
    # READ COMMITTED allows it: nothing to reduce, one line and exit 2
    result = CliRunner().invoke(cli, [
        "reduce", str(case), "--oracle", "isolation", "--isolation", "read-committed",
        "-t", ENGINE_URLS["postgres"],
    ])  # fmt: skip
    assert result.exit_code == 2 and "does not show the problem" in result.output


def differential(target: Engine, reference: Engine, level: str, **options: object) -> Isolation:
    given = {"isolation": level, "clients": 3, **options}
    context = Context(target.dialect, reference.dialect, options=tuple(given.items()))
    return Isolation(context)


def test_differential_postgres_against_postgres_shows_nothing():
    """The same drawn schedules on two PostgreSQL scratch databases, at SERIALIZABLE: the
    same transactions commit, and the history keeps the level."""
    target, reference = open_engine("postgres"), open_engine("postgres")
    try:
        isolation = differential(target, reference, "serializable", clients=4)
        assert isolation.needs_reference
        pipeline = Pipeline(target, reference)
        for seed in (11, 12):
            mirrored = workload.draw(reference.dialect, isolation.reference_workload, seed)
            probe = isolation._probe(workload.draw(target.dialect, isolation.workload, seed),
                                     "full", mirrored)  # fmt: skip
            assert probe.queries == probe.reference_queries  # one seed, one schedule
            checked = pipeline.check(isolation, probe, Setup([]))
            assert checked.judged and checked.finding is None, checked.finding
    finally:
        target.close()
        reference.close()


def test_differential_target_commits_a_write_skew_the_serializable_reference_aborted():
    """PostgreSQL's READ COMMITTED as the target, checked as serializable, against its
    SERIALIZABLE as the reference: the target's G2-item is the finding, and it says which
    of its transactions the reference aborted with 40001."""
    target, reference = open_engine("postgres"), open_engine("postgres")
    try:
        isolation = differential(target, reference, "read-committed", expect="serializable",
                                 reference_isolation="serializable", grace=0.5)  # fmt: skip
        skew = write_skew_among_others(target, "read-committed")
        mirrored = write_skew_among_others(reference, "serializable")
        probe = isolation._probe(skew, "full", mirrored)
        found = Pipeline(target, reference).check(isolation, probe, Setup([])).finding
        assert found is not None and found.variant == "G2-item"
        assert "the reference aborted T" in found.actual and "(40001)" in found.actual
        assert found.reference is not None and found.extra["reference_isolation"] == "serializable"
        assert found.extra["compared"]["committed_more"]
    finally:
        target.close()
        reference.close()


def test_a_target_that_aborts_what_the_reference_committed_is_its_own_variant(tmp_path: Path):
    """PostgreSQL's REPEATABLE READ as the target aborts the second writer of a lost
    update (40001); its READ COMMITTED as the reference commits it: `aborts-more`, which a
    profile may accept."""
    target, reference = open_engine("postgres"), open_engine("postgres")
    try:
        isolation = differential(target, reference, "repeatable-read", clients=2,
                                 reference_isolation="read-committed", expect="read-committed")
        probe = isolation._probe(lost_update(target, "repeatable-read"), "full",
                                 lost_update(reference, "read-committed"))  # fmt: skip
        found = Pipeline(target, reference).check(isolation, probe, Setup([])).finding
        assert found is not None and found.variant == "aborts-more"
        assert found.actual == "T2 (40001)"
        accepting = tmp_path / "optimistic.toml"
        accepting.write_text('[[accept]]\nanomaly = "aborts-more"\nreason = "optimistic"\n')
        isolation = differential(target, reference, "repeatable-read", clients=2,
                                 reference_isolation="read-committed", expect="read-committed",
                                 isolation_profile=str(accepting))  # fmt: skip
        assert Pipeline(target, reference).check(isolation, probe, Setup([])).finding is None
    finally:
        target.close()
        reference.close()


def test_one_seed_draws_one_schedule_in_every_dialect():
    """Differential mode runs the same schedule on both engines: only the spelling differs."""
    def ops(dialect: str) -> list[workload.Tagged]:
        drawn = workload.draw(dialect, workload.Workload(), 8)
        return [t for s in drawn if (t := workload.tag_of(s)) and t.what != "begin"]

    assert ops("postgres") == ops("mysql")


def test_free_running_clients_leave_a_whole_history_that_keeps_the_level():
    """Without the controller each client runs its transactions back to back: every one
    ends (committed or aborted with its SQLSTATE), and PostgreSQL's SERIALIZABLE still
    shows nothing it forbids."""
    engine = open_engine("postgres")
    try:
        isolation = oracle(engine, "serializable", clients=4, free_running=True)
        assert isolation.free
        queries = workload.draw(engine.dialect, isolation.workload, 21)
        txns = history(engine, isolation, queries).txns
        assert len(txns) == 25 and all(t.status in (OK, FAIL) for t in txns)
        assert all(t.sqlstate for t in txns if t.status == FAIL)
        assert check(engine, isolation, queries).finding is None
    finally:
        engine.close()


def test_a_session_runs_the_differential_across_dialects_without_the_generated_state():
    """PostgreSQL against MariaDB: the schedule makes its own tables, so the session builds
    no generated state on the reference (which MariaDB could not spell) and skips nothing."""
    from fuzzer.jobs.session import Session

    target, reference = open_engine("postgres"), open_engine("mysql")
    try:
        found = []
        session = Session(target, ("isolation",), seed=3, reference=reference,
                          oracle_options=(("isolation", "serializable"), ("clients", 2)),
                          checks_per_state=2, report=found.append)  # fmt: skip
        session.run_state(0)
        assert session.stats.checks == 2 and session.stats.skipped == 0
        assert all(f.reference is not None for f in found)
    finally:
        target.close()
        reference.close()
