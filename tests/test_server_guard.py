"""Server safety on the real servers: the guard, the scratch role, target identity, sockets.

Every user object here is a fixture this file creates under a unique name and drops after;
the attacks must leave it untouched, end `fuzz check` with exit 2 and one line, and run nothing.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pymysql
import pytest
from conftest import IN_CI, MYSQL_URL, POSTGRES_URL, open_engine

from fuzzer.engines import EngineError, EngineURL, Failure, connect
from fuzzer.errors import SQLState

PG = EngineURL.parse(POSTGRES_URL)
MY = EngineURL.parse(MYSQL_URL)


def fuzz(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzzer", *args], capture_output=True, text=True, cwd=cwd,
        timeout=300,
    )  # fmt: skip


def pg_admin(dbname: str | None = None, user: str | None = None) -> psycopg.Connection:
    try:
        return psycopg.connect(
            host=PG.host, port=PG.port, user=user or PG.user, password=PG.password,
            dbname=dbname or PG.database, autocommit=True,
        )  # fmt: skip
    except psycopg.OperationalError as exc:
        if IN_CI:
            raise
        pytest.skip(f"postgres server unavailable: {exc}")


def my_admin(user: str | None = None, password: str | None = None) -> pymysql.Connection:
    try:
        return pymysql.connect(
            host=MY.host, port=MY.port or 3306, user=user or MY.user or "root",
            password=MY.password or "" if password is None else password,
            database=MY.database, autocommit=True,
        )  # fmt: skip
    except pymysql.err.OperationalError as exc:
        if IN_CI:
            raise
        pytest.skip(f"mysql server unavailable: {exc}")


def one_line_refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fuzz: error: "), result.stderr
    assert "refused to run" in lines[0] and "Traceback" not in result.stderr
    return lines[0]


def unique(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


# -- MariaDB / MySQL --------------------------------------------------------------------------


@pytest.fixture
def mysql_precious() -> Iterator[str]:
    """A user table in the URL's database, outside any scratch."""
    name = unique("sqlparity_test_precious")
    conn = my_admin()
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {name} (v INT)")
        cur.execute(f"INSERT INTO {name} VALUES (42)")
    yield name
    with conn.cursor() as cur:
        cur.execute(f"SELECT v FROM {name}")
        assert cur.fetchall() == ((42,),), "the user's table was changed"
        cur.execute(f"DROP TABLE {name}")
    conn.close()


@pytest.mark.parametrize(
    "attack",
    [
        "DROP TABLE {db}.{t}",
        "DELETE FROM `{db}`.`{t}`",
        "PREPARE s FROM 'DROP TABLE {db}.{t}'",
        "SELECT 1 /*!50000 INTO OUTFILE '/tmp/sqlparity_pwned' */ FROM DUAL",
        "SELECT 1 --1 INTO OUTFILE '/tmp/sqlparity_pwned'",
    ],
)
def test_a_check_script_cannot_reach_a_mariadb_table_in_another_database(
    tmp_path: Path, mysql_precious: str, attack: str
):
    script = tmp_path / "attack.sql"
    script.write_text(
        "CREATE TABLE t (i INT);\nINSERT INTO t VALUES (1);\n"
        f"{attack.format(db=MY.database, t=mysql_precious)};\nSELECT i FROM t WHERE i > 0;\n"
    )
    line = one_line_refusal(fuzz("check", "--target", MYSQL_URL, str(script), cwd=tmp_path))
    assert str(script) in line


def test_mysql_scratch_sessions_run_as_a_user_that_can_reach_nothing_else(mysql_precious: str):
    e = open_engine("mysql")
    e.guarded = False  # what the guard would refuse, the server refuses too
    try:
        user = e.execute("SELECT CURRENT_USER()").rows[0][0]
        assert user.startswith(e.scratch + "@") and e.runs_as == e.scratch
        for sql in (
            f"SELECT * FROM {MY.database}.{mysql_precious}",
            f"DROP TABLE {MY.database}.{mysql_precious}",
            "CREATE DATABASE sqlparity_never_created",
            "SELECT * FROM mysql.user",
        ):
            failure = e.execute(sql)
            assert isinstance(failure, Failure), sql
            assert failure.sqlstate == SQLState.INSUFFICIENT_PRIVILEGE, failure
        assert e.execute("CREATE TABLE mine (i INT)").ok  # its own database is all its own
    finally:
        e.close()
    conn = my_admin()
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM mysql.user WHERE user = %s", (e.scratch,))
        assert cur.fetchone()[0] == 0, "close() drops the scratch user"
    conn.close()


