"""`fuzz reduce CASE`: the smallest script that still shows the same problem.

CASE is a .sql file or the id of a finding in the triage store. Without a mode flag the
problem is found by `fuzz check`'s oracles (the first confirmed finding: same oracle and
variant), else it is the script's last failing statement (same SQLSTATE, engine code and
statement kind). `--error`, `--crash`, `--differs` and `--check` say it explicitly, as C-Vise
users are used to. The input is never written; the result goes to CASE.reduced.sql or `-o`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import click

from fuzzer.commands.check import parse_oracles
from fuzzer.console import err, fail, out, write_output
from fuzzer.engines import Engine, EngineError, EngineURL, connect, engine_class
from fuzzer.errors import SQLState
from fuzzer.options import SECONDS, TIMEOUT
from fuzzer.reduce import (
    Command,
    Crash,
    Interesting,
    NotInteresting,
    Reducer,
    Reduction,
    SameError,
    Stats,
)
from fuzzer.reduce.interesting import (
    SameFinding,
    finding_on,
    last_failure,
    run,
)
from fuzzer.script import ScriptError, split
from oracles import UnknownOracle, oracle_class, selectable
from oracles.checker import Checker
from oracles.differential import Differential, Profile
from oracles.finding import EngineInfo, Finding


@dataclass
class Case:
    """What to reduce: statements, where they came from, and a stored finding's defaults."""

    statements: list[str]
    name: str
    output: Path
    finding_id: int | None = None
    finding: Finding | None = None
    #: the finding it joined when its reduction signed like that one's (one root cause)
    merged_into: int | None = None


def read_case(case: str, output: Path | None, store_path: Path | None) -> Case:
    path = Path(case)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {path}: {exc}")
        try:
            statements = split(text)
        except ScriptError as exc:
            fail(f"{path} is not a SQL script: {exc}")
        if not statements:
            fail(f"{path} holds no SQL statements")
        target = output or path.with_name(path.name.removesuffix(".sql") + ".reduced.sql")
        if target.resolve() == path.resolve():
            fail(f"the output {target} would overwrite the input")
        return Case(statements, str(path), target)
    if case.isdigit():
        return _stored(int(case), output, store_path)
    fail(f"no such file: {case} (nor a finding id)")


def _stored(finding_id: int, output: Path | None, store_path: Path | None) -> Case:
    from triage import Store, StoreError

    try:
        with Store.open(store_path, create=False) as store:
            finding = store.reproducer(finding_id)
    except StoreError as exc:
        fail(str(exc))
    statements = [*finding.setup, case_query(finding)]
    target = output or Path(f"finding-{finding_id}.reduced.sql")
    return Case(statements, f"finding {finding_id}", target, finding_id, finding)


def case_query(finding: Finding) -> str:
    """The user-level query of a stored probe, as its oracle reads it back (TLP's
    `... WHERE (p)` partition, NoREC's `SELECT COUNT(*) FROM f WHERE p`, the differential's
    only query)."""
    try:
        return oracle_class(finding.oracle).case_query(finding)
    except UnknownOracle:
        return finding.queries[0]


def default_url(finding: Finding | None) -> str:
    """Where to reduce when no --target is given: the engine the finding was made on, by the
    URL it stored (`sqlite+apsw:` is another SQLite release than `sqlite:`), never a guess."""
    if finding is None:
        return "sqlite:"
    return stored_url(finding.engine, "--target URL or SQLPARITY_TARGET")


def default_reference(finding: Finding | None) -> str | None:
    """The reference a stored differential finding was made against, by its stored URL."""
    if finding is None or finding.reference is None:
        return None
    return stored_url(finding.reference, "--reference URL")


def stored_url(engine: EngineInfo, option: str) -> str:
    """A stored URL, which never holds a password: one that had one must be named again."""
    if not engine.url:
        fail(
            f"the store does not say which URL the finding's {engine.name} was reached at (the "
            f"finding predates stored URLs, or its run had several targets): name it with {option}"
        )
    if "***" in engine.url:
        fail(
            f"the finding's {engine.name} URL {engine.url} had a password, which is never "
            f"stored: name it with {option}"
        )
    return engine.url


