"""DuckDB in-process (`duckdb:` in memory, `duckdb:///path.duckdb` on disk).

The scratch space is the whole database: in memory, or a file that sqlparity creates and marks
with an empty schema named `sqlparity_owned`. DuckDB resolves unqualified names in `main` from
any schema, so a schema inside a user's file would not keep the user's tables out of reach: a
file without the mark is refused. URL query parameters become settings: `duckdb:?threads=1`
runs `SET threads = 1`.

Once those settings are made, the engine turns off DuckDB's access to files and the network
(`enable_external_access = false`: no ATTACH of a file, COPY TO, read_csv, INSTALL), which
DuckDB refuses to turn back on while the database is open. A guarded engine (statements a
user wrote) also locks its configuration (`lock_configuration = true`), so that no statement
can change any other setting; an unguarded one runs only sqlparity's own statements, among
them the planner settings the dqp oracle flips. The database file that is already open stays
usable. Releases before 0.7 have no lock; the statement guard (`admit`) refuses the
statements that act outside the scratch space before they are sent, on every release.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import duckdb

from fuzzer.engines.base import (
    Column,
    Engine,
    EngineError,
    EngineURL,
    Failure,
    Outcome,
    Refused,
    Rows,
    Watchdog,
    too_many_rows,
)
from fuzzer.errors import SQLState
from fuzzer.script import Lexicon, ScriptError, Token, statement_tokens, tokens

# Exception kind first, then message fragments that refine it; the first match wins.
_BY_KIND: dict[str, tuple[tuple[str, str], ...]] = {
    "ParserException": (("", SQLState.SYNTAX_ERROR),),
    "SyntaxException": (("", SQLState.SYNTAX_ERROR),),
    "BinderException": (
        ("referenced column", SQLState.UNDEFINED_COLUMN),
        ("not found in from clause", SQLState.UNDEFINED_COLUMN),
        ("ambiguous", SQLState.AMBIGUOUS_COLUMN),
        ("no function matches", SQLState.UNDEFINED_FUNCTION),
        ("group by", SQLState.GROUPING_ERROR),
        ("aggregate", SQLState.GROUPING_ERROR),
        ("", SQLState.SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION),
    ),
    "CatalogException": (
        ("table with name", SQLState.UNDEFINED_TABLE),
        ("view with name", SQLState.UNDEFINED_TABLE),
        ("function with name", SQLState.UNDEFINED_FUNCTION),
        ("already exists", SQLState.DUPLICATE_TABLE),
        ("", SQLState.UNDEFINED_OBJECT),
    ),
    "ConstraintException": (
        ("duplicate key", SQLState.UNIQUE_VIOLATION),
        ("not null", SQLState.NOT_NULL_VIOLATION),
        ("check constraint", SQLState.CHECK_VIOLATION),
        ("foreign key", SQLState.FOREIGN_KEY_VIOLATION),
        ("", SQLState.INTEGRITY_CONSTRAINT_VIOLATION),
    ),
    "InvalidInputException": (
        ("division by zero", SQLState.DIVISION_BY_ZERO),
        ("malformed json", SQLState.INVALID_JSON_TEXT),
        ("", SQLState.INVALID_PARAMETER_VALUE),
    ),
    "OutOfRangeException": (
        ("division by zero", SQLState.DIVISION_BY_ZERO),
        ("", SQLState.NUMERIC_VALUE_OUT_OF_RANGE),
    ),
    "ConversionException": (
        ("out of range", SQLState.NUMERIC_VALUE_OUT_OF_RANGE),
        ("", SQLState.INVALID_TEXT_REPRESENTATION),
    ),
    "TypeMismatchException": (("", SQLState.DATATYPE_MISMATCH),),
    "InvalidTypeException": (("", SQLState.DATATYPE_MISMATCH),),
    "InterruptException": (("", SQLState.QUERY_CANCELED),),
    "NotImplementedException": (("", SQLState.FEATURE_NOT_SUPPORTED),),
    "OutOfMemoryException": (("", SQLState.OUT_OF_MEMORY),),
    "TransactionException": (("", SQLState.INVALID_TRANSACTION_STATE),),
    "SerializationException": (("", SQLState.SERIALIZATION_FAILURE),),
    "InternalException": (("", SQLState.INTERNAL_ERROR),),
    "FatalException": (("", SQLState.INTERNAL_ERROR),),
    "ConnectionException": (("", SQLState.CONNECTION_FAILURE),),
    # "Invalid Error": a C++ exception that is none of DuckDB's own escaped (0.7.1 under
    # JSON_CONTAINS of a NULL JSON): the engine failed itself, as an internal error does
    "Error": (
        ("invalid error: std::bad_alloc", SQLState.OUT_OF_MEMORY),
        ("invalid error:", SQLState.INTERNAL_ERROR),
    ),
}

OWNER_MARK = "sqlparity_owned"

#: DuckDB's lexical rules: `$$...$$` strings, nested comments, no backslash escapes in '...';
#: `[...]` is a list, not a quoted name (the generic reading would take `['a]'` apart).
LEXICON = Lexicon(backslash_strings=False, nested_comments=True, dollar_quotes=True)

#: Statements DuckDB answers with a row count, which other engines do not return as a result.
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "CREATE"})

#: Settings that close the scratch space, made after the URL's own, in this order (an
#: unguarded engine makes only the first).
LOCKS = (("enable_external_access", "false"), ("lock_configuration", "true"))

#: Statements that reach outside the scratch space by their first word, and why.
_OUTSIDE = {
    "ATTACH": "ATTACH opens another database",
    "DETACH": "DETACH acts on another database",
    "COPY": "COPY moves data to or from a file or another database",
    "EXPORT": "EXPORT DATABASE writes files",
    "IMPORT": "IMPORT DATABASE reads files",
    "INSTALL": "INSTALL downloads and writes an extension",
    "LOAD": "LOAD loads an extension's native code",
}

#: Settings no statement may change: the locks, and the exceptions and extension settings
#: that would reopen what they close (where a release has them).
_LOCKED_SETTINGS = frozenset(
    {
        "enable_external_access",
        "lock_configuration",
        "allowed_directories",
        "allowed_paths",
        "allow_unsigned_extensions",
        "allow_community_extensions",
        "autoinstall_known_extensions",
        "autoload_known_extensions",
        "extension_directory",
        "custom_extension_repository",
        "temp_directory",
        "secret_directory",
        "all",  # RESET ALL
    }
)
_SCOPES = frozenset({"GLOBAL", "SESSION", "LOCAL"})


def sqlstate_for(kind: str, message: str) -> str:
    lowered = message.lower()
    for fragment, state in _BY_KIND.get(kind, ()):
        if fragment in lowered:
            return state
    return SQLState.UNKNOWN


def _type_name(code: Any) -> str:
    """A result column's SQL type; "" where the release does not say (before 1.0 DuckDB gives
    DB-API type codes, `NUMBER` for every number, which no other release spells that way)."""
    return str(code) if type(code).__name__ == "DuckDBPyType" else ""


def _outside(statement: list[Token]) -> str | None:
    """Why one statement's tokens reach outside the scratch space, or None."""
    words = [t.upper for t in statement if t.kind == "word"]
    if not words or statement[0].kind != "word":
        return None
    first = words[1] if words[0] == "FORCE" and words[1:2] == ["INSTALL"] else words[0]
    if first in _OUTSIDE:
        return _OUTSIDE[first]
    if first in ("SET", "RESET", "PRAGMA"):
        named = [t for t in statement[1:] if t.kind in ("word", "quoted")]
        if named and named[0].upper in _SCOPES:
            named = named[1:]
        name = named[0].text.strip('"').lower() if named else ""
        if name in _LOCKED_SETTINGS:
            return f"{first} {name}: a setting sqlparity locks"
    return None


