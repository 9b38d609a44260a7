"""The triage store: deduplication, the workflow, cases, migrations, no passwords."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from oracles.finding import EngineInfo, Finding
from oracles.signature import signature
from triage.store import (
    SCHEMA_VERSION,
    Status,
    Store,
    StoreError,
    default_path,
    migrate,
    schema_version,
)

BUG_A = ("cast", "select", "where")
BUG_B = ("group_by", "having", "select", "sum")


def engine(version: str = "3.45.1", name: str = "sqlite") -> EngineInfo:
    return EngineInfo(name, version, "sqlite", f"{name}:")


def bug(
    features: tuple[str, ...] = BUG_A,
    *,
    table: str = "t0",
    column: str = "c0",
    literal: object = 1,
    version: str = "3.45.1",
    title: str | None = None,
    oracle: str = "tlp",
    reversed_setup: bool = False,
    padding: int = 0,
) -> Finding:
    """One hit of a bug: the names, literals and statement order vary, the constructs of its
    query do not (each of `features` is a function the predicate calls; BUG_A is a CAST)."""
    setup = [
        f"CREATE TABLE {table}({column} INT)",
        f"CREATE TABLE {table}_b({column} TEXT)",
        *(f"INSERT INTO {table} VALUES ({n})" for n in range(padding)),
        f"INSERT INTO {table} VALUES ({literal!r})",
    ]
    if reversed_setup:
        setup = setup[1::-1] + setup[2:]
    calls = " AND ".join(f"{f}({column}) = {literal!r}" for f in features)
    if features == BUG_A:  # what those features name
        calls = f"CAST({column} AS TEXT) = {literal!r}"
    base = f"SELECT * FROM {table}"
    partitions = (f"WHERE ({calls})", f"WHERE NOT ({calls})", f"WHERE ({calls}) IS NULL")
    return Finding(
        oracle=oracle,
        variant="where",
        engine=engine(version),
        setup=tuple(setup),
        queries=(base, *(f"{base} {p}" for p in partitions)),
        expected=[[literal]],
        actual=[],
        features=features,
        title=title or f"TLP WHERE loses a row with CAST ({table}.{column})",
        seed=42,
        position="0/1/2",
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(tmp_path / "triage.db") as opened:
        yield opened


def occurrence_count(store: Store) -> int:
    return store.db["occurrences"].count


def test_ten_hits_of_one_bug_are_one_finding_and_two_bugs_are_two(store: Store) -> None:
    hits = [
        bug(
            table=f"t{n}",
            column=f"c{n % 3}",
            literal=n if n % 2 else f"'v{n}'",
            version=f"3.45.{n % 2}",
            reversed_setup=n % 3 == 0,
        )
        for n in range(10)
    ]
    assert len({h.script for h in hits}) == 10
    recorded = [store.record(h) for h in hits]
    other = store.record(bug(BUG_B, table="x", column="y"))

    assert [r.is_new for r in recorded] == [True] + [False] * 9
    assert {r.finding_id for r in recorded} == {recorded[0].finding_id}
    assert other.is_new and other.finding_id != recorded[0].finding_id
    found = store.findings()
    assert [(f.id, f.occurrences) for f in found] == [(recorded[0].finding_id, 10), (other[0], 1)]
    assert occurrence_count(store) == 11


def norec(hit: Finding) -> Finding:
    """NoREC's probe of the query a TLP hit partitioned."""
    source, p = hit.queries[1].removeprefix("SELECT * FROM ").split(" WHERE ", 1)
    queries = (f"SELECT COUNT(*) FROM {source} WHERE {p}",
               f"SELECT SUM(CASE WHEN {p} THEN 1 ELSE 0 END) FROM {source}")  # fmt: skip
    return Finding(**{**hit.__dict__, "oracle": "norec", "variant": "count",
                      "queries": queries, "expected": [[1]], "actual": [[0]]})  # fmt: skip


