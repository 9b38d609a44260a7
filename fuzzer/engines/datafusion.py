"""Apache DataFusion in-process (`datafusion:`), through its Python bindings.

The scratch space is one `SessionContext`: in-memory tables, views and nothing else. A reset
is a new context. URL query parameters are DataFusion settings, by their full name or, for
`datafusion.execution.*`, the last part: `datafusion:?target_partitions=1`.

DataFusion reaches files through its object store registry and spills to a disk manager: the
context is built without either (the local file system is deregistered, the disk manager
disabled), so no statement, guarded or not, can read or write a file. A guarded engine also
refuses, by its words, the statements that would try (COPY, CREATE EXTERNAL TABLE) and SET,
which could change a setting sqlparity chose, before anything is sent.

The timeout is two things: a deadline checked between result batches, and, on the main
thread, an interval timer whose signal DataFusion's bindings notice while they wait for a
batch, which ends a statement that computes long before its first one.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import datafusion
import pyarrow as pa
from datafusion import RuntimeEnvBuilder, SessionConfig, SessionContext

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
from fuzzer.errors import SQLState
from fuzzer.script import Lexicon, ScriptError, Token, statement_tokens, tokens

#: DataFusion's lexical rules (its generic SQL dialect): no backslash escapes in '...' (E'...'
#: has them), nested comments, `$$...$$` strings.
LEXICON = Lexicon(backslash_strings=False, nested_comments=True, dollar_quotes=True)

#: the memory one statement may hold before DataFusion gives up ("Resources exhausted")
MEMORY_LIMIT = 1 << 30

#: Fragments of DataFusion's message, searched in its innermost cause, and their SQLSTATE; the
#: first match wins. DataFusion has no error codes: the message's kind ("Schema error",
#: "Arrow error: Cast error") and words are all it says.
_BY_MESSAGE = (
    ("no suitable object store", SQLState.INSUFFICIENT_PRIVILEGE),  # files are out of reach
    ("panicked", SQLState.INTERNAL_ERROR),  # a Rust panic in an executor task
    ("sql error: parsererror", SQLState.SYNTAX_ERROR),
    ("sql error: tokenizererror", SQLState.SYNTAX_ERROR),
    ("no field named", SQLState.UNDEFINED_COLUMN),
    ("ambiguous reference", SQLState.AMBIGUOUS_COLUMN),
    ("not found", SQLState.UNDEFINED_TABLE),  # "table 'datafusion.public.t' not found"
    ("already exists", SQLState.DUPLICATE_TABLE),
    ("invalid function", SQLState.UNDEFINED_FUNCTION),
    ("no function matches", SQLState.UNDEFINED_FUNCTION),
    ("failed to coerce arguments", SQLState.UNDEFINED_FUNCTION),
    ("must appear in the group by", SQLState.GROUPING_ERROR),
    ("divide by zero", SQLState.DIVISION_BY_ZERO),
    ("division by zero", SQLState.DIVISION_BY_ZERO),
    ("overflow", SQLState.NUMERIC_VALUE_OUT_OF_RANGE),
    ("out of range", SQLState.NUMERIC_VALUE_OUT_OF_RANGE),
    ("too large to store", SQLState.NUMERIC_VALUE_OUT_OF_RANGE),
    ("non-nullable but contains null", SQLState.NOT_NULL_VIOLATION),
    ("cast error", SQLState.INVALID_TEXT_REPRESENTATION),
    ("parser error", SQLState.INVALID_TEXT_REPRESENTATION),
    ("regex", SQLState.INVALID_REGULAR_EXPRESSION),
    ("resources exhausted", SQLState.OUT_OF_MEMORY),
    ("not implemented", SQLState.FEATURE_NOT_SUPPORTED),
    ("not supported", SQLState.FEATURE_NOT_SUPPORTED),
    ("not currently supported", SQLState.FEATURE_NOT_SUPPORTED),
    ("internal error", SQLState.INTERNAL_ERROR),
    ("error during planning", SQLState.SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION),
    ("schema error", SQLState.SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION),
    ("type coercion error", SQLState.DATATYPE_MISMATCH),
    ("execution error", SQLState.DATA_EXCEPTION),
    ("arrow error", SQLState.DATA_EXCEPTION),
)

#: Words that make a statement reach files (in any position: EXPLAIN ANALYZE COPY runs it).
_FILE_WORDS = {
    "COPY": "COPY writes a file",
    "EXTERNAL": "CREATE EXTERNAL TABLE reads files",
    "LOCATION": "a LOCATION names files",
}
#: Statements DataFusion answers with a row count, which other engines do not return as a result.
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE"})
#: Statements that change the session's settings, by their first word.
_SETTINGS_WORDS = frozenset({"SET", "RESET"})


def innermost(message: str) -> str:
    """The root cause of a DataFusion error: the part after its last "caused by" (an optimizer
    rule that folds a constant reports the cast that failed inside it)."""
    return message.rsplit("\ncaused by\n", 1)[-1].strip()


def sqlstate_for(message: str) -> str:
    cause, whole = innermost(message).lower(), message.lower()
    for fragment, state in _BY_MESSAGE:
        if fragment in cause:
            return state
    for fragment, state in _BY_MESSAGE:
        if fragment in whole:
            return state
    return SQLState.UNKNOWN


def _outside(statement: list[Token]) -> str | None:
    """Why one statement's tokens reach outside the scratch space, or None."""
    words = [t.upper for t in statement if t.kind == "word"]
    for word in words:
        if word in _FILE_WORDS:
            return _FILE_WORDS[word]
    if words and statement[0].kind == "word" and words[0] in _SETTINGS_WORDS:
        return f"{words[0]} changes a setting sqlparity chose"
    return None


