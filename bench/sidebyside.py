"""sqlparity and SQLancer side by side: the same engines and oracles, interleaved on one machine.

For each engine and oracle pair, runs SQLancer (`../shared/peers/sqlancer/run`, next to the
repository; it installs Java the first time) and `fuzz run` in turn, A B A B for `--rounds`
rounds, each with `--workers` threads or worker processes for `--seconds`. Prints both tools'
checks per second (over each process's whole wall time, start-up included), their ratio, the
share of statements that ran without error and the share of results that had rows; for
sqlparity also the share of its time spent inside the engine.

    python bench/sidebyside.py --seconds 60 --rounds 2
    python bench/sidebyside.py --pairs sqlite:norec,mariadb:norec --seconds 30 --json

SQLancer's checks are its oracle queries; sqlparity's TLP takes all its variants in turn
(SQLancer's `WHERE` oracle is TLP's WHERE variant only). SQLancer's databases get a prefix of
this run's own and are dropped afterwards; sqlparity drops its scratch databases itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import mean

import click
from rich.console import Console
from rich.table import Table

from fuzzer.engines import EngineURL

ROOT = Path(__file__).resolve().parent.parent
SQLANCER = Path(os.environ.get("SQLPARITY_SQLANCER", ROOT.parent / "shared/peers/sqlancer/run"))
URLS = {
    "sqlite": "sqlite:",
    "postgres": os.environ.get(
        "SQLPARITY_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    ),
    "mariadb": os.environ.get("SQLPARITY_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}
#: pair -> (SQLancer's DBMS and oracle, sqlparity's oracle)
PAIRS = {
    "sqlite:norec": (("sqlite3", "--oracle", "NoREC"), "norec"),
    "sqlite:tlp-where": (("sqlite3", "--oracle", "WHERE"), "tlp"),
    "postgres:tlp": (
        ("postgres", "--test-collations", "false", "--test-tablespaces", "false", "--oracle",
         "QUERY_PARTITIONING"),
        "tlp",
    ),
    "mariadb:norec": (("mariadb", "--oracle", "NOREC"), "norec"),
}
#: SQLancer's own final line of counters
PERF = re.compile(r"^PERF raw (.*)$", re.MULTILINE)


@dataclass
class Rate:
    checks_per_s: float
    valid: float  # statements without error
    nonempty: float  # results with rows
    engine_share: float | None = None  # sqlparity only


def _server_flags(engine: str) -> list[str]:
    if engine == "sqlite":
        return []
    url = EngineURL.parse(URLS[engine])
    return ["--host", url.host or "127.0.0.1", "--port", str(url.port or 0),
            "--username", url.user or "root",
            "--password", url.password or ("x" if engine == "postgres" else "")]  # fmt: skip


def sqlancer(pair: str, seconds: float, workers: int, prefix: str, cwd: Path) -> Rate:
    engine = pair.split(":")[0]
    dbms = list(PAIRS[pair][0])
    args = [str(SQLANCER), "--num-threads", str(workers), "--timeout-seconds", str(int(seconds)),
            "--num-queries", "1000", "--print-progress-summary", "true",
            "--database-prefix", prefix, *_server_flags(engine), *dbms]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=seconds + 300)
    wall = time.perf_counter() - start
    found = PERF.findall(done.stdout + done.stderr)
    if not found:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        raise click.ClickException(f"SQLancer on {pair} printed no PERF line: {tail}")
    c = {k.split("(")[0]: int(v) for k, v in re.findall(r"(\S+?)=(\d+)", found[-1])}
    statements = c["stmt_ok"] + c["stmt_failed"]
    return Rate(
        round(c["queries"] / wall, 1),
        round(c["stmt_ok"] / statements, 3) if statements else 0.0,
        round(c["checks_nonempty"] / c["checks_judged"], 3) if c["checks_judged"] else 0.0,
    )


def sqlparity(pair: str, seconds: float, workers: int, cwd: Path) -> Rate:
    engine, oracle = pair.split(":")[0], PAIRS[pair][1]
    args = [sys.executable, "-m", "fuzzer", "run", "-t", URLS[engine], "--oracle", oracle,
            "--workers", str(workers), "--duration", f"{int(seconds)}s", "--seed", "1",
            "--no-reduce", "--json", "--store", str(cwd / "store.db")]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=seconds + 300)  # fmt: skip
    wall = time.perf_counter() - start
    lines = [json.loads(ln) for ln in done.stdout.splitlines() if ln.startswith("{")]
    final = next((ln for ln in reversed(lines) if ln.get("final")), None)
    if final is None:
        tail = done.stderr.strip().splitlines()[-1:]
        raise click.ClickException(f"fuzz run on {pair} gave no summary: {tail}")
    return Rate(
        round(final["checks"] / wall, 1),
        final["ok_share"],
        final["nonempty_share"],
        final["engine_time_share"],
    )


def drop_sqlancer_databases(engine: str, prefix: str) -> None:
    """Drop the databases SQLancer made under this run's own prefix, and nothing else."""
    url = EngineURL.parse(URLS[engine])
    if engine == "postgres":
        import psycopg

        with psycopg.connect(URLS[engine], autocommit=True) as conn:
            names = conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,)
            ).fetchall()
            for (name,) in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    elif engine == "mariadb":
        import pymysql

        conn = pymysql.connect(host=url.host, port=url.port or 3306, user=url.user,
                               password=url.password or "", autocommit=True)  # fmt: skip
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW DATABASES")
                for (name,) in cur.fetchall():
                    if name.startswith(prefix):
                        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            conn.close()


