"""Leftover scratch spaces: names that record their owner, and `fuzz engines clean` on servers.

The servers are shared with concurrent test runs whose scratch databases are alive: every
assertion here is about names this test made, and clean must keep everything it cannot prove
dead.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
from conftest import IN_CI, MYSQL_URL, POSTGRES_URL

from fuzzer.engines import EngineURL, connect
from fuzzer.engines.scratch import (
    MAX_LENGTH,
    SCRATCH_PREFIX,
    ScratchOwner,
    Verdict,
    boot_tag,
    host_tag,
    owner_verdict,
    scratch_name,
)

# -- names -----------------------------------------------------------------------------------


def dead_owner_name() -> str:
    """A scratch name made by a process that has exited (and been reaped) since."""
    code = "from fuzzer.engines.base import scratch_name; print(scratch_name())"
    made = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return made.stdout.strip()


def test_a_scratch_name_records_this_host_boot_pid_and_start_in_31_characters():
    names = {scratch_name() for _ in range(2000)}
    assert len(names) == 2000
    owners = {ScratchOwner.parse(name) for name in names}
    (owner,) = owners
    assert (owner.host, owner.boot, owner.pid) == (host_tag(), boot_tag(), os.getpid())
    for name in names:
        assert name.startswith(SCRATCH_PREFIX) and len(name) <= MAX_LENGTH
        assert name == name.lower() and name.replace("_", "").isalnum()


def with_field(name: str, offset: int, value: str) -> str:
    """The name with one field (at `offset` after the prefix) replaced."""
    at = len(SCRATCH_PREFIX) + offset
    return name[:at] + value + name[at + len(value) :]


def test_a_name_of_a_live_owner_is_alive():
    verdict, reason = owner_verdict(scratch_name())
    assert verdict is Verdict.ALIVE and str(os.getpid()) in reason


def test_a_name_whose_owner_exited_is_dead():
    verdict, reason = owner_verdict(dead_owner_name())
    assert verdict is Verdict.DEAD and "gone" in reason


def test_a_name_from_an_earlier_boot_is_dead_even_if_its_pid_runs():
    earlier = with_field(scratch_name(), 5, "000" if boot_tag() != "000" else "111")
    assert owner_verdict(earlier)[0] is Verdict.DEAD


def test_a_name_whose_pid_now_belongs_to_a_later_process_is_dead():
    name = scratch_name()
    start = ScratchOwner.parse(name).start  # type: ignore[union-attr]
    reused = with_field(name, 13, "00000" if start != "00000" else "00001")
    verdict, reason = owner_verdict(reused)
    assert verdict is Verdict.DEAD and "later process" in reason


@pytest.mark.parametrize(
    "name",
    [
        f"{SCRATCH_PREFIX}{os.getpid()}_0badc0de",  # the old format: pid and hex, no host
        f"{SCRATCH_PREFIX}{os.getpid()}_{1}",
        f"{SCRATCH_PREFIX}owned",
        "precious",
    ],
)
def test_a_name_that_records_no_owner_is_not_provable(name: str):
    assert ScratchOwner.parse(name) is None
    assert owner_verdict(name)[0] is Verdict.NOT_PROVABLE


def other_host(name: str) -> str:
    return with_field(name, 0, "zzzzz" if host_tag() != "zzzzz" else "yyyyy")


def test_a_name_from_another_host_is_not_provable_even_if_its_owner_is_gone_here():
    verdict, reason = owner_verdict(other_host(dead_owner_name()))
    assert verdict is Verdict.NOT_PROVABLE and "another host" in reason


# -- servers ---------------------------------------------------------------------------------


class Server:
    """The test's own view of a server, beside sqlparity: to make and inspect fixtures."""

    url: str
    account: str  # what a scratch role or user is called on this server

    def create_database(self, name: str) -> None: ...
    def create_account(self, name: str) -> None: ...
    def databases(self) -> set[str]: ...
    def accounts(self) -> set[str]: ...
    def session_on(self, name: str) -> Any: ...
    def sessions(self, name: str) -> int: ...
    def drop(self, name: str) -> None: ...
    def close(self) -> None: ...


