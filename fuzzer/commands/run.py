"""`fuzz run`: a continuous fuzzing job, for hours, unattended, in parallel, resumable."""

from __future__ import annotations

import json
import os
import random
import sys

import click
from sqlite_utils.db import NotFoundError

from fuzzer.commands.check import parse_oracles
from fuzzer.commands.clean import sweep_own_leftovers
from fuzzer.console import EXIT_FOUND, err, fail, out
from fuzzer.dialects import DIALECTS
from fuzzer.engines import connect
from fuzzer.jobs.coordinator import Job, JobSettings
from fuzzer.jobs.display import JsonLines, LiveDisplay
from fuzzer.jobs.seeds import Position, Shard
from fuzzer.jobs.session import Session
from fuzzer.options import COUNT, DURATION, PROFILE, SECONDS, SEED, TIMEOUT
from oracles import selectable
from oracles.differential import Profile
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
    "--fail-on-finding", is_flag=True, help="Exit 1 when a new distinct finding appeared."
)
@click.option("--json", "as_json", is_flag=True, help="JSON lines of counters, then a summary.")
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
    as_json: bool,
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
    with store:
        summary = Job(settings, store, display).run(first_states, resume_id)
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
    sys.exit(EXIT_FOUND if fail_on_finding and summary.findings_new else 0)


def preflight(settings: JobSettings) -> None:
    """Open and close each engine of the job once, before the store records a run.

    Otherwise the workers find out about an unreachable server or a refused password, after
    a run that `--resume` would offer has been recorded. It costs one scratch space per URL.
    No generated statement runs here, so in-process engines (opened in this process for this
    only) cannot crash the coordinator: crash isolation is about the statements, in workers.
    """
    urls = [*settings.targets, *([settings.reference] if settings.reference else [])]
    for url in dict.fromkeys(urls):
        connect(url, timeout=settings.timeout).close()


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
    )
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
