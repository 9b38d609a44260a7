"""`fuzz run`: a continuous fuzzing job, for hours, unattended, in parallel, resumable."""

from __future__ import annotations

import json
import os
import random
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from sqlite_utils.db import NotFoundError

from fuzzer.ci import Checked, Known, KnownBugsError, unknown
from fuzzer.commands.check import parse_oracles, write_reports
from fuzzer.commands.clean import sweep_own_leftovers
from fuzzer.console import EXIT_FOUND, err, fail, out
from fuzzer.dialects import DIALECTS
from fuzzer.engines import connect
from fuzzer.jobs.coordinator import Job, JobSettings
from fuzzer.jobs.display import JsonLines, LiveDisplay
from fuzzer.jobs.seeds import Position, Shard
from fuzzer.jobs.session import Session
from fuzzer.options import (
    COUNT,
    DURATION,
    PROFILE,
    SECONDS,
    SEED,
    TIMEOUT,
    isolation_options,
)
from oracles import oracle_class, selectable
from oracles.base import Context
from oracles.differential import Profile
from oracles.finding import Finding
from triage.store import Store, StoreError, default_path, learned_at


@click.command()
@click.option("--target", "-t", "targets", multiple=True, envvar="SQLPARITY_TARGET",
              help="Engine URL (repeatable; env SQLPARITY_TARGET, space-separated). "
              "Default: sqlite:")  # fmt: skip
@click.option(
    "--reference",
    "-r",
    envvar="SQLPARITY_REFERENCE",
    help="Reference engine URL: turns on the diff oracle (env SQLPARITY_REFERENCE).",
)
@click.option(
    "--oracle",
    "oracle_list",
    help=f"Comma-separated, of: {', '.join(selectable())} (default: all that apply).",
)
@click.option("--duration", type=DURATION, help="Stop after this long: 90s, 30m, 8h.")
@click.option("--checks", "max_checks", type=COUNT, help="Stop after this many oracle checks.")
@click.option("--workers", "-w", type=COUNT, default=os.cpu_count() or 1, show_default=True)
@click.option("--seed", type=SEED, help="Seed of the job's streams (default: random, printed).")
@click.option("--shard", default="0/1", show_default=True, help="K/N: this job's share of N.")
@click.option("--store", "store_path", help=f"Triage store (default: {default_path()}).")
@click.option("--timeout", type=TIMEOUT, default=5.0, show_default=True,
              help="Statement timeout (s).")  # fmt: skip
@click.option("--checks-per-state", type=COUNT, default=50, show_default=True,
              help="Oracle checks on each generated database before a new one (up to 10 times "
                   "as many while its build is over a fifth of the time spent on it).")  # fmt: skip
@click.option("--profile", type=PROFILE, help="TOML file of the target's accepted divergences.")
@click.option("--dialect", type=click.Choice(DIALECTS),
              help="Speak this dialect to the targets instead of their own: for an engine "
              "that claims its compatibility (what they reject is learned, left out).")  # fmt: skip
@click.option("--resume", "resume_id", type=int, help="Continue a stopped run by its id.")
@click.option(
    "--replay", "replay_position", help="Regenerate one finding's state: WORKER/STATE[/CHECK]."
)
@click.option(
    "--reduce/--no-reduce",
    "reduce_findings",
    default=True,
    show_default=True,
    help="Reduce each new finding in the background (bounded by --reduce-time).",
)
@click.option("--reduce-time", type=SECONDS, default=60.0, show_default=True,
              help="Seconds per reduction.")  # fmt: skip
@click.option(
    "--fail-on-finding", is_flag=True,
    help="Exit 1 when a new distinct finding appeared that is not a known bug.",
)  # fmt: skip
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path),
              help="Write JUnit XML here: one test case per target.")  # fmt: skip