class Postgres(Server):
    url, account = POSTGRES_URL, "role"

    def __init__(self) -> None:
        self.conn = self._connect(EngineURL.parse(self.url).database or "postgres")

    def _connect(self, dbname: str, **more: str) -> psycopg.Connection:
        url = EngineURL.parse(self.url)
        return psycopg.connect(host=url.host, port=url.port, user=url.user, password=url.password,
                               dbname=dbname, autocommit=True, **more)  # fmt: skip

    def _names(self, query: str) -> set[str]:
        return {row[0] for row in self.conn.execute(query)}

    def create_database(self, name: str) -> None:
        self.conn.execute(f'CREATE DATABASE "{name}"')

    def create_schema(self, name: str) -> None:
        self.conn.execute(f'CREATE SCHEMA "{name}"')

    def schemas(self) -> set[str]:
        return self._names("SELECT nspname FROM pg_namespace")

    def create_account(self, name: str) -> None:
        self.conn.execute(f'CREATE ROLE "{name}"')

    def databases(self) -> set[str]:
        return self._names("SELECT datname FROM pg_database")

    def accounts(self) -> set[str]:
        return self._names("SELECT rolname FROM pg_roles")

    def session_on(self, name: str) -> psycopg.Connection:
        return self._connect(name)

    def sessions(self, name: str) -> int:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s OR application_name = %s"
        return self.conn.execute(query, (name, name)).fetchone()[0]

    def drop(self, name: str) -> None:
        self.conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        self.conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        self.conn.execute(f'DROP ROLE IF EXISTS "{name}"')

    def close(self) -> None:
        self.conn.close()


