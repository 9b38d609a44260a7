"""`fuzz generate`: print a generated database script and queries, or what was learned of a
target (`--target URL --features`)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from fuzzer.adaptive import EVERY, Evidence
from fuzzer.console import fail, out
from fuzzer.dialects import DIALECTS
from fuzzer.engines import EngineError, connect
from fuzzer.generator import Generator, Options
from fuzzer.generator.vocabulary import text_names
from fuzzer.options import COUNT, SEED
from triage.store import StoreError, default_path, learned_at


@click.command()
@click.option("--dialect", "-d", type=click.Choice(DIALECTS), default="sqlite", show_default=True)
@click.option("--seed", "-s", type=SEED, default=0, show_default=True, help="Same seed, same SQL.")
@click.option("-n", "count", type=click.IntRange(min=0), default=10, show_default=True,
              help="Number of queries.")  # fmt: skip
@click.option("--depth", type=COUNT, default=3, show_default=True, help="Maximum nesting depth.")
@click.option("--deterministic", is_flag=True, help="Only queries with one right answer.")
@click.option("--portable", is_flag=True, help="Only constructs all dialects agree on.")
@click.option("--target", "-t", envvar="SQLPARITY_TARGET",
              help="Engine URL: its dialect, without the features `fuzz run` learned it "
              "rejects (env SQLPARITY_TARGET).")  # fmt: skip
@click.option("--features", "show_features", is_flag=True,
              help="With --target: print what was learned of it instead.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="With --features: one JSON object.")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path),
              help=f"Where the learned table is (default: {default_path()}).")  # fmt: skip
def generate(
    dialect: str,
    seed: int,
    count: int,
    depth: int,
    deterministic: bool,
    portable: bool,
    target: str | None,
    show_features: bool,
    as_json: bool,
    store_path: Path | None,
) -> None:
    """Print a random database script and N queries, one statement per line.

    \b
    Examples:
      fuzz generate --dialect postgres --seed 7 -n 20 | psql
      fuzz generate --target duckdb: --features     # what fuzz run learned duckdb rejects
    """
    avoid: frozenset[str] = frozenset()
    if show_features and target is None:
        fail("--features needs --target URL")
    if target is not None:
        name, version, dialect = _identify(target)
        evidence = _learned(store_path, name, version)
        if show_features:
            _print_features(name, version, evidence, as_json)
            return
        avoid = frozenset(evidence.off)
    options = Options(deterministic=deterministic, portable=portable, max_depth=depth, avoid=avoid)
    g = Generator(dialect, seed, options)
    for statement in g.database():
        click.echo(g.render(statement) + ";")
    for _ in range(count):
        click.echo(g.render(g.query()) + ";")


def _identify(url: str) -> tuple[str, str, str]:
    """The engine's name, version and dialect (it runs nothing but its own scratch space)."""
    try:
        engine = connect(url)
    except EngineError as exc:
        fail(str(exc))
    try:
        return engine.name, engine.version, engine.dialect
    finally:
        engine.close()


def _learned(path: Path | None, name: str, version: str) -> Evidence:
    try:
        return learned_at(path, name, version)
    except StoreError as exc:
        fail(str(exc))


NUMBERS = ("compiled", "rejected", "support", "expected")


def _print_features(name: str, version: str, evidence: Evidence, as_json: bool) -> None:
    """One row per feature: how often statements with it compiled and failed, and whether
    the generator leaves it out; the features that are off first. Each is the generator's
    construct (what it leaves out), with the names the query text gives it (`kw:`, `op:`,
    `func:`: what profiles, findings and `fuzz check` say), where the text has any."""
    totals = evidence.totals()
    order = sorted(totals.keys() | evidence.off,
                   key=lambda f: (f not in evidence.off, -totals.get(f, (0, 0))[1], f))  # fmt: skip
    rows = [
        {
            "feature": f, "text": sorted(text_names((f,))), "off": f in evidence.off,
            "passed": totals.get(f, (0, 0, 0.0))[0], "failed": totals.get(f, (0, 0, 0.0))[1],
            "support": round(evidence.support(f), 3),
            "expected": round(evidence.expected(f), 3),
        }
        for f in order if f != EVERY
    ]  # fmt: skip
    passed, failed, _ = totals.get(EVERY, (0, 0, 0.0))
    if as_json:
        summary = {"engine": name, "version": version, "statements": passed + failed,
                   "compiled": passed, "off": sorted(evidence.off), "features": rows}  # fmt: skip
        click.echo(json.dumps(summary))
        return
    title = (f"{name} {version}: {len(evidence.off)} features off, learned from "
             f"{passed + failed} statements ({passed} compiled)")  # fmt: skip
    table = Table(title=title, box=None, header_style="bold")
    for column in ("feature", "as text", "state", "compiled", "rejected", "support", "expected"):
        table.add_column(column, justify="right" if column in NUMBERS else "left")
    for r in rows:
        state = Text("off", style="bold red") if r["off"] else Text("on")
        table.add_row(Text(r["feature"]), Text(" ".join(r["text"])), state, str(r["passed"]),
                      str(r["failed"]), f"{r['support']:.3f}", f"{r['expected']:.3f}")  # fmt: skip
    out.print(table)
