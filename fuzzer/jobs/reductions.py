"""New findings of a running job, reduced one at a time beside it.

The reducer runs engines, so it never runs in the coordinator: each reduction is a
`fuzz reduce FINDING_ID` process, bounded in time, that saves its result in the store. Engine
URLs reach it through the environment, never the command line, where other users could read
a password. A reduction never outlives the job: it gets only the time left before the job's
deadline (none starts that could not finish), it is stopped if it overruns, and on Linux the
kernel kills it when the coordinator dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from fuzzer.jobs.lifeline import bind_subprocess

#: The least time worth giving a reduction; with less left, the finding waits for `fuzz reduce`.
MIN_SECONDS = 5.0
#: What a reducer needs beyond its --max-time: starting up, and the candidate in progress.
OVERHEAD_SECONDS = 3.0
#: How long a reducer told to stop (SIGINT: it closes its engines) has before it is killed.
STOP_SECONDS = 3.0


@dataclass(frozen=True)
class Pending:
    finding_id: int
    target: str
    reference: str | None


@dataclass(frozen=True)
class Failed:
    """A reduction that ended without a reduced case, and the reducer's last word on why."""

    finding_id: int
    reason: str


class Reductions:
    def __init__(self, store: Path, seconds: float, log_dir: Path, timeout: float) -> None:
        self.store = store
        self.seconds = seconds
        self.log_dir = log_dir
        self.timeout = timeout  # the job's statement timeout: a candidate can take that long
        self.pending: deque[Pending] = deque()
        self.running: subprocess.Popen[bytes] | None = None
        self._running_id: int | None = None
        self.succeeded = 0
        self.failed: list[Failed] = []
        self.stopped = 0  # cut short by the job's end: left for `fuzz reduce ID`
        #: When set, reductions may not run beside the workers (a single-connection server).
        self.held = False
        self._ends: float | None = None  # monotonic time the running one must be done by

    def add(self, finding_id: int, target: str, reference: str | None) -> None:
        self.pending.append(Pending(finding_id, target, reference))

    def poll(self, deadline: float | None) -> None:
        """Note a finished reduction; start the next one if it can finish by `deadline`."""
        if self.running is not None and self.running.poll() is not None:
            self._finished(self.running.returncode)
        if self.running is not None and self._ends is not None and time.monotonic() > self._ends:
            self.stop()
            return
        if self.running is None and self.pending and not self.held:
            seconds = self.seconds
            if deadline is not None:
                seconds = min(seconds, deadline - time.monotonic() - self._overhead)
            if seconds >= MIN_SECONDS:
                self._start(self.pending.popleft(), seconds)

    def stop(self) -> None:
        """Stop the running reduction (it closes its engines, or is killed): it is not done."""
        if self.running is None:
            return
        self.running.send_signal(signal.SIGINT)
        try:
            self.running.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.running.kill()
            self.running.wait()
        self.running = self._running_id = None
        self.stopped += 1

    def _finished(self, returncode: int) -> None:
        finding_id = self._running_id
        assert finding_id is not None
        self.running = self._running_id = None
        if returncode == 0:
            self.succeeded += 1
            return
        lines = self._log(finding_id).read_text(errors="replace").strip().splitlines()
        reason = lines[-1].removeprefix("fuzz: error: ") if lines else f"exit {returncode}"
        self.failed.append(Failed(finding_id, reason))

    def _log(self, finding_id: int) -> Path:
        return self.log_dir / f"reduce-{finding_id}.log"

    @property
    def left(self) -> int:
        """Findings left for `fuzz reduce ID`."""
        return len(self.pending) + (self.running is not None) + self.stopped

    @property
    def _overhead(self) -> float:
        return OVERHEAD_SECONDS + self.timeout

    def _start(self, job: Pending, seconds: float) -> None:
        env = {**os.environ, "SQLPARITY_TARGET": job.target}
        if job.reference:
            env["SQLPARITY_REFERENCE"] = job.reference
        log = self._log(job.finding_id).open("wb")
        self.running = subprocess.Popen(
            [sys.executable, "-m", "fuzzer", "reduce", str(job.finding_id),
             "--store", str(self.store), "--max-time", f"{seconds:.1f}", "--json",
             "-o", str(self.log_dir / f"finding-{job.finding_id}.reduced.sql")],
            env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=bind_subprocess(),
        )  # fmt: skip
        log.close()
        self._running_id = job.finding_id
        self._ends = time.monotonic() + seconds + self._overhead
