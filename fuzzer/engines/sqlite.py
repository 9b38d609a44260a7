"""SQLite in-process through the standard library: the embedded default.

The scratch space is an in-memory database (`sqlite:`) or a file that sqlparity creates
(`sqlite:///path.db`).
"""

from __future__ import annotations

import sqlite3
import time
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fuzzer.engines.base import (
    Column,
    Engine,
    EngineError,
    EngineURL,
    Failure,
    Outcome,
    Refused,
    Rows,
    too_many_rows,
)
from fuzzer.engines.sqlite_authorizer import Authorizer
from fuzzer.errors import SQLState
from fuzzer.script import ScriptError, tokens

#: `PRAGMA application_id` of every file sqlparity creates ("SQLP")
APPLICATION_ID = 0x53514C50

#: SQLite calls the progress handler every this many virtual-machine instructions
PROGRESS_STEPS = 4096

_BY_ERRORNAME = {
    "SQLITE_CONSTRAINT_UNIQUE": SQLState.UNIQUE_VIOLATION,
    "SQLITE_CONSTRAINT_PRIMARYKEY": SQLState.UNIQUE_VIOLATION,
    "SQLITE_CONSTRAINT_NOTNULL": SQLState.NOT_NULL_VIOLATION,
    "SQLITE_CONSTRAINT_CHECK": SQLState.CHECK_VIOLATION,
    "SQLITE_CONSTRAINT_FOREIGNKEY": SQLState.FOREIGN_KEY_VIOLATION,
    "SQLITE_CONSTRAINT": SQLState.INTEGRITY_CONSTRAINT_VIOLATION,
    "SQLITE_INTERRUPT": SQLState.QUERY_CANCELED,
    "SQLITE_TOOBIG": SQLState.PROGRAM_LIMIT_EXCEEDED,
    "SQLITE_NOMEM": SQLState.OUT_OF_MEMORY,
    "SQLITE_CORRUPT": SQLState.DATA_CORRUPTED,
    "SQLITE_MISMATCH": SQLState.DATATYPE_MISMATCH,
    "SQLITE_INTERNAL": SQLState.INTERNAL_ERROR,
}

# SQLite reports most compile-time errors as plain SQLITE_ERROR: the message tells them apart.
_BY_MESSAGE = (
    ("syntax error", SQLState.SYNTAX_ERROR),
    ("incomplete input", SQLState.SYNTAX_ERROR),
    ("unrecognized token", SQLState.SYNTAX_ERROR),
    ("one statement at a time", SQLState.SYNTAX_ERROR),
    ("no such column", SQLState.UNDEFINED_COLUMN),
    ("no such table", SQLState.UNDEFINED_TABLE),
    ("no such view", SQLState.UNDEFINED_TABLE),
    ("no such index", SQLState.UNDEFINED_OBJECT),
    ("no such collation", SQLState.UNDEFINED_OBJECT),
    ("no such function", SQLState.UNDEFINED_FUNCTION),
    ("wrong number of arguments", SQLState.UNDEFINED_FUNCTION),
    ("ambiguous column name", SQLState.AMBIGUOUS_COLUMN),
    ("already exists", SQLState.DUPLICATE_TABLE),
    ("misuse of aggregate", SQLState.GROUPING_ERROR),
    ("aggregate functions are not allowed", SQLState.GROUPING_ERROR),
    ("misuse of window function", SQLState.GROUPING_ERROR),
    ("must be an aggregate", SQLState.GROUPING_ERROR),
    ("selects to the left and right", SQLState.SYNTAX_ERROR),
    ("row value misused", SQLState.SYNTAX_ERROR),
    ("sub-select returns", SQLState.SYNTAX_ERROR),
    ("integer overflow", SQLState.NUMERIC_VALUE_OUT_OF_RANGE),
    ("malformed json", SQLState.INVALID_JSON_TEXT),
    ("json cannot hold blob", SQLState.INVALID_JSON_TEXT),
    ("interrupted", SQLState.QUERY_CANCELED),
    ("too many", SQLState.STATEMENT_TOO_COMPLEX),
    ("tree is too large", SQLState.STATEMENT_TOO_COMPLEX),
    ("parser stack overflow", SQLState.STATEMENT_TOO_COMPLEX),
    ("string or blob too big", SQLState.PROGRAM_LIMIT_EXCEEDED),
    ("datatype mismatch", SQLState.DATATYPE_MISMATCH),
)


def sqlstate_for(errorname: str | None, message: str) -> str:
    """Map a SQLite error (extended result-code name and message) to a portable SQLSTATE."""
    if errorname in _BY_ERRORNAME:
        return _BY_ERRORNAME[errorname]
    lowered = message.lower()
    for fragment, state in _BY_MESSAGE:
        if fragment in lowered:
            return state
    if errorname and errorname.startswith("SQLITE_CONSTRAINT"):
        return SQLState.INTEGRITY_CONSTRAINT_VIOLATION
    return SQLState.UNKNOWN


_STORAGE_CLASS = {int: "INTEGER", float: "REAL", str: "TEXT", bytes: "BLOB", type(None): "NULL"}


