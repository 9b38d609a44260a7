"""MySQL-protocol engines over PyMySQL: MySQL, MariaDB, TiDB (`mysql://user@host:port/db`).

The flavour comes from the server's version string, never from the URL scheme, so one code path
serves all three. The scratch space is a database created with `utf8mb4_bin`: a case-insensitive
default collation would make GROUP BY and DISTINCT pick an arbitrary spelling of equal strings,
which is implementation-defined and must not become a finding.

Scratch sessions connect as a user named like the scratch database, with a random password
and every privilege on that database only: the statement guard is the first line, the
server's grants the second. Where the URL's user may not create users, sessions run as that
user, and `runs_as_note` says so.

URL query parameters (`unix_socket`, `ssl_ca`, `read_timeout`, ...) go to PyMySQL; the URL's
own host, port and user win over them, and an option PyMySQL rejects is one line. `sql_mode=`
is sqlparity's: the scratch session runs under it instead of `SQL_MODE` (`?sql_mode=ANSI`,
`?sql_mode=` for none), so one server compares with itself under other settings.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import secrets
import time
from typing import Any

import pymysql
from pymysql.constants import FIELD_TYPE

from fuzzer.engines.base import (
    Column,
    Engine,
    EngineError,
    EngineURL,
    Failure,
    Outcome,
    Rows,
    scratch_name,
    too_many_rows,
)
from fuzzer.engines.leftovers import Leftovers
from fuzzer.engines.scratch import SCRATCH_PREFIX
from fuzzer.errors import SQLState
from fuzzer.guard import Guard, Scope
from fuzzer.guard.mysql import RULES

CONNECT_TIMEOUT = 5

#: Session settings that make answers deterministic and comparable between servers.
SQL_MODE = "ONLY_FULL_GROUP_BY,STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

# MySQL error numbers (shared by MariaDB and TiDB) to portable SQLSTATE. The server's own
# SQLSTATE is mostly the generic HY000, and PyMySQL does not keep it anyway.
_BY_ERRNO = {
    1064: SQLState.SYNTAX_ERROR,
    1149: SQLState.SYNTAX_ERROR,
    1054: SQLState.UNDEFINED_COLUMN,
    1146: SQLState.UNDEFINED_TABLE,
    1051: SQLState.UNDEFINED_TABLE,
    1049: SQLState.UNDEFINED_OBJECT,
    1091: SQLState.UNDEFINED_OBJECT,
    1305: SQLState.UNDEFINED_FUNCTION,
    1582: SQLState.UNDEFINED_FUNCTION,
    1583: SQLState.UNDEFINED_FUNCTION,
    1052: SQLState.AMBIGUOUS_COLUMN,
    1050: SQLState.DUPLICATE_TABLE,
    1061: SQLState.DUPLICATE_OBJECT,
    1111: SQLState.GROUPING_ERROR,
    1055: SQLState.GROUPING_ERROR,
    1056: SQLState.GROUPING_ERROR,
    1140: SQLState.GROUPING_ERROR,
    1222: SQLState.SYNTAX_ERROR,
    1241: SQLState.CARDINALITY_VIOLATION,
    1242: SQLState.CARDINALITY_VIOLATION,
    1267: SQLState.COLLATION_MISMATCH,
    1270: SQLState.COLLATION_MISMATCH,
    1271: SQLState.COLLATION_MISMATCH,
    1062: SQLState.UNIQUE_VIOLATION,
    1586: SQLState.UNIQUE_VIOLATION,
    1048: SQLState.NOT_NULL_VIOLATION,
    1364: SQLState.NOT_NULL_VIOLATION,
    1451: SQLState.FOREIGN_KEY_VIOLATION,
    1452: SQLState.FOREIGN_KEY_VIOLATION,
    3819: SQLState.CHECK_VIOLATION,  # MySQL
    4025: SQLState.CHECK_VIOLATION,  # MariaDB
    1365: SQLState.DIVISION_BY_ZERO,
    1264: SQLState.NUMERIC_VALUE_OUT_OF_RANGE,
    1690: SQLState.NUMERIC_VALUE_OUT_OF_RANGE,
    1406: SQLState.STRING_DATA_RIGHT_TRUNCATION,
    1292: SQLState.INVALID_DATETIME_FORMAT,
    1366: SQLState.INVALID_TEXT_REPRESENTATION,
    1367: SQLState.INVALID_TEXT_REPRESENTATION,
    1265: SQLState.STRING_DATA_RIGHT_TRUNCATION,
    1139: SQLState.INVALID_REGULAR_EXPRESSION,
    3685: SQLState.INVALID_REGULAR_EXPRESSION,
    4031: SQLState.INVALID_JSON_TEXT,
    4038: SQLState.INVALID_JSON_TEXT,
    3140: SQLState.INVALID_JSON_TEXT,
    1969: SQLState.QUERY_CANCELED,  # MariaDB max_statement_time
    3024: SQLState.QUERY_CANCELED,  # MySQL/TiDB max_execution_time
    1317: SQLState.QUERY_CANCELED,
    1235: SQLState.FEATURE_NOT_SUPPORTED,
    1044: SQLState.INSUFFICIENT_PRIVILEGE,
    1045: SQLState.INSUFFICIENT_PRIVILEGE,
    1142: SQLState.INSUFFICIENT_PRIVILEGE,
    1105: SQLState.INTERNAL_ERROR,  # "unknown error": TiDB's internal errors
    1815: SQLState.INTERNAL_ERROR,
    1030: SQLState.INTERNAL_ERROR,
    2003: SQLState.CONNECTION_FAILURE,
    2006: SQLState.CONNECTION_FAILURE,
    2013: SQLState.CONNECTION_FAILURE,
    2055: SQLState.CONNECTION_FAILURE,
}

_TYPE_NAMES = {
    value: name
    for name, value in vars(FIELD_TYPE).items()
    if name.isupper() and isinstance(value, int) and name not in ("CHAR", "INTERVAL")
}


#: PyMySQL options that take numbers (a URL's query gives text)
_NUMERIC = {"port", "connect_timeout", "read_timeout", "write_timeout", "client_flag",
            "max_allowed_packet", "local_infile"}  # fmt: skip
#: options sqlparity sets itself: the scratch session's database is not the URL's to choose
_OURS = {"database", "db"}
#: the URL option that replaces `SQL_MODE` (not PyMySQL's: the session sets it once, here)
_SQL_MODE = "sql_mode"


class MySQLEngine(Engine):
    dialect = "mysql"
    schemes = ("mysql", "mariadb", "tidb")
    in_process = False

    def __init__(self, url: EngineURL, **options: Any) -> None:
        super().__init__(url, **options)
        self._scratch = scratch_name()
        self._closed = False
        self._conn: pymysql.connections.Connection | None = None
        self._login: tuple[str, str, str] | None = None  # the scratch user, host, password
        admin = self._connect(database=url.database)
        try:
            self._version_string = self._scalar(admin, "SELECT VERSION()")
            try:
                self._create_scratch(admin)
            except pymysql.MySQLError as exc:
                raise EngineError(
                    f"cannot create a scratch database on {self.url}: {self._one_line(exc)}"
                ) from exc
            self._login = self._create_user(admin)
            with admin.cursor() as cur:
                cur.execute("SHOW DATABASES")
                seen = {r[0] for r in cur.fetchall()}
            self._scope = Scope.of({self._scratch}, seen, {"information_schema"})
        except BaseException:
            admin.close()
            self.close()
            raise
        admin.close()
        try:
            try:
                self._open()
            except EngineError as exc:
                if self._login is None:
                    raise
                self._drop_user()  # the server would not take its own new user: do without
                self.runs_as_note = f"cannot log in as the scratch user: {exc}"
                self._open()
        except BaseException:
            self.close()
            raise

    # -- identity ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        lowered = self._version_string.lower()
        if "tidb" in lowered:
            return "tidb"
        if "mariadb" in lowered:
            return "mariadb"
        return "mysql"

    @property
    def version(self) -> str:
        if self.name == "tidb":  # "8.0.11-TiDB-v7.5.0": the product's version is the last part
            return self._version_string.rsplit("-v", 1)[-1]
        return self._version_string

    @property
    def scratch(self) -> str:
        return self._scratch

    @property
    def sql_mode(self) -> str:
        """The scratch session's sql_mode: the URL's `sql_mode=`, else `SQL_MODE`."""
        return self.url.options.get(_SQL_MODE, SQL_MODE)

    # -- connections ------------------------------------------------------------------------

    def _options(self) -> dict[str, Any]:
        params: dict[str, Any] = self.url.options
        chosen = _OURS & set(params)
        if chosen:
            raise EngineError(
                f"{self.url}: put the database in the URL's path, not in {chosen.pop()}= "
                "(sqlparity chooses the database it connects to)"
            )
        params.pop(_SQL_MODE, None)  # the session's, set in `_open`
        for key in _NUMERIC & set(params):
            try:
                params[key] = int(params[key])
            except ValueError as exc:
                raise EngineError(f"{self.url}: {key}= takes a number") from exc
        if self.url.host:
            params["host"] = self.url.host
        if self.url.port:
            params["port"] = self.url.port
        if self.url.user:
            params["user"] = self.url.user
        if self.url.password is not None:
            params["password"] = self.url.password
        params.setdefault("host", "localhost")
        params.setdefault("port", 3306)
        params.setdefault("user", "root")
        # As the mysql client does: the URL's password, else an option file's
        # (`?read_default_file=~/.my.cnf`, read by PyMySQL), else $MYSQL_PWD.
        params.setdefault(
            "password", "" if "read_default_file" in params else os.environ.get("MYSQL_PWD", "")
        )
        params.setdefault("connect_timeout", CONNECT_TIMEOUT)
        # The server-side timeout comes first; this one catches a server that ignores it.
        params.setdefault("read_timeout", int(2 * self.timeout + 5))
        params.setdefault("write_timeout", int(2 * self.timeout + 5))
        unknown = set(params) - set(inspect.signature(pymysql.connections.Connection).parameters)
        if unknown:
            raise EngineError(f"{self.url}: PyMySQL takes no option {sorted(unknown)[0]!r}")
        socket = params.get("unix_socket")
        if socket and not os.path.exists(socket):
            raise EngineError(f"cannot connect to {self.url}: no socket {socket}")
        return params

    def _connect(
        self, database: str | None, login: tuple[str, str, str] | None = None
    ) -> pymysql.connections.Connection:
        params = self._options()
        if login is not None:
            params["user"], _, params["password"] = login
        try:
            return pymysql.connect(database=database, charset="utf8mb4", autocommit=True, **params)
        except pymysql.MySQLError as exc:
            raise EngineError(f"cannot connect to {self.url}: {self._one_line(exc)}") from exc
        except (TypeError, ValueError) as exc:  # an option of the URL that PyMySQL refuses
            raise EngineError(f"{self.url}: PyMySQL refuses an option: {exc}") from exc

    def _one_line(self, exc: BaseException) -> str:
        args = getattr(exc, "args", ())
        text = str(args[1]) if len(args) > 1 else str(exc) or type(exc).__name__
        text = self.url.scrub(text.splitlines()[0] if text else type(exc).__name__)
        if self._login is not None:
            text = text.replace(self._login[2], "***")
        return text

    def _create_user(self, admin: pymysql.connections.Connection) -> tuple[str, str, str] | None:
        """A user that may do anything in the scratch database and nothing elsewhere."""
        # The host part as the server sees this client: a more specific account (an anonymous
        # ''@'localhost') would otherwise win over 'name'@'%'.
        host = self._scalar(admin, "SELECT USER()").rpartition("@")[2] or "%"
        login = (self._scratch, host, secrets.token_urlsafe(24))
        # In a database-level grant `_` matches any character: the name is escaped.
        pattern = self._scratch.replace("_", "\\_")
        try:
            with admin.cursor() as cur:
                cur.execute("CREATE USER %s@%s IDENTIFIED BY %s", login)
                self._login = login
                cur.execute(f"GRANT ALL PRIVILEGES ON `{pattern}`.* TO %s@%s", login[:2])
        except pymysql.MySQLError as exc:
            if self._login is not None:
                with contextlib.suppress(pymysql.MySQLError), admin.cursor() as cur:
                    cur.execute("DROP USER IF EXISTS %s@%s", login[:2])
            self.runs_as_note = f"the URL's user cannot create a user: {self._one_line(exc)}"
            self._login = None
            return None
        return login

    def _drop_user(self) -> None:
        if self._login is None:
            return
        login, self._login = self._login, None
        try:
            admin = self._connect(database=None)
        except EngineError:
            return
        try:
            with contextlib.suppress(pymysql.MySQLError), admin.cursor() as cur:
                cur.execute("DROP USER IF EXISTS %s@%s", login[:2])
        finally:
            admin.close()

    @staticmethod
    def _scalar(conn: pymysql.connections.Connection, sql: str) -> Any:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0]

    def _open(self) -> None:
        conn = self._connect(database=self._scratch, login=self._login)
        try:
            with conn.cursor() as cur:
                cur.execute("SET NAMES utf8mb4 COLLATE utf8mb4_bin")
                cur.execute("SET SESSION sql_mode = %s", (self.sql_mode,))
                cur.execute("SET SESSION time_zone = '+00:00'")
                cur.execute("SET SESSION lc_messages = 'en_US'")
                if self.name == "mariadb":
                    cur.execute(f"SET SESSION max_statement_time = {self.timeout}")
                else:
                    cur.execute(f"SET SESSION max_execution_time = {int(self.timeout * 1000)}")
                cur.execute("SELECT DATABASE(), CURRENT_USER()")
                database, user = cur.fetchone()
        except pymysql.MySQLError as exc:
            conn.close()
            raise EngineError(
                f"cannot prepare the scratch session on {self.url}: {self._one_line(exc)}"
            ) from exc
        # Refuse to go on anywhere but in the scratch database, as its user.
        expected_user = self._login[0] if self._login else None
        if database != self._scratch or expected_user not in (None, user.rpartition("@")[0]):
            conn.close()
            raise EngineError(
                f"{self.url} put the scratch session in database {database!r} as {user!r}, "
                f"not in {self._scratch!r}: refusing to go on"
            )
        self._conn = conn
        self.runs_as = user.rpartition("@")[0]
        self.endpoint = _endpoint(conn)
        if self.guarded:
            self.statement_guard = Guard(RULES, self._scope)

    # -- work -------------------------------------------------------------------------------

    def _execute(self, sql: str) -> Outcome:
        start = time.perf_counter()
        if self._conn is None:
            try:
                self.reconnect()
            except EngineError as exc:
                return Failure(SQLState.CONNECTION_FAILURE, "sqlparity:reconnect", str(exc), 0.0)
        assert self._conn is not None
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql)
            rows = cursor.fetchmany(self.max_rows + 1) if cursor.description else []
        except (pymysql.MySQLError, OSError) as exc:
            return self._failure(exc, time.perf_counter() - start)
        finally:
            cursor.close()
        elapsed = time.perf_counter() - start
        if len(rows) > self.max_rows:
            return too_many_rows(self.max_rows, elapsed)
        columns = tuple(
            Column(d[0], _TYPE_NAMES.get(d[1], str(d[1]))) for d in cursor.description or ()
        )
        return Rows(columns, list(rows), elapsed)

    def _failure(self, exc: BaseException, elapsed: float) -> Failure:
        args = getattr(exc, "args", ())
        errno = args[0] if args and isinstance(args[0], int) else None
        message = self._one_line(exc)
        lost = (
            isinstance(exc, pymysql.err.InterfaceError | OSError)
            or _BY_ERRNO.get(errno) == SQLState.CONNECTION_FAILURE
        )
        if lost:
            self._disconnect()
            if elapsed >= 2 * self.timeout + 4:  # our read timeout: a hang, not a crash
                state, code = SQLState.QUERY_CANCELED, "sqlparity:client-timeout"
            else:
                state, code = SQLState.CONNECTION_FAILURE, str(errno or type(exc).__name__)
            return Failure(state, code, message, elapsed)
        return Failure(_BY_ERRNO.get(errno, SQLState.UNKNOWN), str(errno), message, elapsed)

    def _create_scratch(self, conn: pymysql.connections.Connection) -> None:
        with conn.cursor() as cur:
            cur.execute(
                f"CREATE DATABASE `{self._scratch}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            )

    def reset(self) -> None:
        self._on_a_live_connection(
            self._empty, (pymysql.MySQLError, OSError), "empty the scratch database"
        )

    def _empty(self) -> None:
        if self._conn is None:
            self.reconnect()
        assert self._conn is not None
        with self._conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{self._scratch}`")
        self._create_scratch(self._conn)
        self._conn.select_db(self._scratch)
        if self.guarded and self._login is None:
            # As the URL's own user the session may reach databases made since it began: the
            # guard learns their names (a scratch user of its own could not reach them at all).
            with self._conn.cursor() as cur:
                cur.execute("SHOW DATABASES")
                seen = {r[0] for r in cur.fetchall()}
            self._scope = Scope.of({self._scratch}, seen, {"information_schema"})
            self.statement_guard = Guard(RULES, self._scope)

    def close(self) -> None:
        self._disconnect()
        if self._closed:
            return
        self._closed = True
        try:
            admin = self._connect(database=None)
        except EngineError:
            return  # the server is gone; its scratch database keeps its recognisable name
        try:
            with admin.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{self._scratch}`")
                if self._login is not None:
                    cur.execute("DROP USER IF EXISTS %s@%s", self._login[:2])
        finally:
            admin.close()

    # -- leftovers --------------------------------------------------------------------------

    @classmethod
    def leftovers(cls, url: EngineURL) -> MySQLLeftovers:
        # An engine that creates nothing: only its way of connecting is wanted.
        probe = cls.__new__(cls)
        Engine.__init__(probe, url)
        return MySQLLeftovers(probe._connect(database=None))


def _endpoint(conn: pymysql.connections.Connection) -> str:
    """Where PyMySQL really connected: the socket, or the peer's address and port."""
    if conn.unix_socket:
        return str(conn.unix_socket)
    with contextlib.suppress(OSError, AttributeError):
        host, port = conn._sock.getpeername()[:2]
        return f"{host}:{port}"
    return f"{conn.host}:{conn.port}"


