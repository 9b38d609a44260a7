"""Two histories of one schedule compared: the target's and the reference's.

With `--reference`, the same schedule (drawn from one seed, spelled per dialect) runs on both
engines. Which transactions committed, what each committed transaction read and the SQLSTATE
of each failure are compared. None of it is a finding alone: any engine may abort any
transaction, and when a snapshot is taken is the engine's to define. What it tells is

- a target that aborts what the reference committed (`ABORTS_MORE`, as optimistic engines
  do): a variant of its own, which an isolation profile may accept;
- a target that commits what the reference aborted: when the target's history then shows an
  anomaly the level forbids, the finding says which of its transactions the reference had to
  abort, and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oracles.isolation.history import FAIL, OK, READ, History

#: the variant of a target that aborted transactions the reference committed
ABORTS_MORE = "aborts-more"


@dataclass(frozen=True)
class Comparison:
    """Where the target's history departs from the reference's, transaction by transaction."""

    #: (transaction, the target's SQLSTATE): aborted on the target, committed on the reference
    aborted_more: tuple[tuple[int, str | None], ...] = ()
    #: (transaction, the reference's SQLSTATE): committed on the target, aborted on the reference
    committed_more: tuple[tuple[int, str | None], ...] = ()
    #: (transaction, the target's SQLSTATE, the reference's): aborted on both, differently
    sqlstates: tuple[tuple[int, str | None, str | None], ...] = ()
    #: (transaction, key, what the target read, what the reference read): committed on both
    reads: tuple[tuple[int, str, Any, Any], ...] = ()

    def to_json(self) -> dict[str, list]:
        return {
            "aborted_more": [list(x) for x in self.aborted_more],
            "committed_more": [list(x) for x in self.committed_more],
            "sqlstates": [list(x) for x in self.sqlstates],
            "reads": [[t, k, _plain(a), _plain(b)] for t, k, a, b in self.reads],
        }

    def aborted_by_reference(self, txns: tuple[int, ...]) -> list[str]:
        """Those of `txns` the target committed and the reference aborted, with its SQLSTATE."""
        return [f"T{t} ({state})" for t, state in self.committed_more if t in txns]


def compare(target: History, reference: History) -> Comparison:
    theirs = {t.id: t for t in reference.txns}
    aborted, committed, states, reads = [], [], [], []
    for txn in target.txns:
        other = theirs.get(txn.id)
        if other is None:
            continue
        if txn.status == FAIL and other.status == OK:
            aborted.append((txn.id, txn.sqlstate))
        elif txn.status == OK and other.status == FAIL:
            committed.append((txn.id, other.sqlstate))
        elif txn.status == FAIL and other.status == FAIL and txn.sqlstate != other.sqlstate:
            states.append((txn.id, txn.sqlstate, other.sqlstate))
        elif txn.status == OK and other.status == OK:
            mine = [(op.key, op.value) for op in txn.ops if op.f == READ]
            seen = [(op.key, op.value) for op in other.ops if op.f == READ]
            for (key, a), (_, b) in zip(mine, seen, strict=False):
                if a != b:
                    reads.append((txn.id, key, a, b))
    return Comparison(tuple(aborted), tuple(committed), tuple(states), tuple(reads))


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
