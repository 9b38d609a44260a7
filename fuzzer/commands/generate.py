"""`fuzz generate`: print a generated database script and queries."""

from __future__ import annotations

import click


@click.command()
def generate() -> None:
    """Print a random database script and queries for a dialect."""
    raise click.UsageError("fuzz generate is not available yet")
