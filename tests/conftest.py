"""Engines for the tests: the embedded ones always, the servers from environment variables.

`SQLPARITY_POSTGRES_URL` and `SQLPARITY_MYSQL_URL` name the servers (defaults: this machine's
services). Locally an unreachable server skips its tests; in CI (`CI=true`) it fails them, so a
green CI always means every engine was tested.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fuzzer.engines import Engine, EngineError, connect

POSTGRES_URL = os.environ.get(
    "SQLPARITY_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
MYSQL_URL = os.environ.get("SQLPARITY_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

ENGINE_URLS = {
    "sqlite": "sqlite:",
    "sqlite+apsw": "sqlite+apsw:",
    "duckdb": "duckdb:",
    "postgres": POSTGRES_URL,
    "mysql": MYSQL_URL,
}
SERVERS = {"postgres", "mysql"}


def open_engine(key: str, **options: float) -> Engine:
    """Connect to the engine under test, skipping (locally) or failing (CI) when it is down."""
    try:
        return connect(ENGINE_URLS[key], **options)
    except EngineError as exc:
        if key in SERVERS and not IN_CI:
            pytest.skip(f"{key} server unavailable: {exc}")
        raise


@pytest.fixture(params=sorted(ENGINE_URLS))
def engine_key(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def engine(engine_key: str) -> Iterator[Engine]:
    e = open_engine(engine_key)
    yield e
    e.close()
