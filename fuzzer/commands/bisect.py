"""`fuzz bisect FINDING_ID|CASE.sql`: the release that brought a bug and the one that fixed it.

A binary search over the releases the package index publishes (DuckDB's, or SQLite's through
apsw), each installed on first use and run in an engine host (`duckdb:?version=X`). It starts
from a release that shows the finding (the one it was seen on, else the newest, the oldest or
midpoints of the range) and looks on each side for the edge: the first release that shows it,
and the first after that which no longer does ("regressed in", "fixed in"). The search assumes
one such interval. A release whose answer cannot be judged (its setup fails, say) counts as not
showing it; a release that cannot be installed is left out. A stored finding keeps the answer
(`fuzz triage show` and the bug-report export print it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from fuzzer.commands.check import read_script
from fuzzer.console import err, fail, out
from fuzzer.engines import Engine, EngineError, connect
from fuzzer.engines.releases import PACKAGES, Release, Version, published
from fuzzer.options import TIMEOUT
from oracles import oracle_class, selectable
from oracles.checker import Checker, Script, ScriptRejected
from oracles.differential import Profile
from oracles.pipeline import replay
from triage.store import Store, StoreError, default_path

#: the URL scheme of each engine's pinned releases
SCHEMES = {"duckdb": "duckdb", "sqlite": "sqlite+apsw"}

REPRODUCES, ABSENT, UNJUDGED = "reproduces", "does not reproduce", "cannot be judged"


class Unavailable(Exception):
    """The release cannot be tested here: pip cannot install it, or it does not start."""


@dataclass
class Bisection:
    """The releases tested and what each answered; the search's two answers."""

    test: Callable[[str], bool | None]  # raises Unavailable
    verdicts: dict[str, str] = field(default_factory=dict)
    regressed_in: str | None = None
    fixed_in: str | None = None

    def shows(self, release: str) -> bool:
        if release not in self.verdicts:
            try:
                answer = self.test(release)
            except Unavailable as exc:
                self.verdicts[release] = f"not tested: {exc}"
                raise
            self.verdicts[release] = {True: REPRODUCES, False: ABSENT, None: UNJUDGED}[answer]
        return self.verdicts[release] == REPRODUCES

    def _shows_at(self, releases: list[str], i: int) -> bool | None:
        """Whether releases[i] shows it; None (and it is removed) when it cannot be tested."""
        try:
            return self.shows(releases[i])
        except Unavailable:
            del releases[i]
            return None

    def _edge(self, releases: list[str]) -> str:
        """The first release whose answer differs from the first's, the last's being known to."""
        lo, hi = 0, len(releases) - 1
        first = self.shows(releases[lo])
        while hi - lo > 1:
            mid = (lo + hi) // 2
            answer = self._shows_at(releases, mid)
            if answer is None:
                hi -= 1
            elif answer == first:
                lo = mid
            else:
                hi = mid
        return releases[hi]

    def _end(self, releases: list[str], last: bool) -> bool | None:
        """Whether the range's last (or first) testable release shows it; None if none can."""
        while releases:
            answer = self._shows_at(releases, -1 if last else 0)
            if answer is not None:
                return answer
        return None

    def run(self, releases: list[str], seen_on: str | None) -> None:
        releases = list(releases)
        anchor = self._anchor(releases, seen_on)
        if anchor is None:
            return  # it reproduces on no release of the range
        at = releases.index(anchor)
        after, before = releases[at:], releases[: at + 1]
        if not self._end(after, last=True):
            self.fixed_in = self._edge(after)
        self.regressed_in = before[0] if self._end(before, last=False) else self._edge(before)

    def _anchor(self, releases: list[str], seen_on: str | None) -> str | None:
        """A release that shows it: the one it was seen on, else the newest, the oldest, then
        the midpoints of ever finer halves (a bug brought and fixed inside the range)."""
        for candidate in [seen_on, *_spread(list(releases))]:
            if candidate in releases:
                try:
                    if self.shows(candidate):
                        return candidate
                except Unavailable:
                    releases.remove(candidate)
        return None


