"""Pinned engine releases and the engine host: real releases, installed once into the cache.

The first run installs DuckDB 0.10.0 and 0.10.2 and apsw 3.39.4.0 and 3.40.0.0 with pip from
the configured index (about 3 s each here); later runs reuse them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fuzzer.engines import EngineError, Refused, connect
from fuzzer.engines.hosted import HOST_DIED, HostedEngine
from fuzzer.engines.releases import Release, Version
from fuzzer.jobs.session import Session

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "known-bugs"
DUCKDB_BUGGY, DUCKDB_FIXED = "duckdb:?version=0.10.0", "duckdb:?version=0.10.2"
SQLITE_BUGGY, SQLITE_FIXED = "sqlite+apsw:?version=3.39.4", "sqlite:?version=3.40.0"


def fuzz(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fuzzer", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)  # fmt: skip


def test_a_sqlite_release_is_the_newest_apsw_that_bundles_it():
    assert Release.of("sqlite", "3.41.0").requirements == ("apsw>=3.41.0,<3.41.1",)
    assert Release.of("sqlite+apsw", "3.41.0.0").requirements == ("apsw==3.41.0.0",)
    assert Release.of("duckdb", "1.1.3").requirements == ("duckdb==1.1.3",)
    assert Release.of("duckdb", "1.1.3").home.name.startswith("duckdb-1.1.3-py3.")
    assert sorted(map(Version, ["0.10.0", "0.9.2", "1.0.0"])) == list(
        map(Version, ["0.9.2", "0.10.0", "1.0.0"])
    )
    with pytest.raises(EngineError, match="not a release number"):
        Release.of("duckdb", "latest; rm -rf /")
    with pytest.raises(EngineError, match="can be pinned for"):
        Release.of("postgresql", "15")


def test_a_pinned_release_runs_in_its_host_and_keeps_its_guard():
    engine = connect(DUCKDB_BUGGY)
    try:
        assert isinstance(engine, HostedEngine)
        assert (engine.name, engine.version, engine.dialect) == ("duckdb", "0.10.0", "duckdb")
        assert str(engine.url) == DUCKDB_BUGGY  # findings name the release they ran on
        engine.execute("CREATE TABLE t (a INT)")
        engine.execute("INSERT INTO t VALUES (1), (NULL)")
        got = engine.execute("SELECT a, 1.5 FROM t ORDER BY a")
        assert got.ok and [r[0] for r in got.rows] == [1, None]
        with pytest.raises(Refused, match="ATTACH"):
            engine.execute("ATTACH '/tmp/elsewhere.duckdb' AS x")
        engine.reset()
        assert not engine.execute("SELECT * FROM t").ok
    finally:
        engine.close()
    sqlite = connect(SQLITE_FIXED)  # `sqlite:` pinned is SQLite through apsw
    try:
        assert (sqlite.name, sqlite.version, sqlite.dialect) == ("sqlite", "3.40.0", "sqlite")
        with pytest.raises(Refused):
            sqlite.execute("ATTACH '/tmp/elsewhere.db' AS x")
    finally:
        sqlite.close()


def test_a_release_that_cannot_be_installed_is_one_line_and_exit_2(tmp_path: Path):
    (tmp_path / "q.sql").write_text("SELECT 1;\n")
    result = fuzz("check", "-t", "duckdb:?version=0.0.3", str(tmp_path / "q.sql"), cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot install duckdb 0.0.3" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_an_engine_host_that_dies_is_a_lost_connection_not_a_dead_caller():
    engine = connect("duckdb:?isolate=1")
    try:
        assert engine.version == __import__("duckdb").__version__
        engine.execute("CREATE TABLE t (a INT)")
        os.kill(engine._proc.pid, signal.SIGSEGV)  # what an engine's segfault does to it
        engine._proc.wait()
        died = engine.execute("SELECT * FROM t")
        assert not died.ok and died.connection_lost and died.code == HOST_DIED
        assert "SIGSEGV" in died.message
        engine.reconnect()  # a new host, an empty scratch space
        assert engine.execute("SELECT 42").rows == [(42,)]
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("buggy", "fixed", "today", "case"),
    [
        (DUCKDB_BUGGY, DUCKDB_FIXED, "duckdb:", "duckdb-union-empty-branch-filter.sql"),
        (SQLITE_BUGGY, SQLITE_FIXED, "sqlite+apsw:",
         "sqlite-right-join-expression-index-without-rowid.sql"),
    ],
    ids=["duckdb", "sqlite"],
)
def test_two_releases_of_one_engine_are_target_and_reference_at_full_width(
    tmp_path: Path, buggy: str, fixed: str, today: str, case: str
):
    target, reference = connect(buggy, guard=False), connect(fixed, guard=False)
    try:
        session = Session(target, ("diff",), reference=reference, seed=5, checks_per_state=10)
        assert not session._portable  # one dialect: casts, RIGHT and FULL joins, every type
        session.run_state(0)
        assert session.stats.checks > 0
    finally:
        target.close()
        reference.close()
    script = str(CORPUS / case)
    flagged = fuzz("check", "--json", "--oracle", "diff", "-t", buggy, "-r", fixed, script,
                   cwd=tmp_path)  # fmt: skip
    assert flagged.returncode == 1, flagged.stderr
    (found,) = json.loads(flagged.stdout)["findings"]
    assert found["oracle"] == "diff"
    quiet = fuzz("check", "--json", "--oracle", "diff", "-t", fixed, "-r", today,
                 script, cwd=tmp_path)  # fmt: skip
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr


def test_a_batch_answers_each_statement_and_leaves_the_pipe_in_step():
    engine = connect("sqlite+apsw:?isolate=1")
    try:
        seen: list[str] = []
        batch = ["CREATE TABLE t (a)", "SELECT * FROM nope", "INSERT INTO t VALUES (1)",
                 "SELECT a FROM t"]  # fmt: skip
        outcomes = list(engine.execute_many(batch, before=seen.append))
        assert [o.ok for o in outcomes] == [True, False, True, True] and seen == batch
        assert outcomes[-1].rows == [(1,)]
        stopped = engine.execute_many(["SELECT 1", "SELECT 2", "SELECT 3"])
        assert next(stopped).rows == [(1,)]
        stopped.close()  # the caller gave up: the rest is read and dropped
        with pytest.raises(Refused):
            list(engine.execute_many(["SELECT 5", "ATTACH 'elsewhere.db' AS x", "SELECT 6"]))
        assert engine.execute("SELECT 4").rows == [(4,)]
    finally:
        engine.close()


def test_a_crash_is_contained_in_a_host_of_its_own_never_on_a_server():
    """Where a crash's reduction may run beside a job: in an engine host, whose death takes
    nothing else down; a server's crash would take the job's engine with it."""
    from fuzzer.engines import EngineURL, contained

    assert str(contained(EngineURL.parse("duckdb:"))) == "duckdb:?isolate=1"
    assert str(contained(EngineURL.parse("sqlite:///x.db?mode=ro"))) == \
        "sqlite:///x.db?mode=ro&isolate=1"  # fmt: skip
    assert str(contained(EngineURL.parse(DUCKDB_BUGGY))) == DUCKDB_BUGGY
    assert contained(EngineURL.parse("postgresql://postgres@127.0.0.1:5432/postgres")) is None
    assert contained(EngineURL.parse("mysql://root@127.0.0.1:3306/test")) is None