_LIKE_SCRATCH = SCRATCH_PREFIX.replace("_", r"\_") + "%"


class MySQLLeftovers(Leftovers):
    """Scratch databases and scratch users of a MySQL-protocol server.

    The server drops a database that sessions still use, so their absence is checked first;
    without the PROCESS privilege the process list shows only our own session, and nothing is
    provably unused.
    """

    def __init__(self, conn: pymysql.connections.Connection) -> None:
        self._conn = conn
        grants = " ".join(str(row[0]) for row in self._rows("SHOW GRANTS"))
        self._sees_all = "ALL PRIVILEGES ON *.*" in grants or "PROCESS" in grants

    def _rows(self, query: str, *args: object) -> list[tuple[Any, ...]]:
        with self._conn.cursor() as cur:
            cur.execute(query, args)
            return list(cur.fetchall())

    def spaces(self) -> list[tuple[str, str]]:
        rows = self._rows(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE %s"
            " ORDER BY 1",
            _LIKE_SCRATCH,
        )
        return [("database", row[0]) for row in rows]

    def accounts(self) -> list[tuple[str, str]]:
        try:
            rows = self._rows(
                "SELECT DISTINCT User FROM mysql.user WHERE User LIKE %s ORDER BY 1", _LIKE_SCRATCH
            )
        except pymysql.MySQLError:
            return []  # no right to read the user table: no user can be proved ours to drop
        return [("user", row[0]) for row in rows]

    def sessions(self, kind: str, name: str) -> int | None:
        if not self._sees_all:
            return None
        column = "DB" if kind == "database" else "USER"
        rows = self._rows(
            f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE {column} = %s"
            " AND ID <> CONNECTION_ID()",
            name,
        )
        return int(rows[0][0])

    def drop(self, kind: str, name: str) -> None:
        # IF EXISTS: concurrent sweeps (the shards of a CI matrix starting together) race.
        if kind == "database":
            self._rows(f"DROP DATABASE IF EXISTS `{name}`")
            return
        for (host,) in self._rows("SELECT Host FROM mysql.user WHERE User = %s", name):
            self._rows("DROP USER IF EXISTS %s@%s", name, host)

    def close(self) -> None:
        self._conn.close()