def _spread(releases: list[str]) -> list[str]:
    """The releases in search order: the ends, then midpoints breadth first."""
    if len(releases) <= 2:
        return releases[::-1]
    order, spans = [releases[-1], releases[0]], [(0, len(releases) - 1)]
    while spans:
        lo, hi = spans.pop(0)
        if hi - lo > 1:
            mid = (lo + hi) // 2
            order.append(releases[mid])
            spans += [(lo, mid), (mid, hi)]
    return order


def parse_range(text: str | None, releases: list[str]) -> list[str]:
    """The releases within `A..B` (either end may be left out), oldest first."""
    if text is None:
        return releases
    found = re.fullmatch(r"\s*([\d.]*)\s*\.\.\s*([\d.]*)\s*", text)
    if found is None:
        fail(f"bad --range {text!r}: expected FIRST..LAST, e.g. 0.9.0..2.0.0")
    low, high = (Version(v) if v else None for v in found.groups())
    return [
        r for r in releases
        if (low is None or Version(r) >= low) and (high is None or Version(r) <= high)
    ]  # fmt: skip


def header_release(path: Path) -> tuple[str | None, str | None]:
    """The engine and release a corpus case's header names (`-- engine: duckdb 1.1.0`)."""
    found = re.search(r"^--\s*engine:\s*(\w+)\s+([\d.]+)", path.read_text(), re.MULTILINE)
    return (found.group(1), found.group(2)) if found else (None, None)


def header_oracles(path: Path) -> tuple[str, ...]:
    found = re.search(r"^--\s*oracle:\s*(.*)$", path.read_text(), re.MULTILINE)
    named = re.sub(r"\([^)]*\)", "", found.group(1)) if found else ""
    return tuple(o for o in selectable() if re.search(rf"\b{o}\b", named))


def judge_script(
    script: Script, oracles: tuple[str, ...], reference: Engine | None
) -> Callable[[Engine], bool | None]:
    def judge(engine: Engine) -> bool | None:
        checker = Checker(engine, oracles, reference, Profile())
        try:
            found = list(checker.check(script))
        except ScriptRejected:
            return None
        if found:
            return True
        return None if checker.tally.could_not_run else False

    return judge


@click.command()
@click.argument("subject", metavar="FINDING_ID|CASE.sql")
@click.option("--engine", "engine_name", type=click.Choice(sorted(PACKAGES)),
              help="Whose releases (default: the finding's, or the case header's).")  # fmt: skip
@click.option("--range", "bounds", metavar="FIRST..LAST",
              help="Releases to search, e.g. 0.9.0..2.0.0.")  # fmt: skip
@click.option("--oracle", "oracle_list", help="For a case: the oracles (default: its header's).")
@click.option("--reference", "-r", help="Reference engine URL, for a differential finding or case.")
@click.option("--store", "store_path", type=click.Path(path_type=Path),
              help=f"Triage store of the finding (default: {default_path()}).")  # fmt: skip
