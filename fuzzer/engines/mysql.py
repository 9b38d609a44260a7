"""MySQL-protocol engines over PyMySQL: MySQL, MariaDB, TiDB (`mysql://user@host:port/db`).

The flavour comes from the server's version string, never from the URL scheme, so one code path
serves all three. The scratch space is a database created with `utf8mb4_bin`: a case-insensitive
default collation would make GROUP BY and DISTINCT pick an arbitrary spelling of equal strings,
which is implementation-defined and must not become a finding. URL query parameters
`unix_socket`, `ssl_ca` and the like are passed to PyMySQL.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl

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


class MySQLEngine(Engine):
    dialect = "mysql"
    schemes = ("mysql", "mariadb", "tidb")

    def __init__(self, url: EngineURL, **options: Any) -> None:
        super().__init__(url, **options)
        self._scratch = scratch_name()
        self._closed = False
        self._conn: pymysql.connections.Connection | None = None
        admin = self._connect(database=url.database)
        try:
            self._version_string = self._scalar(admin, "SELECT VERSION()")
            try:
                self._create_scratch(admin)
            except pymysql.MySQLError as exc:
                raise EngineError(
                    f"cannot create a scratch database on {self.url}: {self._one_line(exc)}"
                ) from exc
        finally:
            admin.close()
        self._open()

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

    # -- connections ------------------------------------------------------------------------

    def _connect(self, database: str | None) -> pymysql.connections.Connection:
        params: dict[str, Any] = dict(parse_qsl(self.url.query))
        try:
            return pymysql.connect(
                host=self.url.host or "localhost",
                port=self.url.port or 3306,
                user=self.url.user or "root",
                password=self.url.password or "",
                database=database,
                charset="utf8mb4",
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT,
                # The server-side timeout comes first; this one catches a server that ignores it.
                read_timeout=int(2 * self.timeout + 5),
                write_timeout=int(2 * self.timeout + 5),
                **params,
            )
        except pymysql.MySQLError as exc:
            raise EngineError(f"cannot connect to {self.url}: {self._one_line(exc)}") from exc

    def _one_line(self, exc: BaseException) -> str:
        args = getattr(exc, "args", ())
        text = str(args[1]) if len(args) > 1 else str(exc) or type(exc).__name__
        return self.url.scrub(text.splitlines()[0] if text else type(exc).__name__)

    @staticmethod
    def _scalar(conn: pymysql.connections.Connection, sql: str) -> Any:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0]

    def _open(self) -> None:
        conn = self._connect(database=self._scratch)
        with conn.cursor() as cur:
            cur.execute("SET NAMES utf8mb4 COLLATE utf8mb4_bin")
            cur.execute(f"SET SESSION sql_mode = '{SQL_MODE}'")
            cur.execute("SET SESSION time_zone = '+00:00'")
            cur.execute("SET SESSION lc_messages = 'en_US'")
            if self.name == "mariadb":
                cur.execute(f"SET SESSION max_statement_time = {self.timeout}")
            else:
                cur.execute(f"SET SESSION max_execution_time = {int(self.timeout * 1000)}")
        self._conn = conn

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
        if self._conn is None:
            self.reconnect()
        assert self._conn is not None
        with self._conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{self._scratch}`")
        self._create_scratch(self._conn)
        self._conn.select_db(self._scratch)

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
        finally:
            admin.close()

    # -- leftovers --------------------------------------------------------------------------

    @classmethod
    def leftovers(cls, url: EngineURL) -> MySQLLeftovers:
        # An engine that creates nothing: only its way of connecting is wanted.
        probe = cls.__new__(cls)
        Engine.__init__(probe, url)
        return MySQLLeftovers(probe._connect(database=None))


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
