"""Engines by URL scheme.

An engine is one module defining one `Engine` subclass. Built-in engines are listed here by
module so that a driver is imported only when its engine is used; other packages add engines
through the `sqlparity.engines` entry-point group (name: URL scheme, value: `module:Class`).
"""

from __future__ import annotations

from fuzzer.engines.base import (
    DEFAULT_TIMEOUT,
    Column,
    Engine,
    EngineError,
    EngineURL,
    Failure,
    Outcome,
    Refused,
    Rows,
)
from fuzzer.engines.hosted import HostedEngine, contained, wants_host
from fuzzer.plugins import load, registered

__all__ = [
    "Column",
    "Engine",
    "EngineError",
    "EngineURL",
    "Failure",
    "Outcome",
    "Refused",
    "Rows",
    "connect",
    "contained",
    "engine_class",
    "schemes",
]

_BUILTIN = {
    "sqlite": "fuzzer.engines.sqlite:SQLiteEngine",
    "sqlite+apsw": "fuzzer.engines.sqlite_apsw:ApswEngine",
    "duckdb": "fuzzer.engines.duckdb:DuckDBEngine",
    "datafusion": "fuzzer.engines.datafusion:DataFusionEngine",
    "postgresql": "fuzzer.engines.postgres:PostgresEngine",
    "postgres": "fuzzer.engines.postgres:PostgresEngine",
    "mysql": "fuzzer.engines.mysql:MySQLEngine",
    "mariadb": "fuzzer.engines.mysql:MySQLEngine",
    "tidb": "fuzzer.engines.mysql:MySQLEngine",
}


def schemes() -> dict[str, str]:
    """Every URL scheme sqlparity knows, with the class that serves it."""
    return registered(_BUILTIN, "sqlparity.engines")


def engine_class(scheme: str) -> type[Engine]:
    target = schemes().get(scheme)
    if target is None:
        known = ", ".join(sorted(schemes()))
        raise EngineError(f"unknown engine URL scheme {scheme!r} (known: {known})")
    try:
        return load(target)
    except ImportError as exc:
        raise EngineError(f"engine {scheme!r} needs a driver that is not installed: {exc}") from exc


def connect(url: str, timeout: float = DEFAULT_TIMEOUT, *, guard: bool = True) -> Engine:
    """Open an engine from its URL and create its scratch space.

    `guard=False` only for statements sqlparity generates itself: everything else (a user's
    script, a stored finding) runs through the engine's statement guard. A URL with `version=`
    or `isolate=1` opens the engine in an engine host (fuzzer.engines.hosted). Raises
    EngineError, with a one-line message, when the engine cannot be used.
    """
    parsed = EngineURL.parse(url)
    if wants_host(parsed):  # a pinned release, or an isolated one: in an engine host
        return HostedEngine(parsed, timeout=timeout, guard=guard)
    return engine_class(parsed.scheme)(parsed, timeout=timeout, guard=guard)
