"""The ann-recall baseline: recall@k of stock pgvector per index kind and parameters.

Draws the ann-recall oracle's checks (the grid of `oracles.ann_recall`: index kind, build and
search parameters, metric, dimension and rows buckets) on a pgvector target, runs each under
the index and under an exact plan, and prints the measured recall distribution per bucket
(checks, min, the oracle's quantile, 1%, 10%, median, mean) and checks/s. `--write` stores
the recalls as the baseline the oracle flags against (shipped with the package).

    python bench/ann_recall.py -t 'postgresql://postgres@/postgres?host=/tmp/pg' --checks 4000
    python bench/ann_recall.py -t URL --checks 7000 --write oracles/ann_recall_baseline.json
    python bench/ann_recall.py --show oracles/ann_recall_baseline.json
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from fuzzer.engines import Rows, connect
from oracles.ann_recall import (
    MARGIN,
    QUANTILE,
    QUERIES,
    ANNRecall,
    K,
    draw_probe,
    measure,
    threshold,
)
from oracles.base import Context, Skip

#: the baseline's own seeds, apart from `fuzz run`'s (which start at 0)
SEED = 1_000_003


def _row(key: str, recalls: list[float]) -> list[str]:
    ordered = sorted(recalls)
    bound = threshold(ordered)
    return [
        key, str(len(ordered)), f"{ordered[0]:.3f}", f"{bound.quantile:.3f}",
        f"{ordered[int(0.01 * len(ordered))]:.3f}", f"{ordered[int(0.1 * len(ordered))]:.3f}",
        f"{bound.median:.3f}", f"{statistics.fmean(ordered):.3f}",
        f"{bound.value:.3f}" if bound.flags else "-",
    ]  # fmt: skip


def run(target: str, checks: int, seed: int) -> dict:
    """Draw and run `checks` checks: the summary, with each bucket's recalls."""
    engine = connect(target, timeout=30)
    oracle = ANNRecall(Context(engine.dialect))
    if not engine.install("vector"):
        raise click.ClickException(f"pgvector cannot be installed on {target}")
    version = engine.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    rng = random.Random(seed)
    by_bucket: dict[str, list[float]] = defaultdict(list)
    skipped = 0
    began = time.monotonic()
    for _ in range(checks):
        probe = draw_probe(rng, oracle.name)
        outcomes = [engine.execute(q) for q in probe.queries]
        try:
            bucket, recalls = measure(probe.queries, outcomes)
        except Skip:
            skipped += 1
            continue
        by_bucket[bucket.key].append(round(sum(recalls) / len(recalls), 4))
    seconds = time.monotonic() - began
    engine.close()
    return {
        "engine": f"{engine.name} {engine.version}",
        "pgvector": version.rows[0][0] if isinstance(version, Rows) else None,
        "k": K,
        "queries_per_check": QUERIES,
        "seed": seed,
        "checks": checks,
        "skipped": skipped,
        "seconds": round(seconds, 1),
        "checks_per_second": round(checks / seconds, 2),
        "buckets": {k: {"recalls": sorted(v)} for k, v in sorted(by_bucket.items())},
    }


def show(summary: dict) -> None:
    """The distribution per bucket, then pooled per index kind and parameters."""
    by_bucket = {key: b["recalls"] for key, b in summary["buckets"].items()}
    pooled: dict[str, list[float]] = defaultdict(list)
    for key, recalls in by_bucket.items():
        pooled["/".join(key.split("/")[:2])] += recalls
    console = Console()
    title = (f"recall@{summary['k']}, mean of {summary['queries_per_check']} queries per check "
             f"({summary['engine']}, pgvector {summary['pgvector']})")  # fmt: skip
    for name, groups in ((title, by_bucket), ("pooled per index kind and parameters", pooled)):
        table = Table(title=name)
        for column in ("bucket", "checks", "min", f"q{QUANTILE}", "p1", "p10", "median", "mean",
                       f"flags below (q - {MARGIN})"):  # fmt: skip
            table.add_column(column, justify="left" if column == "bucket" else "right")
        for key, recalls in sorted(groups.items()):
            table.add_row(*_row(key, recalls))
        console.print(table)
    console.print(f"{summary['checks']} checks ({summary['skipped']} skipped) in "
                  f"{summary['seconds']} s: {summary['checks_per_second']} checks/s")  # fmt: skip


@click.command()
@click.option("--target", "-t", help="A PostgreSQL URL with pgvector (pgserver).")
@click.option("--checks", default=2000, show_default=True, help="Checks to draw in all.")
@click.option("--seed", default=SEED, show_default=True)
@click.option("--write", type=click.Path(path_type=Path), help="Write the baseline here.")
@click.option("--show", "shown", type=click.Path(exists=True, path_type=Path),
              help="Print a written baseline's distribution instead of measuring.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the distribution as JSON.")
def main(target: str | None, checks: int, seed: int, write: Path | None, shown: Path | None,
         as_json: bool) -> None:  # fmt: skip
    if shown is not None:
        summary = json.loads(shown.read_text(encoding="utf-8"))
    elif target is None:
        raise click.UsageError("give --target URL, or --show FILE")
    else:
        summary = run(target, checks, seed)
    if write is not None:
        write.write_text(json.dumps(summary, indent=0) + "\n", encoding="utf-8")
    if as_json:
        click.echo(json.dumps(summary))
    else:
        show(summary)


if __name__ == "__main__":
    main()