class DuckDBEngine(Engine):
    dialect = "duckdb"
    schemes = ("duckdb",)

    def __init__(self, url: EngineURL, **options: Any) -> None:
        super().__init__(url, **options)
        self._path = Path(url.database) if url.database else None
        self._settings = parse_qsl(url.query)
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._watchdog: Watchdog | None = None
        self._open()

    @property
    def name(self) -> str:
        return "duckdb"

    @property
    def version(self) -> str:
        return duckdb.__version__

    @property
    def scratch(self) -> str:
        return str(self._path) if self._path else ":memory:"

    def _open(self) -> None:
        self._resets = 0  # in-memory databases attached to this connection
        existing = self._path is not None and self._path.exists()
        try:
            conn = duckdb.connect(self.scratch)
            if existing and not self._is_marked(conn):
                conn.close()
                raise EngineError(
                    f"{self._path} exists and was not created by sqlparity; "
                    "refusing to touch it (name a new file)"
                )
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {OWNER_MARK}")
            with contextlib.suppress(duckdb.Error):  # a setting older releases do not know
                conn.execute("SET enable_progress_bar = false")
            for key, value in self._settings:
                conn.execute(f"SET {key} = '{value}'")
            for key, value in LOCKS if self.guarded else LOCKS[:1]:
                with contextlib.suppress(duckdb.CatalogException):  # no lock before 0.7
                    conn.execute(f"SET {key} = {value}")
        except duckdb.Error as exc:
            raise EngineError(f"cannot open DuckDB database {self.url}: {exc}") from exc
        self._conn = conn
        # Releases before 0.8 cannot interrupt a query: they run without a timeout.
        interrupt = getattr(conn, "interrupt", None)
        self._watchdog = Watchdog(interrupt) if interrupt is not None else None

    def admit(self, sql: str) -> None:
        """Refuse, by its words, a statement that reaches files, extensions or the locks.

        A lexer and not DuckDB's parser, which old releases do not expose; every statement of
        a multi-statement string is checked, since DuckDB runs them all.
        """
        try:
            statements = statement_tokens(sql, LEXICON)
        except ScriptError:
            return  # DuckDB reports the unterminated string itself
        for statement in statements:
            reason = _outside(statement)
            if reason is not None:
                raise Refused(sql, reason)

    def _execute(self, sql: str) -> Outcome:
        assert self._conn is not None, "engine is closed"
        start = time.perf_counter()
        if self._watchdog is not None:
            self._watchdog.arm(self.timeout)
        try:
            result = self._conn.execute(sql)
            rows = result.fetchmany(self.max_rows + 1)
            description = result.description or []
        except duckdb.Error as exc:
            kind, message = type(exc).__name__, str(exc)
            if kind == "PermissionException" and self.guarded:
                # DuckDB's own guard (external access off) stopped it before it ran.
                raise Refused(sql, f"external access is off: {message.splitlines()[0]}") from exc
            return Failure(sqlstate_for(kind, message), kind, message, time.perf_counter() - start)
        finally:
            if self._watchdog is not None:
                self._watchdog.disarm()
        elapsed = time.perf_counter() - start
        if len(rows) > self.max_rows:
            return too_many_rows(self.max_rows, elapsed)
        if self._is_write_count(description, sql):
            return Rows((), [], elapsed)
        columns = tuple(Column(d[0], _type_name(d[1])) for d in description)
        return Rows(columns, rows, elapsed)

    @staticmethod
    def _is_write_count(description: list[Any], sql: str) -> bool:
        """DuckDB answers a write with a one-column `Count` result; other engines with nothing."""
        if len(description) != 1 or description[0][0] != "Count":
            return False
        # lexer, not parser: old DuckDB releases have none
        first = next(iter(tokens(sql, LEXICON)), None)
        return first is not None and first.upper in _WRITES

    @staticmethod
    def _is_marked(conn: duckdb.DuckDBPyConnection) -> bool:
        found = conn.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", [OWNER_MARK]
        ).fetchone()
        return bool(found and found[0])

    def _remove_file(self) -> None:
        if self._path is not None:
            for suffix in ("", ".wal"):
                Path(str(self._path) + suffix).unlink(missing_ok=True)

    def reset(self) -> None:
        if self._path is None and self._conn is not None and self._fresh_memory_database():
            return
        self._disconnect()
        self._remove_file()
        self._open()

    def _fresh_memory_database(self) -> bool:
        """Swap in a new in-memory database: ten times cheaper than a new connection."""
        assert self._conn is not None
        self._resets += 1
        name = f"sqlparity_{self._resets}"
        try:
            self._conn.execute(f"ATTACH ':memory:' AS {name}")
            self._conn.execute(f"USE {name}")
            if self._resets > 1:
                self._conn.execute(f"DETACH sqlparity_{self._resets - 1}")
        except duckdb.Error:
            return False  # a release without ATTACH: reconnect instead
        return True

    def close(self) -> None:
        self._disconnect()
        self._remove_file()
