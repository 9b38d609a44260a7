"""The statement guard of the embedded engines, on the real engines and through `fuzz check`.

A user's script must not reach a file sqlparity did not create; generated SQL must never be
refused (fuzz run's workers run it unguarded, and the guard must not hide a difference).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from fuzzer.engines import Engine, Refused, connect
from fuzzer.engines.sqlite import APPLICATION_ID
from fuzzer.generator import Generator, Options

SQLITES = ["sqlite:", "sqlite+apsw:"]


def fuzz(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzzer", *args], capture_output=True, text=True, cwd=cwd,
        timeout=300,
    )  # fmt: skip


def user_sqlite_file(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE precious (a INTEGER)")
        conn.execute("INSERT INTO precious VALUES (1), (2)")
    conn.close()
    return path


def rows_of_sqlite(path: Path) -> list[tuple[int]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT a FROM precious ORDER BY a").fetchall()
    finally:
        conn.close()


def assert_refused_in_one_line(
    result: subprocess.CompletedProcess[str], script: Path, statement: str
) -> None:
    """One line that names the script, the statement, and (checked by the caller) why."""
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"fuzz: error: {script}: refused to run `"), lines[0]
    assert statement in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("target", SQLITES)
def test_a_script_that_attaches_a_users_sqlite_file_leaves_it_untouched(
    tmp_path: Path, target: str
):
    user = user_sqlite_file(tmp_path / "user.db")
    before = user.read_bytes()
    case = tmp_path / "attack.sql"
    case.write_text(
        "CREATE TABLE t (a INTEGER);\nATTACH 'user.db' AS u;\nDELETE FROM u.precious;\n"
        "SELECT a FROM t WHERE a > 0;\n"
    )
    result = fuzz("check", "--target", target, str(case), cwd=tmp_path)
    assert_refused_in_one_line(result, case, "ATTACH 'user.db' AS u")
    assert "ATTACH opens another database file" in result.stderr
    assert rows_of_sqlite(user) == [(1,), (2,)]
    assert user.read_bytes() == before


@pytest.mark.parametrize("url", SQLITES)
@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("ATTACH '{file}' AS u", "ATTACH"),
        ("DETACH temp", "DETACH"),
        ("SELECT load_extension('{file}')", "load_extension"),
        ("PRAGMA writable_schema = ON", "writable_schema"),
        ("PRAGMA temp_store_directory = '{dir}'", "temp_store_directory"),
        ("PRAGMA data_store_directory = '{dir}'", "data_store_directory"),
        ("PRAGMA soft_heap_limit = 1", "soft_heap_limit"),
        ("PRAGMA application_id = 7", "application_id"),
        ("VACUUM INTO '{dir}/copy.db'", "VACUUM INTO"),
        ("vacuum main into '{dir}/copy.db'", "VACUUM INTO"),
        ("SELECT 1; VACUUM INTO '{dir}/copy.db'", "VACUUM INTO"),
    ],
)
def test_sqlite_refuses_what_reaches_outside_its_database(
    tmp_path: Path, url: str, statement: str, reason: str
):
    sql = statement.format(file=user_sqlite_file(tmp_path / "user.db"), dir=tmp_path)
    with connect(url) as engine:
        with pytest.raises(Refused) as refused:
            engine.execute(sql)
        assert reason in refused.value.reason and refused.value.statement == sql
        assert engine.execute("PRAGMA application_id").rows == [(APPLICATION_ID,)]
        assert [row[1] for row in engine.execute("PRAGMA database_list").rows] == ["main"]
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.parametrize("url", SQLITES)
def test_sqlites_authorizer_alone_stops_vacuum_into_past_the_lexical_check(
    tmp_path: Path, url: str
):
    with connect(url) as engine, pytest.raises(Refused, match="ATTACH"):
        engine._execute(f"VACUUM INTO '{tmp_path}/copy.db'")  # what admit() would refuse
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.parametrize("url", SQLITES)
def test_sqlite_allows_what_stays_in_its_database(url: str):
    with connect(url) as engine:
        for sql in (
            "CREATE TABLE t (a INTEGER)",
            "INSERT INTO t VALUES (1)",
            "CREATE TEMP TABLE tt AS SELECT * FROM main.t",
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM tt; END",
            "VACUUM",
            "ANALYZE",
            "REINDEX",
            "PRAGMA main.table_info(t)",
            "PRAGMA foreign_keys = ON",
            "PRAGMA application_id",
            "SELECT * FROM pragma_table_info('t')",
            "WITH x AS (SELECT a FROM t) SELECT * FROM x, temp.tt",
        ):
            assert engine.execute(sql).ok, sql


@pytest.mark.parametrize("url", SQLITES)
def test_the_authorizer_is_for_guarded_sqlite_engines_only_and_extensions_stay_off(url: str):
    # Unguarded engines run only generated SQL, for which the authorizer would cost 11-22% of
    # the time spent in SQLite; `fuzz check`, `fuzz reduce` and `triage recheck` are guarded.
    with connect(url, guard=False) as engine:
        assert engine.execute("PRAGMA soft_heap_limit").ok
        # Extension loading stays off all the same: SQLite itself refuses the function.
        loaded = engine.execute("SELECT load_extension('/nonexistent')")
        assert not loaded.ok and "not authorized" in loaded.message


def user_duckdb_file(path: Path) -> Path:
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE precious (a INTEGER)")
    conn.execute("INSERT INTO precious VALUES (1), (2)")
    conn.close()
    return path


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("ATTACH 'user.duckdb' AS u", "ATTACH"),
        ("COPY t TO 'out.csv'", "COPY"),
        ("CREATE TABLE stolen AS SELECT * FROM read_csv('user.csv')", "external access is off"),
        ("EXPORT DATABASE 'export'", "EXPORT"),
    ],
)
def test_a_script_that_reaches_a_users_files_from_duckdb_is_refused(
    tmp_path: Path, statement: str, reason: str
):
    duck = user_duckdb_file(tmp_path / "user.duckdb")
    csv = tmp_path / "user.csv"
    csv.write_text("a\n1\n")
    before = {p: p.read_bytes() for p in (duck, csv)}
    sql = statement
    case = tmp_path / "attack.sql"
    case.write_text(
        f"CREATE TABLE t (a INTEGER);\n{sql};\nDELETE FROM u.precious;\n"
        "SELECT a FROM t WHERE a > 0;\n"
    )
    result = fuzz("check", "--target", "duckdb:", str(case), cwd=tmp_path)
    assert_refused_in_one_line(result, case, sql[:50])
    assert reason in result.stderr
    assert {p: p.read_bytes() for p in (duck, csv)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attack.sql", "user.csv", "user.duckdb"]
    conn = duckdb.connect(str(duck), read_only=True)
    assert conn.execute("SELECT a FROM precious ORDER BY a").fetchall() == [(1,), (2,)]
    conn.close()


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("DETACH memory", "DETACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("FORCE INSTALL httpfs", "INSTALL"),
        ("LOAD json", "LOAD"),
        ("IMPORT DATABASE '{dir}'", "IMPORT"),
        ("COPY FROM DATABASE memory TO memory", "COPY"),
        ("SET enable_external_access = true", "enable_external_access"),
        ("SET GLOBAL lock_configuration = false", "lock_configuration"),
        ("RESET enable_external_access", "enable_external_access"),
        ("RESET ALL", "all"),
        ("PRAGMA enable_external_access = true", "enable_external_access"),
        ("SET allowed_directories = ['/']", "allowed_directories"),
        ("SELECT 1; ATTACH '{dir}/x.duckdb' AS x", "ATTACH"),
        # a list holding "]" is no bracket-quoted name that could swallow the next quote
        ("SELECT ['a]'][1]; ATTACH '{dir}/x.duckdb' AS x; -- ']", "ATTACH"),
        ("SELECT $$'$$; ATTACH '{dir}/x.duckdb' AS x; -- '", "ATTACH"),
    ],
)
def test_duckdb_refuses_what_would_reopen_or_leave_its_database(
    tmp_path: Path, statement: str, reason: str
):
    sql = statement.format(dir=tmp_path)
    with connect("duckdb:") as engine:
        with pytest.raises(Refused) as refused:
            engine.execute(sql)
        assert reason in refused.value.reason
        assert_locked(engine)
    assert list(tmp_path.iterdir()) == []


def assert_locked(engine: Engine) -> None:
    """External access off; the configuration locked, on releases that can lock it (0.7+)."""
    settings = dict(engine.execute("SELECT name, value FROM duckdb_settings()").rows)
    assert settings["enable_external_access"] == "false"
    assert settings.get("lock_configuration", "true") == "true"
    assert engine.execute("SET threads = 3").ok is ("lock_configuration" not in settings)


def test_duckdb_stays_locked_and_usable_across_resets_and_on_its_own_file(tmp_path: Path):
    for url in ("duckdb:", f"duckdb:///{tmp_path}/scratch.duckdb", "duckdb:?threads=1"):
        with connect(url) as engine:
            for _ in range(3):
                assert engine.execute("CREATE TABLE t AS SELECT range AS a FROM range(1000)").ok
                assert engine.execute("CHECKPOINT").ok
                assert engine.execute("SELECT count(*) FROM t").rows == [(1000,)]
                assert_locked(engine)
                engine.reset()
                assert not engine.execute("SELECT * FROM t").ok
            if "threads" in url:  # the URL's own settings come before the lock
                assert engine.execute("SELECT current_setting('threads')").rows[0][0] in (1, "1")
    assert list(tmp_path.iterdir()) == []



def test_an_unguarded_duckdb_keeps_external_access_off_and_its_planner_settings_free(
    tmp_path: Path,
):
    """fuzz run's workers run only sqlparity's own statements, the dqp oracle's planner knobs
    among them: the configuration stays open to those, the files stay closed."""
    with connect("duckdb:", guard=False) as engine:
        settings = dict(engine.execute("SELECT name, value FROM duckdb_settings()").rows)
        assert settings["enable_external_access"] == "false"
        assert engine.execute("SET disabled_optimizers = 'filter_pushdown'").ok
        assert not engine.execute("SET enable_external_access = true").ok
        assert not engine.execute(f"COPY (SELECT 1) TO '{tmp_path}/out.csv'").ok
    assert list(tmp_path.iterdir()) == []


# Generated SQL, as `fuzz generate` prints it, must never be refused.
GENERATED = [
    ("sqlite", "sqlite:"),
    ("sqlite", "sqlite+apsw:"),
    ("duckdb", "duckdb:"),
]


@pytest.mark.parametrize(("dialect", "url"), GENERATED)
@pytest.mark.parametrize("options", ["default", "deterministic", "portable"])
def test_generated_sql_is_never_refused(dialect: str, url: str, options: str):
    flags = {"deterministic": options == "deterministic", "portable": options == "portable"}
    with connect(url, timeout=2.0) as engine:
        for seed in range(40):
            engine.reset()
            g = Generator(dialect, seed, Options(**flags))
            statements = [g.render(s) for s in g.database()]
            statements += [g.render(g.query()) for _ in range(15)]
            for sql in statements:
                try:
                    engine.execute(sql)
                except Refused as exc:  # pragma: no cover - the failure message
                    pytest.fail(f"seed {seed}: generated SQL refused: {exc}")