def test_oracles_flagging_one_query_are_one_finding_and_another_engine_another(
    store: Store,
) -> None:
    one = store.record(bug()).finding_id
    assert store.record(norec(bug(table="t7", literal=3))).finding_id == one
    for name in ("sum", "count"):
        aggregate = bug(table="t8")
        partition = aggregate.queries[1].replace("SELECT *", f"SELECT {name}(c0)")
        variant = Finding(**{**aggregate.__dict__, "variant": f"aggregate:{name}",
                             "queries": (aggregate.queries[0], partition)})  # fmt: skip
        assert store.record(variant).finding_id == one
    duck = Finding(**{**bug().__dict__, "engine": engine("1.1.0", name="duckdb")})
    assert store.record(duck).finding_id != one
    assert len(store.findings()) == 2
    evidence = {(e.oracle, e.variant): e.occurrences for e in store.evidence(one)}
    assert evidence == {("tlp", "where"): 1, ("norec", "count"): 1, ("tlp", "aggregate:sum"): 1,
                        ("tlp", "aggregate:count"): 1}  # fmt: skip


def test_the_queue_is_sorted_by_occurrences_and_filters(store: Store) -> None:
    for _ in range(3):
        store.record(bug(BUG_B))
    store.record(bug(BUG_A))
    store.record(bug(("select",), oracle="norec"))
    assert [f.occurrences for f in store.queue()] == [3, 1, 1]
    assert [f.oracle for f in store.findings(oracle="norec")] == ["norec"]
    assert store.findings(engine="postgresql") == []
    assert len(store.findings(since="2000-01-01T00:00:00Z")) == 3
    assert store.findings(since="2999-01-01T00:00:00Z") == []


def test_full_text_search_covers_sql_and_messages(store: Store) -> None:
    store.record(bug(table="orders"))
    store.record(bug(BUG_B, title="HAVING drops the NULL group"))
    assert [f.title for f in store.findings(search="NULL group")] == ["HAVING drops the NULL group"]
    assert len(store.findings(search="orders")) == 1
    assert store.findings(search='odd "quotes" AND (') == []


def test_a_quiet_finding_counts_hits_but_stays_out_of_the_queue(store: Store) -> None:
    reported = store.record(bug(BUG_A)).finding_id
    rejected = store.record(bug(BUG_B)).finding_id
    store.mark(reported, "reported", url="https://sqlite.org/forum/forumpost/1", note="filed")
    store.mark(rejected, "not-a-bug", note="documented behaviour")

    again = [store.record(bug(BUG_A, table="t9")), store.record(bug(BUG_B, literal=7))]

    assert [r.is_new for r in again] == [False, False]
    assert store.queue() == []
    assert store.get(reported).occurrences == 2
    assert store.get(reported).status == "reported"
    assert store.get(reported).url == "https://sqlite.org/forum/forumpost/1"
    assert store.get(rejected).status == "not-a-bug"


def test_a_duplicate_points_to_the_finding_that_stands_for_it(store: Store) -> None:
    first = store.record(bug(BUG_A)).finding_id
    second = store.record(bug(BUG_B)).finding_id
    third = store.record(bug(("select",))).finding_id
    store.mark(second, "duplicate", duplicate_of=first)
    assert store.mark(third, "duplicate", duplicate_of=second).duplicate_of == first
    store.record(bug(BUG_B))
    assert store.get(second).occurrences == 2
    assert [f.id for f in store.queue()] == [first]
    with pytest.raises(StoreError, match="itself"):
        store.mark(first, "duplicate", duplicate_of=third)
    with pytest.raises(StoreError, match="--of"):
        store.mark(first, "duplicate")
    with pytest.raises(StoreError, match="--of"):
        store.mark(first, "confirmed", duplicate_of=second)
    with pytest.raises(StoreError, match="unknown status"):
        store.mark(first, "wontfix")
    with pytest.raises(StoreError, match="no finding 99"):
        store.mark(99, "confirmed")


def test_a_fixed_finding_reopens_when_a_new_version_hits_it(store: Store) -> None:
    finding_id = store.record(bug(version="3.45.1")).finding_id
    store.mark(finding_id, "fixed", fixed_in="3.46.0")

    store.record(bug(version="3.45.1", table="old_build"))  # a build that had it: counted
    assert store.get(finding_id).status == "fixed"
    assert store.get(finding_id).occurrences == 2

    store.record(bug(version="3.47.0"))
    reopened = store.get(finding_id)
    assert (reopened.status, reopened.fixed_in, reopened.occurrences) == ("new", None, 3)
    assert [f.id for f in store.queue()] == [finding_id]
    last = store.history(finding_id)[-1]
    assert (last.old_status, last.new_status) == ("fixed", "new")
    assert "regression" in last.note and "3.47.0" in last.note and "3.46.0" in last.note