def storage_classes(rows: Sequence[tuple[Any, ...]], width: int) -> list[str]:
    """SQLite types values, not columns: a column's type is the set of its values' storage classes.

    An empty result has no types at all (""), a column of NULLs is "NULL".
    """
    seen: list[set[str]] = [set() for _ in range(width)]
    for row in rows:
        for i, value in enumerate(row):
            seen[i].add(_STORAGE_CLASS.get(type(value), type(value).__name__))
    return ["|".join(sorted(s - {"NULL"})) or ("NULL" if s else "") for s in seen]


class SQLiteFamily(Engine):
    """What both SQLite drivers share: the scratch file, its rules, and the statement deadline.

    A file is marked with sqlparity's `application_id`; an existing file without that mark is
    never opened for writing. A guarded engine runs with SQLite's authorizer (see
    `fuzzer.engines.sqlite_authorizer`), installed once sqlparity's own setup is done.
    """

    dialect = "sqlite"

    def __init__(self, url: EngineURL, **options: Any) -> None:
        super().__init__(url, **options)
        self._path = Path(url.database) if url.database else None
        self._deadline = 0.0
        self._authorizer = Authorizer()
        self._open()

    @property
    def name(self) -> str:
        return "sqlite"

    @property
    def scratch(self) -> str:
        return str(self._path) if self._path else ":memory:"

    @abstractmethod
    def _connect(self, target: str) -> None:
        """Open the driver's connection, install the progress handler, set the mark."""

    @abstractmethod
    def _application_id_of(self, path: Path) -> int:
        """The `application_id` of an existing file, read-only; -1 if it is not SQLite."""

    def _open(self) -> None:
        path = self._path
        ours = not (path and path.exists() and path.stat().st_size > 0)
        if not ours and self._application_id_of(path) != APPLICATION_ID:
            raise EngineError(
                f"{path} exists and was not created by sqlparity; "
                "refusing to touch it (name a new file)"
            )
        self._connect(self.scratch)

    def admit(self, sql: str) -> None:
        # VACUUM INTO writes a copy of the database to any file. The authorizer denies the
        # ATTACH it does inside, but only when VACUUM runs: refuse it before anything is sent.
        try:
            found = tokens(sql)
        except ScriptError:
            return  # SQLite reports the unterminated string itself
        words: list[str] = []
        for tok in [*found, None]:  # apsw runs every statement of a string
            if tok is not None and tok.kind != "semicolon":
                words += [tok.upper] if tok.kind == "word" else []
                continue
            if words[:1] == ["VACUUM"] and "INTO" in words:
                raise Refused(sql, "VACUUM INTO writes a file outside the scratch database")
            words = []

    def _refusal(self, sql: str) -> Refused | None:
        """The authorizer's denial of the statement that just failed, if it was one."""
        reason, self._authorizer.denied = self._authorizer.denied, None
        return Refused(sql, reason) if reason is not None else None

    def _over_time(self) -> bool:
        return time.perf_counter() > self._deadline

    def _start(self) -> float:
        start = time.perf_counter()
        self._deadline = start + self.timeout
        return start

    def _remove_file(self) -> None:
        if self._path is not None:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(str(self._path) + suffix).unlink(missing_ok=True)

    def reset(self) -> None:
        self._disconnect()
        self._remove_file()
        self._open()

    def close(self) -> None:
        self._disconnect()
        self._remove_file()


class SQLiteEngine(SQLiteFamily):
    schemes = ("sqlite",)
    _conn: sqlite3.Connection | None = None

    @property
    def version(self) -> str:
        return sqlite3.sqlite_version

    def _connect(self, target: str) -> None:
        try:
            conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        except sqlite3.Error as exc:
            raise EngineError(f"cannot open SQLite database {self.url}: {exc}") from exc
        conn.set_progress_handler(self._over_time, PROGRESS_STEPS)
        # Off by default; a Python built without extension support has no such method.
        if hasattr(conn, "enable_load_extension"):
            conn.enable_load_extension(False)
        if self.guarded:
            conn.set_authorizer(self._authorizer)
        self._conn = conn

    def _application_id_of(self, path: Path) -> int:
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
                return probe.execute("PRAGMA application_id").fetchone()[0]
        except sqlite3.DatabaseError:
            return -1

    def _execute(self, sql: str) -> Outcome:
        assert self._conn is not None, "engine is closed"
        start = self._start()
        try:
            cursor = self._conn.execute(sql)
            rows = cursor.fetchmany(self.max_rows + 1)
        except (sqlite3.Error, sqlite3.Warning, OverflowError, ValueError) as exc:
            refusal = self._refusal(sql)
            if refusal is not None:
                raise refusal from exc
            errorname = getattr(exc, "sqlite_errorname", None)
            return Failure(
                sqlstate_for(errorname, str(exc)),
                errorname or type(exc).__name__,
                str(exc),
                time.perf_counter() - start,
            )
        elapsed = time.perf_counter() - start
        if len(rows) > self.max_rows:
            return too_many_rows(self.max_rows, elapsed)
        names = [d[0] for d in cursor.description or ()]
        return Rows(tuple(map(Column, names, storage_classes(rows, len(names)))), rows, elapsed)
