"""The cost of SQLite's authorizer (the statement guard) on generated SQL, A/B.

Decides whether unguarded engines (fuzz run's workers) can afford the authorizer too. The
whole-run throughput of bench/throughput.py varies by more than the cost on a shared machine,
so this times only the statements: the same generated states, run alternately on an engine
without and with the authorizer, the best and median of the rounds compared.

    python bench/authorizer.py --rounds 15
"""

from __future__ import annotations

import statistics
import time

import click

from fuzzer.engines import Engine, connect
from fuzzer.engines.sqlite import SQLiteFamily
from fuzzer.generator import Generator, Options


def scripts(states: int, queries: int) -> list[list[str]]:
    found = []
    for seed in range(states):
        g = Generator("sqlite", seed, Options())
        statements = [g.render(s) for s in g.database()]
        found.append(statements + [g.render(g.query()) for _ in range(queries)])
    return found


def authorize(engine: SQLiteFamily) -> None:
    conn = engine._conn
    install = getattr(conn, "set_authorizer", None) or conn.setauthorizer
    install(engine._authorizer)


def seconds(engine: Engine, states: list[list[str]], guarded: bool) -> float:
    total = 0.0
    for statements in states:
        engine.reset()  # a new connection: the authorizer goes with the old one
        if guarded:
            authorize(engine)  # type: ignore[arg-type]
        start = time.perf_counter()
        for sql in statements:
            engine.execute(sql)
        total += time.perf_counter() - start
    return total


@click.command()
@click.option("--urls", default="sqlite:,sqlite+apsw:", show_default=True)
@click.option("--states", default=40, show_default=True)
@click.option("--queries", default=60, show_default=True, help="Per state.")
@click.option("--rounds", default=9, show_default=True)
def main(urls: str, states: int, queries: int, rounds: int) -> None:
    work = scripts(states, queries)
    for url in urls.split(","):
        plain, guarded = connect(url, guard=False), connect(url, guard=False)
        without, with_ = [], []
        for _ in range(rounds):
            without.append(seconds(plain, work, False))
            with_.append(seconds(guarded, work, True))
        plain.close()
        guarded.close()
        best = min(with_) / min(without) - 1
        median = statistics.median(with_) / statistics.median(without) - 1
        click.echo(f"{url} {sum(map(len, work))} statements: authorizer costs {best:+.1%} "
                   f"(best of {rounds}), {median:+.1%} (median)")  # fmt: skip


if __name__ == "__main__":
    main()