class _Deadline(Exception):
    """Raised by the interval timer's signal inside a statement that outlived its timeout."""


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Interrupt the statement after `seconds`, where signals can (the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum: int, frame: object) -> None:
        raise _Deadline

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class DataFusionEngine(Engine):
    dialect = "datafusion"
    schemes = ("datafusion",)

    def __init__(self, url: EngineURL, **options: Any) -> None:
        super().__init__(url, **options)
        if url.database or url.host:
            raise EngineError(f"{url}: DataFusion runs in memory only (use datafusion:)")
        self._settings = {
            key if "." in key else f"datafusion.execution.{key}": value
            for key, value in url.options.items()
        }
        self._conn: SessionContext | None = None
        self._open()

    @property
    def name(self) -> str:
        return "datafusion"

    @property
    def version(self) -> str:
        return datafusion.__version__

    @property
    def scratch(self) -> str:
        return ":memory:"

    def _open(self) -> None:
        config = SessionConfig().with_information_schema(True)
        try:
            for key, value in self._settings.items():
                config = config.set(key, value)
            runtime = (
                RuntimeEnvBuilder().with_disk_manager_disabled()
                .with_greedy_memory_pool(MEMORY_LIMIT)
            )  # fmt: skip
            conn = SessionContext(config, runtime)
            conn.deregister_object_store("file://")  # no file is reachable, guarded or not
        except Exception as exc:
            raise EngineError(f"cannot open DataFusion {self.url}: {exc}") from exc
        self._conn = conn

    def admit(self, sql: str) -> None:
        """Refuse, by its words, a statement that reaches files or changes settings; every
        statement of a multi-statement string is checked (DataFusion runs only one)."""
        try:
            statements = statement_tokens(sql, LEXICON)
        except ScriptError:
            return  # DataFusion reports the unterminated string itself
        for statement in statements:
            reason = _outside(statement)
            if reason is not None:
                raise Refused(sql, reason)

    def _execute(self, sql: str) -> Outcome:
        assert self._conn is not None, "engine is closed"
        start = time.perf_counter()
        deadline = start + self.timeout
        batches: list[pa.RecordBatch] = []
        count = 0
        try:
            with _alarm(self.timeout):
                frame = self._conn.sql(sql)
                schema = frame.schema()
                for batch in frame.execute_stream():
                    arrow = batch.to_pyarrow()
                    batches.append(arrow)
                    count += arrow.num_rows
                    if count > self.max_rows:
                        return too_many_rows(self.max_rows, time.perf_counter() - start)
                    if time.perf_counter() > deadline:
                        raise _Deadline
        except _Deadline:
            elapsed = time.perf_counter() - start
            return Failure(SQLState.QUERY_CANCELED, "timeout", "statement timeout", elapsed)
        except BaseException as exc:
            # a panic on the calling thread is pyo3's PanicException, a BaseException
            if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                raise
            message = str(exc).removeprefix("DataFusion error: ")
            if not isinstance(exc, Exception):
                message = f"panicked: {message}"
            state = sqlstate_for(message)
            if state == SQLState.INSUFFICIENT_PRIVILEGE and self.guarded:
                raise Refused(sql, "files are out of reach: no object store for them") from exc
            kind = innermost(message).split(":", 1)[0]
            return Failure(state, kind, message, time.perf_counter() - start)
        elapsed = time.perf_counter() - start
        table = pa.Table.from_batches(batches, schema=batches[0].schema if batches else schema)
        if _is_write_count(table, sql):
            return Rows((), [], elapsed)
        columns = tuple(Column(f.name, str(f.type)) for f in table.schema)
        rows = list(zip(*(c.to_pylist() for c in table.columns), strict=True))
        return Rows(columns, rows, elapsed)

    def reset(self) -> None:
        self._disconnect()
        self._open()

    def close(self) -> None:
        self._disconnect()


def _is_write_count(table: pa.Table, sql: str) -> bool:
    """DataFusion answers a write with a one-column `count` result; other engines with nothing."""
    if table.num_columns != 1 or table.schema[0].name != "count":
        return False
    first = next(iter(tokens(sql, LEXICON)), None)
    return first is not None and first.upper in _WRITES
