"""Throughput of fuzzing: oracle checks and queries per second, per engine, oracle and workers.

For each engine and oracle, with 1 and 2 worker processes, runs the real fuzzing session (the
one `fuzz run` uses) for `--seconds` and prints checks/s, queries/s, the share of wall time
spent inside the engine (the rest is sqlparity's own overhead), and each worker's memory at
the start and the end of the measurement.

    python bench/throughput.py --seconds 20
    python bench/throughput.py --engines sqlite,postgres --oracles tlp --json
    python bench/throughput.py --engines duckdb,'duckdb:?version=1.5.6' --oracles diff \
        --reference duckdb

`--engines` takes names from URLS or engine URLs; `--reference` (a name or URL) gives every
session a reference engine, for the differential.

Engines run unguarded, as in `fuzz run`'s workers; `--guarded` measures the statement guard
that `fuzz check` and `fuzz reduce` pay.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from dataclasses import asdict, dataclass
from multiprocessing.queues import Queue

import click
from rich.console import Console
from rich.table import Table

from fuzzer.engines import EngineError, connect
from fuzzer.jobs.session import Session

URLS = {
    "sqlite": "sqlite:",
    "apsw": "sqlite+apsw:",
    "duckdb": "duckdb:",
    # the same engines in an engine host, over its pipe (what a pinned release costs)
    "apsw-host": "sqlite+apsw:?isolate=1",
    "duckdb-host": "duckdb:?isolate=1",
    "postgres": os.environ.get(
        "SQLPARITY_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    ),
    "mariadb": os.environ.get("SQLPARITY_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass
class WorkerResult:
    checks: int
    queries: int
    engine_time: float
    wall: float
    rss_start_mb: float
    rss_end_mb: float


def measure(
    url: str,
    oracle: str,
    worker: int,
    seconds: float,
    guarded: bool,
    results: Queue,
    reference_url: str | None = None,
) -> None:
    engine = connect(url, guard=guarded)
    reference = connect(reference_url, guard=guarded) if reference_url else None
    session = Session(engine, (oracle,), seed=1234, worker=worker, reference=reference,
                      adaptive=True)
    session.run_state(0)  # warm up: imports, first connection, caches
    session.stats.take()
    rss_start = rss_mb()
    start = time.perf_counter()
    deadline = start + seconds
    state = 1
    while time.perf_counter() < deadline:
        session.run_state(state, stop=lambda: time.perf_counter() >= deadline)
        state += 1
    wall = time.perf_counter() - start
    stats = session.stats
    engine.close()
    if reference is not None:
        reference.close()
    results.put(WorkerResult(stats.checks, stats.queries, stats.engine_time, wall,
                             rss_start, rss_mb()))  # fmt: skip


@dataclass
class Run:
    engine: str
    oracle: str
    workers: int
    checks_per_s: float
    queries_per_s: float
    engine_time_share: float
    rss_start_mb: float
    rss_end_mb: float


def run(
    name: str, oracle: str, workers: int, seconds: float, guarded: bool, reference: str | None
) -> Run:
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    url, ref = URLS.get(name, name), reference and URLS.get(reference, reference)
    procs = [
        ctx.Process(target=measure, args=(url, oracle, w, seconds, guarded, results, ref))
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    got = [results.get(timeout=seconds * 3 + 120) for _ in procs]
    for p in procs:
        p.join()
    wall = max(r.wall for r in got)
    return Run(
        engine=name,
        oracle=oracle,
        workers=workers,
        checks_per_s=round(sum(r.checks for r in got) / wall, 1),
        queries_per_s=round(sum(r.queries for r in got) / wall, 1),
        engine_time_share=round(sum(r.engine_time for r in got) / sum(r.wall for r in got), 3),
        rss_start_mb=round(max(r.rss_start_mb for r in got), 1),
        rss_end_mb=round(max(r.rss_end_mb for r in got), 1),
    )


@click.command()
@click.option("--engines", default="sqlite,duckdb,postgres,mariadb", show_default=True)
@click.option("--oracles", default="tlp,norec", show_default=True)
@click.option("--workers", default="1,2", show_default=True)
@click.option("--seconds", default=10.0, show_default=True, help="Per measurement.")
@click.option("--guarded", is_flag=True, help="Run the statement guard, as fuzz check does.")
@click.option("--reference", help="A reference engine (name or URL) for every session.")
@click.option("--json", "as_json", is_flag=True)
def main(
    engines: str,
    oracles: str,
    workers: str,
    seconds: float,
    guarded: bool,
    reference: str | None,
    as_json: bool,
) -> None:
    runs = []
    for name in engines.split(","):
        try:
            connect(URLS.get(name, name)).close()
        except EngineError as exc:
            raise click.ClickException(f"{name}: {exc}") from exc
        for oracle in oracles.split(","):
            for n in (int(w) for w in workers.split(",")):
                runs.append(run(name, oracle, n, seconds, guarded, reference))
                if not as_json:
                    Console(stderr=True).print(f"{name} {oracle} x{n}: {runs[-1].checks_per_s}/s")
    if as_json:
        click.echo(json.dumps({"runs": [asdict(r) for r in runs]}))
        return
    columns = ("engine", "oracle", "workers", "checks/s", "queries/s", "in engine",
               "RSS start MB", "RSS end MB")  # fmt: skip
    table = Table(*columns, title=f"throughput ({seconds:.0f} s each)")
    for r in runs:
        table.add_row(r.engine, r.oracle, str(r.workers), f"{r.checks_per_s:,.0f}",
                      f"{r.queries_per_s:,.0f}", f"{r.engine_time_share:.0%}",
                      f"{r.rss_start_mb:.0f}", f"{r.rss_end_mb:.0f}")  # fmt: skip
    Console().print(table)


if __name__ == "__main__":
    main()
