"""The isolation oracle: do concurrent transactions keep the isolation level the engine claims?

Unlike the other oracles it runs its probe itself (`Oracle.run`), on several sessions of the
target at once: a probe is a schedule (`workload`) of tagged statements, which the scheduler
(`schedule`) hands to `--clients` sessions in the seed's order, around blocked clients. The
history read back from the outcomes goes to the checker (`checker`); an anomaly the expected
level (`--expect`, by default the `--isolation` the transactions ran at) forbids, and that no
isolation profile (`profile`) accepts, is a discrepancy.

A confirmed finding is the smallest cycle's transactions alone, with the table setup and the
final read, when that schedule shows the anomaly again; else the whole schedule.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from fuzzer.engines import Outcome
from oracles.base import Context, Discrepancy, Execute, Oracle, Probe
from oracles.finding import EngineInfo, Finding
from oracles.isolation import schedule, workload
from oracles.isolation.checker import ANOMALIES, Anomaly, Checker
from oracles.isolation.profile import IsolationProfile
from oracles.isolation.reduce import Shrinker
from oracles.isolation.workload import Drawer, Workload, tag_of

if TYPE_CHECKING:
    from fuzzer.engines import Engine
    from fuzzer.generator import Generator
    from fuzzer.reduce import Reduction
    from oracles.pipeline import Pipeline

_FULL, _CYCLE, _FINAL = "full", "cycle", "final"  # a probe's part in the follow-up chain


class Isolation(Oracle):
    name = "isolation"
    description = (
        "Transactions run concurrently on several sessions at one isolation level showed no "
        "anomaly that level forbids (dependency cycles G0, G1c, G-single, G2; aborted and "
        "intermediate reads; lost updates; a transaction not seeing its own writes)."
    )
    by_default = False
    reduced = True  # to the smallest cycle's transactions, by `follow_up`
    commented = True  # a statement's tag says its client, transaction and operation
    metered = False  # a schedule's clients wait on each other's locks: that is the check

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        workload.spelling(context.dialect)  # ValueError for a dialect it does not speak
        self.workload = Workload(
            clients=int(context.option("clients", 4)),
            level=context.option("isolation", "serializable"),
        )
        self.expect: str = context.option("expect") or self.workload.level
        self.profile = IsolationProfile.named(context.option("isolation_profile"))
        self.grace = float(context.option("grace", schedule.GRACE))

    @property
    def _accepted(self) -> frozenset[tuple[str, str | None]]:
        return self.profile.accepted(self.context.dialect, self.workload.level)

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        rng = random.Random(generator.rng.getrandbits(64))
        drawer = Drawer(self.context.dialect, self.workload, rng)
        queries = [*workload.setup(self.context.dialect, self.workload.keys), *drawer.schedule()]
        return [self._probe(queries, _FULL)]

    def _probe(self, queries: Sequence[str], part: str) -> Probe:
        """A schedule; its variant is its part in the follow-up chain (`about` is for trees:
        the session counts a tree's features in what the target accepts)."""
        return Probe(self.name, part, tuple(queries), (self.name,))

    def from_text(self, sql: str) -> list[Probe]:
        return []  # a schedule is a whole script: `fuzz check --history` checks recordings

    def run(self, probe: Probe, target: Engine, execute: Execute) -> list[Outcome] | None:
        session = workload.spelling(target.dialect).session
        clients = 1 + max((t.client for q in probe.queries if (t := tag_of(q))), default=0)
        return schedule.run(probe.queries, target, execute, clients, session, self.grace)

    def anomalies(self, probe: Probe, outcomes: Sequence[Outcome]) -> list[Anomaly]:
        """The anomalies of the probe's history that the expected level forbids."""
        self._history = schedule.history_of(probe.queries, outcomes)
        report = Checker(self._history).check()
        found = report.forbidden(self.expect, self._accepted)
        return sorted(found, key=lambda a: (ANOMALIES.index(a.kind), len(a.txns)))

    def follow_up(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Probe | None:
        """From the whole schedule, the smallest anomaly's transactions alone; when they do
        not show it again, the whole schedule once more."""
        found = self.anomalies(probe, outcomes)
        if probe.variant == _FULL and found:
            self._full = probe.queries  # the chain runs on, on this oracle, before any other
            return self._probe(_only(probe.queries, found[0].txns), _CYCLE)
        if probe.variant == _CYCLE and not found:
            return self._probe(self._full, _FINAL)
        return None

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        found = self.anomalies(probe, outcomes)
        if not found:
            return None
        kinds = sorted({a.kind for a in found}, key=ANOMALIES.index)
        self._found = found[0]
        return Discrepancy(
            expected=f"no anomaly {self.expect} forbids",
            actual=kinds[0],  # the first kind alone: a replay may show others beside it
            detail=f"{kinds[0]} under {self.workload.level}",
            variant=kinds[0],
        )

    def finding(
        self,
        probe: Probe,
        seen: Discrepancy,
        target: Engine,
        reference: Engine | None,
        setup: Sequence[str],
        reference_setup: Sequence[str] = (),
        **more: Any,
    ) -> Finding:
        anomaly = self._found
        shapes = self._shapes(probe, anomaly)
        extra = {**more.pop("extra", {}), "anomaly": str(anomaly), "expect": self.expect,
                 "isolation": self.workload.level, "clients": self.workload.clients,
                 # for `fuzz check --history`
                 "history": self._history.to_json()}  # fmt: skip
        return Finding(
            oracle=self.name,
            variant=anomaly.kind,
            engine=EngineInfo.of(target),
            setup=(),  # the schedule builds its own tables: the generated state is no part of it
            queries=probe.queries,
            expected=seen.expected,
            actual=str(anomaly),
            features=(f"isolation:{self.workload.level}", *shapes),
            title=f"isolation {anomaly.kind} under {self.workload.level} on {target.name}",
            extra=extra,
            **more,
        )

    def _shapes(self, probe: Probe, anomaly: Anomaly) -> list[str]:
        """The shapes of the statements by which the anomaly's transactions touched its keys
        (all their statements' for an anomaly without a cycle): the finding's features."""
        keys = {s.key for s in anomaly.cycle}
        txns = {t.id: t for t in self._history.txns}
        picked = {
            op.statement for tid in anomaly.txns for op in txns[tid].ops
            if op.statement is not None and (not keys or op.key in keys)
        }  # fmt: skip
        return sorted({_shape(probe.queries[n]) for n in picked})

    def replay(self, finding: Finding, engine: Engine, pipeline: Pipeline) -> bool | None:
        """Replayed against the level the finding was checked against, with this profile."""
        again = self._as_checked(finding, engine.dialect)
        return pipeline.reproduces(again, again.stored_probe(finding), finding.setup)

    def _as_checked(self, finding: Finding | None, dialect: str) -> Isolation:
        """This oracle at the level and expectation `finding` was checked at (these options
        without one)."""
        options = dict(self.context.options)
        if finding is not None:
            options.update(isolation=finding.extra.get("isolation", self.workload.level),
                           expect=finding.extra.get("expect", self.expect))  # fmt: skip
        return Isolation(Context(dialect, options=tuple(options.items())))

    def reduce(
        self,
        statements: Sequence[str],
        target: Engine,
        like: Finding | None = None,
        max_time: float | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Reduction | None:
        """Fewer transactions, then fewer operations (`reduce.Shrinker`), while a replay on
        `target` shows the same first anomaly; then the confirmed finding of what is left.
        A stored finding's case is its schedule."""
        from fuzzer.reduce import NotInteresting, Reduction, Stats
        from fuzzer.reduce.reducer import count_tokens, script_text
        from oracles.pipeline import Pipeline, Setup

        began = time.monotonic()
        oracle = self._as_checked(like, target.dialect)
        pipeline = Pipeline(target)

        def first(queries: Sequence[str]) -> str | None:
            target.reset()
            seen = pipeline.run(oracle, oracle._probe(queries, _FINAL))
            return seen.variant if seen is not None else None

        if like is not None:
            statements = like.queries
        kind = like.variant if like is not None else first(statements)
        if kind is None:
            raise NotInteresting(f"no anomaly {oracle.expect} forbids")
        shrinker = Shrinker(lambda queries: first(queries) == kind, max_time, progress=progress)
        reduced = shrinker.shrink(statements)
        if reduced is None:
            raise NotInteresting(f"no {kind} under {oracle.workload.level}")
        target.reset()
        checked = pipeline.check(oracle, oracle._probe(reduced, _FINAL), Setup([]))
        stats = Stats(
            statements_before=len(statements), statements_after=len(reduced),
            tokens_before=count_tokens(statements), tokens_after=count_tokens(reduced),
            bytes_before=len(script_text(statements)), bytes_after=len(script_text(reduced)),
            trials=shrinker.trials, cached=shrinker.cached, timed_out=shrinker.timed_out,
            seconds=time.monotonic() - began,
        )  # fmt: skip
        return Reduction(reduced, stats, checked.finding)

    def stored_probe(self, finding: Finding) -> Probe:
        return self._probe(finding.queries, _FINAL)


def _only(queries: Sequence[str], txns: Sequence[int]) -> list[str]:
    """The setup, the statements of `txns`, and the final read (the last transaction)."""
    last = max((t.txn for q in queries if (t := tag_of(q)) is not None), default=0)
    keep = {*txns, last}
    return [q for q in queries if (t := tag_of(q)) is None or t.txn in keep]


def _shape(statement: str) -> str:
    """What a statement does, literal-free: its operation and how it locks or selects."""
    tag = tag_of(statement)
    assert tag is not None
    upper = statement.upper()
    how = next((w for w, s in (("for-update", "FOR UPDATE"), ("for-share", "FOR SHARE"),
                               ("for-share", "LOCK IN SHARE MODE"), ("range", "BETWEEN"))
                if s in upper), "")  # fmt: skip
    return f"{tag.what}:{how}" if how else tag.what