def test_mysql_falls_back_to_the_urls_user_and_says_so(tmp_path: Path):
    name, password = unique("sptest"), secrets.token_hex(8)
    conn = my_admin()
    with conn.cursor() as cur:
        cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, password))
        cur.execute("GRANT ALL ON `sqlparity\\_%%`.* TO %s@'%%'", (name,))
    try:
        url = f"mysql://{name}:{password}@{MY.host}:{MY.port or 3306}/"
        result = fuzz("engines", "check", "--json", url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["runs_as"] == name and "cannot create a user" in report["runs_as_note"]
        assert password not in result.stdout + result.stderr
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP USER %s@'%%'", (name,))
        conn.close()


def test_mysql_connects_through_its_unix_socket():
    conn = my_admin()
    with conn.cursor() as cur:
        cur.execute("SELECT @@socket")
        socket = cur.fetchone()[0]
    conn.close()
    user = MY.user or "root"
    e = connect(f"mysql://{user}@localhost/{MY.database}?unix_socket={socket}")
    try:
        assert e.endpoint == socket
        assert e.execute("SELECT 1").ok
    finally:
        e.close()


def test_a_mysql_socket_that_does_not_exist_is_one_line_and_no_connection(tmp_path: Path):
    with pytest.raises(EngineError, match=r"no socket .*nowhere\.sock"):
        connect(f"mysql://root@localhost/test?unix_socket={tmp_path}/nowhere.sock")


def test_mysql_url_options_reach_pymysql_or_fail_in_one_line():
    e = connect(MYSQL_URL + "?read_timeout=30")  # not overwritten, not a duplicate argument
    e.close()
    with pytest.raises(EngineError, match="no option 'frobnicate'"):
        connect(MYSQL_URL + "?frobnicate=1")


# -- PostgreSQL, database mode ----------------------------------------------------------------


@pytest.fixture
def pg_precious() -> Iterator[str]:
    """A user table in the URL's database (the scratch database is another one)."""
    name = unique("sqlparity_test_precious")
    with pg_admin() as conn:
        conn.execute(f"CREATE TABLE {name} (v int)")
        conn.execute(f"INSERT INTO {name} VALUES (42)")
    yield name
    with pg_admin() as conn:
        assert conn.execute(f"SELECT v FROM {name}").fetchall() == [(42,)]
        conn.execute(f"DROP TABLE {name}")


@pytest.mark.parametrize(
    "attack",
    [
        "COPY (SELECT 1) TO PROGRAM 'psql -d {db} -c \"DROP TABLE {t}\"; touch {marker}'",
        "COPY (SELECT 1) TO '{marker}'",
        "DO $$ BEGIN EXECUTE 'DROP TABLE {t}'; END $$",
        "DO $$ BEGIN PERFORM pg_catalog.pg_read_file('/etc/hostname'); END $$",
        "SET ROLE postgres",
        "RESET ROLE",
        "SET SESSION AUTHORIZATION postgres",
        "CREATE EXTENSION dblink",
        "SELECT dblink_exec('dbname={db}', 'DROP TABLE {t}')",
        "DROP DATABASE {db}",
        "SELECT '\\'; DROP TABLE {t}; --'",
    ],
)
def test_a_check_script_cannot_leave_the_postgres_scratch_database(
    tmp_path: Path, pg_precious: str, attack: str
):
    marker = tmp_path / "pwned"
    script = tmp_path / "attack.sql"
    script.write_text(
        "CREATE TABLE t (i INT);\nINSERT INTO t VALUES (1);\n"
        f"{attack.format(db=PG.database, t=pg_precious, marker=marker)};\n"
        "SELECT i FROM t WHERE i > 0;\n"
    )
    one_line_refusal(fuzz("check", "--target", POSTGRES_URL, str(script), cwd=tmp_path))
    assert not marker.exists()


def test_postgres_scratch_sessions_run_as_a_role_that_owns_only_the_scratch():
    e = open_engine("postgres")
    e.guarded = False  # what the guard would refuse, the server refuses too
    try:
        assert e.execute("SELECT current_user").rows == [(e.scratch,)] and e.runs_as == e.scratch
        owner = "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        assert e.execute(owner).rows == [(e.scratch,)]
        for sql in (
            "CREATE DATABASE sqlparity_never_created",
            "CREATE ROLE sqlparity_never_created",
            "SELECT pg_read_file('/etc/hostname')",
            "COPY (SELECT 1) TO '/tmp/sqlparity_never_created'",
            "ALTER SYSTEM SET work_mem = '1GB'",
        ):
            failure = e.execute(sql)
            assert isinstance(failure, Failure), sql
            assert failure.sqlstate == SQLState.INSUFFICIENT_PRIVILEGE, failure
        assert e.execute("CREATE TABLE mine (i INT)").ok
        e.reset()  # as the role: its own schema is dropped and made again
        assert e.execute("CREATE TABLE mine (i INT)").ok
    finally:
        e.close()
    with pg_admin() as conn:
        roles = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (e.scratch,))
        assert roles.fetchall() == [], "close() drops the scratch role"


