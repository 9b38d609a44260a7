"""The checking pipeline: run a probe, judge it, confirm it by replay, make the finding.

`fuzz run`, `fuzz check`, the reducer and `triage recheck` all check through here, so that an
oracle is judged and confirmed the same way whoever asks. A candidate finding is only reported
once it reproduces: the scratch space is emptied, the setup script replayed from nothing, and
the probe run and judged again, on every engine the oracle uses. The same discrepancy must
come back; anything else (a flaky timeout, state left by an earlier statement, an engine that
answers differently twice) is dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fuzzer.engines import Engine, Outcome
from oracles import UnknownOracle, oracle_class
from oracles.base import Context, Discrepancy, Oracle, Probe, Skip
from oracles.finding import Finding


@dataclass(frozen=True)
class Setup:
    """The statements that build a state, spelled for the target and for the reference."""

    target: Sequence[str]
    reference: Sequence[str] = ()


@dataclass(frozen=True)
class Checked:
    """How one probe went."""

    judged: bool  # False: its outcomes could not be judged (`Skip`)
    #: when not judged: the first failed outcome on each engine, the target's first
    failures: tuple[tuple[Engine, Outcome], ...] = ()
    finding: Finding | None = None  # a confirmed finding
    #: judged, and its query had rows (`Oracle.returned_rows`): a counter, not the verdict
    nonempty: bool = field(default=False, compare=False)


Execute = Callable[[Engine, str], Outcome]
#: statements run in order, as one batch where the engine can (see Engine.execute_many)
ExecuteAll = Callable[[Engine, Sequence[str]], list[Outcome]]
#: rebuild a state from an empty scratch space; True: on the reference too
Rebuild = Callable[[Setup, bool], None]


def _execute(engine: Engine, sql: str) -> Outcome:
    return engine.execute(sql)


@dataclass
class Pipeline:
    """Checks probes on a target (and a reference). A job passes its own `execute` and
    `rebuild`, which log statements, count them and notice a dying engine."""

    target: Engine
    reference: Engine | None = None
    confirmations: int = 2
    execute: Execute = _execute
    execute_all: ExecuteAll | None = None
    rebuild: Rebuild | None = None
    _rebuild: Rebuild = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rebuild = self.rebuild or self._from_scratch

    def _from_scratch(self, setup: Setup, with_reference: bool) -> None:
        pairs = [(self.target, setup.target)]
        if with_reference and self.reference is not None:
            pairs.append((self.reference, setup.reference))
        for engine, statements in pairs:
            engine.reset()
            self._all(engine, statements)

    def _all(self, engine: Engine, statements: Sequence[str]) -> list[Outcome]:
        if self.execute_all is not None:
            return self.execute_all(engine, statements)
        return [self.execute(engine, s) for s in statements]

    def outcomes(
        self, oracle: Oracle, probe: Probe, recall: dict[str, Outcome] | None = None
    ) -> tuple[list[Outcome], list[Outcome]]:
        """The probe's outcomes on the target, and on the reference (first) if it needs one.

        `recall`: the outcomes of queries that ran on the target's state as it is; for an
        oracle whose probes only read (`Oracle.reads_only`), those are not run again and the
        new ones are added."""
        reference: list[Outcome] = []
        if oracle.needs_reference:
            assert self.reference is not None, f"the {oracle.name} oracle needs a reference"
            mirrored = dataclasses.replace(probe, queries=probe.reference_queries)
            ran = oracle.run(mirrored, self.reference, self.execute)
            reference = self._all(self.reference, mirrored.queries) if ran is None else ran
        own = oracle.run(probe, self.target, self.execute)
        if own is not None:
            return own, reference
        if recall is not None and oracle.reads_only and not oracle.skips_failures:
            new = list(dict.fromkeys(q for q in probe.queries if q not in recall))
            recall.update(zip(new, self._all(self.target, new), strict=True))
            return [recall[q] for q in probe.queries], reference
        if not oracle.skips_failures:
            return self._all(self.target, probe.queries), reference
        # one at a time: the queries after a failure are not run
        known = recall if recall is not None and oracle.reads_only else None
        target: list[Outcome] = []
        for query in probe.queries:
            if known is None:
                target.append(self.execute(self.target, query))
            else:
                if query not in known:
                    known[query] = self.execute(self.target, query)
                target.append(known[query])
            if not target[-1].ok:
                break
        return target, reference

    def run(self, oracle: Oracle, probe: Probe) -> Discrepancy | None:
        """Execute a probe and judge it; raises Skip when it cannot be judged."""
        return oracle.judge(probe, *self.outcomes(oracle, probe))

    def check(self, oracle: Oracle, probe: Probe, setup: Setup,
              recall: dict[str, Outcome] | None = None, **more: Any) -> Checked:  # fmt: skip
        """Run, judge and confirm `probe` on the state `setup` built; `more` goes to the
        finding (seed, position, extra). `recall`: see `outcomes` (a confirmation runs every
        query again, from scratch)."""
        target, reference = self.outcomes(oracle, probe, recall)
        try:
            # an oracle may build the probe to judge from this one's results
            while (after := oracle.follow_up(probe, target, reference)) is not None:
                probe = after
                target, reference = self.outcomes(oracle, probe, recall)
            seen = oracle.judge(probe, target, reference)
        except Skip:
            # A skip for a reason of the oracle's (NaN, one row expected) is not a failed
            # statement; the first failed query on each engine is the one to name.
            failures = []
            for engine, outcomes in ((self.target, target), (self.reference, reference)):
                failed = next((o for o in outcomes if not o.ok), None)
                if engine is not None and failed is not None:
                    failures.append((engine, failed))
            return Checked(False, tuple(failures))
        nonempty = oracle.returned_rows(probe, target)
        if seen is None or not self.confirm(oracle, probe, setup, seen):
            return Checked(True, nonempty=nonempty)
        found = oracle.finding(
            probe, seen, self.target, self.reference, setup.target, setup.reference, **more
        )
        return Checked(True, finding=found, nonempty=nonempty)

    def confirm(self, oracle: Oracle, probe: Probe, setup: Setup, seen: Discrepancy) -> bool:
        """True when the probe shows the same discrepancy again, each time from scratch."""
        for _ in range(self.confirmations):
            self._rebuild(setup, oracle.needs_reference)
            try:
                again = self.run(oracle, probe)
            except Skip:
                return False
            if not oracle.confirms(seen, again):
                return False
        return True

    def reproduces(self, oracle: Oracle, probe: Probe, setup: Sequence[str]) -> bool | None:
        """Does the probe show a discrepancy on the state `setup` builds from nothing?

        None when that cannot be told: a query of the probe fails on this engine, say.
        """
        self._rebuild(Setup(setup), False)
        try:
            return self.run(oracle, probe) is not None
        except Skip:
            return None


def replay(finding: Finding, engine: Engine) -> bool | None:
    """Does a stored finding still reproduce on this engine? (`triage recheck`'s question)

    None when that cannot be told: an oracle that needs a second engine, or that is not
    installed here, or a replay that cannot be judged.
    """
    try:
        oracle = oracle_class(finding.oracle)(Context(engine.dialect))
    except UnknownOracle:
        return None
    return oracle.replay(finding, engine, Pipeline(engine))
