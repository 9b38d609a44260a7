"""The engine layer against the real engines: results, types, errors, timeouts, scratch spaces."""

from __future__ import annotations

import sqlite3
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pymysql
import pytest
from conftest import MYSQL_URL, POSTGRES_URL, open_engine

from fuzzer.engines import Engine, EngineError, EngineURL, Failure, Rows, connect
from fuzzer.errors import ErrorCategory, SQLState

# -- results ---------------------------------------------------------------------------------

EXPECTED_TYPES = {
    "sqlite": ["INTEGER", "TEXT", "REAL"],
    "sqlite+apsw": ["INTEGER", "TEXT", "REAL"],
    "duckdb": ["INTEGER", "VARCHAR", "DECIMAL(10,2)"],
    "postgres": ["int4", "varchar(20)", "numeric(10,2)"],
    "mysql": ["LONG", "VAR_STRING", "NEWDECIMAL"],
}


def test_rows_come_back_with_names_types_and_nulls(engine, engine_key):
    assert engine.execute("CREATE TABLE t (i INTEGER, s VARCHAR(20), n NUMERIC(10,2))").ok
    assert engine.execute("INSERT INTO t VALUES (1, 'a', 1.50), (NULL, NULL, NULL)").ok
    result = engine.execute("SELECT i, s, n FROM t ORDER BY i")
    assert isinstance(result, Rows)
    assert [c.name for c in result.columns] == ["i", "s", "n"]
    assert [c.type for c in result.columns] == EXPECTED_TYPES[engine_key]
    values = sorted(result.rows, key=lambda r: r[0] is None)
    assert values[0][:2] == (1, "a") and Decimal(str(values[0][2])) == Decimal("1.5")
    assert values[1] == (None, None, None)


def test_statements_without_results_have_no_columns(engine):
    for sql in ("CREATE TABLE t (i INTEGER)", "INSERT INTO t VALUES (1)", "DELETE FROM t"):
        result = engine.execute(sql)
        assert isinstance(result, Rows) and result.columns == () and result.rows == [], sql


def test_empty_result_keeps_its_column_names(engine):
    engine.execute("CREATE TABLE t (i INTEGER)")
    result = engine.execute("SELECT i FROM t WHERE 1 = 0")
    assert isinstance(result, Rows) and [c.name for c in result.columns] == ["i"]
    assert result.rows == []


def test_runaway_results_are_cut_at_max_rows(engine_key):
    e = open_engine(engine_key)
    e.max_rows = 10
    try:
        result = e.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50) "
            "SELECT x FROM c"
        )
        assert isinstance(result, Failure)
        assert result.sqlstate == SQLState.PROGRAM_LIMIT_EXCEEDED
        assert result.category is ErrorCategory.RESOURCE
    finally:
        e.close()


# -- errors ----------------------------------------------------------------------------------


def _fail(engine, sql: str) -> Failure:
    result = engine.execute(sql)
    assert isinstance(result, Failure), f"{sql!r} succeeded on {engine.name}"
    assert result.message and result.code
    return result


def test_syntax_error_is_42601(engine):
    assert _fail(engine, "SELEC 1").sqlstate == SQLState.SYNTAX_ERROR
    assert _fail(engine, "SELEC 1").category is ErrorCategory.COMPILE


def test_unknown_column_is_42703(engine):
    engine.execute("CREATE TABLE t (i INTEGER)")
    assert _fail(engine, "SELECT nope FROM t").sqlstate == SQLState.UNDEFINED_COLUMN


def test_unknown_table_is_42P01(engine):
    assert _fail(engine, "SELECT * FROM nope").sqlstate == SQLState.UNDEFINED_TABLE


def test_constraint_violations_have_their_own_classes(engine):
    engine.execute(
        "CREATE TABLE t (i INTEGER PRIMARY KEY, j INTEGER NOT NULL, k INTEGER CHECK (k > 0))"
    )
    assert engine.execute("INSERT INTO t VALUES (1, 1, 1)").ok
    dup = _fail(engine, "INSERT INTO t VALUES (1, 1, 1)")
    assert dup.sqlstate == SQLState.UNIQUE_VIOLATION
    assert dup.category is ErrorCategory.CONSTRAINT
    assert (
        _fail(engine, "INSERT INTO t VALUES (2, NULL, 1)").sqlstate == SQLState.NOT_NULL_VIOLATION
    )
    assert _fail(engine, "INSERT INTO t VALUES (3, 1, -1)").sqlstate == SQLState.CHECK_VIOLATION


# How each engine can be made to divide by zero at all: SQLite never raises (it returns NULL),
# MariaDB raises only when strict mode stores the value, DuckDB only for integer division.
DIVISION_BY_ZERO = {
    "duckdb": ["SELECT 1 // 0"],
    "postgres": ["SELECT 1 / 0"],
    "mysql": ["CREATE TABLE d (x INTEGER)", "INSERT INTO d VALUES (1 / 0)"],
}