@dataclass
class Mode:
    error: str | None
    crash: bool
    differs: bool
    check: str | None
    oracle: str | None

    def validate(self, reference: str | None) -> None:
        chosen = [n for n, v in (("--error", self.error is not None), ("--crash", self.crash),
                                 ("--differs", self.differs), ("--check", self.check))
                  if v]  # fmt: skip
        if len(chosen) > 1:
            fail(f"choose one of {', '.join(chosen)}")
        if chosen and self.oracle:
            fail(f"--oracle goes with the default mode, not with {chosen[0]}")
        if self.differs and reference is None:
            fail("--differs needs --reference URL")


def build_test(
    mode: Mode, case: Case, target: Engine | None, reference: Engine | None, profile: Profile
) -> Interesting:
    """The interestingness test, with the problem the case shows at the start pinned down."""
    statements = case.statements
    if mode.check is not None:
        return Command(mode.check)
    assert target is not None
    if mode.crash:
        return Crash(target)
    if mode.error:
        return SameError(target, mode.error)
    if mode.error == "":
        failed = last_failure(target, statements)
        if failed is None:
            fail(f"{case.name}: no statement fails on {target.name} {target.version}")
        return SameError.like(target, *failed)
    oracle = Differential.name if mode.differs else mode.oracle
    if case.finding is not None and oracle is None:
        oracle = case.finding.oracle
    try:
        oracles = parse_oracles(oracle, reference is not None)
    except click.BadParameter as exc:
        fail(exc.format_message())
    checker = Checker(target, oracles, reference, profile)
    variant = case.finding.variant if case.finding is not None else None
    found = finding_on(checker, statements, oracle, variant)
    if found is not None:
        # the problem is pinned as this run of the oracles shows it: direction, SQLSTATEs,
        # columns and types stay exactly that while the script shrinks
        trials = Checker(target, (found.oracle,), reference, profile, confirmations=0)
        return SameFinding.like(trials, found)
    if oracle is None and case.finding is None:
        failed = last_failure(target, statements)
        if failed is not None and failed[0].sqlstate != SQLState.SYNTAX_ERROR:
            return SameError.like(target, *failed)
        if failed is not None and failed[0].sqlstate == SQLState.SYNTAX_ERROR and \
                all(f is not None for f in run(target, statements)):  # fmt: skip
            fail(f"{case.name} is not SQL {target.name} accepts: {failed[0].message}")
    what = f"a {oracle} finding" if oracle else "a finding or a failing statement"
    fail(f"{case.name} does not show the problem at the start ({what} on {target.name})")


@click.command()
@click.argument("case")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Where to write the result (default: CASE.reduced.sql).")  # fmt: skip
@click.option("--target", "-t", envvar="SQLPARITY_TARGET",
              help="Engine URL (default: sqlite:, or a stored finding's; env SQLPARITY_TARGET).")
@click.option("--reference", "-r", envvar="SQLPARITY_REFERENCE",
              help="Reference engine URL, for --differs and the diff oracle.")
@click.option("--oracle", help=f"Keep a finding of this oracle ({', '.join(selectable())}).")
@click.option("--error", is_flag=False, flag_value="", default=None, metavar="[CODE]",
              help="Keep a statement failing with this SQLSTATE or engine code; alone: "
              "with the same error as the script's last failing statement.")  # fmt: skip
@click.option("--crash", is_flag=True, help="Keep a crash or a lost connection.")
@click.option("--differs", is_flag=True, help="Keep the same kind of divergence from --reference.")
@click.option(
    "--check",
    "check_cmd",
    metavar="CMD",
    help="Keep what makes CMD exit 0 ({} or the last argument: the candidate file).",
)
@click.option("--dialect", help="Grammar for --check (default: the target's dialect).")
@click.option("--profile", type=click.Path(exists=True, path_type=Path),
              help="TOML file of the target's accepted divergences.")  # fmt: skip
@click.option("--timeout", type=TIMEOUT, default=5.0, show_default=True,
              help="Statement timeout (s).")  # fmt: skip
