"""A worker that died: what killed it, and does it kill again?

The statement log holds the current state's statements, the last one being the statement the
engine was running. The candidate is confirmed by replaying the log in a fresh process, never
in the coordinator: if that process dies the same way, it is a crash finding.
"""

from __future__ import annotations

import multiprocessing
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from fuzzer.engines import connect
from fuzzer.jobs.lifeline import die_with_parent
from fuzzer.script import ScriptError, split
from oracles.crash import Crash
from oracles.finding import EngineInfo, Finding

if TYPE_CHECKING:
    from fuzzer.jobs.coordinator import JobSettings

REPLAY_SECONDS = 120

#: How an engine takes its process down. SIGTERM and SIGKILL come from outside; an exception
#: in the worker is sqlparity's own bug, reported as such, not as the engine's.
FAULTS = frozenset({signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL,
                    signal.SIGSYS, signal.SIGTRAP})  # fmt: skip


def engine_fault(exitcode: int | None) -> bool:
    return exitcode is not None and exitcode < 0 and -exitcode in FAULTS


def describe(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit {exitcode}"


def _replay(url: str, timeout: float, statements: list[str]) -> None:
    die_with_parent(signal.SIGKILL)  # a replay never outlives the job that asked for it
    engine = connect(url, timeout=timeout)
    for statement in statements:
        engine.execute(statement)
    engine.close()


def dies_again(url: str, timeout: float, statements: list[str], exitcode: int | None) -> bool:
    proc = multiprocessing.get_context("spawn").Process(
        target=_replay, args=(url, timeout, statements), daemon=True
    )
    proc.start()
    proc.join(REPLAY_SECONDS)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return False
    return proc.exitcode == exitcode and exitcode != 0


def crash_from_log(
    log: Path, engine: EngineInfo, exitcode: int | None, settings: JobSettings, worker: int
) -> Finding | None:
    """A confirmed crash finding from a dead worker's statement log, or None."""
    try:
        lines = log.read_text(encoding="utf-8").splitlines()
        header = lines[0].removeprefix("-- ") if lines else ""
        statements = split("\n".join(lines[1:]))
    except (OSError, ScriptError):
        return None
    if not statements:
        return None
    url = settings.targets[worker % len(settings.targets)]
    if not dies_again(url, settings.timeout, statements, exitcode):
        return None
    *setup, last = statements
    return Crash.process_died(
        engine, setup, last, describe(exitcode), seed=settings.seed, position=header
    )
