"""Isolation throughput: transactions per second on real engines, scheduled and free-running.

For each engine URL and level, runs `--schedules` schedules drawn from `--seed` on
`--clients` sessions, first under the interleaving controller (the deterministic schedule
`fuzz run --oracle isolation` checks), then free-running (`--free-running`: each client
runs its transactions back to back), and prints transactions per second (every transaction
of a schedule: committed, aborted or unknown), the share that committed, and the anomalies
the level forbids that the checker found (0 expected on a correct engine).

    python bench/isolation_throughput.py
    python bench/isolation_throughput.py --engine mysql://root@127.0.0.1:3306/test \
        --isolation repeatable-read --profile mariadb --json
"""

from __future__ import annotations

import json
import time

import click

from fuzzer.engines import connect
from oracles.isolation import schedule, workload
from oracles.isolation.checker import Checker
from oracles.isolation.history import OK
from oracles.isolation.profile import IsolationProfile

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@click.command()
@click.option("--engine", "urls", multiple=True, default=[POSTGRES], show_default=True)
@click.option("--isolation", "level", default="serializable", show_default=True,
              type=click.Choice(workload.LEVELS))  # fmt: skip
@click.option("--profile", help="Isolation profile (a name or a file).")
@click.option("--schedules", default=10, show_default=True)
@click.option("--clients", default=4, show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def main(urls: tuple[str, ...], level: str, profile: str | None, schedules: int,
         clients: int, seed: int, as_json: bool) -> None:  # fmt: skip
    results = []
    accepted = IsolationProfile.named(profile)
    for url in urls:
        engine = connect(url)
        try:
            drawn = workload.Workload(clients=clients, level=level)
            session = workload.spelling(engine.dialect).session
            ok_level = accepted.accepted(engine.dialect, level)
            for free in (False, True):
                txns = committed = anomalies = 0
                began = time.monotonic()
                for n in range(schedules):
                    queries = workload.draw(engine.dialect, drawn, seed + n)
                    engine.reset()
                    outcomes = schedule.run(queries, engine, lambda e, s: e.execute(s), clients,
                                            session, free=free)  # fmt: skip
                    history = schedule.history_of(queries, outcomes)
                    txns += len(history.txns)
                    committed += sum(t.status == OK for t in history.txns)
                    anomalies += len(Checker(history).check().forbidden(level, ok_level))
                seconds = time.monotonic() - began
                results.append({
                    "engine": f"{engine.name} {engine.version}", "isolation": level,
                    "mode": "free-running" if free else "scheduled", "schedules": schedules,
                    "txns": txns, "seconds": round(seconds, 2),
                    "txns_per_s": round(txns / seconds, 1),
                    "committed_share": round(committed / max(txns, 1), 3),
                    "anomalies": anomalies,
                })  # fmt: skip
                if not as_json:
                    r = results[-1]
                    print(f"{r['engine']:40} {level:16} {r['mode']:12} {r['txns']:5} txns "
                          f"{r['seconds']:7.2f} s  {r['txns_per_s']:7.1f} txns/s  "
                          f"committed {r['committed_share']:.0%}  anomalies {anomalies}")
        finally:
            engine.close()
    if as_json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
