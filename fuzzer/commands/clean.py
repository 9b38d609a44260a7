"""`fuzz engines clean`: drop the scratch spaces that killed runs left on a server.

Also the quiet sweep that `fuzz run` does of its own host's leftovers before it starts. What
is dead and how it is dropped is each engine's business (`Engine.leftovers`); this module
only prints.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterable

import click

from fuzzer.console import EXIT_FOUND, EXIT_USAGE, err, out
from fuzzer.engines import EngineError, EngineURL, engine_class
from fuzzer.engines.leftovers import Leftover, sweep
from fuzzer.engines.scratch import Verdict


def leftovers_of(url: str, *, drop: bool) -> list[Leftover] | None:
    """The leftovers on one engine, the dead ones dropped; None for an engine without any.

    Raises EngineError when the engine cannot be reached.
    """
    parsed = EngineURL.parse(url)
    catalog = engine_class(parsed.scheme).leftovers(parsed)
    if catalog is None:
        return None
    try:
        return sweep(catalog, drop=drop)
    finally:
        catalog.close()


def _line(item: Leftover, dry_run: bool) -> str:
    if item.dropped:
        outcome = "dropped"
    elif item.error:
        outcome = f"drop failed: {item.error}"
    elif item.verdict is Verdict.DEAD and dry_run:
        outcome = "would drop"
    else:
        outcome = "kept"
    return f"  {item.verdict.value:<12}  {item.kind:<8}  {item.name:<31}  {outcome}: {item.reason}"


@click.command("clean")
@click.argument("urls", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="List the verdicts, drop nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per engine.")
def clean(urls: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Drop the scratch databases, schemas and roles whose owner is provably gone.

    A scratch name records the host, boot, pid and start time of the process that made it. It
    is dropped only when that process is gone (an earlier boot of this host, or a pid that no
    longer runs or now belongs to a later process) and no server session uses it; anything
    else, and every name made on another host or by an older sqlparity, is listed and kept.

    \b
    Examples:
      fuzz engines clean --dry-run postgresql://postgres@127.0.0.1:5432/postgres
      fuzz engines clean mysql://root@127.0.0.1:3306/test --json
    """
    unreachable = failed = False
    for url in urls:
        try:
            found = leftovers_of(url, drop=not dry_run)
        except EngineError as exc:
            unreachable = True
            err.print(f"fuzz: error: {exc}", markup=False)
            continue
        shown = str(EngineURL.parse(url))
        if as_json:
            items = [item.as_dict() for item in found or ()]
            click.echo(json.dumps({"url": shown, "dry_run": dry_run, "leftovers": items}))
        elif found is None:
            why = "an embedded scratch space is in memory, or the file the URL names"
            out.print(f"{shown}  nothing to clean ({why})", markup=False)
        else:
            dropped = sum(item.dropped for item in found)
            out.print(f"{shown}  {len(found)} leftovers, {dropped} dropped", markup=False)
            for item in found:
                out.print(_line(item, dry_run), markup=False)
        failed |= any(item.error for item in found or ())
    sys.exit(EXIT_USAGE if unreachable else EXIT_FOUND if failed else 0)


def sweep_own_leftovers(urls: Iterable[str]) -> None:
    """Before a run: drop this host's dead leftovers on its engines, in one line if any.

    Quiet otherwise: an engine that cannot be reached is the run's own error to report.
    """
    dropped = 0
    for url in dict.fromkeys(urls):
        with contextlib.suppress(Exception):
            dropped += sum(item.dropped for item in leftovers_of(url, drop=True) or ())
    if dropped:
        err.print(
            f"sqlparity: dropped {dropped} scratch leftovers of runs that died on this host",
            markup=False,
        )