def test_division_by_zero_is_22012_where_the_engine_raises_it(engine, engine_key):
    if engine_key.startswith("sqlite"):
        result = engine.execute("SELECT 1 / 0")
        assert isinstance(result, Rows) and result.rows == [(None,)]
        return
    *setup, statement = DIVISION_BY_ZERO[engine_key]
    for sql in setup:
        assert engine.execute(sql).ok
    failure = _fail(engine, statement)
    assert failure.sqlstate == SQLState.DIVISION_BY_ZERO
    assert failure.category is ErrorCategory.RUNTIME


SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT count(*) FROM c",
    "duckdb": "SELECT count(*) FROM range(100000000000) a",
    "postgres": "SELECT pg_sleep(30)",
    "mysql": "SELECT SLEEP(30)",
}
SLOW["sqlite+apsw"] = SLOW["sqlite"]


def test_a_slow_statement_is_cancelled_by_the_timeout(engine_key):
    e = open_engine(engine_key, timeout=0.5)
    try:
        start = time.monotonic()
        failure = _fail(e, SLOW[engine_key])
        assert time.monotonic() - start < 10
        assert failure.sqlstate == SQLState.QUERY_CANCELED
        assert failure.category is ErrorCategory.TIMEOUT
        assert e.execute("SELECT 1").ok  # the connection is still usable
    finally:
        e.close()


def test_reset_empties_the_scratch_space(engine):
    engine.execute("CREATE TABLE t (i INTEGER)")
    engine.reset()
    assert _fail(engine, "SELECT * FROM t").sqlstate == SQLState.UNDEFINED_TABLE
    assert engine.execute("CREATE TABLE t (i INTEGER)").ok


# -- scratch spaces and safety ---------------------------------------------------------------


def _pg_databases() -> set[str]:
    url = EngineURL.parse(POSTGRES_URL)
    with psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.user,
        password=url.password,
        dbname=url.database,
        autocommit=True,
    ) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


def _mysql_conn() -> pymysql.connections.Connection:
    url = EngineURL.parse(MYSQL_URL)
    return pymysql.connect(
        host=url.host,
        port=url.port or 3306,
        user=url.user or "root",
        password=url.password or "",
        database=url.database,
        autocommit=True,
    )


def _mysql_databases() -> set[str]:
    conn = _mysql_conn()
    with conn.cursor() as cur:
        cur.execute("SHOW DATABASES")
        names = {r[0] for r in cur.fetchall()}
    conn.close()
    return names


def test_postgres_scratch_database_is_created_and_dropped():
    e = open_engine("postgres")
    name = e.scratch
    assert name.startswith("sqlparity_") and name in _pg_databases()
    e.close()
    assert name not in _pg_databases()


def test_mysql_scratch_database_is_created_and_dropped():
    e = open_engine("mysql")
    name = e.scratch
    assert name.startswith("sqlparity_") and name in _mysql_databases()
    e.close()
    assert name not in _mysql_databases()


def test_postgres_user_tables_are_never_touched():
    url = EngineURL.parse(POSTGRES_URL)
    params = dict(host=url.host, port=url.port, user=url.user, dbname=url.database)
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS sqlparity_test_user_table")
        conn.execute("CREATE TABLE sqlparity_test_user_table (v int)")
        conn.execute("INSERT INTO sqlparity_test_user_table VALUES (42)")
        e = open_engine("postgres")
        assert (
            e.execute("SELECT * FROM sqlparity_test_user_table").sqlstate
            == SQLState.UNDEFINED_TABLE
        )
        e.execute("CREATE TABLE sqlparity_test_user_table (w text)")
        e.reset()
        e.close()
        assert conn.execute("SELECT v FROM sqlparity_test_user_table").fetchall() == [(42,)]
        conn.execute("DROP TABLE sqlparity_test_user_table")


def test_mysql_user_tables_are_never_touched():
    conn = _mysql_conn()
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS sqlparity_test_user_table")
        cur.execute("CREATE TABLE sqlparity_test_user_table (v int)")
        cur.execute("INSERT INTO sqlparity_test_user_table VALUES (42)")
        e = open_engine("mysql")
        assert (
            e.execute("SELECT * FROM sqlparity_test_user_table").sqlstate
            == SQLState.UNDEFINED_TABLE
        )
        e.execute("CREATE TABLE sqlparity_test_user_table (w text)")
        e.reset()
        e.close()
        cur.execute("SELECT v FROM sqlparity_test_user_table")
        assert cur.fetchall() == ((42,),)
        cur.execute("DROP TABLE sqlparity_test_user_table")
    conn.close()


@pytest.mark.parametrize("scheme", ["sqlite", "sqlite+apsw"])
def test_sqlite_refuses_a_file_it_did_not_create(tmp_path: Path, scheme: str):
    user_db = tmp_path / "user.db"
    with sqlite3.connect(user_db) as conn:
        conn.execute("CREATE TABLE precious (v)")
        conn.execute("INSERT INTO precious VALUES (42)")
    before = user_db.read_bytes()
    with pytest.raises(EngineError, match="not created by sqlparity"):
        connect(f"{scheme}:///{user_db}")
    assert user_db.read_bytes() == before


