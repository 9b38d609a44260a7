"""Engines for the tests: the embedded ones always, the servers from environment variables.

`SQLPARITY_POSTGRES_URL` and `SQLPARITY_MYSQL_URL` name the servers (defaults: this machine's
services). Locally an unreachable server skips its tests; in CI (`CI=true`) it fails them, so a
green CI always means every engine was tested. Two more PostgreSQL-compatible servers are started
once per session for the tests that target them: pgserver (`pgserver_url`, PostgreSQL 16 with
pgvector, from PyPI) and PGlite (`pglite_url`, PostgreSQL 18 in WebAssembly, from npm).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from fuzzer.engines import Engine, EngineError, connect

POSTGRES_URL = os.environ.get(
    "SQLPARITY_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
MYSQL_URL = os.environ.get("SQLPARITY_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# In CI the property tests draw the same examples on every run: a generated query that takes
# a shared server down (MariaDB 10.11 has such crashes) then shows up the same way locally,
# instead of failing one CI run in many. Locally they draw afresh each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    settings.load_profile("ci")

# DuckDB runs on one thread in the tests: its worker threads have taken the test process down
# (a segfault outside any Python thread, once in some hundred runs of the generated-query
# tests), and an in-process engine's crash cannot be survived. `fuzz run` keeps DuckDB's
# threads: its engines run in worker processes, where a crash is a finding.
ENGINE_URLS = {
    "sqlite": "sqlite:",
    "sqlite+apsw": "sqlite+apsw:",
    # one thread unless SQLPARITY_DUCKDB_URL says otherwise (`duckdb:?isolate=1` runs DuckDB in
    # an engine host, where a segfault fails a test, not the run)
    "duckdb": os.environ.get("SQLPARITY_DUCKDB_URL", "duckdb:?threads=1"),
    "postgres": POSTGRES_URL,
    "mysql": MYSQL_URL,
}
SERVERS = {"postgres", "mysql"}
#: where CI's services listen (.ci/services starts them)
CI_SERVICES = {"PostgreSQL": ("127.0.0.1", 5432), "MariaDB": ("127.0.0.1", 3306)}
CI_START = Path(__file__).resolve().parent.parent / ".ci" / "services"


def _listening(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(autouse=True)
def ci_servers_up() -> None:
    """In CI, a server that a generated query crashed in an earlier test is started again
    before the next one, so that one engine bug fails one test, not every test after it."""
    if not IN_CI:
        return
    down = [name for name, address in CI_SERVICES.items() if not _listening(address)]
    if down:
        warnings.warn(f"{', '.join(down)} was down before this test: started again", stacklevel=1)
        subprocess.run(["bash", str(CI_START)], check=True, capture_output=True, timeout=120)


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


@pytest.fixture
def bad_stores(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """Store paths no verb may use, each as a user meets it; put back writable afterwards.

    Read-only is meant by the mode bits, so it holds for root too (who may write any file).
    """
    from triage.store import Store

    good = tmp_path / "good" / "triage.db"
    Store.open(good).close()
    folder = tmp_path / "a-folder"
    folder.mkdir()
    readonly = tmp_path / "readonly.db"
    shutil.copy(good, readonly)
    readonly.chmod(0o444)
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copy(good, locked / "triage.db")
    locked.chmod(0o555)
    garbage = tmp_path / "garbage.db"
    garbage.write_text("Dear maintainer, this is not a database.\n")
    yield {
        "a directory": folder,
        "a read-only file": readonly,
        "a file in a read-only directory": locked / "triage.db",
        "not a SQLite file": garbage,
    }
    locked.chmod(0o755)
    readonly.chmod(0o644)


def files_under(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file below `root`, with its mode and content: to show that nothing was written."""
    return {
        str(p.relative_to(root)): (p.stat().st_mode, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _unavailable(what: str) -> None:
    """A PostgreSQL-compatible server the tests start could not start: skip locally, fail in CI."""
    if IN_CI:
        pytest.fail(what)
    pytest.skip(what)


@pytest.fixture(scope="session")
def pgserver_url() -> Iterator[str]:
    """A pgserver (PostgreSQL 16.2 + pgvector) of this session, on a Unix socket only.

    Started as root, pgserver runs postgres as its own OS user `pgserver` and makes every folder
    above the data directory traversable for it: the data directory is therefore a fresh one
    directly under the system's temporary folder (already world-traversable), not below
    pytest's private one, and is deleted with the server at the end of the session.
    """
    try:
        import pgserver
    except ImportError:
        _unavailable("pgserver is not installed (pip install '.[dev]')")
    root = Path(tempfile.mkdtemp(prefix="sqlparity-pgserver-"))
    root.chmod(0o755)
    try:
        server = pgserver.get_server(root / "pgdata", cleanup_mode="delete")
    except Exception as exc:  # pgserver raises what initdb or pg_ctl raised
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"pgserver did not start: {exc}")
    try:
        yield f"postgresql://postgres@/postgres?host={server.get_postmaster_info().socket_dir}"
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


PGLITE_HOME = Path(os.environ.get("SQLPARITY_PGLITE_HOME", Path.home() / ".cache/sqlparity/pglite"))
PGLITE_SERVER = PGLITE_HOME / "node_modules" / ".bin" / "pglite-server"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pglite_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A PGlite server of this session (pglite-socket, installed by .ci/run), on a TCP port."""
    if not PGLITE_SERVER.exists():
        _unavailable(f"PGlite is not installed in {PGLITE_HOME} (.ci/run installs it)")
    port = _free_port()
    log = tmp_path_factory.mktemp("pglite") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(PGLITE_SERVER), f"--port={port}", "--host=127.0.0.1"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not _listening(("127.0.0.1", port)):
            if server.poll() is not None or time.monotonic() > deadline:
                _unavailable(f"PGlite did not start: {log.read_text()[-500:]}")
            time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(params=["pgserver_url", "pglite_url"], ids=["pg16-pgserver", "pg18-pglite"])
def second_postgres(request: pytest.FixtureRequest) -> str:
    """Each PostgreSQL-compatible target the suite starts: pgserver (16) and PGlite (18)."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def pglite_url(pglite_port: int) -> str:
    """The URL of the session's PGlite as a user must write it: it closes when asked for SSL."""
    return f"postgresql://postgres@127.0.0.1:{pglite_port}/postgres?sslmode=disable"
