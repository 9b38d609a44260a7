"""A worker process: one session on its own engines, reporting to the coordinator by queue.

Engines, in-process ones above all, run only here, never in the coordinator: when SQLite or
DuckDB aborts or segfaults, this process dies, the coordinator reads the statement log and
turns it into a crash finding, and starts a new worker in its place. A worker never outlives
its coordinator (see lifeline).
"""

from __future__ import annotations

import signal
import time
import traceback
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from fuzzer.engines import Engine, EngineError, connect
from fuzzer.jobs.learned import first_table, read_table, table_path
from fuzzer.jobs.lifeline import Lifeline
from fuzzer.jobs.seeds import Shard
from fuzzer.jobs.session import Halted, Session, StatementLog
from oracles.differential import Profile
from oracles.finding import EngineInfo

#: How often a worker sends its counters.
REPORT_SECONDS = 0.5
#: sqlparity's own code: where a bug of ours is said to be.
SOURCES = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker needs; it crosses a process boundary, so it holds URLs only here."""

    target: str
    reference: str | None
    oracles: tuple[str, ...]
    seed: int
    shard: Shard
    timeout: float
    checks_per_state: int
    log_dir: Path
    profile: Profile
    #: the dialect to speak to the target, when not its own (see `fuzz run --dialect`)
    dialect: str | None = None
    #: settings of particular oracles (`oracles.base.Context.options`)
    oracle_options: tuple[tuple[str, Any], ...] = ()


def log_path(log_dir: Path, worker: int) -> Path:
    return log_dir / f"worker-{worker}.sql"


def work(config: WorkerConfig, worker: int, first_state: int, events: Queue, stop: Event) -> None:
    """The body of a worker process: fuzz states until told to stop, halted, or orphaned."""
    # The coordinator decides when to stop: a Ctrl-C or a SIGTERM sent to the whole process
    # group must not kill a worker in the middle of a check. HALT still ends it (see lifeline).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    lifeline = Lifeline()
    try:
        _work(config, worker, first_state, events, stop, lifeline)
    except Exception as exc:
        # A bug of sqlparity's, not the engine's: say so, and let the coordinator restart us.
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if _ours(f.filename)]  # not the stdlib's, nor a driver's
        where = (ours or frames)[-1]
        events.put(
            ("error", worker, f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})")
        )
        raise SystemExit(3) from exc
    finally:
        if lifeline.orphaned:
            events.cancel_join_thread()  # nobody reads the queue any more: do not wait for it
        lifeline.finished()


def _ours(filename: str) -> bool:
    return filename.startswith(str(SOURCES)) and "site-packages" not in filename


def _work(
    config: WorkerConfig,
    worker: int,
    first_state: int,
    events: Queue,
    stop: Event,
    lifeline: Lifeline,
) -> None:
    """Open the engines, then fuzz state after state; "done" only when told to stop."""
    # The statements are the generator's own, so they skip the statement guard (which costs
    # a lexer pass per statement); the scratch role and the engines' own mechanisms still hold.
    engines: list[Engine] = []
    try:
        engines.append(connect(config.target, timeout=config.timeout, guard=False))
        if config.reference:
            engines.append(connect(config.reference, timeout=config.timeout, guard=False))
    except EngineError as exc:
        for engine in engines:
            engine.close()
        events.put(("fatal", worker, str(exc)))
        return
    target, reference = engines[0], (engines[1] if config.reference else None)
    if config.dialect is not None:
        target.dialect = config.dialect  # type: ignore[misc]  # this engine only, not its class
    lifeline.hold(*engines)
    roles = zip(("target", "reference"), engines, strict=False)
    single = [f"the {role} ({e.url})" for role, e in roles if e.single_connection]
    if single:
        events.put(("single-connection", worker, " and ".join(single)))
    info = EngineInfo.of(target)
    events.put(("engine", worker, info))
    log = StatementLog(log_path(config.log_dir, worker))
    session = Session(
        target=target,
        oracles=config.oracles,
        seed=config.seed,
        worker=worker,
        shard=config.shard,
        reference=reference,
        profile=config.profile,
        oracle_options=config.oracle_options,
        checks_per_state=config.checks_per_state,
        adaptive=True,
        log=log,
        report=lambda finding: events.put(("finding", worker, finding)),
        halted=lifeline.halted.is_set,
    )
    last_report = time.monotonic()

    def report() -> None:
        events.put(("stats", worker, session.stats.take()))
        if session.evidence.passed or session.evidence.failed:
            events.put(("evidence", worker, session.evidence.take()))

    def stopping() -> bool:
        nonlocal last_report
        if time.monotonic() - last_report >= REPORT_SECONDS:
            report()
            last_report = time.monotonic()
        return stop.is_set() or lifeline.halted.is_set()

    table = table_path(config.log_dir, info)
    session.avoid = first_table(table, stopping)
    state = first_state
    try:
        while not stopping():
            events.put(("state", worker, state))
            session.run_state(state, stopping)
            session.avoid = read_table(table) or session.avoid  # off stays off
            state += 1
    except Halted:
        pass  # the check in progress is given up; what it found so far was reported
    finally:
        if not lifeline.orphaned:
            report()
        log.close()
        for engine in engines:
            engine.close()
    events.put(("done", worker, state))
