"""`fuzz report`: the parity report of a target against its reference, from a triage store.

What a compatibility team puts in its roadmap: the feature areas where the target diverges
(functions, operators, types, clauses, statement kinds, SQLSTATE classes) with counts and
the shortest example of each, which of them a profile accepts, and what the target does not
support at all (`triage.parity`).
"""

from __future__ import annotations

from pathlib import Path

import click

from fuzzer.console import fail, write_output
from fuzzer.options import PROFILE
from oracles.differential import Profile
from triage.parity import FORMATS, build, render_report
from triage.store import Store, StoreError, default_path


@click.command()
@click.option("--store", "store_path", type=click.Path(path_type=Path),
              help=f"Triage store (default: {default_path()}).")  # fmt: skip
@click.option("--target", help="Only this target engine (its name: postgresql, mariadb, ...).")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="md",
              show_default=True, help="Markdown, a self-contained HTML page, or JSON.")
@click.option("--profile", type=PROFILE, help="Mark the divergences this profile accepts.")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Write the report here instead of to stdout.")  # fmt: skip
def report(store_path: Path | None, target: str | None, fmt: str, profile: Profile | None,
           output: Path | None) -> None:  # fmt: skip
    """Write the parity report of a target against its reference.

    \b
    Examples:
      fuzz report --store .sqlparity/triage.db --format md
      fuzz report --target postgresql --format html -o parity.html
    """
    path = store_path if store_path is not None else default_path()
    if not path.exists():
        fail(f"no triage store at {path}")
    try:
        with Store.open(path, create=False) as store:
            text = render_report(build(store, target, profile), fmt)
    except StoreError as exc:
        fail(str(exc))
    if output is not None:
        write_output(output, text)
    else:
        click.echo(text, nl=False)
