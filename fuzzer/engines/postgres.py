"""PostgreSQL and PostgreSQL-wire engines over psycopg 3 (`postgresql://user@host:port/db`).

The database in the URL is only where sqlparity connects to create its scratch database
(`TEMPLATE template0`, UTF8, C collation: no user object is copied in, text sorts bytewise as
in the embedded engines). Where the URL's user may not create databases, or the server puts
every session in one database whatever its name (PGlite), sqlparity creates a schema instead
and puts only that schema on the search path.

Scratch sessions run as a NOLOGIN role named like the scratch database, which owns it (or the
scratch schema) and nothing else: the statement guard is the first line, the server's own
privilege checks the second. Where the URL's user may not create roles, sessions run as that
user, and `runs_as_note` says so.

URL query parameters (`sslmode`, `host=/socket/dir`, ...) go to libpq; the URL's own host,
port and user win over them, and libpq rejects what it does not know, in one line.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import generators, pq
from psycopg import sql as pgsql
from psycopg.adapt import Transformer

from fuzzer.engines.base import (
    Column,
    Engine,
    EngineError,
    EngineURL,
    Failure,
    Outcome,
    Rows,
    Watchdog,
    hung,
    scratch_name,
    too_many_rows,
)
from fuzzer.engines.leftovers import Leftovers
from fuzzer.engines.scratch import SCRATCH_PREFIX
from fuzzer.errors import SQLState
from fuzzer.guard import Guard, Scope
from fuzzer.guard.postgres import RULES

CONNECT_TIMEOUT = 5
#: extensions `install` creates as the URL's user where the scratch role may not: each adds
#: types, operators and index methods only (pgvector 0.6 is not marked trusted)
INSTALLABLE = frozenset({"vector"})
#: how long a single-connection server may take to accept the next connection (seconds)
SINGLE_CONNECTION_WAIT = 3.0

#: Products that speak the PostgreSQL protocol, by a word of their `version()` string.
FLAVOURS = (
    ("CockroachDB", "cockroachdb"),
    ("YugabyteDB", "yugabytedb"),
    ("Greenplum", "greenplum"),
    ("Redshift", "redshift"),
    ("PGlite", "pglite"),
)

#: Schemas a scratch session may read but not change.
CATALOGS = {"pg_catalog", "information_schema"}

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


#: a statement's columns and its rows, as the session's work returns them
_Result = tuple[tuple[Column, ...], list[tuple[Any, ...]]]
#: a parameter type's name to the OID a Parse message gives it
_OID = "SELECT CAST(CAST(%s AS regtype) AS oid)"
#: the SQL that `Engine.protocol` runs as a Parse, and as a Bind and Execute
_PARSE = re.compile(r"PREPARE (\w+)\(([^)]*)\) AS (.*)", re.DOTALL)
_BIND = re.compile(r"EXECUTE (\w+)\((.*)\)", re.DOTALL)
_VALUE = re.compile(r"'((?:[^']|'')*)'|NULL")


class _Elsewhere(EngineError):
    """The server put the scratch session in another database than the one asked for."""


class PostgresEngine(Engine):
    dialect = "postgres"
    schemes = ("postgresql", "postgres")
    in_process = False
    binds = True

    def __init__(self, url: EngineURL, **options: Any) -> None:
        super().__init__(url, **options)
        self._scratch = scratch_name()
        self._owns_database = False
        self._role: str | None = None
        self._public_owned = False
        self._closed = False
        self._conn: psycopg.Connection | None = None
        self._watchdog: Watchdog | None = None
        self._database = self._home  # where the scratch session really is, once it is open
        # One connection at a time, always: the maintenance one is closed before the scratch
        # session opens (PGlite serves a single connection).
        admin = self._maintenance()
        try:
            with admin:
                self._version_string = admin.execute("SELECT version()").fetchone()[0]
                self._version = admin.execute("SHOW server_version").fetchone()[0]
                if self.name == "pglite":
                    self.single_connection = True  # and every session lands in one database
                    admin.execute("DISCARD ALL")  # what the last client's session left set
                else:
                    self._owns_database = self._create_database(admin)
                self._place(admin)
            try:
                self._open()
            except _Elsewhere:
                self._move_to_schema()
                self._open()
        except BaseException:
            self.close()  # whatever was made of the scratch space and its role
            raise

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
        return self._scratch if self._owns_database else f"{self._database}.{self._scratch}"

    @property
    def _schema(self) -> str:
        return "public" if self._owns_database else self._scratch

    # -- connections ------------------------------------------------------------------------

    def _params(self, dbname: str) -> dict[str, Any]:
        params: dict[str, Any] = self.url.options
        if "dbname" in params:
            raise EngineError(
                f"{self.url}: put the database in the URL's path, not in dbname= (sqlparity "
                "chooses the database it connects to)"
            )
        params["dbname"] = dbname
        if self.url.host:
            params["host"] = self.url.host
        elif not {"host", "hostaddr", "service"} & set(params) and not {
            "PGHOST", "PGHOSTADDR", "PGSERVICE"} & set(os.environ):  # fmt: skip
            params["host"] = "localhost"
        if self.url.port:
            params["port"] = self.url.port
        if self.url.user:
            params["user"] = self.url.user
        if self.url.password is not None:
            params["password"] = self.url.password
        params.setdefault("connect_timeout", CONNECT_TIMEOUT)
        # The scratch name: `fuzz engines clean` sees which sessions still use a scratch
        # schema, which pg_stat_activity.datname cannot tell.
        params.setdefault("application_name", self._scratch)
        for host in str(params.get("host", "")).split(","):
            if host.startswith("/") and not os.path.isdir(host):
                raise EngineError(f"cannot connect to {self.url}: no socket directory {host}")
        return params

    def _connect(self, dbname: str) -> psycopg.Connection:
        params = self._params(dbname)
        # A single-connection server (PGlite) turns a new connection away for a moment after
        # the last one closed: it is asked again, briefly. Before the first answer nobody
        # knows it is one (the user's own client may just have left), so that first
        # connection is asked again too; only this "closed the connection" is, never a refusal.
        deadline = time.monotonic() + SINGLE_CONNECTION_WAIT
        while True:
            try:
                conn = psycopg.connect(autocommit=True, prepare_threshold=None, **params)
                if self.single_connection:
                    # One backend serves every connection in turn (PGlite), and a session's
                    # role and settings outlive its connection: start from none of them.
                    conn.execute("DISCARD ALL")
                return conn
            except psycopg.OperationalError as exc:
                if time.monotonic() >= deadline or "closed the connection" not in str(exc):
                    raise EngineError(
                        f"cannot connect to {self.url}: {self._one_line(exc)}"
                    ) from exc
                time.sleep(0.02)
            except psycopg.Error as exc:
                raise EngineError(f"cannot connect to {self.url}: {self._one_line(exc)}") from exc

    @property
    def _home(self) -> str:
        return self.url.database or "postgres"

    def _maintenance(self) -> psycopg.Connection:
        return self._connect(self._home)

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

    def _place(self, admin: psycopg.Connection) -> None:
        """Create the scratch role, and give it the scratch database, or the scratch schema."""
        self._role = self._create_role(admin)
        name = pgsql.Identifier(self._scratch)
        if self._owns_database:
            if self._role is not None:
                self._hand_over(
                    admin, pgsql.SQL("ALTER DATABASE {} OWNER TO {}").format(name, name)
                )
            return
        owner = pgsql.SQL(" AUTHORIZATION {}").format(name) if self._role else pgsql.SQL("")
        try:
            admin.execute(pgsql.SQL("CREATE SCHEMA {}").format(name) + owner)
        except psycopg.Error as exc:
            raise EngineError(
                f"cannot create a scratch database or schema on {self.url}: {self._one_line(exc)}"
            ) from exc

    def _create_role(self, admin: psycopg.Connection) -> str | None:
        name = pgsql.Identifier(self._scratch)
        try:
            admin.execute(
                pgsql.SQL(
                    "CREATE ROLE {} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
                ).format(name)
            )
        except psycopg.Error as exc:
            self.runs_as_note = f"the URL's user cannot create a role: {self._one_line(exc)}"
            return None
        try:
            admin.execute(pgsql.SQL("GRANT {} TO CURRENT_USER").format(name))
        except psycopg.Error as exc:
            self._drop_role(admin, self._scratch)
            self.runs_as_note = f"the URL's user cannot take the role: {self._one_line(exc)}"
            return None
        return self._scratch

    def _hand_over(self, admin: psycopg.Connection, statement: pgsql.Composable) -> None:
        try:
            admin.execute(statement)
        except psycopg.Error as exc:
            assert self._role is not None
            self._drop_role(admin, self._role)
            self._role = None
            self.runs_as_note = f"cannot give the scratch to its role: {self._one_line(exc)}"

    def _drop_role(self, admin: psycopg.Connection, role: str) -> None:
        with contextlib.suppress(psycopg.Error):
            if not self._owns_database:  # what it owns in the user's database (large objects)
                admin.execute(pgsql.SQL("DROP OWNED BY {}").format(pgsql.Identifier(role)))
            admin.execute(pgsql.SQL("DROP ROLE IF EXISTS {}").format(pgsql.Identifier(role)))

    def _disconnect(self) -> None:
        conn = self._conn
        if self.single_connection and conn is not None and not conn.closed:
            # Leave nothing of the scratch session (its role, its search_path) to whoever
            # connects next to a server whose sessions outlive their connections.
            with contextlib.suppress(psycopg.Error):
                conn.execute("DISCARD ALL")
        super()._disconnect()

    def _move_to_schema(self) -> None:
        """Schema mode after all: the server ignored the scratch database's name (PGlite)."""
        self._disconnect()
        self.single_connection = True
        with self._maintenance() as admin:
            self._drop_scratch(admin)
            if self._role is not None:
                self._drop_role(admin, self._role)
            self._owns_database = False
            self._place(admin)

    def _open(self) -> None:
        conn = self._connect(self._scratch if self._owns_database else self._home)
        try:
            with conn.cursor() as cur:
                for key, value in SESSION_SETTINGS:
                    cur.execute(pgsql.SQL("SET {} = {}").format(pgsql.Identifier(key), value))
                cur.execute(f"SET statement_timeout = {int(self.timeout * 1000)}")
                if self._role is not None:
                    role = pgsql.Identifier(self._role)
                    if self._owns_database and not self._public_owned:
                        # Before PostgreSQL 15 the bootstrap superuser owns `public`.
                        cur.execute(pgsql.SQL("ALTER SCHEMA public OWNER TO {}").format(role))
                        self._public_owned = True
                    cur.execute(pgsql.SQL("SET ROLE {}").format(role))
                schema = pgsql.Identifier(self._schema)
                cur.execute(pgsql.SQL("SET search_path = {}").format(schema))
                cur.execute("SELECT current_database(), current_schema(), current_user")
                database, schema_name, user = cur.fetchone()
        except psycopg.Error as exc:
            conn.close()
            raise EngineError(
                f"cannot prepare the scratch session on {self.url}: {self._one_line(exc)}"
            ) from exc
        try:
            self._verify(database, schema_name, user)
        except EngineError:
            conn.close()
            raise
        self._conn = conn
        self._database, self.runs_as = database, user
        self.endpoint = _endpoint(conn)
        self._watchdog = Watchdog(conn.cancel_safe, lambda: _sever(conn))
        if self.guarded:
            try:
                self.statement_guard = self._guard()
            except psycopg.Error as exc:
                self._disconnect()
                raise EngineError(
                    f"cannot read the catalog of {self.url}: {self._one_line(exc)}"
                ) from exc

    def _verify(self, database: str, schema: str | None, user: str) -> None:
        """Refuse to go on anywhere but in the scratch space, as its role."""
        if self._owns_database and database != self._scratch:
            raise _Elsewhere(
                f"{self.url} put the scratch session in database {database!r}, "
                f"not in {self._scratch!r}: refusing to go on"
            )
        if schema != self._schema or (self._role is not None and user != self._role):
            raise EngineError(
                f"{self.url} put the scratch session in schema {schema!r} as {user!r}, not in "
                f"{self._schema!r} as {self._role or user!r}: refusing to go on"
            )

    def _guard(self) -> Guard:
        """The guard for what this session can see: the other schemas and databases by name."""
        assert self._conn is not None
        seen = {r[0] for r in self._conn.execute("SELECT nspname FROM pg_namespace")}
        seen |= {r[0] for r in self._conn.execute("SELECT datname FROM pg_database")}
        own = {self._schema, self._scratch if self._owns_database else self._database}
        return Guard(RULES, Scope.of(own, seen, CATALOGS))

    # -- work -------------------------------------------------------------------------------

    def _execute(self, sql: str) -> Outcome:
        if self._protocol and (prepare := _PARSE.fullmatch(sql)):
            return self._run(lambda conn: self._parse(conn, *prepare.groups()))
        if self._protocol and (execute := _BIND.fullmatch(sql)):
            return self._run(lambda conn: self._bind(conn, *execute.groups()))

        def run(conn: psycopg.Connection) -> _Result:
            cursor = conn.execute(sql)
            rows = cursor.fetchmany(self.max_rows + 1) if cursor.description else []
            return tuple(Column(d.name, d.type_display) for d in cursor.description or ()), rows

        return self._run(run)

    # -- the extended protocol's prepared statements (`Engine.protocol`) -------------------

    def _parse(self, conn: psycopg.Connection, name: str, types: str, sql: str) -> _Result:
        """A Parse message of libpq's: not psycopg's own preparing, which deallocates every
        statement after a DROP or a ROLLBACK, when a plan cache is tested only by a statement
        that lives through them."""
        oids = [0 if t == "unknown" else conn.execute(_OID, [t]).fetchone()[0]
                for t in (t.strip() for t in types.split(","))]  # fmt: skip
        return self._protocol_result(conn, lambda pg: pg.send_prepare(
            name.encode(), sql.encode(), param_types=oids))  # fmt: skip

    def _bind(self, conn: psycopg.Connection, name: str, values: str) -> _Result:
        """A Bind of the values, each in the text format, and an Execute."""
        wire = [None if v.group(0) == "NULL" else v.group(1).replace("''", "'").encode()
                for v in _VALUE.finditer(values)]  # fmt: skip
        return self._protocol_result(conn, lambda pg: pg.send_query_prepared(name.encode(), wire))

    def _protocol_result(
        self, conn: psycopg.Connection, send: Callable[[Any], None]
    ) -> _Result:
        """Send one protocol exchange and read its result as a cursor would."""
        with conn.lock:
            send(conn.pgconn)
            result = conn.wait(generators.execute(conn.pgconn))[-1]
        if result.status == pq.ExecStatus.FATAL_ERROR:
            raise psycopg.errors.error_from_result(result, encoding=conn.info.encoding)
        loader = Transformer(conn)
        loader.set_pgresult(result)
        rows = loader.load_rows(0, min(result.ntuples, self.max_rows + 1), tuple)
        names = conn.adapters.types
        columns = tuple(
            Column(result.fname(i).decode(), getattr(names.get(result.ftype(i)), "regtype", ""))
            for i in range(result.nfields)
        )
        return columns, rows

    def _run(self, work: Callable[[psycopg.Connection], _Result]) -> Outcome:
        """One statement's work on the scratch session, under the timeout and the watchdog."""
        start = time.perf_counter()
        if self._conn is None or self._conn.closed:
            try:
                self.reconnect()
            except EngineError as exc:
                return Failure(SQLState.CONNECTION_FAILURE, "sqlparity:reconnect", str(exc), 0.0)
        watchdog = self._watchdog
        assert self._conn is not None and watchdog is not None
        # The server's statement_timeout is the timeout; the watchdog is for wire-compatible
        # engines that ignore it (PGlite): it cancels, and when even that is ignored, it gives
        # the connection up, so that the statement returns as a hang and the next reconnects.
        watchdog.arm(2 * self.timeout + 1, 4 * self.timeout + 5)
        try:
            columns, rows = work(self._conn)
        except psycopg.Error as exc:
            if watchdog.disarm() >= 2:
                self._disconnect()
                return hung(time.perf_counter() - start)
            return self._failure(exc, time.perf_counter() - start)
        finally:
            watchdog.disarm()
        elapsed = time.perf_counter() - start
        if len(rows) > self.max_rows:
            return too_many_rows(self.max_rows, elapsed)
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
        self._on_a_live_connection(self._empty, (psycopg.Error,), "empty the scratch schema")

    def _empty(self) -> None:
        if self._conn is None or self._conn.closed:
            self.reconnect()
        assert self._conn is not None
        schema = pgsql.Identifier(self._schema)
        owner = pgsql.SQL("")
        with self._conn.cursor() as cur:
            # In schema mode the role may not create schemas in the user's database: the URL's
            # user makes the new one, for the role. The guard refuses RESET ROLE to scripts.
            as_owner = self._role is not None and not self._owns_database
            if as_owner:
                cur.execute("RESET ROLE")
                owner = pgsql.SQL(" AUTHORIZATION {}").format(pgsql.Identifier(self._role))
            try:
                cur.execute("DISCARD TEMP")  # temporary tables would shadow the next state's
                cur.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
                cur.execute(pgsql.SQL("CREATE SCHEMA {}").format(schema) + owner)
            finally:
                if as_owner:
                    try:
                        cur.execute(pgsql.SQL("SET ROLE {}").format(pgsql.Identifier(self._role)))
                    except psycopg.Error:
                        self._disconnect()  # never left as the URL's user: reconnect instead
                        raise
        if self.guarded:
            self.statement_guard = self._guard()

    def install(self, extension: str) -> bool:
        """CREATE EXTENSION as the URL's user, in the scratch schema (a reset drops it with
        the schema): only those in `INSTALLABLE`, which add types, operators and indexes."""
        if extension not in INSTALLABLE:
            return False
        if self._conn is None or self._conn.closed:
            self.reconnect()
        assert self._conn is not None
        with self._conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_extension WHERE extname = %s", (extension,))
            if cur.fetchone() is not None:
                return True
            try:
                if self._role is not None:
                    cur.execute("RESET ROLE")
                cur.execute(
                    pgsql.SQL("CREATE EXTENSION IF NOT EXISTS {} SCHEMA {}").format(
                        pgsql.Identifier(extension), pgsql.Identifier(self._schema)
                    )
                )
                installed = True
            except psycopg.Error:
                installed = False
            finally:
                if self._role is not None:
                    try:
                        cur.execute(pgsql.SQL("SET ROLE {}").format(pgsql.Identifier(self._role)))
                    except psycopg.Error:
                        self._disconnect()  # never left as the URL's user: reconnect instead
                        raise
        if installed and self.guarded:
            self.statement_guard = self._guard()
        return installed

    def close(self) -> None:
        self._disconnect()
        if self._closed:
            return
        self._closed = True
        try:
            with self._maintenance() as admin:
                self._drop_scratch(admin)
                if self._role is not None:
                    self._drop_role(admin, self._role)
        except (psycopg.Error, EngineError):
            pass  # the server is gone; its scratch database keeps its recognisable name

    def _drop_scratch(self, admin: psycopg.Connection) -> None:
        name = pgsql.Identifier(self._scratch)
        if not self._owns_database:
            admin.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))
            return
        try:
            admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        except psycopg.errors.SyntaxError:
            admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(name))

    # -- leftovers --------------------------------------------------------------------------

    @classmethod
    def leftovers(cls, url: EngineURL) -> PostgresLeftovers:
        # An engine that creates nothing: only its way of connecting is wanted.
        probe = cls.__new__(cls)
        Engine.__init__(probe, url)
        probe._scratch = "sqlparity"
        return PostgresLeftovers(probe._maintenance())


def _endpoint(conn: psycopg.Connection) -> str:
    """Where libpq really connected: a socket file, or an address and port."""
    info = conn.info
    if info.host.startswith("/"):
        return f"{info.host}/.s.PGSQL.{info.port}"
    return f"{info.hostaddr or info.host}:{info.port}"


def _sever(conn: psycopg.Connection) -> None:
    """Shut the connection's socket down under a blocked statement, from the watchdog thread.

    Shutting down (not closing) the socket makes the blocked read return at once, and leaves
    the descriptor to psycopg, which still owns it; closing it here could free it under libpq.
    """
    fd = conn.pgconn.socket
    sock = socket.socket(fileno=os.dup(fd))
    try:
        sock.shutdown(socket.SHUT_RDWR)
    finally:
        sock.close()


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