@click.option("--max-time", type=SECONDS, help="Stop after this many seconds, keeping the best.")
@click.option(
    "--store",
    "store_path",
    type=click.Path(path_type=Path),
    help="Triage store for a FINDING_ID (default: $SQLPARITY_STORE or .sqlparity/).",
)
@click.option("--verbose", "-v", is_flag=True, help="Print progress to stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def reduce(
    case: str,
    output: Path | None,
    target: str | None,
    reference: str | None,
    oracle: str | None,
    error: str | None,
    crash: bool,
    differs: bool,
    check_cmd: str | None,
    dialect: str | None,
    profile: Path | None,
    timeout: float,
    max_time: float | None,
    store_path: Path | None,
    verbose: bool,
    as_json: bool,
) -> None:
    """Reduce CASE (a .sql file or a FINDING_ID) to the smallest script with the same problem.

    \b
    Examples:
      fuzz reduce case.sql                           # the finding or error it shows
      fuzz reduce case.sql --error 22012             # a statement fails with SQLSTATE 22012
      fuzz reduce case.sql -t sqlite: -r duckdb: --differs
      fuzz reduce case.sql --check './still-fails.sh'
      fuzz reduce 42                                 # a stored finding; saved with it
    """
    mode = Mode(error, crash, differs, check_cmd, oracle)
    the_case = read_case(case, output, store_path)
    url = target or default_url(the_case.finding)
    if check_cmd is None and not (error is not None or crash):
        reference = reference or default_reference(the_case.finding)
    mode.validate(reference)
    engines: list[Engine] = []
    test: Interesting | None = None
    try:
        if check_cmd is None:
            engines.append(connect(url, timeout=timeout))
            if reference:
                engines.append(connect(reference, timeout=timeout))
            for engine in engines:  # a statement the guard refuses stops it all, up front
                for statement in the_case.statements:
                    engine.admit(statement)
            dialect = dialect or engines[0].dialect
        elif dialect is None:
            dialect = engine_class(EngineURL.parse(url).scheme).dialect
        test = build_test(mode, the_case, *[*engines, None, None][:2],
                          Profile.load(profile) if profile else Profile())  # fmt: skip
        reducer = Reducer(test, dialect, max_time=max_time,
                          progress=_progress if verbose else None)  # fmt: skip
        try:
            result = reducer.reduce(the_case.statements)
        except NotInteresting:
            fail(f"{the_case.name} does not show the problem at the start ({test.describe()})")
        header = f"-- reduced by sqlparity from {the_case.name}: {test.describe()}\n"
        saved = _save(the_case, result, store_path, test)  # first: a bad -o loses nothing
        kept = "the reduced case is in the store" if saved is not None else ""
        write_output(the_case.output, header + result.script, kept=kept)
    except EngineError as exc:
        fail(str(exc))
    finally:
        for engine in engines:
            engine.close()
        if isinstance(test, Command):
            test.close()
    _report(the_case, test.describe(), result.stats, saved, as_json)


def _report(case: Case, problem: str, stats: Stats, saved: int | None, as_json: bool) -> None:
    if as_json:
        summary = {"input": case.name, "output": str(case.output), "problem": problem}
        summary.update(case_id=saved, merged_into=case.merged_into)
        click.echo(json.dumps({**summary, **stats.to_dict()}))
        return
    out.print(f"[bold]{case.name}[/] -> [bold]{case.output}[/]: {problem}")
    out.print(f"  statements  {stats.statements_before:>6} -> {stats.statements_after}")
    out.print(f"  tokens      {stats.tokens_before:>6} -> {stats.tokens_after}")
    out.print(f"  bytes       {stats.bytes_before:>6} -> {stats.bytes_after}")
    out.print(f"  trials      {stats.trials:>6}  ({stats.cached} cached, {stats.unparsable} "
              f"rejected by the {'grammar' if stats.grammar else 'lexer'})")  # fmt: skip
    note = "  (stopped by --max-time)" if stats.timed_out else ""
    out.print(f"  time        {stats.seconds:>6.1f} s{note}")
    if saved is not None and case.merged_into is not None:
        out.print(f"  saved as case {saved}; finding {case.finding_id} has the root cause of "
                  f"finding {case.merged_into} and is merged into it")  # fmt: skip
    elif saved is not None:
        out.print(f"  saved as case {saved} of finding {case.finding_id}")


def _progress(message: str) -> None:
    err.print(f"reduce: {message}", markup=False)


def _save(case: Case, result: Reduction, store_path: Path | None, test: Interesting
          ) -> int | None:  # fmt: skip
    """Keep the reduction with its stored finding: as a Finding when the oracle can rebuild
    one (so that `recheck` can replay it), else as a script."""
    if case.finding_id is None:
        return None
    from triage import Store

    reduced: Finding | str = result.script
    if isinstance(test, SameFinding):
        reduced = test.found(result.statements, "reduced.sql") or reduced
    with Store.open(store_path, create=False) as store:
        saved, holder = store.keep_reduced(case.finding_id, reduced, result.stats.to_dict())
    case.merged_into = holder if holder != case.finding_id else None
    return saved
