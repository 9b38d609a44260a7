"""PGlite (PostgreSQL in WebAssembly, over pglite-socket): one database, one connection at a time.

It ignores the database name in the URL and keeps one session for every connection in turn, so
sqlparity must notice that it did not get its scratch database, work in a scratch schema of
the user's `postgres` database instead, and leave no role or setting behind for the next
client. The session's PGlite is conftest's `pglite_port` (`.ci/run` installs it with npm into
~/.cache/sqlparity/pglite; locally skipped when missing; in CI a missing PGlite fails).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from fuzzer.engines import connect


def _client(port: int) -> psycopg.Connection:
    """The user's own connection; PGlite turns one away for a moment after the last closed."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return psycopg.connect(
                host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                sslmode="disable", autocommit=True, connect_timeout=5,
            )  # fmt: skip
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def precious(pglite_port: int) -> Iterator[int]:
    with _client(pglite_port) as conn:
        conn.execute("CREATE TABLE precious (v int)")
        conn.execute("INSERT INTO precious VALUES (42)")
    yield pglite_port
    with _client(pglite_port) as conn:
        assert conn.execute("SELECT v FROM public.precious").fetchall() == [(42,)]
        assert conn.execute("SELECT current_user").fetchall() == [("postgres",)]
        left = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sqlparity%' "
            "UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE 'sqlparity%'"
        )
        assert left.fetchall() == [], "close() drops the scratch schema and its role"
        conn.execute("DROP TABLE precious")


def test_pglite_is_used_in_a_scratch_schema_as_a_role_one_connection_at_a_time(precious: int):
    e = connect(f"postgresql://postgres@127.0.0.1:{precious}/anything?sslmode=disable")
    try:
        assert e.name == "pglite" and e.single_connection
        assert e.scratch.startswith("postgres.sqlparity_") and e.runs_as == e.scratch.split(".")[1]
        assert e.execute("SELECT current_user, current_schema()").rows == [(e.runs_as,) * 2]
        assert e.execute("CREATE TABLE precious (v int)").ok  # its own, in its own schema
        e.reset()
        e.guarded = False
        assert e.execute("DROP TABLE public.precious").sqlstate == "42501"  # not the role's
    finally:
        e.close()


def test_a_check_script_cannot_drop_a_pglite_user_table(precious: int, tmp_path: Path):
    script = tmp_path / "attack.sql"
    script.write_text("DROP TABLE public.precious;\nSELECT 1 AS a WHERE 1 = 1;\n")
    result = subprocess.run(
        [sys.executable, "-m", "fuzzer", "check", "--target",
         f"postgresql://postgres@127.0.0.1:{precious}/postgres?sslmode=disable", str(script)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused to run `DROP TABLE public.precious`" in lines[0]