@pytest.mark.parametrize("scheme", ["sqlite", "sqlite+apsw"])
def test_sqlite_scratch_file_is_created_marked_and_removed(tmp_path: Path, scheme: str):
    path = tmp_path / "scratch.db"
    e = connect(f"{scheme}:///{path}")
    assert e.execute("CREATE TABLE t (i INTEGER)").ok
    assert path.exists()
    e.reconnect()  # a file sqlparity created and marked is its own to reopen
    assert e.execute("SELECT * FROM t").ok
    e.close()
    assert not path.exists()


def test_duckdb_refuses_a_file_it_did_not_create(tmp_path: Path):
    path = tmp_path / "user.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE precious AS SELECT 42 AS v")
    before = path.read_bytes()
    with pytest.raises(EngineError, match="not created by sqlparity"):
        connect(f"duckdb:///{path}")
    assert path.read_bytes() == before


def test_duckdb_scratch_file_is_created_marked_and_removed(tmp_path: Path):
    path = tmp_path / "scratch.duckdb"
    e = connect(f"duckdb:///{path}")
    assert e.execute("CREATE TABLE t (i INTEGER)").ok
    e.reconnect()
    assert e.execute("SELECT * FROM t").ok
    e.close()
    assert not path.exists()


# -- connections -----------------------------------------------------------------------------


def _kill_connection(e: Engine, key: str) -> None:
    """End the engine's connection from another session, as a crash or a restart would."""
    if key == "postgres":
        pid = e.execute("SELECT pg_backend_pid()").rows[0][0]
        url = EngineURL.parse(POSTGRES_URL)
        with psycopg.connect(
            host=url.host, port=url.port, user=url.user, dbname=url.database, autocommit=True
        ) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return
    connection_id = e.execute("SELECT CONNECTION_ID()").rows[0][0]
    admin = _mysql_conn()
    with admin.cursor() as cur:
        cur.execute(f"KILL {connection_id}")
    admin.close()


@pytest.mark.parametrize("key", ["postgres", "mysql"])
def test_a_lost_connection_is_reported_and_healed(key: str):
    e = open_engine(key)
    try:
        e.execute("CREATE TABLE kept (v INTEGER)")
        _kill_connection(e, key)
        lost = e.execute("SELECT 1")
        assert isinstance(lost, Failure) and lost.connection_lost
        assert e.execute("SELECT * FROM kept").ok  # same scratch space after reconnecting
    finally:
        e.close()


@pytest.mark.parametrize("key", ["postgres", "mysql"])
def test_a_reset_on_a_lost_connection_empties_the_space_on_a_new_one(key: str):
    """`fuzz reduce` and `fuzz check` reset between scripts: a server that lost the connection
    (another client crashed it) must not end them with the driver's traceback."""
    e = open_engine(key)
    try:
        e.execute("CREATE TABLE gone (v INTEGER)")
        _kill_connection(e, key)
        e.reset()
        assert not e.execute("SELECT * FROM gone").ok
        assert e.execute("SELECT 1").rows == [(1,)]
    finally:
        e.close()


def test_mysql_flavour_and_version_come_from_the_server():
    e = open_engine("mysql")
    try:
        version_string = e.execute("SELECT VERSION()").rows[0][0]
        assert e.version == version_string
        assert e.name == ("mariadb" if "MariaDB" in version_string else "mysql")
    finally:
        e.close()


# -- refusals --------------------------------------------------------------------------------


def test_unknown_scheme_is_refused():
    with pytest.raises(EngineError, match="unknown engine URL scheme 'oracle'"):
        connect("oracle://scott@localhost/orcl")


def test_unreachable_servers_are_one_line_errors():
    for url in ("postgresql://nobody@127.0.0.1:1/x", "mysql://nobody@127.0.0.1:1/x"):
        with pytest.raises(EngineError) as info:
            connect(url)
        assert "\n" not in str(info.value)
        assert "cannot connect" in str(info.value)


def test_passwords_never_appear_in_messages_or_names():
    url = POSTGRES_URL.replace("://", "://nobody:s3cr3t-pw@", 1).replace("postgres@", "")
    with pytest.raises(EngineError) as info:
        connect(url)
    assert "s3cr3t-pw" not in str(info.value)
    parsed = EngineURL.parse("mysql://u:s3cr3t-pw@h:3306/db")
    assert "s3cr3t-pw" not in str(parsed) + repr(parsed)
    assert str(parsed) == "mysql://u:***@h:3306/db"


def test_a_cpp_exception_escaping_duckdb_is_an_internal_error():
    """DuckDB 0.7.1 reports JSON_CONTAINS of a NULL JSON as "Invalid Error: basic_string..."
    when it does not segfault: one crash, two faces, both what a crash finding shows."""
    from fuzzer.engines.duckdb import sqlstate_for
    from fuzzer.errors import SQLState

    escaped = "Invalid Error: basic_string::_S_construct null not valid"
    assert sqlstate_for("Error", escaped) == SQLState.INTERNAL_ERROR
    assert sqlstate_for("Error", "Invalid Error: std::bad_alloc") == SQLState.OUT_OF_MEMORY
    assert sqlstate_for("Error", "something else") == SQLState.UNKNOWN
