"""Checker time: how long the isolation checker takes on large simulated histories.

Simulates `--txns` transactions of `--ops` list-append and register operations on
`--clients` clients, as a serial execution (no anomaly: the checker's cost on a good history)
and under snapshot isolation (first committer wins, reads from the start snapshot: write skew,
so cycles to search), then times the checker on each.

    python bench/isolation.py                      # 100,000 transactions
    python bench/isolation.py --txns 20000 --json
"""

from __future__ import annotations

import json
import random
import time

import click

from oracles.isolation.checker import Checker
from oracles.isolation.history import APPEND, FAIL, OK, READ, WRITE, History, Op, Txn


def simulate(txns: int, ops: int, keys: int, clients: int, snapshot: bool, seed: int) -> History:
    """A history of `txns` transactions; with `snapshot`, `clients` of them overlap at a time.

    Commits apply at the end of each batch of overlapping transactions, so the committed state
    during a batch is the batch's snapshot.
    """
    rng = random.Random(seed)
    lists: dict[str, tuple[int, ...]] = {}
    registers: dict[str, int | None] = {}
    history = History()
    pending: list[tuple[Txn, dict, dict, set]] = []  # txn, list and register writes, keys
    counter = 0
    for tid in range(txns):
        txn = Txn(tid, tid % clients)
        mine_l: dict[str, tuple[int, ...]] = {}
        mine_r: dict[str, int] = {}
        for _ in range(ops):
            n = int(keys * rng.random() ** 3)  # skewed: a few hot keys
            if rng.random() < 0.5:
                key = f"l{n}"
                if rng.random() < 0.5:
                    counter += 1
                    base = mine_l.get(key, lists.get(key, ()))
                    mine_l[key] = (*base, counter)
                    txn.ops.append(Op(APPEND, key, counter))
                else:
                    seen = mine_l.get(key, lists.get(key, ()))
                    txn.ops.append(Op(READ, key, seen))
            else:
                key = f"r{n}"
                if rng.random() < 0.5:
                    counter += 1
                    mine_r[key] = counter
                    txn.ops.append(Op(WRITE, key, counter))
                else:
                    txn.ops.append(Op(READ, key, mine_r.get(key, registers.get(key))))
        pending.append((txn, mine_l, mine_r, set(mine_l) | set(mine_r)))
        if not snapshot or len(pending) >= clients or tid == txns - 1:
            written: set[str] = set()
            for t, ml, mr, touched in pending:  # commit in order; first committer wins
                if snapshot and touched & written:
                    t.status = FAIL
                else:
                    t.status = OK
                    written |= touched
                    lists.update(ml)  # no other winner of the batch wrote its keys
                    registers.update(mr)
                history.txns.append(t)
            pending = []
    return history


@click.command()
@click.option("--txns", default=100_000, show_default=True)
@click.option("--ops", default=4, show_default=True)
@click.option("--keys", default=5_000, show_default=True)
@click.option("--clients", default=4, show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def main(txns: int, ops: int, keys: int, clients: int, seed: int, as_json: bool) -> None:
    results = []
    for snapshot in (False, True):
        history = simulate(txns, ops, keys, clients, snapshot, seed)
        start = time.process_time()
        report = Checker(history).check()
        seconds = time.process_time() - start
        kinds = sorted({a.kind for a in report.anomalies})
        results.append({"history": "snapshot" if snapshot else "serial", "txns": txns,
                        "edges": report.edges, "seconds": round(seconds, 2), "anomalies": kinds})
        if not as_json:
            print(f"{results[-1]['history']:9} {txns} txns, {report.edges} edges: "
                  f"{seconds:.2f} s CPU, anomalies {kinds or 'none'}")
    if as_json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
