"""Recall: how many publicly known bugs does `fuzz run` rediscover from scratch?

For each old engine release that the known-bug list (`corpus/known-bugs/`, read by
`known_bugs.py`) names as buggy, run `fuzz run` for N minutes with a fresh store, then replay
every finding on that release and on the release that fixed its bugs. A finding matches a
release/fix pair when it reproduces on the buggy release and not on the fixing one: that is
the fix's change of behaviour, so the finding is (one of) the bug(s) the pair stands for.
Several bugs with one pair cannot be told apart; they are reported together, with the number
of findings. The local MariaDB has no fixing release here: a finding that reproduces there is
reported as `unconfirmed` (it may be a bug of the list, or another).

    python bench/recall.py                              # every buggy release, 5 minutes each
    python bench/recall.py --minutes 2 --releases "duckdb 1.1.0,sqlite 3.44.0" --json

`recall_confirmed` counts a bug when a finding matched its pair and the pair has no other bug;
`recall_upper` counts every bug of every matched pair, unconfirmed ones included.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click
from known_bugs import Case, Release, cases, sources
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

HERE = Path(__file__).resolve()
REPRODUCES, FIXED, UNKNOWN = "reproduces", "fixed", "unknown"


@dataclass(frozen=True)
class Pair:
    """The bugs one buggy release and its fixing release (None: not checkable) stand for."""

    buggy: str
    fixed: str | None
    bugs: tuple[str, ...]


@dataclass
class PairResult:
    buggy: str
    fixed: str | None
    bugs: list[str]
    findings: list[int] = field(default_factory=list)  # matched finding ids

    @property
    def status(self) -> str:
        if not self.findings:
            return "missed"
        if self.fixed is None:
            return "unconfirmed"  # reproduces on the buggy release; no fix to check against
        return "rediscovered" if len(self.bugs) == 1 else "indistinguishable"

    def to_dict(self) -> dict:
        return {**asdict(self), "status": self.status, "finding_count": len(self.findings)}


def pairs(selected: Iterable[Case]) -> list[Pair]:
    """The release/fix pairs of the cases, each with its bugs (sorted, so reports are stable)."""
    grouped: dict[tuple[str, str | None], list[str]] = {}
    for case in selected:
        key = (case.buggy.name, case.fixed.name if case.fixed else None)
        grouped.setdefault(key, []).append(case.path.stem)
    return [Pair(b, f, tuple(sorted(names))) for (b, f), names in sorted(grouped.items(), key=str)]


def match(
    pair: Pair, verdicts: Mapping[int, Mapping[str, str]], earlier: Iterable[str] = ()
) -> PairResult:
    """The findings that reproduce on the pair's buggy release and not on its fixing one.

    `earlier`: the other fixing releases of the same buggy release that came before this
    one. A finding they fix already is theirs (the bug was fixed before this pair's fix), so
    it must reproduce on each of them to be this pair's.
    """
    result = PairResult(pair.buggy, pair.fixed, list(pair.bugs))
    before = tuple(earlier)
    for finding_id, by_release in sorted(verdicts.items()):
        if by_release.get(pair.buggy) != REPRODUCES:
            continue
        if any(by_release.get(r) != REPRODUCES for r in before):
            continue
        if pair.fixed is None or by_release.get(pair.fixed) == FIXED:
            result.findings.append(finding_id)
    return result


def match_all(found: list[Pair], verdicts: Mapping[int, Mapping[str, str]]) -> list[PairResult]:
    """Each pair's findings; a finding goes to the earliest fix of its buggy release."""
    return [
        match(p, verdicts, [
            q.fixed for q in found
            if q.buggy == p.buggy and q.fixed and p.fixed and _version(q.fixed) < _version(p.fixed)
        ])
        for p in found
    ]  # fmt: skip


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", name.split()[-1]))


def summary(results: list[PairResult], total_bugs: int) -> dict:
    confirmed = sum(len(r.bugs) for r in results if r.status == "rediscovered")
    upper = sum(len(r.bugs) for r in results if r.findings)
    return {
        "bugs": total_bugs,
        "rediscovered": confirmed,
        "recall_confirmed": confirmed / total_bugs if total_bugs else 0.0,
        "recall_upper": upper / total_bugs if total_bugs else 0.0,
    }


# --- running -----------------------------------------------------------------------------


def fuzz_run(
    release: Release,
    minutes: float,
    store: Path,
    work: Path,
    seed: int,
    oracle: str | None,
    progress: Progress,
    workers: int | None = None,
) -> dict:
    """`fuzz run` from scratch on the release, with a live progress line; its last counters."""
    python = release.python()
    env_path = str(sources(work))
    command = [
        str(python),
        "-m",
        "fuzzer",
        "run",
        "--target",
        release.target,
        "--json",
        "--duration",
        f"{int(minutes * 60)}s",
        "--store",
        str(store),
        "--seed",
        str(seed),
        *(["--oracle", oracle] if oracle else []),
        *(["--workers", str(workers)] if workers else []),
    ]
    task = progress.add_task(release.name, total=minutes * 60, status="starting")
    last: dict = {}
    errors = work / "fuzz-run.stderr"
    with (
        errors.open("w") as stderr,
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=work,
            env={**os.environ, "PYTHONPATH": env_path},
        ) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            try:
                last = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "elapsed" in last:
                progress.update(
                    task,
                    completed=min(last["elapsed"], minutes * 60),
                    status=f"{last.get('checks', 0):,} checks, "
                    f"{last.get('findings_new', 0)} findings",
                )
    if process.returncode not in (0, 1):
        message = errors.read_text().strip()[-1500:]
        raise click.ClickException(f"fuzz run on {release.name}: {message}")
    progress.update(task, completed=minutes * 60)
    return last


def replay_all(release: Release, store: Path, work: Path) -> dict[int, str]:
    """Every finding of the store replayed on the release, under the release's interpreter."""
    result = subprocess.run(
        [
            str(release.python()),
            str(HERE),
            "replay",
            "--store",
            str(store),
            "--target",
            release.target,
        ],
        capture_output=True,
        text=True,
        cwd=work,
        timeout=3600,
        env={**os.environ, "PYTHONPATH": str(sources(work))},
    )
    if result.returncode != 0:
        raise click.ClickException(f"replay on {release.name}: {result.stderr.strip()[-1500:]}")
    return {int(k): v for k, v in json.loads(result.stdout).items()}


def measure(
    release: Release,
    chosen: list[Case],
    minutes: float,
    seed: int,
    oracle: str | None,
    progress: Progress,
    keep: Path | None = None,
    workers: int | None = None,
) -> dict:
    fixes = sorted({c.fixed for c in chosen if c.fixed}, key=lambda r: r.name)
    with tempfile.TemporaryDirectory(prefix="recall-") as tmp:
        work = Path(tmp)
        store = work / "triage.db"
        counters = fuzz_run(release, minutes, store, work, seed, oracle, progress, workers)
        verdicts: dict[int, dict[str, str]] = {}
        if store.exists():
            for other in (release, *fixes):
                for finding_id, verdict in replay_all(other, store, work).items():
                    verdicts.setdefault(finding_id, {})[other.name] = verdict
        findings = _findings(store) if store.exists() else []
        if keep is not None and store.exists():
            keep.mkdir(parents=True, exist_ok=True)
            with (
                sqlite3.connect(store) as source,
                sqlite3.connect(keep / f"{release.name}.db") as copy,
            ):
                source.backup(copy)
    results = match_all(pairs(chosen), verdicts)
    return {
        "release": release.name,
        "checks": counters.get("checks", 0),
        "findings": findings,
        "verdicts": {str(k): v for k, v in sorted(verdicts.items())},
        "pairs": [r.to_dict() for r in results],
    }


def _findings(store: Path) -> list[dict]:
    from triage.store import Store

    with Store.open(store, create=False) as s:
        return [
            {"id": f.id, "oracle": f.oracle, "variant": f.variant, "title": f.title}
            for f in s.findings(status=None)
        ]


# --- the CLI -------------------------------------------------------------------------------


@click.group(invoke_without_command=True)
@click.option(
    "--minutes",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="fuzz run's duration on each release",
)
@click.option(
    "--releases",
    default="",
    help='Comma-separated, e.g. "duckdb 1.1.0,sqlite 3.44.0" '
    "(default: every buggy release of the list)",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--oracle", default=None, help="fuzz run's --oracle (default: its own rotation).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="fuzz run's --workers (default: its own, one per core).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep each release's triage store here (RELEASE.db), to read its findings.",
)
@click.pass_context
def main(
    ctx: click.Context,
    minutes: float,
    releases: str,
    seed: int,
    oracle: str | None,
    workers: int | None,
    as_json: bool,
    keep: Path | None,
) -> None:
    """Run fuzz run on each buggy release of the known-bug list; report the bugs it rediscovered."""
    if ctx.invoked_subcommand:
        return
    everything = cases(("known-bugs",))
    by_release: dict[str, list[Case]] = {}
    for case in everything:
        by_release.setdefault(case.buggy.name, []).append(case)
    wanted = [r.strip() for r in releases.split(",") if r.strip()] or sorted(by_release)
    unknown = [r for r in wanted if r not in by_release]
    if unknown:
        raise click.BadParameter(
            f"not a buggy release of the list: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(by_release))}",
            param_hint="--releases",
        )
    console = Console(stderr=True)
    reports = []
    with Progress(
        TextColumn("{task.description:>16}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=console,
    ) as progress:
        for name in wanted:
            chosen = by_release[name]
            release = chosen[0].buggy
            if release.local and not _server_is(release):
                console.print(f"[yellow]{name}: the local server is another release; skipped")
                continue
            started = time.monotonic()
            report = measure(release, chosen, minutes, seed, oracle, progress, keep, workers)
            report["seconds"] = round(time.monotonic() - started, 1)
            reports.append(report)
    results = [
        PairResult(**{k: p[k] for k in ("buggy", "fixed", "bugs", "findings")})
        for r in reports
        for p in r["pairs"]
    ]
    total = sum(len(c) for n, c in by_release.items() if n in {r["release"] for r in reports})
    out = {
        "minutes": minutes,
        "seed": seed,
        "oracle": oracle,
        "releases": reports,
        **summary(results, total),
    }
    if as_json:
        print(json.dumps(out))
    else:
        print_report(out)


@main.command()
@click.option("--store", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--target", required=True)
def replay(store: str, target: str) -> None:
    """(internal) Replay every finding of STORE on TARGET; print {id: verdict} as JSON."""
    from fuzzer.engines import connect
    from oracles.pipeline import replay as replay_finding
    from triage.store import Store, StoreError

    engine = connect(target)
    verdicts: dict[int, str] = {}
    try:
        with Store.open(store, create=False) as s:
            for stored in s.findings(status=None):
                try:
                    finding = s.reproducer(stored.id)
                except StoreError:
                    verdicts[stored.id] = UNKNOWN
                    continue
                answer = replay_finding(finding, engine)
                verdicts[stored.id] = {True: REPRODUCES, False: FIXED}.get(answer, UNKNOWN)
    finally:
        engine.close()
    print(json.dumps(verdicts))


def _server_is(release: Release) -> bool:
    from fuzzer.engines import connect

    engine = connect(release.target)
    try:
        return engine.version.startswith(release.version)
    finally:
        engine.close()


def print_report(out: dict) -> None:
    for r in out["releases"]:
        print(
            f"== {r['release']}: {r['checks']:,} checks in {out['minutes']:g} min, "
            f"{len(r['findings'])} findings ({r['seconds']:.0f} s with replays)"
        )
        for p in r["pairs"]:
            fix, bugs = p["fixed"] or "(no fixing release here)", ", ".join(p["bugs"])
            print(f"   {p['status']:>17}  vs {fix}: {p['finding_count']} finding(s)  {bugs}")
    print(
        f"rediscovered {out['rediscovered']} of {out['bugs']} bugs: recall "
        f"{out['recall_confirmed']:.0%} confirmed, {out['recall_upper']:.0%} at most"
    )


if __name__ == "__main__":
    sys.exit(main())
