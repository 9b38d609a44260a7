"""PostgreSQL and PostgreSQL-wire engines over psycopg 3 (`postgresql://user@host:port/db`).

The database in the URL is only where sqlparity connects to create its scratch database
(`TEMPLATE template0`, UTF8, C collation: no user object is copied in, text sorts bytewise as
in the embedded engines). Where the role may not create databases, sqlparity creates a schema
instead and puts only that schema on the search path. URL query parameters (e.g. `sslmode`)
are passed to libpq.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl

import psycopg
from psycopg import sql as pgsql

from fuzzer.engines.base import (
    Column,
    Engine,
    EngineError,
    EngineURL,
    Failure,
    Outcome,
    Rows,
    Watchdog,
    scratch_name,
    too_many_rows,
)
from fuzzer.engines.leftovers import Leftovers
from fuzzer.engines.scratch import SCRATCH_PREFIX
from fuzzer.errors import SQLState

CONNECT_TIMEOUT = 5

#: Products that speak the PostgreSQL protocol, by a word of their `version()` string.
FLAVOURS = (
    ("CockroachDB", "cockroachdb"),
    ("YugabyteDB", "yugabytedb"),
    ("Greenplum", "greenplum"),
    ("Redshift", "redshift"),
)

#: Settings that make answers comparable between runs and engines.
SESSION_SETTINGS = tuple(
    (name, pgsql.Literal(value))
    for name, value in (
        ("TimeZone", "UTC"),
        ("DateStyle", "ISO, MDY"),
        ("IntervalStyle", "postgres"),
        ("extra_float_digits", "3"),
        ("client_encoding", "UTF8"),
    )
)


class PostgresEngine(Engine):
    dialect = "postgres"
    schemes = ("postgresql", "postgres")

    def __init__(self, url: EngineURL, **options: Any) -> None:
        super().__init__(url, **options)
        self._scratch = scratch_name()
        self._owns_database = False
        self._closed = False
        self._conn: psycopg.Connection | None = None
        self._watchdog: Watchdog | None = None
        with self._maintenance() as admin:
            self._version_string = admin.execute("SELECT version()").fetchone()[0]
            self._version = admin.execute("SHOW server_version").fetchone()[0]
            self._owns_database = self._create_database(admin)
            if not self._owns_database:
                self._create_schema(admin)
        self._open()

    # -- identity ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        for word, flavour in FLAVOURS:
            if word in self._version_string:
                return flavour
        return "postgresql"

    @property
    def version(self) -> str:
        return self._version

    @property
    def scratch(self) -> str:
        return self._scratch if self._owns_database else f"{self._home}.{self._scratch}"

    @property
    def _schema(self) -> str:
        return "public" if self._owns_database else self._scratch

    # -- connections ------------------------------------------------------------------------

    def _connect(self, dbname: str) -> psycopg.Connection:
        params: dict[str, Any] = dict(parse_qsl(self.url.query))
        params.update(
            host=self.url.host or "localhost",
            port=self.url.port or 5432,
            dbname=dbname,
            connect_timeout=CONNECT_TIMEOUT,
            # The scratch name: `fuzz engines clean` sees which sessions still use a scratch
            # schema, which pg_stat_activity.datname cannot tell.
            application_name=self._scratch,
        )
        if self.url.user:
            params["user"] = self.url.user
        if self.url.password is not None:
            params["password"] = self.url.password
        try:
            return psycopg.connect(autocommit=True, prepare_threshold=None, **params)
        except psycopg.Error as exc:
            raise EngineError(f"cannot connect to {self.url}: {self._one_line(exc)}") from exc

    @property
    def _home(self) -> str:
        return self.url.database or "postgres"

    def _maintenance(self) -> psycopg.Connection:
        return self._connect(self._home)

    def _one_line(self, exc: BaseException) -> str:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        return self.url.scrub(lines[0] if lines else type(exc).__name__)

    def _create_database(self, admin: psycopg.Connection) -> bool:
        name = pgsql.Identifier(self._scratch)
        for options in (
            pgsql.SQL(" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"),
            pgsql.SQL(""),
        ):
            try:
                admin.execute(pgsql.SQL("CREATE DATABASE {}").format(name) + options)
                return True
            except psycopg.errors.InsufficientPrivilege:
                return False
            except psycopg.Error:
                continue  # an engine that takes no such options: try plain
        return False

    def _create_schema(self, admin: psycopg.Connection) -> None:
        try:
            admin.execute(pgsql.SQL("CREATE SCHEMA {}").format(pgsql.Identifier(self._scratch)))
        except psycopg.Error as exc:
            raise EngineError(
                f"cannot create a scratch database or schema on {self.url}: {self._one_line(exc)}"
            ) from exc

    def _open(self) -> None:
        conn = self._connect(self._scratch if self._owns_database else self._home)
        with conn.cursor() as cur:
            for key, value in SESSION_SETTINGS:
                cur.execute(pgsql.SQL("SET {} = {}").format(pgsql.Identifier(key), value))
            cur.execute(f"SET statement_timeout = {int(self.timeout * 1000)}")
            cur.execute(pgsql.SQL("SET search_path = {}").format(pgsql.Identifier(self._schema)))
        self._conn = conn
        self._watchdog = Watchdog(conn.cancel_safe)

    # -- work -------------------------------------------------------------------------------

    def _execute(self, sql: str) -> Outcome:
        start = time.perf_counter()
        if self._conn is None or self._conn.closed:
            try:
                self.reconnect()
            except EngineError as exc:
                return Failure(SQLState.CONNECTION_FAILURE, "sqlparity:reconnect", str(exc), 0.0)
        watchdog = self._watchdog
        assert self._conn is not None and watchdog is not None
        # The server's statement_timeout is the timeout; the watchdog is for wire-compatible
        # engines that ignore it.
        watchdog.arm(2 * self.timeout + 1)
        try:
            cursor = self._conn.execute(sql)
            rows = cursor.fetchmany(self.max_rows + 1) if cursor.description else []
        except psycopg.Error as exc:
            return self._failure(exc, time.perf_counter() - start)
        finally:
            watchdog.disarm()
        elapsed = time.perf_counter() - start
        if len(rows) > self.max_rows:
            return too_many_rows(self.max_rows, elapsed)
        columns = tuple(Column(d.name, d.type_display) for d in cursor.description or ())
        return Rows(columns, rows, elapsed)

    def _failure(self, exc: psycopg.Error, elapsed: float) -> Failure:
        assert self._conn is not None
        code = exc.sqlstate or type(exc).__name__
        message = self._one_line(exc) if exc.sqlstate is None else self.url.scrub(str(exc))
        if self._conn.closed or self._conn.broken:
            self._disconnect()
            return Failure(SQLState.CONNECTION_FAILURE, code, message, elapsed)
        return Failure(exc.sqlstate or SQLState.UNKNOWN, code, message, elapsed)

    def reset(self) -> None:
        schema = pgsql.Identifier(self._schema)
        if self._conn is None or self._conn.closed:
            self.reconnect()
        assert self._conn is not None
        self._conn.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
        self._conn.execute(pgsql.SQL("CREATE SCHEMA {}").format(schema))

    def close(self) -> None:
        self._disconnect()
        if self._closed:
            return
        self._closed = True
        try:
            with self._maintenance() as admin:
                name = pgsql.Identifier(self._scratch)
                if not self._owns_database:
                    admin.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))
                    return
                try:
                    admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
                except psycopg.errors.SyntaxError:
                    admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(name))
        except (psycopg.Error, EngineError):
            pass  # the server is gone; its scratch database keeps its recognisable name

    # -- leftovers --------------------------------------------------------------------------

    @classmethod
    def leftovers(cls, url: EngineURL) -> PostgresLeftovers:
        # An engine that creates nothing: only its way of connecting is wanted.
        probe = cls.__new__(cls)
        Engine.__init__(probe, url)
        probe._scratch = "sqlparity"
        return PostgresLeftovers(probe._maintenance())


_LIKE_SCRATCH = SCRATCH_PREFIX.replace("_", r"\_") + "%"

#: pg_stat_activity sessions that use a scratch space or log in as a scratch role
_SESSIONS = {
    "database": "(datname = %(name)s OR application_name = %(name)s)",
    "schema": "application_name = %(name)s",
    "role": "usename = %(name)s",
}


class PostgresLeftovers(Leftovers):
    """Scratch databases of the server, scratch schemas of the URL's database, scratch roles.

    A database is dropped without FORCE, so the server itself refuses while a session is
    connected to it.
    """

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn

    def _names(self, query: str) -> list[str]:
        return [row[0] for row in self._conn.execute(query, {"like": _LIKE_SCRATCH})]

    def spaces(self) -> list[tuple[str, str]]:
        databases = self._names(
            "SELECT datname FROM pg_database WHERE datname LIKE %(like)s ORDER BY 1"
        )
        schemas = self._names(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %(like)s ORDER BY 1"
        )
        return [("database", n) for n in databases] + [("schema", n) for n in schemas]

    def accounts(self) -> list[tuple[str, str]]:
        roles = self._names("SELECT rolname FROM pg_roles WHERE rolname LIKE %(like)s ORDER BY 1")
        return [("role", n) for n in roles]

    def sessions(self, kind: str, name: str) -> int:
        query = (
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
            + _SESSIONS[kind]
        )
        return self._conn.execute(query, {"name": name}).fetchone()[0]

    def drop(self, kind: str, name: str) -> None:
        # IF EXISTS: concurrent sweeps (the shards of a CI matrix starting together) race.
        statement = {
            "database": "DROP DATABASE IF EXISTS {}",
            "schema": "DROP SCHEMA IF EXISTS {} CASCADE",
            "role": "DROP ROLE IF EXISTS {}",
        }[kind]
        self._conn.execute(pgsql.SQL(statement).format(pgsql.Identifier(name)))

    def close(self) -> None:
        self._conn.close()
