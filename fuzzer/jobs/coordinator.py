"""The coordinator of a fuzzing job: workers, the triage store, the display, stopping.

It never opens an engine itself. Workers send counters and confirmed findings over a queue;
the coordinator is the only writer to the triage store for its job, restarts a worker that
died (turning its statement log into a crash finding first), and stops the job cleanly on
Ctrl-C or SIGTERM: the checks in progress finish, everything is written, the summary printed.
A second Ctrl-C stops at once; the store stays consistent, since every write is a transaction.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from fuzzer.jobs.crash import crash_from_log, engine_fault
from fuzzer.jobs.display import Display
from fuzzer.jobs.reductions import Reductions
from fuzzer.jobs.seeds import Shard
from fuzzer.jobs.session import Stats
from fuzzer.jobs.worker import WorkerConfig, log_path, work
from oracles.differential import Profile
from oracles.finding import EngineInfo, Finding
from triage.store import Store

#: A worker that dies more often than this within a minute is given up on.
MAX_RESTARTS_PER_MINUTE = 5


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
    reduced: int = 0
    unreduced: int = 0
    interrupted: bool = False

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
            "engine_time_share": round(s.engine_time / (t * self.workers), 3),
            "states": s.states,
            "skipped": s.skipped,
            "findings_new": self.findings_new,
            "findings_duplicate": self.findings_duplicate,
            "findings_by_oracle": dict(self.by_oracle),
            "crashes": s.crashes,
            "reduced": self.reduced,
            "unreduced": self.unreduced,  # new findings left for `fuzz reduce ID`
            "positions": {str(k): v for k, v in sorted(self.positions.items())},
            "engines": sorted({f"{e.name} {e.version}" for e in self.engines.values()}),
            "errors": self.errors,
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
        self._fatal: set[int] = set()
        self._signals = 0

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
                "resumed_from": resumed_from,
            },
        )
        log_dir = Path(self.store.path or ".").parent / "logs" / f"run-{run_id}"
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log_dir = log_dir
        self._reductions = (
            Reductions(Path(self.store.path), s.reduce_seconds, log_dir)
            if s.reduce_seconds and self.store.path
            else None
        )
        summary = Summary(run_id, 0.0, workers=s.workers)
        summary.positions = dict(first_states or {})
        start = time.monotonic()
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for worker in range(s.workers):
                self._start(worker, summary.positions.get(worker, -1) + 1)
            self.display.start(summary)
            while self._procs.keys() - self._done - self._fatal:
                self._drain(summary, timeout=0.2)
                summary.elapsed = time.monotonic() - start
                self._watch(summary)
                if self._reductions is not None:
                    self._reductions.poll()
                    summary.reduced = self._reductions.done
                if self._should_stop(summary):
                    self._stop.set()
                self.display.update(summary)
            self._drain(summary, timeout=0)
        except KeyboardInterrupt:
            summary.interrupted = True
            for proc in self._procs.values():
                proc.kill()
        finally:
            self._stop.set()
            for proc in self._procs.values():
                proc.join(timeout=2 * s.timeout + 5)
                if proc.is_alive():
                    proc.kill()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self._reductions is not None and not summary.interrupted:
                summary.unreduced = self._reductions.finish()
                summary.reduced = self._reductions.done
            summary.elapsed = time.monotonic() - start
            self.store.finish_run(run_id, summary.counters())
            self.display.finish(summary)
        return summary

    # -- workers -----------------------------------------------------------------------------

    def _start(self, worker: int, first_state: int) -> None:
        config = self.settings.worker_config(worker, self._log_dir)
        proc = self._ctx.Process(
            target=work,
            args=(config, worker, first_state, self._events, self._stop),
            name=f"sqlparity-worker-{worker}",
            daemon=True,
        )
        proc.start()
        self._procs[worker] = proc

    def _watch(self, summary: Summary) -> None:
        """Restart workers that died; a death under an in-process engine is a crash finding."""
        for worker, proc in list(self._procs.items()):
            if proc.is_alive() or worker in self._done or worker in self._fatal:
                continue
            proc.join()
            code = proc.exitcode
            engine = summary.engines.get(worker)
            if engine is not None and engine_fault(code):
                finding = crash_from_log(
                    log_path(self._log_dir, worker), engine, code, self.settings, worker
                )
                if finding is not None:
                    summary.stats.crashes += 1
                    self._record(finding, summary, worker)
            recent = [t for t in self._restarts.get(worker, []) if time.monotonic() - t < 60]
            if self._stop.is_set() or len(recent) >= MAX_RESTARTS_PER_MINUTE:
                summary.errors.append(f"worker {worker} died (exit {code}); not restarted")
                self._done.add(worker)
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
            elif kind == "error":
                summary.errors.append(f"worker {worker}: {payload}")
            elif kind == "fatal":
                summary.errors.append(payload)
                self._fatal.add(worker)
            elif kind == "done":
                self._done.add(worker)

    def _record(self, finding: Finding, summary: Summary, worker: int) -> None:
        recorded = self.store.record(finding, summary.run_id)
        summary.by_oracle[finding.oracle] += 1
        if not recorded.is_new:
            summary.findings_duplicate += 1
            return
        summary.findings_new += 1
        if self._reductions is not None and finding.oracle != "crash":
            target = self.settings.targets[worker % len(self.settings.targets)]
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