@click.option("--sarif", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the run's findings here as SARIF 2.1.0.")  # fmt: skip
@click.option("--known", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File of known bugs' signatures, kept out of --fail-on-finding (as are "
              "findings the store has triaged).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="JSON lines of counters, then a summary.")
@isolation_options
def run(
    targets: tuple[str, ...],
    reference: str | None,
    oracle_list: str | None,
    duration: float | None,
    max_checks: int | None,
    workers: int,
    seed: int | None,
    shard: str,
    store_path: str | None,
    timeout: float,
    checks_per_state: int,
    profile: Profile | None,
    dialect: str | None,
    resume_id: int | None,
    replay_position: str | None,
    reduce_findings: bool,
    reduce_time: float,
    fail_on_finding: bool,
    junit: Path | None,
    sarif: Path | None,
    known: Path | None,
    as_json: bool,
    oracle_options: tuple[tuple[str, Any], ...],
) -> None:
    """Fuzz engines with every oracle that applies, until stopped (Ctrl-C or SIGTERM).

    \b
    Examples:
      fuzz run                                   # SQLite, in-process, until Ctrl-C
      fuzz run --duration 30m --workers 2 --target duckdb:
      fuzz run -t postgresql://u@target/db -r postgresql://u@reference/db
      fuzz run --shard 3/8 --seed 42 --duration 1h --fail-on-finding --json
    """
    try:
        settings = JobSettings(
            targets=targets or ("sqlite:",),
            reference=reference,
            oracles=parse_oracles(oracle_list, reference is not None),
            seed=seed if seed is not None else random.SystemRandom().randrange(2**31),
            shard=Shard.parse(shard),
            workers=workers,
            timeout=timeout,
            checks_per_state=checks_per_state,
            duration=duration,
            max_checks=max_checks,
            profile=profile or Profile(),
            reduce_seconds=reduce_time if reduce_findings else None,
            dialect=dialect,
            oracle_options=oracle_options,
        )
    except (click.BadParameter, ValueError) as exc:
        fail(str(exc.format_message() if isinstance(exc, click.BadParameter) else exc))
    if replay_position is not None:
        replay(settings, replay_position, as_json, store_path)
        return
    if resume_id is None:
        preflight(settings)  # before the store: an unreachable engine leaves no file behind
    try:
        store = Store.open(store_path)
    except StoreError as exc:
        fail(str(exc))
    first_states = None
    if resume_id is not None:
        settings, first_states = resumed(store, resume_id, settings)
        preflight(settings)
    sweep_own_leftovers((*settings.targets, *filter(None, [settings.reference])))
    if not as_json:
        err.print(
            f"sqlparity: seed {settings.seed}, shard {settings.shard}, {settings.workers} workers, "
            f"oracles {','.join(settings.oracles)}, store {store.path}",
            markup=False,
        )
    display = JsonLines() if as_json else LiveDisplay(err)
    try:
        known_bugs = Known.load(known, store.path)
    except KnownBugsError as exc:
        store.close()
        fail(str(exc))
    with store:
        summary = Job(settings, store, display).run(first_states, resume_id)
        new = run_findings(store, summary.run_id)
    write_reports(junit, sarif, "fuzz run", _cases(settings.targets, new, summary.elapsed),
                  known_bugs)  # fmt: skip
    if not as_json:
        err.print(
            f"run {summary.run_id} done: replay with `fuzz run --seed {settings.seed}"
            f" --shard {settings.shard} --replay WORKER/STATE` (positions are in the findings); "
            f"resume with `fuzz run --resume {summary.run_id}`",
            markup=False,
        )
    if summary.failed:
        fail(summary.failed)
    if summary.errors and summary.stats.checks == 0:
        fail(summary.errors[0])
    sys.exit(EXIT_FOUND if fail_on_finding and unknown(new, known_bugs) else 0)


def run_findings(store: Store, run_id: int) -> list[Finding]:
    """The findings first seen in this run (after reductions merged what they could), each
    as its best case shows it."""
    rows = store.db.execute(
        "SELECT f.id FROM findings f WHERE f.id IN (SELECT finding_id FROM occurrences "
        "WHERE run_id = :run) AND NOT EXISTS (SELECT 1 FROM occurrences o WHERE "
        "o.finding_id = f.id AND (o.run_id IS NULL OR o.run_id < :run)) ORDER BY f.id",
        {"run": run_id},
    ).fetchall()  # fmt: skip
    found = []
    for (finding_id,) in rows:
        try:
            finding = store.reproducer(finding_id)
        except StoreError:
            continue
        # known as the store signs it: a project file lists what `triage show` gives
        extra = {**finding.extra, "signature": store.get(finding_id).signature}
        found.append(replace(finding, extra=extra))
    return found


def _cases(targets: tuple[str, ...], found: list[Finding], seconds: float) -> list[Checked]:
    """One test case per target: a finding goes to the target its engine's name starts its
    URL scheme (`sqlite` for `sqlite+apsw:`), else to the first."""
    def target_of(f: Finding) -> str:
        return next((t for t in targets if t.split(":", 1)[0].startswith(f.engine.name)),
                    targets[0])  # fmt: skip

    return [Checked(t, [f for f in found if target_of(f) == t], seconds) for t in targets]


def preflight(settings: JobSettings) -> None:
    """Open and close each engine of the job once, before the store records a run.

    Otherwise the workers find out about an unreachable server or a refused password, after
    a run that `--resume` would offer has been recorded. It costs one scratch space per URL.
    No generated statement runs here, so in-process engines (opened in this process for this
    only) cannot crash the coordinator: crash isolation is about the statements, in workers.
    """
    urls = [*settings.targets, *([settings.reference] if settings.reference else [])]
    for url in dict.fromkeys(urls):
        engine = connect(url, timeout=settings.timeout)
        try:
            for name in settings.oracles:  # an oracle that cannot check the engine says so now
                oracle_class(name)(Context(engine.dialect, options=settings.oracle_options))
        except ValueError as exc:
            fail(f"{engine.url}: {exc}")
        finally:
            engine.close()


def resumed(store: Store, run_id: int, given: JobSettings) -> tuple[JobSettings, dict[int, int]]:
    """The settings of a stopped run, and the state each of its workers reached."""
    try:
        row = store.db["runs"].get(run_id)
    except NotFoundError:
        fail(f"no run {run_id} in {store.path}")
    stored = json.loads(row["settings"] or "{}")
    counters = json.loads(row["counters"] or "{}")
    targets = tuple(stored.get("targets") or given.targets)
    if any("***" in t for t in targets) and given.targets == ("sqlite:",):
        fail("the run's target URLs had passwords, which are never stored: "
             "pass --target again (or SQLPARITY_TARGET)")  # fmt: skip
    settings = JobSettings(
        targets=targets if given.targets == ("sqlite:",) else given.targets,
        reference=stored.get("reference", given.reference),
        oracles=tuple(json.loads(row["oracles"] or "[]")) or given.oracles,
        seed=row["seed"] if row["seed"] is not None else given.seed,
        shard=Shard.parse(stored.get("shard", "0/1")),
        workers=stored.get("workers", given.workers),
        timeout=stored.get("timeout", given.timeout),
        checks_per_state=stored.get("checks_per_state", given.checks_per_state),
        duration=given.duration,
        max_checks=given.max_checks,
        profile=given.profile,
        reduce_seconds=given.reduce_seconds,
        dialect=stored.get("dialect", given.dialect),
        oracle_options=tuple(stored["oracle_options"].items()) if "oracle_options" in stored
        else given.oracle_options,
    )  # fmt: skip
    positions = {int(k): v for k, v in counters.get("positions", {}).items()}
    return settings, positions


def replay(settings: JobSettings, position: str, as_json: bool, store_path: str | None) -> None:
    """Regenerate one state of one worker, print its script, and run its checks again.

    The generator leaves out what the store's learned table has off for the target now: a
    state made before a feature was turned off may come out otherwise (the finding's own
    script is its reproducer, and needs no table)."""
    try:
        parts = [int(x) for x in position.split("/")]
        where = Position(parts[0], parts[1], parts[2] if len(parts) > 2 else -1)
    except (ValueError, IndexError):
        fail(f"a position is WORKER/STATE[/CHECK], not {position!r}")
    target = connect(settings.targets[where.worker % len(settings.targets)], settings.timeout)
    ref = connect(settings.reference, settings.timeout) if settings.reference else None
    if settings.dialect is not None:
        target.dialect = settings.dialect  # type: ignore[misc]
    found = []
    session = Session(
        target=target,
        oracles=settings.oracles,
        seed=settings.seed,
        worker=where.worker,
        shard=settings.shard,
        reference=ref,
        profile=settings.profile,
        oracle_options=settings.oracle_options,
        checks_per_state=where.check + 1 if where.check >= 0 else settings.checks_per_state,
        report=found.append,
        avoid=learned_off(store_path, target.name, target.version),
    )
    try:
        session.run_state(where.state)
    finally:
        target.close()
        if ref is not None:
            ref.close()
    for f in found:
        if as_json:
            click.echo(json.dumps(f.to_dict(), default=str))
        else:
            out.print(f.script, markup=False, highlight=False)
    if not as_json:
        err.print(f"{session.stats.checks} checks replayed, {len(found)} findings", markup=False)
    sys.exit(EXIT_FOUND if found else 0)


def learned_off(store_path: str | None, name: str, version: str) -> frozenset[str]:
    """The features the store's learned table has off for this engine release."""
    try:
        return frozenset(learned_at(store_path, name, version).off)
    except StoreError as exc:
        fail(str(exc))