class MariaDB(Server):
    url, account = MYSQL_URL, "user"

    def __init__(self) -> None:
        self.conn = self._connect(None)

    def _connect(self, database: str | None) -> pymysql.connections.Connection:
        url = EngineURL.parse(self.url)
        return pymysql.connect(host=url.host, port=url.port or 3306, user=url.user or "root",
                               password=url.password or "", database=database,
                               autocommit=True)  # fmt: skip

    def _run(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())

    def create_database(self, name: str) -> None:
        self._run(f"CREATE DATABASE `{name}`")

    def create_account(self, name: str) -> None:
        self._run("CREATE USER %s@'%%'", name)

    def databases(self) -> set[str]:
        return {row[0] for row in self._run("SHOW DATABASES")}

    def accounts(self) -> set[str]:
        return {row[0] for row in self._run("SELECT User FROM mysql.user")}

    def session_on(self, name: str) -> pymysql.connections.Connection:
        return self._connect(name)

    def sessions(self, name: str) -> int:
        query = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s OR USER = %s"
        return int(self._run(query, name, name)[0][0])

    def drop(self, name: str) -> None:
        self._run(f"DROP DATABASE IF EXISTS `{name}`")
        self._run("DROP USER IF EXISTS %s@'%%'", name)

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(params=["postgres", "mysql"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    try:
        s: Server = Postgres() if request.param == "postgres" else MariaDB()
    except (psycopg.Error, pymysql.MySQLError) as exc:
        if IN_CI:
            raise
        pytest.skip(f"{request.param} server unavailable: {exc}")
    made: list[str] = []
    s.made = made  # type: ignore[attr-defined]
    yield s
    for name in made:  # only what this test made, whatever state it was left in
        s.drop(name)
    s.close()


def clean(url: str, *flags: str) -> dict[str, dict[str, Any]]:
    """`fuzz engines clean --json`, as a user runs it: its verdicts by (kind, name)."""
    result = subprocess.run(
        [sys.executable, "-m", "fuzzer", "engines", "clean", "--json", *flags, url],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (report,) = [json.loads(line) for line in result.stdout.splitlines()]
    return {f"{item['kind']}:{item['name']}": item for item in report["leftovers"]}


def wait_until(condition: Callable[[], bool]) -> None:
    """The server notices a killed client's closed socket a moment later, not at once."""
    for _ in range(100):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("the server still shows the killed owner's session")


def killed_owner(server: Server) -> str:
    """The scratch database of an engine whose process was killed with SIGKILL."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom fuzzer.engines import connect\n"
         f"e = connect({server.url!r})\nprint(e.scratch, flush=True)\ntime.sleep(600)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        name = holder.stdout.readline().strip()
        server.made.append(name)  # type: ignore[attr-defined]
        assert name in server.databases()
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    wait_until(lambda: server.sessions(name) == 0)
    return name


def test_a_killed_owners_scratch_database_is_dead_and_dropped_with_its_account(server: Server):
    name = killed_owner(server)
    assert name in server.accounts()  # the engine's scratch role or user, named like it
    database, account = f"database:{name}", f"{server.account}:{name}"

    text = subprocess.run(
        [sys.executable, "-m", "fuzzer", "engines", "clean", "--dry-run", server.url],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert text.returncode == 0, text.stderr
    (line,) = [ln for ln in text.stdout.splitlines() if f"database  {name}" in ln]
    assert line.split()[0] == "dead" and "would drop" in line
    dry = clean(server.url, "--dry-run")
    assert dry[database]["verdict"] == "dead" and not dry[database]["dropped"]
    assert dry[account]["verdict"] == "dead" and not dry[account]["dropped"]
    assert name in server.databases() and name in server.accounts()

    done = clean(server.url)
    assert done[database]["dropped"] and done[account]["dropped"]
    assert name not in server.databases() and name not in server.accounts()


def test_an_account_whose_database_is_gone_is_dropped_when_its_owner_is_dead(server: Server):
    name = dead_owner_name()
    server.made.append(name)  # type: ignore[attr-defined]
    server.create_account(name)
    item = clean(server.url)[f"{server.account}:{name}"]
    assert item["verdict"] == "dead" and item["dropped"]
    assert name not in server.accounts()


def test_a_live_engines_scratch_database_and_account_are_kept(server: Server):
    with connect(server.url) as engine:
        name = engine.scratch
        assert name in server.accounts()  # the engine's scratch role or user
        server.made.append(name)  # type: ignore[attr-defined]
        found = clean(server.url)
        assert found[f"database:{name}"]["verdict"] == "alive"
        assert found[f"{server.account}:{name}"]["verdict"] == "alive"
        assert not any(item["dropped"] for key, item in found.items() if name in key)
        assert name in server.databases() and name in server.accounts()
        assert engine.execute("SELECT 1").rows == [(1,)]


def test_names_that_cannot_prove_their_owner_dead_are_kept(server: Server):
    old = f"{SCRATCH_PREFIX}{os.getpid() + 1}_{os.urandom(4).hex()}"  # an older sqlparity's
    foreign = other_host(dead_owner_name())
    for name in (old, foreign):
        server.made.append(name)  # type: ignore[attr-defined]
        server.create_database(name)
    found = clean(server.url)
    for name in (old, foreign):
        assert found[f"database:{name}"]["verdict"] == "not provable"
        assert not found[f"database:{name}"]["dropped"]
        assert name in server.databases()
    assert "another host" in found[f"database:{foreign}"]["reason"]


def test_a_dead_owners_database_that_a_session_still_uses_is_kept(server: Server):
    name = dead_owner_name()
    server.made.append(name)  # type: ignore[attr-defined]
    server.create_database(name)
    session = server.session_on(name)
    try:
        item = clean(server.url)[f"database:{name}"]
        assert item["verdict"] == "alive" and "session" in item["reason"]
        assert name in server.databases()
    finally:
        session.close()
    wait_until(lambda: server.sessions(name) == 0)
    assert clean(server.url)[f"database:{name}"]["dropped"]
    assert name not in server.databases()


def test_a_postgres_scratch_schema_is_kept_while_a_session_names_it_and_dropped_after():
    try:
        pg = Postgres()
    except psycopg.Error as exc:
        if IN_CI:
            raise
        pytest.skip(f"postgres server unavailable: {exc}")
    name = dead_owner_name()
    try:
        pg.create_schema(name)
        home = EngineURL.parse(pg.url).database or "postgres"
        session = pg._connect(home, application_name=name)  # as a schema-mode engine's
        item = clean(pg.url)[f"schema:{name}"]
        assert item["verdict"] == "alive" and name in pg.schemas()
        session.close()
        wait_until(lambda: pg.sessions(name) == 0)
        assert clean(pg.url)[f"schema:{name}"]["dropped"]
        assert name not in pg.schemas()
    finally:
        pg.drop(name)
        pg.close()


def test_fuzz_run_sweeps_its_hosts_dead_leftovers_first(server: Server, tmp_path: Path):
    name = killed_owner(server)
    result = subprocess.run(
        [sys.executable, "-m", "fuzzer", "run", "--target", server.url, "--checks", "2",
         "--workers", "1", "--no-reduce", "--store", str(tmp_path / "store.db")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "scratch leftovers of runs that died on this host" in result.stderr
    assert name not in server.databases()
