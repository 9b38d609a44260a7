"""`fuzz triage`: the queue of distinct findings.

fuzz triage list --engine sqlite --since 7d
fuzz triage show 12
fuzz triage mark 12 --status reported --url https://sqlite.org/forum/...
fuzz triage export 12 > report.md
fuzz triage recheck sqlite:
fuzz triage merge worker-3.db
fuzz triage serve
fuzz triage promote 12
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.columns import Columns
from rich.console import Console, Group
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from fuzzer.console import fail, write_output
from fuzzer.options import PORT, TIMEOUT
from triage.report import bisected, markdown, statements_text, tabulate
from triage.store import OPEN, Status, Store, StoredFinding, StoreError, default_path

out = Console(highlight=False, soft_wrap=True)

_STATUS_STYLE = {
    Status.NEW: "bold yellow",
    Status.CONFIRMED: "bold red",
    Status.REPORTED: "cyan",
    Status.FIXED: "green",
    Status.DUPLICATE: "dim",
    Status.NOT_A_BUG: "dim",
}


class TriageGroup(click.Group):
    """Turns what the store refuses into one line on stderr, like the rest of `fuzz`."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StoreError as exc:
            fail(str(exc))


@click.group(cls=TriageGroup)
def triage() -> None:
    """Browse and manage the findings in the triage store.

    Every command uses the store at --store, else $SQLPARITY_STORE, else
    ./.sqlparity/triage.db (the store `fuzz run`, `fuzz check` and `fuzz reduce` write).
    """


def store_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--store",
        "store_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="The triage store (default: $SQLPARITY_STORE or ./.sqlparity/triage.db).",
    )(command)


def existing(path: Path | None) -> Store:
    return Store.open(path or default_path(), create=False)


# -- list ---------------------------------------------------------------------------------------


