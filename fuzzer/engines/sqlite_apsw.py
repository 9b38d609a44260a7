"""SQLite through apsw (`sqlite+apsw:`).

Each apsw release bundles one SQLite release, so installing `apsw==3.39.2.1` is how a user tests
SQLite 3.39.2. Semantics, scratch space and error mapping are those of the stdlib engine.
"""

from __future__ import annotations

import time
from itertools import islice
from pathlib import Path
from typing import Any

import apsw

from fuzzer.engines.base import Column, EngineError, Failure, Outcome, Rows, too_many_rows
from fuzzer.engines.sqlite import (
    APPLICATION_ID,
    PROGRESS_STEPS,
    SQLiteFamily,
    sqlstate_for,
    storage_classes,
)


class ApswEngine(SQLiteFamily):
    schemes = ("sqlite+apsw",)
    _conn: apsw.Connection | None = None
    _names: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        version = getattr(apsw, "sqlite_lib_version", None) or apsw.sqlitelibversion
        return version()

    def _connect(self, target: str) -> None:
        try:
            conn = apsw.Connection(target)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        except apsw.Error as exc:
            raise EngineError(f"cannot open SQLite database {self.url}: {exc}") from exc
        # apsw spells its methods in PEP 8 style since 3.43; older releases only the old way.
        set_handler = getattr(conn, "set_progress_handler", None) or conn.setprogresshandler
        set_handler(self._over_time, PROGRESS_STEPS)
        enable = getattr(conn, "enable_load_extension", None) or conn.enableloadextension
        enable(False)
        if self.guarded:
            if hasattr(conn, "set_authorizer"):
                conn.set_authorizer(self._authorizer)
            else:
                conn.setauthorizer(self._authorizer)
        self._conn = conn

    def _application_id_of(self, path: Path) -> int:
        try:
            probe = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
        except apsw.Error:
            return -1
        try:
            return probe.execute("PRAGMA application_id").fetchall()[0][0]
        except apsw.Error:
            return -1
        finally:
            probe.close()

    def _remember_columns(self, cursor: apsw.Cursor, sql: str, bindings: Any) -> bool:
        # Called once the statement is prepared and before it runs: the only moment apsw
        # describes the columns of a result that turns out to be empty.
        describe = getattr(cursor, "get_description", None) or cursor.getdescription
        self._names = tuple(name for name, _ in describe())
        return True

    def _execute(self, sql: str) -> Outcome:
        assert self._conn is not None, "engine is closed"
        start = self._start()
        self._names = ()
        cursor = self._conn.cursor()
        if hasattr(cursor, "exec_trace"):
            cursor.exec_trace = self._remember_columns
        else:
            cursor.setexectrace(self._remember_columns)
        try:
            rows = [tuple(r) for r in islice(cursor.execute(sql), self.max_rows + 1)]
        except apsw.Error as exc:
            refusal = self._refusal(sql)
            if refusal is not None:
                raise refusal from exc
            name = apsw.mapping_extended_result_codes.get(
                getattr(exc, "extendedresult", None)
            ) or apsw.mapping_result_codes.get(getattr(exc, "result", None))
            return Failure(
                sqlstate_for(name, str(exc)),
                name or type(exc).__name__,
                str(exc),
                time.perf_counter() - start,
            )
        elapsed = time.perf_counter() - start
        if len(rows) > self.max_rows:
            return too_many_rows(self.max_rows, elapsed)
        names = self._names
        return Rows(tuple(map(Column, names, storage_classes(rows, len(names)))), rows, elapsed)
