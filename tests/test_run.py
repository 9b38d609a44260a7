"""`fuzz run` end to end: real engines, real processes, real signals."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import ENGINE_URLS, open_engine

from fuzzer.engines import connect
from fuzzer.jobs.session import Session, StatementLog


def fuzz_run(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzzer", "run", *args],
        capture_output=True, text=True, cwd=cwd, timeout=timeout,
    )  # fmt: skip


def final(stdout: str) -> dict:
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert lines and lines[-1]["final"], stdout
    return lines[-1]


@pytest.mark.parametrize("key", ["sqlite", "duckdb", "postgres", "mysql"])
def test_a_short_run_finds_nothing_and_stores_its_record(tmp_path: Path, key: str):
    open_engine(key).close()  # skips locally, fails in CI, when a server is down
    store = tmp_path / "store.db"
    result = fuzz_run(
        "--target", ENGINE_URLS[key], "--checks", "150", "--workers", "1", "--seed", "3",
        "--store", str(store), "--json", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = final(result.stdout)
    assert summary["checks"] >= 150 and summary["queries"] > summary["checks"]
    assert summary["findings_new"] == 0 and summary["crashes"] == 0, summary
    assert summary["ok_share"] > 0.9
    with sqlite3.connect(store) as conn:
        (row,) = conn.execute("SELECT command, seed, finished, counters FROM runs").fetchall()
    assert row[0] == "fuzz run" and row[1] == 3 and row[2] is not None
    assert json.loads(row[3])["checks"] == summary["checks"]


def test_the_same_seed_replays_the_same_statements(tmp_path: Path):
    logs = []
    for n in range(2):
        engine = connect("sqlite:")
        log = StatementLog(tmp_path / f"log{n}.sql")
        Session(
            engine, ("tlp", "norec"), seed=11, worker=1, checks_per_state=20, log=log
        ).run_state(4)
        log.close()
        engine.close()
        logs.append((tmp_path / f"log{n}.sql").read_text())
    assert logs[0] == logs[1] and logs[0].count(";\n") > 20
    other = connect("sqlite:")
    log = StatementLog(tmp_path / "other.sql")
    Session(other, ("tlp",), seed=11, worker=1, checks_per_state=20, log=log).run_state(5)
    log.close()
    other.close()
    assert (tmp_path / "other.sql").read_text() != logs[0]


def test_sigterm_finishes_cleanly_and_leaves_a_consistent_store(tmp_path: Path):
    store = tmp_path / "store.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fuzzer", "run", "--workers", "2", "--store", str(store), "--json"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    time.sleep(6)
    os.killpg(proc.pid, signal.SIGTERM)  # as a service manager does: the whole group
    stdout, stderr = proc.communicate(timeout=180)  # the probes in progress may take a while
    assert proc.returncode == 0, stderr
    summary = final(stdout)
    assert summary["checks"] > 0 and summary["errors"] == []
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM runs WHERE finished IS NOT NULL").fetchone() == (
            1,
        )


# -- a server that goes away mid-run -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    return found[-1].parent if found else None


@pytest.fixture
def throwaway_postgres() -> Iterator[tuple[str, tuple[Callable[[], None], Callable[[], None]]]]:
    """A PostgreSQL server of the test's own, which the test may stop and start at will."""
    bindir = _pg_bin()
    if bindir is None or os.geteuid() != 0 or shutil.which("setpriv") is None:
        if os.environ.get("CI"):
            pytest.fail("a throwaway PostgreSQL needs root, setpriv and the server binaries")
        pytest.skip("cannot start a throwaway PostgreSQL here")
    # Not under pytest's private temporary folder: the server runs as the postgres user.
    data = Path(tempfile.mkdtemp(prefix="sqlparity-pg-"))
    os.chown(data, _uid("postgres"), _gid("postgres"))
    as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
    subprocess.run([*as_postgres, str(bindir / "initdb"), "-D", str(data), "-A", "trust",
                    "-U", "postgres"], check=True, capture_output=True)  # fmt: skip
    port = _free_port()
    procs: list[subprocess.Popen] = []

    def start() -> None:
        procs.append(subprocess.Popen(
            [*as_postgres, str(bindir / "postgres"), "-D", str(data), "-p", str(port),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-k", str(data)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))  # fmt: skip
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                time.sleep(0.3)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("throwaway PostgreSQL did not start")

    def stop() -> None:
        proc = procs[-1]
        proc.send_signal(signal.SIGINT)  # fast shutdown: clients are disconnected
        proc.wait(timeout=30)

    start()
    yield f"postgresql://postgres@127.0.0.1:{port}/postgres", (start, stop)
    if procs[-1].poll() is None:
        stop()
    shutil.rmtree(data, ignore_errors=True)


def _uid(name: str) -> int:
    import pwd

    return pwd.getpwnam(name).pw_uid


def _gid(name: str) -> int:
    import grp

    return grp.getgrnam(name).gr_gid


def test_a_server_restarted_mid_run_is_survived(tmp_path: Path, throwaway_postgres):
    url, (start, stop) = throwaway_postgres
    proc = subprocess.Popen(
        [sys.executable, "-m", "fuzzer", "run", "--target", url, "--workers", "1",
         "--duration", "25s", "--json", "--store", str(tmp_path / "store.db")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(7)
    stop()
    time.sleep(2)
    start()
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    summary = lines[-1]
    assert summary["final"] and summary["errors"] == [], summary
    assert summary["crashes"] >= 1  # the worker saw the connection go...
    assert summary["findings_new"] == 0  # ...and did not call a restart an engine crash
    before_restart = max((line["checks"] for line in lines if line["elapsed"] <= 7), default=0)
    assert summary["checks"] > before_restart + 50  # ...and went on fuzzing afterwards


def _workers(pid: int) -> list[int]:
    """The worker processes of a job: its children started by multiprocessing's spawn."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"spawn_main" in cmdline:
            found.append(int(proc.name))
    return found


def test_a_worker_that_dies_is_restarted_and_not_blamed_on_the_engine(tmp_path: Path):
    """A worker killed by SIGSEGV from outside: its log replays without a crash, so no finding."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fuzzer", "run", "--workers", "1", "--duration", "14s",
         "--json", "--store", str(tmp_path / "store.db")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(5)
    workers = _workers(proc.pid)
    assert len(workers) == 1, workers
    for pid in workers:
        os.kill(pid, signal.SIGSEGV)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    summary = lines[-1]
    assert summary["findings_new"] == 0 and summary["errors"] == [], summary
    at_kill = max((line["checks"] for line in lines if line["elapsed"] <= 5), default=0)
    assert summary["checks"] > at_kill + 100  # a new worker took over


def test_resume_continues_with_the_same_settings_and_fresh_states(tmp_path: Path):
    store = str(tmp_path / "store.db")
    first = final(
        fuzz_run(
            "--seed",
            "17",
            "--workers",
            "1",
            "--checks",
            "150",
            "--store",
            store,
            "--json",
            "--no-reduce",
            cwd=tmp_path,
        ).stdout
    )
    again = fuzz_run("--resume", str(first["run_id"]), "--checks", "150", "--store", store,
                     "--json", "--no-reduce", cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0, again.stderr
    second = final(again.stdout)
    assert second["run_id"] == first["run_id"] + 1
    assert second["positions"]["0"] > first["positions"]["0"]  # states it has not done before
    with sqlite3.connect(store) as conn:
        seed, settings = conn.execute(
            "SELECT seed, settings FROM runs WHERE id = ?", (second["run_id"],)
        ).fetchone()
    assert seed == 17 and json.loads(settings)["resumed_from"] == first["run_id"]


@pytest.mark.parametrize("target,reference", [("duckdb:", "sqlite:"), ("sqlite:", "postgres")])
def test_a_cross_dialect_differential_on_portable_sql_finds_nothing(
    tmp_path: Path, target: str, reference: str
):
    """Regression for the false alarms of the first runs: NULL order, CHAR padding, setup."""
    if reference == "postgres":
        open_engine("postgres").close()
        reference = ENGINE_URLS["postgres"]
    result = fuzz_run(
        "--target", target, "--reference", reference, "--oracle", "diff", "--checks", "300",
        "--workers", "1", "--seed", "5", "--json", "--no-reduce",
        "--store", str(tmp_path / "store.db"), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = final(result.stdout)
    assert summary["checks"] >= 300 and summary["findings_new"] == 0, summary


def test_a_background_reduction_gets_its_urls_from_the_environment_never_its_argv(
    tmp_path: Path,
):
    from fuzzer.jobs.reductions import Reductions
    from triage.store import Store

    store = tmp_path / "store.db"
    Store.open(store).close()
    reductions = Reductions(store, 5.0, tmp_path)
    reductions.add(1, "postgresql://postgres:s3cret-t@127.0.0.1:1/x",
                   "mysql://root:s3cret-r@127.0.0.1:1/y")  # fmt: skip
    proc = reductions.running
    assert proc is not None
    cmdline = b""
    for _ in range(500):  # Popen returns a moment before exec has laid out the new argv
        if cmdline := Path(f"/proc/{proc.pid}/cmdline").read_bytes():
            break
        time.sleep(0.01)
    environ = Path(f"/proc/{proc.pid}/environ").read_bytes()
    reductions.finish()
    assert b"reduce\x001\x00--store" in cmdline, cmdline  # the reducer's own, read while alive
    assert b"s3cret" not in cmdline
    assert b"SQLPARITY_TARGET=postgresql://postgres:s3cret-t@" in environ