# -- PostgreSQL, schema mode: a user who may not create databases -----------------------------


@pytest.fixture
def pg_home() -> Iterator[tuple[str, str]]:
    """A login role that may create roles but not databases, in a database of its own holding
    a user table `public.precious`: sqlparity must work in a scratch schema there."""
    name = unique("sptest")
    with pg_admin() as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN CREATEROLE NOCREATEDB")
        conn.execute(f"CREATE DATABASE {name} OWNER {name}")
    with pg_admin(name, name) as conn:
        conn.execute("CREATE TABLE public.precious (v int)")
        conn.execute("INSERT INTO public.precious VALUES (42)")
    url = f"postgresql://{name}@{PG.host}:{PG.port or 5432}/{name}"
    yield name, url
    with pg_admin(name, name) as conn:
        assert conn.execute("SELECT v FROM public.precious").fetchall() == [(42,)]
        schemas = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sqlparity%'")
        assert schemas.fetchall() == [], "close() drops the scratch schema"
    with pg_admin() as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
        conn.execute(f"DROP ROLE {name}")


def test_postgres_schema_mode_keeps_to_its_schema_and_role(pg_home: tuple[str, str]):
    name, url = pg_home
    e = connect(url)
    try:
        assert e.scratch.startswith(f"{name}.sqlparity_") and e.runs_as != name
        with pytest.raises(EngineError, match="public"):
            e.execute("DROP TABLE public.precious")
        e.guarded = False
        for sql in ("DROP TABLE public.precious", "SELECT * FROM public.precious"):
            failure = e.execute(sql)
            assert isinstance(failure, Failure), sql
            assert failure.sqlstate == SQLState.INSUFFICIENT_PRIVILEGE, failure
        assert e.execute("CREATE TABLE mine (i INT)").ok
        e.reset()
        assert e.execute("SELECT current_user").rows == [(e.runs_as,)]
    finally:
        e.close()


def test_a_check_script_cannot_drop_a_table_of_the_users_schema(
    tmp_path: Path, pg_home: tuple[str, str]
):
    _, url = pg_home
    script = tmp_path / "attack.sql"
    script.write_text("DROP TABLE public.precious;\nSELECT 1 AS a WHERE 1 = 1;\n")
    one_line_refusal(fuzz("check", "--target", url, str(script), cwd=tmp_path))


