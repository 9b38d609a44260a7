"""Several workers write one store at once; a worker killed mid-write leaves it consistent."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

from test_triage_store import BUG_A, BUG_B, bug

from triage.store import Store

WORKERS = 4
RECORDS = 50

# fork: the children need this module's functions, not a fresh interpreter importing pytest
fork = multiprocessing.get_context("fork")


def worker(path: str, number: int, start: multiprocessing.synchronize.Event) -> None:
    start.wait()
    with Store.open(path) as store:
        run = store.start_run("run", seed=number)
        for n in range(RECORDS):
            features = (BUG_A, BUG_B, ("select", f"worker{number}"))[n % 3]
            store.record(bug(features, table=f"t{number}_{n}", literal=n), run)
        store.finish_run(run, {"records": RECORDS})


def forever(path: str) -> None:
    with Store.open(path) as store:
        run = store.start_run("run")
        n = 0
        while True:
            store.record(bug(("select", f"f{n % 7}"), padding=n % 40, literal=n), run)
            n += 1


def consistent(store: Store) -> None:
    """The materialised counts agree with the rows they count, and the file is sound."""
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    mismatched = store.conn.execute(
        "SELECT f.id FROM findings f LEFT JOIN occurrences o ON o.finding_id = f.id "
        "GROUP BY f.id HAVING f.occurrences != count(o.id)"
    ).fetchall()
    assert mismatched == []
    runs = store.conn.execute(
        "SELECT r.id FROM runs r LEFT JOIN occurrences o ON o.run_id = r.id "
        "GROUP BY r.id HAVING r.occurrences != count(o.id)"
    ).fetchall()
    assert runs == []


def test_concurrent_workers_lose_no_occurrence(tmp_path: Path) -> None:
    path = str(tmp_path / "triage.db")
    start = fork.Event()
    workers = [fork.Process(target=worker, args=(path, n, start)) for n in range(WORKERS)]
    for w in workers:
        w.start()
    start.set()  # all at once, on a store none of them has created yet
    for w in workers:
        w.join(120)
        assert w.exitcode == 0

    with Store.open(path) as store:
        assert store.db["occurrences"].count == WORKERS * RECORDS
        assert sum(f.occurrences for f in store.findings(status=None)) == WORKERS * RECORDS
        # two bugs every worker hits, and one of each worker's own
        assert len(store.findings()) == 2 + WORKERS
        assert store.db["runs"].count == WORKERS
        consistent(store)


def test_a_worker_killed_mid_write_leaves_the_store_consistent(tmp_path: Path) -> None:
    path = str(tmp_path / "triage.db")
    child = fork.Process(target=forever, args=(path,))
    child.start()
    try:
        deadline = time.monotonic() + 60
        while _occurrences(path) < 100:
            assert child.is_alive() and time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join()
    assert child.exitcode == -signal.SIGKILL

    with Store.open(path) as store:
        consistent(store)
        store.record(bug())  # and it takes writes again
        consistent(store)


def _occurrences(path: str) -> int:
    if not Path(path).exists():
        return 0
    with Store.open(path) as store:
        return store.db["occurrences"].count if store.db["occurrences"].exists() else 0
