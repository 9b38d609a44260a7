"""New findings of a running job, reduced one at a time beside it.

The reducer runs engines, so it never runs in the coordinator: each reduction is a
`fuzz reduce FINDING_ID` process, bounded in time, that saves its result in the store. Engine
URLs reach it through the environment, never the command line, where other users could read
a password.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pending:
    finding_id: int
    target: str
    reference: str | None


class Reductions:
    def __init__(self, store: Path, seconds: float, log_dir: Path) -> None:
        self.store = store
        self.seconds = seconds
        self.log_dir = log_dir
        self.pending: deque[Pending] = deque()
        self.running: subprocess.Popen[bytes] | None = None
        self.done = 0

    def add(self, finding_id: int, target: str, reference: str | None) -> None:
        self.pending.append(Pending(finding_id, target, reference))
        self.poll()

    def poll(self) -> None:
        if self.running is not None and self.running.poll() is not None:
            self.running = None
            self.done += 1
        if self.running is None and self.pending:
            self._start(self.pending.popleft())

    def _start(self, job: Pending) -> None:
        env = {**os.environ, "SQLPARITY_TARGET": job.target}
        if job.reference:
            env["SQLPARITY_REFERENCE"] = job.reference
        log = (self.log_dir / f"reduce-{job.finding_id}.log").open("wb")
        self.running = subprocess.Popen(
            [sys.executable, "-m", "fuzzer", "reduce", str(job.finding_id),
             "--store", str(self.store), "--max-time", str(self.seconds), "--json",
             "-o", str(self.log_dir / f"finding-{job.finding_id}.reduced.sql")],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()

    def finish(self) -> int:
        """Let the running reduction end (it is bounded); leave the rest for `fuzz reduce`."""
        if self.running is not None:
            try:
                self.running.wait(timeout=self.seconds + 60)
                self.done += 1
            except subprocess.TimeoutExpired:
                self.running.kill()
        return len(self.pending)