@dataclass
class Row:
    pair: str
    sqlancer: Rate
    sqlparity: Rate
    ratio: float


def _mean(rates: list[Rate]) -> Rate:
    shares = [r.engine_share for r in rates if r.engine_share is not None]
    return Rate(
        round(mean(r.checks_per_s for r in rates), 1),
        round(mean(r.valid for r in rates), 3),
        round(mean(r.nonempty for r in rates), 3),
        round(mean(shares), 3) if shares else None,
    )


def compare(pair: str, seconds: float, workers: int, rounds: int) -> Row:
    engine = pair.split(":")[0]
    prefix = f"spbench{os.getpid()}x"
    theirs, ours = [], []
    try:
        for _ in range(rounds):
            with tempfile.TemporaryDirectory(prefix="sidebyside-") as tmp:
                theirs.append(sqlancer(pair, seconds, workers, prefix, Path(tmp)))
            with tempfile.TemporaryDirectory(prefix="sidebyside-") as tmp:
                ours.append(sqlparity(pair, seconds, workers, Path(tmp)))
    finally:
        drop_sqlancer_databases(engine, prefix)
    a, b = _mean(theirs), _mean(ours)
    return Row(pair, a, b, round(b.checks_per_s / a.checks_per_s, 2) if a.checks_per_s else 0.0)


@click.command()
@click.option("--pairs", default=",".join(PAIRS), show_default=True,
              help=f"Comma-separated ENGINE:ORACLE, of: {', '.join(PAIRS)}.")  # fmt: skip
@click.option("--seconds", default=60.0, show_default=True, help="Per run of each tool.")
@click.option("--workers", default=2, show_default=True, help="Threads (SQLancer), workers.")
@click.option("--rounds", default=2, show_default=True, help="A B rounds per pair.")
@click.option("--json", "as_json", is_flag=True)
def main(pairs: str, seconds: float, workers: int, rounds: int, as_json: bool) -> None:
    chosen = pairs.split(",")
    unknown = [p for p in chosen if p not in PAIRS]
    if unknown:
        click.echo(f"sidebyside: unknown pair {unknown[0]!r} (known: {', '.join(PAIRS)})", err=True)
        sys.exit(2)
    if not SQLANCER.exists():
        click.echo(f"sidebyside: no SQLancer at {SQLANCER} (set SQLPARITY_SQLANCER)", err=True)
        sys.exit(2)
    rows = []
    for pair in chosen:
        rows.append(compare(pair, seconds, workers, rounds))
        if not as_json:
            Console(stderr=True).print(f"{pair}: ratio {rows[-1].ratio}")
    if as_json:
        click.echo(json.dumps({"rows": [asdict(r) for r in rows]}))
        return
    title = f"side by side: {workers} workers, {seconds:.0f} s x {rounds} each"
    table = Table("pair", "SQLancer checks/s", "sqlparity checks/s", "ratio", "valid (S / s)",
                  "non-empty (S / s)", "sqlparity in engine", title=title)  # fmt: skip
    for r in rows:
        a, b = r.sqlancer, r.sqlparity
        table.add_row(r.pair, f"{a.checks_per_s:,.1f}", f"{b.checks_per_s:,.1f}", f"{r.ratio:.2f}",
                      f"{a.valid:.0%} / {b.valid:.0%}", f"{a.nonempty:.0%} / {b.nonempty:.0%}",
                      f"{b.engine_share:.0%}" if b.engine_share is not None else "")  # fmt: skip
    Console().print(table)


if __name__ == "__main__":
    main()
