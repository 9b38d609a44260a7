"""`fuzz generate`: print a generated database script and queries."""

from __future__ import annotations

import click

from fuzzer.dialects import DIALECTS
from fuzzer.generator import Generator, Options
from fuzzer.options import COUNT, SEED


@click.command()
@click.option("--dialect", "-d", type=click.Choice(DIALECTS), default="sqlite", show_default=True)
@click.option("--seed", "-s", type=SEED, default=0, show_default=True, help="Same seed, same SQL.")
@click.option("-n", "count", type=click.IntRange(min=0), default=10, show_default=True,
              help="Number of queries.")  # fmt: skip
@click.option("--depth", type=COUNT, default=3, show_default=True, help="Maximum nesting depth.")
@click.option("--deterministic", is_flag=True, help="Only queries with one right answer.")
@click.option("--portable", is_flag=True, help="Only constructs all dialects agree on.")
def generate(
    dialect: str, seed: int, count: int, depth: int, deterministic: bool, portable: bool
) -> None:
    """Print a random database script and N queries, one statement per line.

    \b
    Example:
      fuzz generate --dialect postgres --seed 7 -n 20 | psql
    """
    options = Options(deterministic=deterministic, portable=portable, max_depth=depth)
    g = Generator(dialect, seed, options)
    for statement in g.database():
        click.echo(g.render(statement) + ";")
    for _ in range(count):
        click.echo(g.render(g.query()) + ";")