def test_a_hit_on_the_version_it_was_fixed_in_is_a_regression(store: Store) -> None:
    finding_id = store.record(bug(version="3.45.1")).finding_id
    store.record(bug(version="3.46.0"))
    store.mark(finding_id, "fixed", fixed_in="3.46.0")
    store.record(bug(version="3.46.0"))
    assert store.get(finding_id).status == "new"


def test_every_status_change_is_kept_with_note_and_time(store: Store) -> None:
    finding_id = store.record(bug()).finding_id
    store.mark(finding_id, "confirmed", note="reproduced by hand")
    store.mark(finding_id, "reported", url="https://bugs.example/1")
    store.mark(finding_id, "fixed", fixed_in="3.46.0", note="fixed upstream")
    history = store.history(finding_id)
    assert [(h.old_status, h.new_status) for h in history] == [
        (None, "new"),
        ("new", "confirmed"),
        ("confirmed", "reported"),
        ("reported", "fixed"),
    ]
    assert [h.note for h in history[1:]] == ["reproduced by hand", None, "fixed upstream"]
    assert history[2].url == "https://bugs.example/1"
    assert all(h.at.endswith("Z") for h in history)
    fixed = store.get(finding_id)
    assert (fixed.fixed_in, fixed.url) == ("3.46.0", "https://bugs.example/1")


def test_the_shortest_original_is_kept_and_a_reduction_wins(store: Store) -> None:
    finding_id = store.record(bug(padding=5)).finding_id
    store.record(bug(padding=1))
    store.record(bug(padding=9))  # longer: not kept
    assert [c.statements for c in store.cases(finding_id)] == [8, 12]

    short = bug(padding=0)
    reduced = Finding(**{**short.__dict__, "setup": short.setup[:1], "queries": short.queries[:1]})
    store.save_reduced(finding_id, reduced, {"steps": 12})
    best = store.best_case(finding_id)
    assert (best.kind, best.statements, best.stats) == ("reduced", 2, {"steps": 12})
    signed = signature(store.reproducer(finding_id), reduced=True)
    assert signed == store.get(finding_id).signature  # re-signed from its reduction
    assert store.reproducer(finding_id).queries == reduced.queries

    store.save_reduced(finding_id, "CREATE TABLE t(c);\nSELECT 1;\n")
    assert store.best_case(finding_id).script == "CREATE TABLE t(c);\nSELECT 1;\n"
    assert store.replayable_case(finding_id).queries == reduced.queries


def test_runs_know_what_they_found(store: Store) -> None:
    run = store.start_run("run", engines=[engine()], oracles=["tlp"], seed=7, settings={"n": 1})
    store.record(bug(BUG_A), run)
    store.record(bug(BUG_A), run)
    store.record(bug(BUG_B), run)
    store.finish_run(run, {"checks": 500})
    row = store.db["runs"].get(run)
    assert (row["occurrences"], row["new_findings"], row["seed"]) == (3, 2, 7)
    assert row["finished"] and row["counters"] == '{"checks": 500}'
    with pytest.raises(StoreError, match="no run 99"):
        store.finish_run(99)


def test_no_password_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "triage.db"
    with Store.open(path) as store:
        run = store.start_run(
            "run",
            engines=[EngineInfo("postgresql", "17.2", "postgres", "postgresql://fuzz@db/x")],
            settings={
                "reference": "postgresql://fuzz:s3cret@db:5432/x",
                "n": ["mysql://r:s3cret@h/"],
            },
        )
        leaky = Finding(
            **{
                **bug().__dict__,
                "title": "lost connection to mysql://root:s3cret@10.0.0.1/test",
                "extra": {"dsn": "postgresql://u:s3cret@h/d"},
            }
        )
        finding_id = store.record(leaky, run).finding_id
        store.finish_run(run, {"last_error": "could not connect to postgresql://u:s3cret@h/d"})
        store.mark(finding_id, "reported", url="https://bot:s3cret@tracker.example/1")
        assert store.get(finding_id).url == "https://bot:***@tracker.example/1"
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"s3cret" not in raw
    assert b"mysql://root:***@10.0.0.1/test" in raw


