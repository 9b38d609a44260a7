"""The isolation oracle: do concurrent transactions keep the isolation level the engine claims?

Unlike the other oracles it runs its probe itself (`Oracle.run`), on several sessions of the
target at once: a probe is a schedule (`workload`) of tagged statements, which the scheduler
(`schedule`) hands to `--clients` sessions in the seed's order, around blocked clients. The
history read back from the outcomes goes to the checker (`checker`); an anomaly the expected
level (`--expect`, by default the `--isolation` the transactions ran at) forbids, and that no
isolation profile (`profile`) accepts, is a discrepancy.

A confirmed finding is the smallest cycle's transactions alone, with the table setup and the
final read, when that schedule shows the anomaly again; else the whole schedule.

With a reference engine (differential mode) the same schedule, drawn from the same seed and
spelled for the reference's dialect at `--reference-isolation` (by default the same level),
runs on the reference too, and the two histories are compared (`differ`): a target that
aborts what the reference committed is the variant `aborts-more`; an anomaly's finding says
which of its transactions the reference aborted.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from fuzzer.engines import Outcome
from oracles.base import Context, Discrepancy, Execute, Oracle, Probe
from oracles.finding import EngineInfo, Finding
from oracles.isolation import schedule, workload
from oracles.isolation.checker import ANOMALIES, Anomaly, Checker
from oracles.isolation.differ import ABORTS_MORE, Comparison, compare
from oracles.isolation.profile import IsolationProfile
from oracles.isolation.reduce import Shrinker
from oracles.isolation.workload import Workload, tag_of

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
    own_tables = True  # a schedule drops and creates its own two tables

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        workload.spelling(context.dialect)  # ValueError for a dialect it does not speak
        self.workload = Workload(
            clients=int(context.option("clients", 4)),
            level=context.option("isolation", "serializable"),
        )
        self.expect: str = context.option("expect") or self.workload.level
        #: differential mode: the same schedule on the reference too
        self.needs_reference = context.reference is not None  # type: ignore[misc]
        if context.reference is not None:
            workload.spelling(context.reference)
        self.reference_workload = dataclasses.replace(
            self.workload, level=context.option("reference_isolation") or self.workload.level
        )
        self._compared = Comparison()
        self._found: Anomaly | None = None
        self.profile = IsolationProfile.named(context.option("isolation_profile"))
        self.grace = float(context.option("grace", schedule.GRACE))
        #: clients without the interleaving controller, for throughput
        self.free = bool(context.option("free_running", False))

    @property
    def _accepted(self) -> frozenset[tuple[str, str | None]]:
        return self.profile.accepted(self.context.dialect, self.workload.level)

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        seed = generator.rng.getrandbits(64)
        queries = workload.draw(self.context.dialect, self.workload, seed)
        mirrored = []
        if self.context.reference is not None:  # one seed, one schedule: spelled for each
            mirrored = workload.draw(self.context.reference, self.reference_workload, seed)
        return [self._probe(queries, _FULL, mirrored)]

    def _probe(self, queries: Sequence[str], part: str, mirrored: Sequence[str] = ()) -> Probe:
        """A schedule (and the same for the reference); its variant is its part in the
        follow-up chain (`about` is for trees: the session counts a tree's features in what
        the target accepts)."""
        return Probe(self.name, part, tuple(queries), (self.name,),
                     reference_queries=tuple(mirrored))  # fmt: skip

    def from_text(self, sql: str) -> list[Probe]:
        return []  # a schedule is a whole script: `fuzz check --history` checks recordings

    def run(self, probe: Probe, target: Engine, execute: Execute) -> list[Outcome] | None:
        session = workload.spelling(target.dialect).session
        clients = 1 + max((t.client for q in probe.queries if (t := tag_of(q))), default=0)
        return schedule.run(probe.queries, target, execute, clients, session, self.grace,
                            self.free)  # fmt: skip

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
            self._full = probe  # the chain runs on, on this oracle, before any other
            txns = found[0].txns
            return self._probe(_only(probe.queries, txns), _CYCLE,
                               _only(probe.reference_queries, txns))  # fmt: skip
        if probe.variant == _CYCLE and not found:
            return self._probe(self._full.queries, _FINAL, self._full.reference_queries)
        return None

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        found = self.anomalies(probe, outcomes)
        self._compared = Comparison()
        if reference:
            theirs = schedule.history_of(probe.reference_queries, reference)
            self._compared = compare(self._history, theirs)
        if not found:
            return self._aborts_more()
        kinds = sorted({a.kind for a in found}, key=ANOMALIES.index)
        self._found = found[0]
        return Discrepancy(
            expected=f"no anomaly {self.expect} forbids",
            actual=kinds[0],  # the first kind alone: a replay may show others beside it
            detail=f"{kinds[0]} under {self.workload.level}",
            variant=kinds[0],
        )

    def _aborts_more(self) -> Discrepancy | None:
        """The target aborted transactions the reference committed, unless a profile
        accepts that of it."""
        aborted = self._compared.aborted_more
        if not aborted or (ABORTS_MORE, None) in self._accepted:
            return None
        self._found = None
        return Discrepancy(
            expected="the transactions the reference committed, committed",
            actual=[f"T{t} ({state})" for t, state in aborted],
            detail=f"{ABORTS_MORE} under {self.workload.level}",
            variant=ABORTS_MORE,
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
        if anomaly is not None:
            variant, actual = anomaly.kind, str(anomaly)
            txns, keys = anomaly.txns, {s.key for s in anomaly.cycle}
            aborted = self._compared.aborted_by_reference(txns)
            if aborted:
                actual += f"; the reference aborted {', '.join(aborted)}"
        else:
            variant, actual = ABORTS_MORE, ", ".join(seen.actual)
            txns, keys = tuple(t for t, _ in self._compared.aborted_more), set()
        extra = {**more.pop("extra", {}), "anomaly": actual, "expect": self.expect,
                 "isolation": self.workload.level, "clients": self.workload.clients,
                 "free_running": self.free,
                 # for `fuzz check --history`
                 "history": self._history.to_json()}  # fmt: skip
        on = target.name
        if reference is not None:
            on += f" vs {reference.name}"
            extra.update(reference_isolation=self.reference_workload.level,
                         compared=self._compared.to_json())  # fmt: skip
        return Finding(
            oracle=self.name,
            variant=variant,
            engine=EngineInfo.of(target),
            setup=(),  # the schedule builds its own tables: the generated state is no part of it
            queries=probe.queries,
            expected=seen.expected,
            actual=actual,
            features=(f"isolation:{self.workload.level}", *self._shapes(probe, txns, keys)),
            title=f"isolation {variant} under {self.workload.level} on {on}",
            reference=EngineInfo.of(reference) if reference is not None else None,
            extra=extra,
            **more,
        )

    def _shapes(self, probe: Probe, txns: Sequence[int], keys: set[str]) -> list[str]:
        """The shapes of the statements by which `txns` touched `keys` (all their
        statements' when no keys are given): the finding's features."""
        ours = {t.id: t for t in self._history.txns}
        picked = {
            op.statement for tid in txns for op in ours[tid].ops
            if op.statement is not None and (not keys or op.key in keys)
        }  # fmt: skip
        return sorted({_shape(probe.queries[n]) for n in picked})

    def replay(self, finding: Finding, engine: Engine, pipeline: Pipeline) -> bool | None:
        """Replayed against the level the finding was checked against, with this profile;
        an anomaly on the target alone (`aborts-more` needs the reference)."""
        if finding.variant == ABORTS_MORE:
            return None
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
