"""`fuzz triage`: the queue of distinct findings."""

from __future__ import annotations

import click


@click.group()
def triage() -> None:
    """Browse and manage the findings in the triage store."""