def test_default_path_is_shared_and_overridable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SQLPARITY_STORE", raising=False)
    assert default_path() == Path(".sqlparity/triage.db")
    monkeypatch.setenv("SQLPARITY_STORE", "/srv/fuzz/store.db")
    assert default_path() == Path("/srv/fuzz/store.db")


def test_an_old_store_is_migrated_forward(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    assert migrate(old, target=1) == 1
    old["findings"].insert(
        {
            "signature": "0123456789abcdef",
            "oracle": "tlp",
            "variant": "where",
            "engine": "sqlite",
            "engine_version": "3.40.0",
            "dialect": "sqlite",
            "features": "[]",
            "title": "from an old sqlparity",
            "status_at": "2024-01-01T00:00:00Z",
            "first_seen": "2024-01-01T00:00:00Z",
            "last_seen": "2024-01-01T00:00:00Z",
        }
    )
    old["cases"].insert(
        {
            "finding_id": 1,
            "kind": "original",
            "script": "SELECT zebra_column FROM t;",
            "statements": 1,
            "bytes": 27,
            "sha": "x",
            "created": "2024-01-01T00:00:00Z",
        }
    )
    assert "cases_fts" not in old.table_names()
    old.close()

    with Store.open(path) as store:
        assert schema_version(store.db) == SCHEMA_VERSION
        assert [f.title for f in store.findings(search="zebra_column")] == ["from an old sqlparity"]
        store.record(bug())
        assert len(store.findings()) == 2


def test_a_newer_store_or_another_database_is_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    Store.open(newer).close()
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="upgrade sqlparity"):
        Store.open(newer)

    foreign = tmp_path / "app.db"
    sqlite_utils.Database(foreign)["users"].insert({"name": "x"})
    with pytest.raises(StoreError, match="not a triage store"):
        Store.open(foreign)

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="not a triage store"):
        Store.open(garbage)

    with pytest.raises(StoreError, match="no triage store"):
        Store.open(tmp_path / "missing.db", create=False)


def test_status_names_are_the_workflow() -> None:
    assert [s.value for s in Status] == [
        "new",
        "confirmed",
        "reported",
        "fixed",
        "duplicate",
        "not-a-bug",
    ]


def test_a_finding_remembers_the_urls_it_was_found_at(store: Store) -> None:
    """`fuzz reduce ID` reaches the engine (and reference) the latest hit was made on."""
    first = store.record(bug()).finding_id
    later = EngineInfo("sqlite", "3.45.1", "sqlite", "sqlite+apsw:")
    store.record(Finding(**{**bug().__dict__, "engine": later}))
    assert store.reproducer(first).engine.url == "sqlite+apsw:"
    diff = Finding(**{**bug(BUG_B).__dict__, "oracle": "diff", "variant": "rows",
                      "reference": EngineInfo("duckdb", "1.4", "duckdb", "duckdb:")})  # fmt: skip
    found = store.reproducer(store.record(diff).finding_id)
    assert (found.engine.url, found.reference.url) == ("sqlite:", "duckdb:")


def test_hits_from_before_stored_urls_get_their_single_target_run_url(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        settings = {"targets": ["sqlite+apsw:"], "reference": None}
        run = store.start_run("fuzz run", engines=[engine()], settings=settings)
        finding_id = store.record(bug(), run).finding_id
    db = sqlite_utils.Database(path)
    db.executescript("ALTER TABLE occurrences DROP COLUMN engine_url; "
                     "ALTER TABLE occurrences DROP COLUMN reference_url; PRAGMA user_version = 5")
    db.close()
    with Store.open(path) as store:
        assert schema_version(store.db) == SCHEMA_VERSION
        assert store.reproducer(finding_id).engine.url == "sqlite+apsw:"