@click.option("--timeout", type=TIMEOUT, default=5.0, show_default=True, help="Per statement.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
def bisect(
    subject: str,
    engine_name: str | None,
    bounds: str | None,
    oracle_list: str | None,
    reference: str | None,
    store_path: Path | None,
    timeout: float,
    as_json: bool,
) -> None:
    """Find the first release that shows a finding and the first that no longer does.

    \b
    Examples:
      fuzz bisect 12
      fuzz bisect corpus/known-bugs/duckdb-between-case-when.sql --range 0.9.0..2.0.0
    """
    finding_id = int(subject) if subject.isdigit() and not Path(subject).exists() else None
    ref_engine = connect(reference, timeout=timeout) if reference else None
    try:
        if finding_id is not None:
            engine_name, seen_on, judge = _finding(store_path, finding_id, engine_name, ref_engine)
        else:
            engine_name, seen_on, judge = _case(Path(subject), engine_name, oracle_list, ref_engine)
        releases = parse_range(bounds, published(engine_name))
        if not releases:
            fail(f"no {engine_name} release in range {bounds}")
        bisection = _search(engine_name, releases, seen_on, judge, timeout, quiet=as_json)
    finally:
        if ref_engine is not None:
            ref_engine.close()
    tested = {"engine": engine_name, "first": releases[0], "last": releases[-1],
              "verdicts": bisection.verdicts}  # fmt: skip
    if finding_id is not None:
        with Store.open(store_path or default_path()) as store:
            store.record_bisect(finding_id, bisection.regressed_in, bisection.fixed_in, tested)
    answer = {"regressed_in": bisection.regressed_in, "fixed_in": bisection.fixed_in, **tested}
    if as_json:
        click.echo(json.dumps(answer))
        return
    table = Table("release", "verdict", box=None)
    for release in sorted(bisection.verdicts, key=Version):
        table.add_row(release, bisection.verdicts[release])
    out.print(table)
    first = bisection.regressed_in or "never reproduced"
    out.print(f"{engine_name}: regressed in {first}; fixed in {bisection.fixed_in or '(not fixed)'}"
              f" (releases {releases[0]}..{releases[-1]})", markup=False)  # fmt: skip


def _search(
    engine_name: str,
    releases: list[str],
    seen_on: str | None,
    judge: Callable[[Engine], bool | None],
    timeout: float,
    quiet: bool,
) -> Bisection:
    steps = 3 + 2 * max(1, len(releases)).bit_length()  # about what a search tests
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True, disable=quiet) as progress:
        task = progress.add_task("bisecting", total=steps)

        def test(release: str) -> bool | None:
            pinned = Release.of(engine_name, release)
            doing = "testing" if pinned.installed else "installing"
            progress.update(task, description=f"{doing} {engine_name} {release}")
            try:
                engine = connect(f"{SCHEMES[engine_name]}:?version={release}", timeout=timeout)
            except EngineError as exc:
                raise Unavailable(str(exc)) from None
            try:
                return judge(engine)
            finally:
                engine.close()
                progress.advance(task)

        bisection = Bisection(test)
        bisection.run(releases, seen_on)
    return bisection


def _finding(
    store_path: Path | None, finding_id: int, engine_name: str | None, reference: Engine | None
) -> tuple[str, str | None, Callable[[Engine], bool | None]]:
    try:
        with Store.open(store_path or default_path(), create=False) as store:
            stored = store.get(finding_id)
            finding = store.reproducer(finding_id)
    except StoreError as exc:
        fail(str(exc))
    engine_name = engine_name or stored.engine
    if engine_name not in PACKAGES:
        fail(f"finding {finding_id} is about {stored.engine}: only {', '.join(PACKAGES)} "
             "releases can be bisected")  # fmt: skip
    if oracle_class(finding.oracle).needs_reference:
        if reference is None:
            fail(f"finding {finding_id} is a differential one: name its reference with -r URL")
        script = Script(Path(f"finding-{finding_id}"), list(finding.setup), list(finding.queries))
        judge = judge_script(script, (finding.oracle,), reference)
        return engine_name, stored.engine_version, judge
    return engine_name, stored.engine_version, lambda engine: replay(finding, engine)


def _case(
    path: Path, engine_name: str | None, oracle_list: str | None, reference: Engine | None
) -> tuple[str, str | None, Callable[[Engine], bool | None]]:
    if not path.is_file():
        fail(f"no such finding or file: {path}")
    try:
        script = read_script(path)
    except click.ClickException as exc:
        fail(exc.format_message())
    named, seen_on = header_release(path)
    engine_name = engine_name or (named if named in PACKAGES else None)
    if engine_name is None:
        fail(f"{path}: name the engine to bisect with --engine ({', '.join(PACKAGES)})")
    chosen = tuple(oracle_list.split(",")) if oracle_list else header_oracles(path)
    chosen = chosen or (("diff",) if reference is not None else ("tlp", "norec"))
    unknown = [o for o in chosen if o not in selectable()]
    if unknown:
        fail(f"unknown oracle {unknown[0]!r} (known: {', '.join(selectable())})")
    if seen_on is not None and named != engine_name:
        seen_on = None
    return engine_name, seen_on, judge_script(script, chosen, reference)
