"""`fuzz check FILE.sql`: turn a suspicious query, or a corpus of them, into oracle checks.

A script is setup statements and queries; `oracles.checker` runs them through the chosen
oracles: TLP and NoREC take a query's WHERE predicate as p, the differential runs it on both
engines. A discrepancy counts only once it reproduces from an empty scratch space. Exit
status: 1 when something was found, 0 when not, 2 on bad input, which includes a script none
of whose checks could run because its statements failed: a regression case that no longer
runs must fail CI, not pass it with "0 checks".
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from fuzzer.ci import Checked, Known, KnownBugsError, unknown, write_junit, write_sarif
from fuzzer.commands.history import check_histories
from fuzzer.console import EXIT_FOUND, err, fail, out
from fuzzer.engines import Engine, EngineError, Refused, connect
from fuzzer.options import PROFILE, TIMEOUT, isolation_options
from fuzzer.script import ScriptError, split
from oracles import oracle_class, selectable
from oracles.checker import Checker, Script, ScriptRejected, Tally
from oracles.differential import Profile
from oracles.finding import Finding
from triage.store import Store, StoreError


def read_script(path: Path) -> Script:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from exc
    try:
        statements = split(text)
    except ScriptError as exc:
        raise click.ClickException(f"{path} is not a SQL script: {exc}") from exc
    if not statements:
        raise click.ClickException(f"{path} holds no SQL statements")
    return Script.of(path, statements)


def screen(engine: Engine, scripts: list[Script]) -> None:
    """Refuse before anything runs: a script with one statement the guard refuses runs not at all.

    The engine refuses each statement again as it runs it; this makes the refusal come first,
    with the script's name, before any other statement of any script touched the engine.
    """
    if not engine.guarded:
        return
    for script in scripts:
        for statement in script.setup + script.queries:
            try:
                engine.admit(statement)
            except Refused as exc:
                raise EngineError(f"{script.path}: {exc}") from exc


def scripts_in(paths: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.rglob("*.sql")))
        elif path.exists():
            found.append(path)
        else:
            raise click.ClickException(f"no such file or directory: {path}")
    if not found:
        raise click.ClickException("no .sql files to check")
    return found


def parse_oracles(text: str | None, with_reference: bool) -> tuple[str, ...]:
    """The oracles named in `--oracle`; by default, every one that applies and runs unasked."""
    known = selectable()
    if text is None:
        return tuple(
            o
            for o in known
            if oracle_class(o).by_default
            and (with_reference or not oracle_class(o).needs_reference)
        )
    chosen = tuple(o.strip() for o in text.split(",") if o.strip())
    unknown = [o for o in chosen if o not in known]
    if unknown:
        raise click.BadParameter(f"unknown oracle {unknown[0]!r} (known: {', '.join(known)})")
    for name in chosen:
        if oracle_class(name).needs_reference and not with_reference:
            raise click.BadParameter(f"the {name} oracle needs --reference URL")
    return chosen


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--target", "-t", default="sqlite:", show_default=True, envvar="SQLPARITY_TARGET",
              help="Engine URL to check (env SQLPARITY_TARGET).")  # fmt: skip
@click.option(
    "--reference",
    "-r",
    envvar="SQLPARITY_REFERENCE",
    help="Reference engine URL: turns on the diff oracle (env SQLPARITY_REFERENCE).",
)
@click.option("--oracle", "oracle_list", help=f"Comma-separated, of: {', '.join(selectable())}.")
@click.option("--profile", type=PROFILE, help="TOML file of the target's accepted divergences.")
@click.option("--timeout", type=TIMEOUT, default=5.0, show_default=True,
              help="Statement timeout (s).")  # fmt: skip
@click.option("--store", "store_path", type=click.Path(path_type=Path),
              help="Also record the findings in this triage store.")  # fmt: skip
@click.option(
    "--allow-errors",
    is_flag=True,
    help="Pass a script none of whose checks could run because statements failed.",
)
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path),
              help="Write JUnit XML here: one test case per script.")  # fmt: skip
@click.option("--sarif", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the findings here as SARIF 2.1.0.")  # fmt: skip
@click.option("--known", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File of known bugs' signatures: they do not fail the check (nor do "
              "findings the --store has triaged).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option("--history", "histories", is_flag=True,
              help="PATHS are recorded transaction histories (JSON): check their isolation, "
              "with no engine.")  # fmt: skip
@isolation_options
def check(
    paths: tuple[Path, ...],
    target: str,
    reference: str | None,
    oracle_list: str | None,
    profile: Profile | None,
    timeout: float,
    store_path: Path | None,
    allow_errors: bool,
    junit: Path | None,
    sarif: Path | None,
    known: Path | None,
    as_json: bool,
    histories: bool,
    oracle_options: tuple[tuple[str, Any], ...],
) -> None:
    """Check the queries of SQL scripts (files or folders of .sql) with the oracles.

    \b
    Examples:
      fuzz check case.sql
      fuzz check --target duckdb: corpus/
      fuzz check --target postgresql://u@host/db --reference postgresql://u@ref/db case.sql
      fuzz check --history --expect snapshot history.json
    """
    if histories:
        given = dict(oracle_options)
        level = given["isolation"]
        check_histories(paths, given["expect"] or level, given["isolation_profile"], level,
                        as_json)  # fmt: skip
    try:
        chosen = parse_oracles(oracle_list, reference is not None)
        scripts = [read_script(p) for p in scripts_in(paths)]
    except click.ClickException as exc:
        fail(exc.format_message())
    if store_path is not None:
        opened(store_path).close()  # a store it cannot write fails before anything runs
    try:
        known_bugs = Known.load(known, store_path)
    except KnownBugsError as exc:
        fail(str(exc))
    cases: list[Checked] = []
    with connect(target, timeout=timeout) as target_engine:
        ref_engine = connect(reference, timeout=timeout) if reference else None
        try:
            for engine in filter(None, (target_engine, ref_engine)):
                screen(engine, scripts)
            checker = Checker(
                target_engine, chosen, ref_engine,
                profile or Profile(),
            )  # fmt: skip
            findings: list[Finding] = []
            broken: list[tuple[Script, Tally]] = []
            for script in scripts:
                began = time.monotonic()
                try:
                    found = list(checker.check(script))
                except ScriptRejected as exc:
                    fail(str(exc))
                except Refused as exc:  # refused as it ran (SQLite's authorizer): say where
                    fail(f"{script.path}: {exc}")
                findings.extend(found)
                error = None
                if checker.tally.could_not_run:
                    broken.append((script, checker.tally))
                    error = could_not_run([(script, checker.tally)])
                cases.append(Checked(str(script.path), found, time.monotonic() - began, error))
        finally:
            if ref_engine is not None:
                ref_engine.close()
    if store_path is not None and (allow_errors or not broken):  # bad input records nothing
        record(store_path, findings, chosen, checker.checks)
    if as_json:
        click.echo(
            json.dumps({"findings": [_summary(f) for f in findings], "checks": checker.checks})
        )
    else:
        for f in findings:
            out.print(f"[bold red]{f.oracle}/{f.variant}[/] on {f.engine.name} {f.engine.version}: "
                      f"{f.extra.get('source')}", markup=True)  # fmt: skip
            out.print(f"  query:    {f.queries[0]}", markup=False)
            out.print(f"  finding:  {f.title}", markup=False)
            out.print(f"  expected: {json.dumps(f.expected, default=str)[:300]}", markup=False)
            out.print(f"  actual:   {json.dumps(f.actual, default=str)[:300]}", markup=False)
    write_reports(junit, sarif, "fuzz check", cases, known_bugs)
    if broken and not allow_errors:
        fail(could_not_run(broken))
    failing = unknown(findings, known_bugs)
    if not as_json:
        quiet = len(findings) - len(failing)
        err.print(f"{len(scripts)} scripts, {checker.checks} checks, {len(findings)} findings"
                  + (f" ({quiet} known)" if quiet else ""))  # fmt: skip
    sys.exit(EXIT_FOUND if failing else 0)


def write_reports(junit: Path | None, sarif: Path | None, suite: str, cases: list[Checked],
                  known: Known) -> None:  # fmt: skip
    """The CI reports that were asked for; a file that cannot be written is one line."""
    try:
        if junit is not None:
            write_junit(junit, suite, cases, known)
        if sarif is not None:
            write_sarif(sarif, [f for c in cases for f in c.findings], known)
    except OSError as exc:
        fail(f"cannot write a report: {exc}")


def could_not_run(broken: list[tuple[Script, Tally]]) -> str:
    """One line: the first broken script, its first two failed statements, how many more."""
    script, tally = broken[0]
    shown = "; ".join(str(f) for f in tally.failed[:2])
    more = len(tally.failed) - 2
    others = f" (and {len(broken) - 1} more scripts)" if len(broken) > 1 else ""
    return (
        f"{script.path}: no check could run, statements failed: {shown}"
        f"{f' (and {more} more)' if more > 0 else ''}{others}; "
        "pass --allow-errors to accept that"
    )


def opened(path: Path) -> Store:
    try:
        return Store.open(path)
    except StoreError as exc:
        fail(str(exc))


def record(path: Path, findings: list[Finding], oracles: tuple[str, ...], checks: int) -> None:
    try:
        with opened(path) as store:
            engines = {f.engine for f in findings} | {f.reference for f in findings if f.reference}
            run_id = store.start_run(
                "fuzz check", engines=sorted(engines, key=str), oracles=oracles
            )
            new = sum(store.record(f, run_id).is_new for f in findings)
            store.finish_run(run_id, {"checks": checks, "findings": len(findings), "new": new})
    except StoreError as exc:
        fail(str(exc))


def _summary(f: Finding) -> dict:
    return {
        "oracle": f.oracle,
        "variant": f.variant,
        "engine": f.engine.name,
        "engine_version": f.engine.version,
        "query": f.extra.get("query", f.queries[0]),
        "expected": f.expected,
        "actual": f.actual,
        "signature": f.signature,
        "title": f.title,
        "source": f.extra.get("source"),
    }
