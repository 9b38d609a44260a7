"""Reduction of an isolation finding: fewer transactions, then fewer operations, same anomaly.

A schedule is its setup (untagged), its transactions and the final read. The generic reducer
edits statements and tokens, which would break the tags a schedule is read back by; this one
knows the schedule's parts. It drops whole transactions first (ddmin over them; the final
read stays, it fixes every version order), then the operations of those left (their begin
and commit stay), and again until neither shrinks. A candidate is kept when replaying it on
the engine (`shows`) shows the same anomaly; the scheduler's timing around blocked clients
is the engine's, so the smallest candidates are replayed again (`rechecks`) and the
reduction steps back from one that does not show it every time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fuzzer.reduce.ddmin import ddmin
from oracles.isolation.workload import tag_of

#: the statements of a transaction that are no operation of it
_FRAME = ("begin", "commit")


class _OutOfTime(Exception):
    pass


@dataclass
class Shrinker:
    """Shrinks one schedule against `shows`, within `max_time` seconds."""

    shows: Callable[[list[str]], bool]
    max_time: float | None = None
    rechecks: int = 3
    progress: Callable[[str], None] | None = None
    trials: int = 0
    cached: int = 0
    timed_out: bool = False
    _cache: dict[tuple[str, ...], bool] = field(default_factory=dict)
    _accepted: list[list[str]] = field(default_factory=list)

    def shrink(self, queries: Sequence[str]) -> list[str] | None:
        """The smallest schedule that shows the anomaly on every re-check; None when the
        schedule does not show it at the start."""
        deadline = float("inf") if self.max_time is None else time.monotonic() + self.max_time
        self._deadline = deadline
        current = list(queries)
        if not self._try(current):
            return None
        try:
            while True:
                before = current
                current = self._transactions(current)
                current = self._operations(current)
                self._note(f"{_count(current)} transactions, {len(current)} statements")
                if current == before:
                    break
        except _OutOfTime:
            self.timed_out = True
        for candidate in reversed(self._accepted):
            if all(self.shows(candidate) for _ in range(self.rechecks)):
                return candidate
            self._note("a smaller schedule did not show the anomaly again; stepping back")
        return list(queries)

    def _transactions(self, queries: list[str]) -> list[str]:
        last = _final(queries)
        txns = list(dict.fromkeys(t.txn for q in queries if (t := tag_of(q)) and t.txn != last))

        def keep(chosen: list[int]) -> list[str]:
            kept = {*chosen, last}
            return [q for q in queries if (t := tag_of(q)) is None or t.txn in kept]

        return keep(ddmin(txns, lambda chosen: self._try(keep(chosen)))) if txns else queries

    def _operations(self, queries: list[str]) -> list[str]:
        last = _final(queries)
        ops = [n for n, q in enumerate(queries)
               if (t := tag_of(q)) and t.txn != last and t.what not in _FRAME]  # fmt: skip

        def keep(chosen: list[int]) -> list[str]:
            gone = set(ops) - set(chosen)
            return [q for n, q in enumerate(queries) if n not in gone]

        return keep(ddmin(ops, lambda chosen: self._try(keep(chosen)))) if ops else queries

    def _try(self, queries: list[str]) -> bool:
        key = tuple(queries)
        if key in self._cache:
            self.cached += 1
            return self._cache[key]
        if time.monotonic() > self._deadline:
            raise _OutOfTime
        self.trials += 1
        shown = self._cache[key] = self.shows(queries)
        if shown:
            self._accepted.append(queries)
        return shown

    def _note(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)


def _final(queries: Sequence[str]) -> int:
    """The final read's transaction: the last one."""
    return max((t.txn for q in queries if (t := tag_of(q)) is not None), default=0)


def _count(queries: Sequence[str]) -> int:
    return len({t.txn for q in queries if (t := tag_of(q)) is not None})
