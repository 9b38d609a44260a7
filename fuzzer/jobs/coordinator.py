"""The coordinator of a fuzzing job: workers, the triage store, the display, stopping.

It never opens an engine itself. Workers send counters and confirmed findings over a queue;
the coordinator is the only writer to the triage store for its job, restarts a worker that
died (turning its statement log into a crash finding first), gives up on one that keeps dying,
and stops the job cleanly on Ctrl-C, SIGTERM or --duration: the checks in progress finish,
everything is written, the summary printed. Stopping is bounded: a worker whose check runs past
a short grace is halted, then killed, and --duration is a hard limit for reductions too.
A second Ctrl-C stops at once; the store stays consistent, since every write is a transaction.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from fuzzer.adaptive import Evidence
from fuzzer.engines import EngineURL, contained
from fuzzer.jobs.crash import crash_from_log, describe, engine_fault
from fuzzer.jobs.display import Display
from fuzzer.jobs.learned import table_path, write_table
from fuzzer.jobs.lifeline import HALT
from fuzzer.jobs.reductions import Reductions
from fuzzer.jobs.seeds import Shard
from fuzzer.jobs.session import Stats
from fuzzer.jobs.worker import WorkerConfig, log_path, work
from oracles import oracle_class
from oracles.differential import Profile
from oracles.finding import EngineInfo, Finding
from triage.store import Store

#: A worker that dies more often than this within a minute is given up on.
MAX_RESTARTS_PER_MINUTE = 5
#: A stopped worker finishes its check within this, plus one statement timeout, or is halted.
STOP_GRACE_SECONDS = 3.0
#: A halted worker ends within this (see lifeline), or is killed.
HALT_SECONDS = 5.0


#: what a service manager or a terminal sends the whole process group; workers ignore them
_GROUP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _children_born_deaf() -> Iterator[None]:
    """Processes started inside ignore SIGINT and SIGTERM from their first instruction.

    A worker ignores them itself (`work`), but only once its imports are done: on a loaded
    machine a signal to the group came first and killed it. An ignored disposition is
    inherited across exec; the coordinator's own signals are blocked meanwhile, so one that
    arrives now waits for its handler instead of being ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change dispositions (and only it handles signals)
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _GROUP_SIGNALS)
    handlers = {sig: signal.signal(sig, signal.SIG_IGN) for sig in _GROUP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


@dataclass(frozen=True)
class JobSettings:
    targets: tuple[str, ...] = ("sqlite:",)
    reference: str | None = None
    oracles: tuple[str, ...] = ("tlp", "norec")
    seed: int = 0
    shard: Shard = field(default_factory=Shard)
    workers: int = 1
    timeout: float = 5.0
    checks_per_state: int = 50
    duration: float | None = None
    max_checks: int | None = None
    profile: Profile = field(default_factory=Profile)
    reduce_seconds: float | None = 60.0  # None: new findings are not reduced
    dialect: str | None = None  # spoken to the targets instead of their own
    #: settings of particular oracles (`oracles.base.Context.options`)
    oracle_options: tuple[tuple[str, Any], ...] = ()

    def worker_config(self, worker: int, log_dir: Path) -> WorkerConfig:
        return WorkerConfig(
            target=self.targets[worker % len(self.targets)],
            reference=self.reference,
            oracles=self.oracles,
            seed=self.seed,
            shard=self.shard,
            timeout=self.timeout,
            checks_per_state=self.checks_per_state,
            log_dir=log_dir,
            profile=self.profile,
            dialect=self.dialect,
            oracle_options=self.oracle_options,
        )


@dataclass
class Summary:
    run_id: int
    elapsed: float
    workers: int = 1
    stats: Stats = field(default_factory=Stats)
    findings_new: int = 0
    findings_duplicate: int = 0
    by_oracle: Counter[str] = field(default_factory=Counter)
    engines: dict[int, EngineInfo] = field(default_factory=dict)
    positions: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the job adapted to its engines
    reduced: int = 0  # reductions that saved a reduced case
    reductions_failed: list[str] = field(default_factory=list)  # "#id: why", one each
    unreduced: int = 0
    features_off: dict[str, int] = field(default_factory=dict)  # per engine release
    worker_deaths: int = 0
    interrupted: bool = False
    waiting: str | None = None  # what a stopping job waits for, for the display
    failed: str | None = None  # why the job ended before it was told to: the workers gave up

    def account(self, reductions: Reductions) -> None:
        """Count the job's reductions: those that saved a case, and those that failed, why."""
        self.reduced = reductions.succeeded
        self.reductions_failed = [f"#{f.finding_id}: {f.reason}" for f in reductions.failed]

    def counters(self) -> dict[str, Any]:
        s, t = self.stats, max(self.elapsed, 1e-9)
        return {
            "run_id": self.run_id,
            "elapsed": round(self.elapsed, 2),
            "checks": s.checks,
            "queries": s.queries,
            "checks_per_s": round(s.checks / t, 1),
            "queries_per_s": round(s.queries / t, 1),
            "ok_share": round(s.ok / s.queries, 4) if s.queries else 0.0,
            # of the judged checks, those whose query had rows
            "nonempty_share": round(s.nonempty / judged, 4) if (judged := s.checks - s.skipped)
            else 0.0,
            "engine_time_share": round(s.engine_time / (t * self.workers), 3),
            "states": s.states,
            "states_abandoned": s.states_abandoned,  # their statements kept timing out
            "skipped": s.skipped,
            "findings_new": self.findings_new,
            "findings_duplicate": self.findings_duplicate,
            "findings_by_oracle": dict(self.by_oracle),
            "crashes": s.crashes,
            "worker_deaths": self.worker_deaths,
            "reduced": self.reduced,
            "reductions_failed": len(self.reductions_failed),
            "reduction_failures": self.reductions_failed,
            "unreduced": self.unreduced,  # new findings left for `fuzz reduce ID`
            "features_off": dict(sorted(self.features_off.items())),  # learned: not generated
            "positions": {str(k): v for k, v in sorted(self.positions.items())},
            "engines": sorted({f"{e.name} {e.version}" for e in self.engines.values()}),
            "errors": self.errors,
            "notes": self.notes,
            "waiting": self.waiting,
            "failed": self.failed,
        }


class Job:
    def __init__(self, settings: JobSettings, store: Store, display: Display) -> None:
        self.settings = settings
        self.store = store
        self.display = display
        self._ctx = multiprocessing.get_context("spawn")
        self._events = self._ctx.Queue()
        self._stop = self._ctx.Event()
        self._procs: dict[int, BaseProcess] = {}
        self._restarts: dict[int, list[float]] = {}
        self._done: set[int] = set()
        self._fatal: dict[int, str] = {}  # workers that cannot open their engines, and why
        self._given_up: dict[int, str] = {}  # workers not restarted, and why
        self._last_error: dict[int, str] = {}
        self._unstarted: list[int] = []
        self._single: str | None = None  # the single-connection engines, as the worker said
        self._signals = 0
        self._start_time = 0.0
        self._stop_time: float | None = None  # when the workers were told to stop
        self._halt_time: float | None = None  # when they were told to stop at once
        #: what each engine release (name, version) did with the features, this run and before
        self._learned: dict[tuple[str, str], Evidence] = {}

    def run(
        self, first_states: dict[int, int] | None = None, resumed_from: int | None = None
    ) -> Summary:
        s = self.settings
        run_id = self.store.start_run(
            "fuzz run",
            oracles=s.oracles,
            seed=s.seed,
            settings={
                "targets": list(s.targets),  # the store redacts passwords
                "reference": s.reference,
                "shard": str(s.shard),
                "workers": s.workers,
                "timeout": s.timeout,
                "checks_per_state": s.checks_per_state,
                "dialect": s.dialect,
                "oracle_options": dict(s.oracle_options),
                "resumed_from": resumed_from,
            },
        )
        store = Path(self.store.path or "triage.db")
        # per store: stores that share a folder keep their runs' logs apart
        log_dir = store.parent / "logs" / store.stem / f"run-{run_id}"
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log_dir = log_dir
        self._reductions = (
            Reductions(Path(self.store.path), s.reduce_seconds, log_dir, s.timeout)
            if s.reduce_seconds and self.store.path
            else None
        )
        summary = Summary(run_id, 0.0, workers=s.workers)
        summary.positions = dict(first_states or {})
        self._start_time = time.monotonic()
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            # The first worker alone, until it says whether its server takes more connections.
            self._start(0, summary.positions.get(0, -1) + 1)
            self._unstarted = list(range(1, s.workers))
            self.display.start(summary)
            self._work(summary)
            self._finish_reductions(summary)
        except KeyboardInterrupt:
            summary.interrupted = True
            for proc in self._procs.values():  # at once, but with their scratch space dropped
                if proc.is_alive():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(proc.pid, HALT)
            if self._reductions is not None:
                self._reductions.stop()
        finally:
            self._stop.set()
            for proc in self._procs.values():
                proc.join(timeout=HALT_SECONDS)
                if proc.is_alive():
                    proc.kill()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self._reductions is not None:
                self._reductions.stop()  # only one that overran its time is still running
                summary.unreduced = self._reductions.left
                summary.account(self._reductions)
                if summary.unreduced and self._single:
                    summary.notes.append(
                        f"{summary.unreduced} findings left for `fuzz reduce ID`: {self._single}"
                        " serves one connection, so reductions wait for the workers"
                    )
            summary.waiting = None
            summary.elapsed = self._elapsed()
            for (name, version), evidence in self._learned.items():
                self.store.save_learned(name, version, evidence)
            self.store.finish_run(run_id, summary.counters())
            self.display.finish(summary)
        return summary

    def _elapsed(self) -> float:
        return time.monotonic() - self._start_time

    def _deadline(self) -> float | None:
        """The monotonic time by which everything must be over: --duration is a hard limit."""
        if self.settings.duration is None:
            return None
        return self._start_time + self.settings.duration + self._grace

    def _end(self) -> float | None:
        """The time reductions must be over by: the deadline, or soon after a stop signal."""
        ends = [self._deadline()]
        if self._signals and self._stop_time is not None:
            ends.append(self._stop_time + self._grace)
        return min((t for t in ends if t is not None), default=None)

    @property
    def _grace(self) -> float:
        """How long a stopped worker may take to finish its check: a few s, one statement."""
        return STOP_GRACE_SECONDS + self.settings.timeout

    def _work(self, summary: Summary) -> None:
        """Until the workers have stopped: events, restarts, reductions, the stop."""
        while self._live() or self._unstarted:
            self._drain(summary, timeout=0.2)
            summary.elapsed = self._elapsed()
            self._start_rest(summary)
            self._watch(summary)
            if self._stop_time is None and self._should_stop(summary):
                self._stop.set()
                self._stop_time = time.monotonic()
            if self._stop_time is not None:
                self._escalate(summary)
            if self._reductions is not None:
                self._reductions.poll(self._end())
                summary.account(self._reductions)
            self.display.update(summary)
        self._drain(summary, timeout=0)
        if not self._stop.is_set():  # the workers ended by themselves: none can go on
            reasons = "; ".join(dict.fromkeys([*self._given_up.values(), *self._fatal.values()]))
            summary.failed = f"all workers gave up: {reasons}" if self._given_up else reasons

    def _live(self) -> set[int]:
        return self._procs.keys() - self._done - self._fatal.keys() - self._given_up.keys()

    def _start_rest(self, summary: Summary) -> None:
        if not self._unstarted:
            return
        if 0 not in summary.engines and 0 in self._live() and not self._stop.is_set():
            return  # the first worker has not said yet
        if self._single is not None:
            summary.notes.append(f"{self._single} serves one connection: one worker, not "
                                 f"{self.settings.workers}")  # fmt: skip
            summary.workers = 1
        elif not self._stop.is_set():
            for worker in self._unstarted:
                self._start(worker, summary.positions.get(worker, -1) + 1)
        self._unstarted = []

    def _escalate(self, summary: Summary) -> None:
        """A stopped worker finishes its check; one that takes too long is halted, then killed."""
        now = time.monotonic()
        live = sorted(self._live())
        if not live:
            return
        assert self._stop_time is not None
        if self._halt_time is None:
            left = self._stop_time + self._grace - now
            if left > 0:
                names = ", ".join(str(w) for w in live)
                what = "its check" if len(live) == 1 else "their checks"
                summary.waiting = (
                    f"waiting for worker{'s' if len(live) > 1 else ''} {names} to finish "
                    f"{what} ({left:.0f} s left)"
                )
                return
            self._halt_time = now
            for worker in live:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._procs[worker].pid, HALT)
        left = self._halt_time + HALT_SECONDS - now
        if left > 0:
            summary.waiting = f"stopping worker {', '.join(map(str, live))} now ({left:.0f} s left)"
            return
        for worker in live:
            summary.errors.append(f"worker {worker} did not stop when halted; killed")
            self._procs[worker].kill()
            self._procs[worker].join()
            self._done.add(worker)
        summary.worker_deaths += len(live)

    def _finish_reductions(self, summary: Summary) -> None:
        """The workers have stopped: a reduction in progress may finish, within the time left.

        Reductions held back (a single-connection server) run now, while there is time;
        otherwise the pending ones are left for `fuzz reduce`.
        """
        reductions = self._reductions
        if reductions is None:
            return
        reductions.held = not self._single
        while reductions.running is not None or (self._single and reductions.pending):
            end = self._end()
            reductions.poll(end)
            summary.account(reductions)
            if reductions.running is None:
                break  # none could start in the time left
            if end is not None and time.monotonic() > end:
                reductions.stop()
                break
            summary.elapsed = self._elapsed()
            left = f" ({end - time.monotonic():.0f} s left)" if end is not None else ""
            n = 1 + (len(reductions.pending) if self._single else 0)
            summary.waiting = f"waiting for {n} reduction{'s' if n > 1 else ''}{left}"
            self.display.update(summary)
            time.sleep(0.2)
        summary.account(reductions)

    # -- workers -----------------------------------------------------------------------------

    def _start(self, worker: int, first_state: int) -> None:
        config = self.settings.worker_config(worker, self._log_dir)
        proc = self._ctx.Process(
            target=work,
            args=(config, worker, first_state, self._events, self._stop),
            name=f"sqlparity-worker-{worker}",
            daemon=True,
        )
        with _children_born_deaf():
            proc.start()
        self._procs[worker] = proc

    def _watch(self, summary: Summary) -> None:
        """Restart workers that died; a death under an in-process engine is a crash finding."""
        for worker, proc in list(self._procs.items()):
            if proc.is_alive() or worker not in self._live():
                continue
            proc.join()
            self._drain(summary, timeout=0)  # its last words: an error, a finding, its stats
            if worker not in self._live():
                continue  # it ended as it should have, just now
            if self._halt_time is not None:
                self._done.add(worker)  # halted: it ended as it was told to
                continue
            code = proc.exitcode
            summary.worker_deaths += 1
            engine = summary.engines.get(worker)
            if engine is not None and engine_fault(code):
                finding = crash_from_log(
                    log_path(self._log_dir, worker), engine, code, self.settings, worker
                )
                if finding is not None:
                    summary.stats.crashes += 1
                    self._record(finding, summary, worker)
            recent = [t for t in self._restarts.get(worker, []) if time.monotonic() - t < 60]
            why = describe(code) + (f": {self._last_error[worker]}" if worker in self._last_error
                                    else "")  # fmt: skip
            if self._stop.is_set():
                summary.errors.append(f"worker {worker} died ({why}); not restarted")
                self._given_up[worker] = summary.errors[-1]
                continue
            if len(recent) >= MAX_RESTARTS_PER_MINUTE:
                summary.errors.append(
                    f"worker {worker} died {len(recent) + 1} times in a minute ({why}); given up"
                )
                self._given_up[worker] = summary.errors[-1]
                continue
            self._restarts[worker] = [*recent, time.monotonic()]
            self._start(worker, summary.positions.get(worker, -1) + 1)

    def _drain(self, summary: Summary, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                kind, worker, payload = self._events.get(
                    timeout=max(0.0, deadline - time.monotonic())
                )
            except queue.Empty:
                return
            if kind == "stats":
                summary.stats.add(payload)
            elif kind == "finding":
                self._record(payload, summary, worker)
            elif kind == "state":
                summary.positions[worker] = payload
            elif kind == "engine":
                summary.engines[worker] = payload
                self._share(payload, summary)
            elif kind == "evidence":
                self._learn(worker, payload, summary)
            elif kind == "single-connection":
                self._single = payload
                if self._reductions is not None:
                    self._reductions.held = True
            elif kind == "error":
                if f"worker {worker}: {payload}" not in summary.errors:  # once, not per restart
                    summary.errors.append(f"worker {worker}: {payload}")
                self._last_error[worker] = payload
            elif kind == "fatal":
                summary.errors.append(payload)
                self._fatal[worker] = payload
            elif kind == "done":
                self._done.add(worker)

    # -- adaptive generation -----------------------------------------------------------------

    def _share(self, engine: EngineInfo, summary: Summary) -> None:
        """The learned table of a worker's engine release, from the store the first time."""
        key = (engine.name, engine.version)
        if key not in self._learned:
            self._learned[key] = self.store.learned(*key)
        self._publish(engine, summary)

    def _learn(self, worker: int, evidence: Evidence, summary: Summary) -> None:
        """Merge a worker's evidence; when a feature turns off, tell every worker and store it."""
        engine = summary.engines.get(worker)
        if engine is None:
            return
        learned = self._learned.setdefault((engine.name, engine.version), Evidence())
        before = frozenset(learned.off)
        learned.merge(evidence)
        if learned.decide() != before:
            self.store.save_learned(engine.name, engine.version, learned)
            self._publish(engine, summary)

    def _publish(self, engine: EngineInfo, summary: Summary) -> None:
        off = frozenset(self._learned[engine.name, engine.version].off)
        write_table(table_path(self._log_dir, engine), off)
        summary.features_off[f"{engine.name} {engine.version}"] = len(off)

    def _record(self, finding: Finding, summary: Summary, worker: int) -> None:
        recorded = self.store.record(finding, summary.run_id)
        summary.by_oracle[finding.oracle] += 1
        if not recorded.is_new:
            summary.findings_duplicate += 1
            return
        summary.findings_new += 1
        kind = oracle_class(finding.oracle)
        if self._reductions is None or kind.reduced:
            return
        target = self.settings.targets[worker % len(self.settings.targets)]
        # a crash is reduced beside the job only where its trials crash a host of their own
        if not kind.needs_restart or contained(EngineURL.parse(target)) is not None:
            self._reductions.add(recorded.finding_id, target, self.settings.reference)

    def _should_stop(self, summary: Summary) -> bool:
        s = self.settings
        if self._signals:
            return True
        if s.duration is not None and summary.elapsed >= s.duration:
            return True
        return s.max_checks is not None and summary.stats.checks >= s.max_checks

    def _on_signal(self, signum: int, frame: object) -> None:
        self._signals += 1
        if self._signals > 1:
            raise KeyboardInterrupt
        self._stop.set()
        self.display.note("stopping: finishing the checks in progress (Ctrl-C again to stop now)")
