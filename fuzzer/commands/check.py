"""`fuzz check FILE.sql`: turn a suspicious query, or a corpus of them, into oracle checks.

A script is setup statements and queries. The setup runs on the target (and the reference);
each query then goes through the chosen oracles: TLP and NoREC take its WHERE predicate as p,
the differential runs it on both engines. A discrepancy counts only once it reproduces from
an empty scratch space. Exit status: 1 when something was found, 0 when not, 2 on bad input,
which includes a script none of whose checks could run because its statements failed: a
regression case that no longer runs must fail CI, not pass it with "0 checks".
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click

from fuzzer.console import EXIT_FOUND, err, fail, out
from fuzzer.engines import Engine, EngineError, Failure, Outcome, Refused, connect
from fuzzer.errors import ErrorCategory
from fuzzer.options import TIMEOUT
from fuzzer.script import ScriptError, features, is_query, split
from oracles import ALL, judge
from oracles.base import Skip
from oracles.differential import Profile, compare
from oracles.differential import finding as divergence_finding
from oracles.finding import Finding
from oracles.replay import confirm, rebuild
from oracles.replay import finding as probe_finding
from oracles.textual import BUILDERS
from triage.store import Store, StoreError


@dataclass
class Script:
    path: Path
    setup: list[str]
    queries: list[str]

    @classmethod
    def read(cls, path: Path) -> Script:
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
        return cls(
            path,
            [s for s in statements if not is_query(s)],
            [s for s in statements if is_query(s)],
        )


@dataclass(frozen=True)
class Failed:
    """A statement of the script that failed, and how, on which engine."""

    statement: str
    engine: str
    message: str

    def __str__(self) -> str:
        text = " ".join(self.statement.split())
        text = text if len(text) <= 60 else text[:57] + "..."
        return f"`{text}` failed on {self.engine}: {self.message}"


@dataclass
class Tally:
    """How one script's checks went: judged ones, and the statements that kept the others
    from running (a check skipped because its query failed could not run)."""

    judged: int = 0
    failed: list[Failed] = field(default_factory=list)

    @property
    def could_not_run(self) -> bool:
        return self.judged == 0 and bool(self.failed)

    def note(self, statement: str, engine: Engine, outcome: Outcome) -> None:
        if isinstance(outcome, Failure):
            failed = Failed(statement, engine.name, outcome.message.splitlines()[0])
            if failed not in self.failed:  # one query is checked by several oracles
                self.failed.append(failed)


@dataclass
class Checker:
    """Runs scripts through oracles on one target (and, for the differential, a reference)."""

    target: Engine
    oracles: tuple[str, ...]
    reference: Engine | None = None
    profile: Profile = field(default_factory=Profile)
    confirmations: int = 2
    checks: int = 0
    #: the last script's tally, filled as `check` goes
    tally: Tally = field(default_factory=Tally)

    def check(self, script: Script) -> Iterator[Finding]:
        self.tally = Tally()
        self._setup(script, tally=self.tally)
        for query in script.queries:
            for name in self.oracles:
                if name == "diff":
                    found = self._differential(script, query)
                    if found is not None:
                        yield found
                    continue
                yield from self._single(script, query, name)

    def _single(self, script: Script, query: str, oracle: str) -> Iterator[Finding]:
        for probe in BUILDERS[oracle](query):
            self.checks += 1
            outcomes = [self.target.execute(q) for q in probe.queries]
            try:
                seen = judge(probe.oracle, probe.variant, outcomes)
            except Skip:
                # A skip for a reason of the oracle's (NaN, one row expected) is not a failed
                # statement; the first failed query of the probe is the one to name.
                failed = next((o for o in outcomes if not o.ok), None)
                if failed is not None:
                    self.tally.note(query, self.target, failed)
                continue
            self.tally.judged += 1
            if seen is None or not confirm(
                self.target, script.setup, probe, seen, self.confirmations
            ):
                continue
            yield probe_finding(
                probe, seen, self.target, script.setup, probe.features,
                extra={"source": str(script.path), "query": query},
            )  # fmt: skip

    def _setup(self, script: Script, tally: Tally | None = None) -> None:
        rejected = 0
        for engine in filter(None, (self.target, self.reference)):
            rebuild(engine, [])
            for statement in script.setup:
                outcome = engine.execute(statement)
                rejected += not outcome.ok and outcome.category is ErrorCategory.COMPILE
                if tally is not None:
                    tally.note(statement, engine, outcome)
        if script.setup and rejected == len(script.setup) * (2 if self.reference else 1):
            raise click.ClickException(
                f"{script.path}: no setup statement was accepted by the engine (not SQL?)"
            )

    def _differential(self, script: Script, query: str) -> Finding | None:
        if self.reference is None:
            return None
        self.checks += 1
        ordered = False  # only a syntax tree can tell that ORDER BY fixes every row's place
        compare_types = self.profile.compare_types and self.reference.dialect == self.target.dialect
        first = compare(
            reference := self.reference.execute(query), target := self.target.execute(query),
            ordered=ordered, compare_types=compare_types,
        )  # fmt: skip
        # Judged when both engines answered or the answers differ (an error on one side only
        # is a divergence); not when both failed alike or an error was set aside on purpose.
        if first is not None or (reference.ok and target.ok):
            self.tally.judged += 1
        else:
            self.tally.note(query, self.target, target)
            self.tally.note(query, self.reference, reference)
        shape = tuple(sorted(features(query)))
        if first is None or self.profile.accepts(first, shape, target):
            return None
        for _ in range(self.confirmations):
            self._setup(script)
            again = compare(
                self.reference.execute(query), self.target.execute(query),
                ordered=ordered, compare_types=compare_types,
            )  # fmt: skip
            if again != first:
                return None
        return divergence_finding(
            first, self.target, self.reference, script.setup, query, shape,
            extra={"source": str(script.path)},
        )  # fmt: skip


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
    if text is None:
        return tuple(o for o in ALL if o != "diff" or with_reference)
    chosen = tuple(o.strip() for o in text.split(",") if o.strip())
    unknown = [o for o in chosen if o not in ALL]
    if unknown:
        raise click.BadParameter(f"unknown oracle {unknown[0]!r} (known: {', '.join(ALL)})")
    if "diff" in chosen and not with_reference:
        raise click.BadParameter("the diff oracle needs --reference URL")
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
@click.option("--oracle", "oracle_list", help=f"Comma-separated: {','.join(ALL)}.")
@click.option("--profile", type=click.Path(exists=True, path_type=Path),
              help="TOML file of the target's accepted divergences.")  # fmt: skip
@click.option("--timeout", type=TIMEOUT, default=5.0, show_default=True,
              help="Statement timeout (s).")  # fmt: skip
@click.option("--store", "store_path", type=click.Path(path_type=Path),
              help="Also record the findings in this triage store.")  # fmt: skip
@click.option(
    "--allow-errors",
    is_flag=True,
    help="Pass a script none of whose checks could run because statements failed.",
)
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
def check(
    paths: tuple[Path, ...],
    target: str,
    reference: str | None,
    oracle_list: str | None,
    profile: Path | None,
    timeout: float,
    store_path: Path | None,
    allow_errors: bool,
    as_json: bool,
) -> None:
    """Check the queries of SQL scripts (files or folders of .sql) with the oracles.

    \b
    Examples:
      fuzz check case.sql
      fuzz check --target duckdb: corpus/
      fuzz check --target postgresql://u@host/db --reference postgresql://u@ref/db case.sql
    """
    try:
        chosen = parse_oracles(oracle_list, reference is not None)
        scripts = [Script.read(p) for p in scripts_in(paths)]
    except click.ClickException as exc:
        fail(exc.format_message())
    if store_path is not None:
        opened(store_path).close()  # a store it cannot write fails before anything runs
    with connect(target, timeout=timeout) as target_engine:
        ref_engine = connect(reference, timeout=timeout) if reference else None
        try:
            for engine in filter(None, (target_engine, ref_engine)):
                screen(engine, scripts)
            checker = Checker(
                target_engine, chosen, ref_engine,
                Profile.load(profile) if profile else Profile(),
            )  # fmt: skip
            findings: list[Finding] = []
            broken: list[tuple[Script, Tally]] = []
            for script in scripts:
                try:
                    findings.extend(checker.check(script))
                except click.ClickException as exc:
                    fail(exc.format_message())
                except Refused as exc:  # refused as it ran (SQLite's authorizer): say where
                    fail(f"{script.path}: {exc}")
                if checker.tally.could_not_run:
                    broken.append((script, checker.tally))
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
            out.print(f"  expected: {json.dumps(f.expected, default=str)[:300]}", markup=False)
            out.print(f"  actual:   {json.dumps(f.actual, default=str)[:300]}", markup=False)
    if broken and not allow_errors:
        fail(could_not_run(broken))
    if not as_json:
        err.print(f"{len(scripts)} scripts, {checker.checks} checks, {len(findings)} findings")
    sys.exit(EXIT_FOUND if findings else 0)


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
        "source": f.extra.get("source"),
    }