def test_postgres_falls_back_to_the_urls_user_and_says_so(tmp_path: Path):
    name = unique("sptest")
    with pg_admin() as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN NOCREATEROLE NOCREATEDB")
        conn.execute(f"CREATE DATABASE {name} OWNER {name}")
    try:
        url = f"postgresql://{name}@{PG.host}:{PG.port or 5432}/{name}"
        result = fuzz("engines", "check", url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert f"as {name}" in result.stdout and "note: the URL's user cannot create a role" in (
            result.stdout
        )
    finally:
        with pg_admin() as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
            conn.execute(f"DROP ROLE {name}")


# -- PostgreSQL sockets and options -----------------------------------------------------------


def _pg_socket_dir() -> str:
    with pg_admin() as conn:
        return conn.execute("SHOW unix_socket_directories").fetchone()[0].split(",")[0].strip()


@pytest.mark.parametrize("form", ["query", "encoded"])
def test_postgres_connects_through_its_unix_socket(form: str):
    socket_dir = _pg_socket_dir()
    host = "" if form == "query" else socket_dir.replace("/", "%2F")
    query = f"?host={socket_dir}" if form == "query" else ""
    e = connect(f"postgresql://{PG.user}@{host}/{PG.database}{query}")
    try:
        assert e.endpoint == f"{socket_dir}/.s.PGSQL.5432"
        assert e.execute("SELECT 1").ok
    finally:
        e.close()


def test_a_wrong_postgres_socket_dir_fails_and_never_reaches_tcp(tmp_path: Path):
    for url in (
        f"postgresql://{PG.user}@/{PG.database}?host=/nonexistent/socket/dir",
        f"postgresql://{PG.user}@/{PG.database}?host={tmp_path}",  # a directory, no socket
    ):
        with pytest.raises(EngineError) as info:
            connect(url)
        message = str(info.value)
        assert "\n" not in message and (
            "no socket directory" in message or str(tmp_path) in message
        )


def test_the_urls_own_host_wins_over_a_host_option():
    e = connect(f"postgresql://{PG.user}@127.0.0.1:{PG.port or 5432}/{PG.database}?host=/nowhere")
    try:
        assert e.endpoint == f"127.0.0.1:{PG.port or 5432}"
    finally:
        e.close()


def test_postgres_url_options_reach_libpq_or_fail_in_one_line():
    e = connect(POSTGRES_URL + "?application_name=sqlparity_test")
    try:
        assert e.execute("SHOW application_name").rows == [("sqlparity_test",)]
    finally:
        e.close()
    with pytest.raises(EngineError, match='invalid connection option "frobnicate"'):
        connect(POSTGRES_URL + "?frobnicate=1")


# -- fuzz engines check -----------------------------------------------------------------------


def test_engines_check_says_where_it_connected_and_as_whom(tmp_path: Path):
    open_engine("postgres").close()  # skip locally when a server is down
    open_engine("mysql").close()
    result = fuzz("engines", "check", "--json", POSTGRES_URL, MYSQL_URL, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    for report in reports:
        assert report["endpoint"].endswith((":5432", ":3306")), report
        assert report["runs_as"] == report["scratch"] and report["runs_as_note"] is None
        assert report["version"] and report["scratch"].startswith("sqlparity_")
    text = fuzz("engines", "check", POSTGRES_URL, cwd=tmp_path).stdout
    assert f"at {reports[0]['endpoint'].rsplit(':', 1)[0]}" in text and " as sqlparity_" in text


def test_fuzz_reduce_refuses_a_script_that_leaves_the_scratch(tmp_path: Path, mysql_precious: str):
    script = tmp_path / "case.sql"
    script.write_text(f"CREATE TABLE t (i INT);\nDROP TABLE {MY.database}.{mysql_precious};\n")
    result = fuzz("reduce", "--target", MYSQL_URL, "--error", "42S02", str(script), cwd=tmp_path)
    one_line_refusal(result)
    assert not (tmp_path / "case.reduced.sql").exists()


def test_mysql_a_database_made_after_connecting_is_still_out_of_reach():
    """The guard knows the databases of its start; the scratch user's grants know no other."""
    late = unique("sptest_late")
    e = open_engine("mysql")
    conn = my_admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {late}")
            cur.execute(f"CREATE TABLE {late}.precious (v INT)")
        failure = e.execute(f"SELECT * FROM {late}.precious")  # admitted: a name it never saw
        assert isinstance(failure, Failure)
        assert failure.sqlstate == SQLState.INSUFFICIENT_PRIVILEGE, failure
    finally:
        e.close()
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE {late}")
        conn.close()


def test_postgres_a_schema_made_after_connecting_is_still_out_of_reach(pg_home: tuple[str, str]):
    name, url = pg_home
    e = connect(url)
    try:
        with pg_admin(name, name) as conn:
            conn.execute("CREATE SCHEMA late")
            conn.execute("CREATE TABLE late.precious (v int)")
        failure = e.execute("SELECT * FROM late.precious")  # admitted: a name it never saw
        assert isinstance(failure, Failure)
        assert failure.sqlstate == SQLState.INSUFFICIENT_PRIVILEGE, failure
    finally:
        e.close()