@triage.command("list")
@store_option
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([*(s.value for s in Status), "open", "all"]),
    help="Repeatable. Default: open (new and confirmed), the queue.",
)
@click.option("--engine", help="Only this engine (e.g. sqlite, postgresql).")
@click.option("--oracle", help="Only this oracle (e.g. tlp, norec, diff, crash).")
@click.option("--since", help="First seen since: a date, a UTC timestamp, or an age (90m, 6h, 7d).")
@click.option("--search", help="Full-text search over the SQL and messages.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many findings.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
def list_(
    store_path: Path | None,
    statuses: tuple[str, ...],
    engine: str | None,
    oracle: str | None,
    since: str | None,
    search: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List findings, the most frequent first."""
    wanted: set[str] | None = set()
    for status in statuses or ("open",):
        if status == "all":
            wanted = None
            break
        wanted.update(OPEN if status == "open" else (status,))
    with existing(store_path) as store:
        found = store.findings(
            status=wanted,
            engine=engine,
            oracle=oracle,
            since=parse_since(since) if since else None,
            search=search,
            limit=limit,
        )
    if as_json:
        click.echo(json.dumps([f.to_dict() for f in found], indent=2))
        return
    out.print(_queue(found) if found else "no findings")


#: The queue's optional columns, in the order they give way when the width runs short.
_OPTIONAL = (("oracle", 18), ("engine", 26), ("last seen", 16))
_TITLE_WIDTH = 30  # the title keeps at least this much before an optional column is shown


def _queue(found: list[StoredFinding]) -> Table:
    """The queue, whose id, status, hits and title survive any width: on a narrow terminal,
    or piped (80 columns), the optional columns go first and the title wraps."""
    fixed = [
        ("id", max(len(str(f.id)) for f in found), "right"),
        ("status", max(len(f.status) for f in found), "left"),
        ("hits", max(4, *(len(str(f.occurrences)) for f in found)), "right"),
    ]
    left = out.width - sum(w + 2 for _, w, _ in fixed)
    shown = []
    for name, width in _OPTIONAL:
        if left - (width + 2) >= _TITLE_WIDTH:
            shown.append((name, width))
            left -= width + 2
    table = Table(box=None, header_style="bold", pad_edge=False, collapse_padding=True)
    for name, width, justify in fixed:
        table.add_column(name, justify=justify, no_wrap=True, width=max(width, len(name)))
    table.add_column("title", overflow="fold", width=max(left, 12))
    for name, width in shown:
        table.add_column(name, overflow="ellipsis", no_wrap=True, max_width=width)
    for f in found:
        optional = {
            "oracle": Text(f"{f.oracle}/{f.variant}"),
            "engine": Text(f"{f.engine} {f.engine_version}"),
            "last seen": Text(f.last_seen.replace("T", " ")[:16]),
        }
        table.add_row(str(f.id), _status(f.status), str(f.occurrences), Text(f.title),
                      *(optional[name] for name, _ in shown))  # fmt: skip
    return table


def parse_since(text: str) -> str:
    """An age (`90m`, `6h`, `7d`, `2w`) or an ISO date/time, as the store's UTC timestamp."""
    age = re.fullmatch(r"(\d+)\s*([mhdw])", text.strip())
    if age:
        unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[age[2]]
        moment = datetime.now(UTC) - timedelta(**{unit: int(age[1])})
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise click.BadParameter(
                f"{text!r} is neither an age (7d) nor a date (2025-01-31)", param_hint="--since"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- show -------------------------------------------------------------------------------------


@triage.command()
@store_option
@click.argument("finding_id", metavar="ID", type=int)
def show(store_path: Path | None, finding_id: int) -> None:
    """Show a finding: versions, expected against actual, the shortest reproducer, history."""
    with existing(store_path) as store:
        finding = store.get(finding_id)
        best = store.best_case(finding_id)
        judged = best if best.queries is not None else store.replayable_case(finding_id)
        versions = store.versions(finding_id)
        history = store.history(finding_id)
        evidence = store.evidence(finding_id)
    out.print(Text.assemble((f"#{finding.id} ", "bold"), (finding.title, "bold")))
    out.print(_facts(finding))
    if len(evidence) > 1:  # one root cause that several oracles or variants flagged
        flagged = Table("flagged by", "hits", title="Evidence", box=None)
        for e in evidence:
            flagged.add_row(Text(f"{e.oracle}/{e.variant}"), str(e.occurrences))
        out.print(flagged)
    hits = Table("version", "hits", "first seen", "last seen", title="Versions", box=None)
    for v in versions:
        hits.add_row(Text(v.engine_version), str(v.occurrences), v.first_seen, v.last_seen)
    out.print(hits)
    out.print(Columns([_result("Expected", judged.expected), _result("Actual", judged.actual)]))
    label = f"{best.kind} reproducer, {best.statements} statement(s)"
    if best.setup is not None and best.queries is not None:
        script = statements_text((*best.setup, *best.queries))
    else:
        script = best.script
    out.rule(label, align="left")
    click.echo(script.rstrip("\n"))  # never cut: the reproducer is copied from here
    out.rule()
    changes = Table("at", "change", "note", "who", title="History", box=None)
    for c in history:
        change = f"{c.old_status} -> {c.new_status}" if c.old_status else c.new_status
        note = " ".join(filter(None, [c.note, c.url]))
        changes.add_row(c.at, change, Text(note), Text(c.who or ""))
    out.print(changes)


def _facts(f: StoredFinding) -> Table:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    status = _status(f.status)
    if f.duplicate_of is not None:
        status.append(f" of #{f.duplicate_of}")
    if f.fixed_in:
        status.append(f" in {f.fixed_in}")
    rows: list[tuple[str, str | Text | None]] = [
        ("status", status),
        ("oracle", f"{f.oracle}/{f.variant}"),
        ("engine", f"{f.engine} {f.engine_version} ({f.dialect})"),
        ("reference", f.reference and f"{f.reference} {f.reference_version}"),
        ("releases", bisected(f)),
        ("occurrences", f"{f.occurrences} (first {f.first_seen}, last {f.last_seen})"),
        ("report", f.url),
        ("features", ", ".join(f.features)),
        ("signature", f.signature),
    ]
    for name, value in rows:
        if value:
            facts.add_row(name, value if isinstance(value, Text) else Text(value))
    return facts


def _result(title: str, value: Any) -> Panel:
    table = tabulate(value)
    if table is None:
        body: Any = Syntax(json.dumps(value, indent=2, default=str), "json", word_wrap=True)
    else:
        headers, rows = table
        body = Table(*headers, box=None) if rows else Text("(no rows)", style="dim")
        for row in rows:
            body.add_row(*(Text(c) for c in row))
    return Panel(Group(body), title=title, title_align="left")


def _status(status: str) -> Text:
    return Text(status, style=_STATUS_STYLE.get(Status(status), ""))


# -- mark -------------------------------------------------------------------------------------


@triage.command()
@store_option
@click.argument("finding_id", metavar="ID", type=int)
@click.option(
    "--status", required=True, type=click.Choice([s.value for s in Status]), help="The new status."
)
@click.option("--note", help="Why: kept with the change and its time.")
@click.option("--url", help="The issue in the engine's tracker (for reported).")
@click.option("--of", "duplicate_of", type=int, metavar="N", help="For duplicate: the finding.")
@click.option("--fixed-in", metavar="VERSION", help="For fixed: the engine version with the fix.")
def mark(
    store_path: Path | None,
    finding_id: int,
    status: str,
    note: str | None,
    url: str | None,
    duplicate_of: int | None,
    fixed_in: str | None,
) -> None:
    """Move a finding through the workflow.

    \b
    new -> confirmed -> reported (--url) -> fixed (--fixed-in)
                     -> duplicate (--of N) | not-a-bug
    Reported, duplicate and not-a-bug findings stay quiet: new hits are counted but do not
    bring them back to the queue. A fixed finding hit again on a new version reopens.
    """
    with existing(store_path) as store:
        before = store.get(finding_id).status
        after = store.mark(
            finding_id, status, note=note, url=url, duplicate_of=duplicate_of, fixed_in=fixed_in
        )
    line = Text(f"#{finding_id} {before} -> ")
    line.append_text(_status(after.status))
    if after.duplicate_of is not None:
        line.append(f" of #{after.duplicate_of}")
    if after.url:
        line.append(f"  {after.url}")
    out.print(line)


# -- export, promote ----------------------------------------------------------------------------


@triage.command()
@store_option
@click.argument("finding_id", metavar="ID", type=int)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file."
)
def export(store_path: Path | None, finding_id: int, output: Path | None) -> None:
    """Print a finding as a Markdown bug report for the engine's tracker."""
    with existing(store_path) as store:
        report = markdown(store, finding_id)
    if output is None:
        click.echo(report, nl=False)
    else:
        write_output(output, report)
        click.echo(str(output), err=True)


@triage.command()
@store_option
@click.argument("finding_id", metavar="ID", type=int)
@click.option(
    "--to",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("corpus") / "promoted",
    show_default=True,
    help="The regression corpus folder.",
)
def promote(store_path: Path | None, finding_id: int, directory: Path) -> None:
    """Copy a finding's shortest script into the corpus as a regression case."""
    with existing(store_path) as store:
        finding = store.get(finding_id)
        script = store.best_case(finding_id).script
    target = directory / f"{finding.signature}.sql"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot create {directory}: {exc.strerror or exc}")
    write_output(target, f"-- finding #{finding.id}: {finding.title}\n{script}")
    click.echo(str(target))


# -- recheck, merge, serve --------------------------------------------------------------------


@triage.command()
@store_option
@click.argument("url", envvar="SQLPARITY_TARGET")
@click.option("--id", "ids", multiple=True, type=int, help="Only this finding (repeatable).")
@click.option("--dry-run", is_flag=True, help="Replay and report, but mark nothing.")
@click.option("--timeout", type=TIMEOUT, default=5.0, show_default=True,
              help="Statement timeout in seconds.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as a JSON object.")
def recheck(
    store_path: Path | None, url: str, ids: tuple[int, ...], dry_run: bool, timeout: float,
    as_json: bool,
) -> None:
    """Replay open and reported findings on the engine at URL; mark the ones it fixed.

    A finding that no longer reproduces is marked fixed in the engine's version. One that
    cannot be judged (its setup fails, the oracle needs a second engine) is left alone.
    """
    from fuzzer.engines import connect
    from triage.recheck import Verdict
    from triage.recheck import recheck as replay_all

    with existing(store_path) as store, connect(url, timeout=timeout) as engine:
        results = replay_all(store, engine, ids=ids, dry_run=dry_run)
        target = f"{engine.name} {engine.version}"
        engine_name, engine_version = engine.name, engine.version
    fixed = sum(r.verdict is Verdict.FIXED for r in results)
    if as_json:
        click.echo(json.dumps({
            "engine": engine_name, "version": engine_version, "dry_run": dry_run,
            "rechecked": len(results), "fixed": fixed,
            "findings": [{"id": r.finding_id, "title": r.title, "verdict": str(r.verdict)}
                         for r in results],
        }, indent=2))  # fmt: skip
        return
    style = {Verdict.REPRODUCES: "red", Verdict.FIXED: "green", Verdict.UNKNOWN: "dim"}
    for r in results:
        line = Text(f"#{r.finding_id} ")
        line.append(str(r.verdict), style=style[r.verdict])
        line.append(f"  {r.title}")
        out.print(line)
    action = "would mark" if dry_run else "marked"
    out.print(f"{len(results)} rechecked on {target}: {action} {fixed} fixed", markup=False)


@triage.command()
@store_option
@click.argument("other", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def merge(store_path: Path | None, other: Path) -> None:
    """Fold the store OTHER (e.g. from another machine) into this one, deduplicating.

    Merging the same store twice adds nothing. OTHER is only read.
    """
    with Store.open(store_path) as store:
        added = store.merge(other)
    out.print(
        f"merged {other}: {added.findings} new finding(s), {added.occurrences} occurrence(s), "
        f"{added.runs} run(s), {added.cases} case(s)",
        markup=False,
    )


@triage.command()
@store_option
@click.option("--port", type=PORT, default=8001, show_default=True, help="The port to listen on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="A loopback address (127.0.0.0/8, ::1 or localhost): nothing else is served.",
)
def serve(store_path: Path | None, port: int, host: str) -> None:
    """Work the queue in a browser: Datasette on http://HOST:PORT/triage/queue.

    Each finding's page has its reproducer, expected against actual, versions, history and
    Markdown bug report, and buttons that mark it (confirmed, reported, duplicate, invalid,
    fixed) as `fuzz triage mark` does. Loopback only: the actions need no login.
    """
    from triage.serve import DATABASE, is_loopback
    from triage.serve import serve as run_server

    if not is_loopback(host):
        fail(f"--host {host} is not a loopback address: fuzz triage serve listens on this "
             "machine only (127.0.0.1, ::1 or localhost)")  # fmt: skip
    path = store_path or default_path()
    existing(path).close()  # fail early, and migrated, when it is not a store
    shown = f"[{host}]" if ":" in host else host
    out.print(f"serving {path} on http://{shown}:{port}/{DATABASE}/queue", markup=False)
    run_server(path, port, host)
