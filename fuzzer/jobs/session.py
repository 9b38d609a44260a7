"""One worker's fuzzing, without processes: states, checks, findings, crashes.

A session owns a target engine (and, for the differential, a reference). For each database
state it regenerates the state from its seed, builds it in the scratch space, then runs checks
on it: a query and a predicate from the generator, turned into probes by the oracles, run,
judged and, when they disagree, confirmed from scratch before anything is reported. Every
statement is written to the statement log before it runs, so that when the engine takes the
worker process down with it, the coordinator can still say what killed it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from fuzzer import ast
from fuzzer.dialects import get as get_dialect
from fuzzer.dialects import render
from fuzzer.engines import Engine, EngineError, Failure, Outcome
from fuzzer.engines.base import HANG
from fuzzer.errors import ErrorCategory
from fuzzer.generator import features
from fuzzer.jobs.seeds import Position, Shard, state_seed
from fuzzer.jobs.source import Source
from fuzzer.script import features as text_features
from oracles import ORACLES
from oracles.base import Oracle, Probe, Skip
from oracles.differential import Profile, compare
from oracles.differential import finding as divergence_finding
from oracles.finding import EngineInfo, Finding
from oracles.replay import confirm
from oracles.replay import finding as probe_finding
from oracles.shape import explicit_nulls, order_items, total_order
from oracles.tlp import TLP

#: A statement slower than this many timeouts was not stopped by the timeout: a hang.
HANG_FACTOR = 2.0
#: How long a worker waits for a crashed server to come back.
RECOVERY_SECONDS = 120.0
#: A state whose statements time out this often is given up: its checks would spend the run
#: waiting for timeouts.
TIMEOUTS_PER_STATE = 3


@dataclass
class Stats:
    """Counters a worker reports; all are sums, so workers' stats add up."""

    checks: int = 0
    queries: int = 0
    ok: int = 0
    skipped: int = 0
    states: int = 0
    engine_time: float = 0.0
    findings: int = 0
    crashes: int = 0
    states_abandoned: int = 0

    def add(self, other: Stats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def take(self) -> Stats:
        """These counters, and reset them to zero (to send deltas)."""
        taken = Stats(**{f.name: getattr(self, f.name) for f in fields(self)})
        for f in fields(self):
            setattr(self, f.name, type(getattr(self, f.name))())
        return taken


@dataclass(frozen=True)
class Setup:
    """A state's statements, spelled for the target and (for the differential) the reference."""

    target: list[str]
    reference: list[str]


class EngineLost(Exception):
    """The engine died under a statement: the connection dropped, or it hung."""

    def __init__(self, statement: str, failure: Failure, variant: str) -> None:
        super().__init__(failure.message)
        self.statement, self.failure, self.variant = statement, failure, variant


class Abandoned(Exception):
    """The state's statements keep timing out: go on to the next state."""


class Halted(Exception):
    """The worker must stop now, in the middle of a check (see `Session.halted`)."""


class StatementLog:
    """An append-only file of the current state's statements, written before each runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("w", encoding="utf-8")

    def start(self, header: str) -> None:
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"-- {header}\n")
        self._file.flush()

    def write(self, statement: str) -> None:
        self._file.write(statement.replace("\n", " ") + ";\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


@dataclass
class Session:
    target: Engine
    oracles: tuple[str, ...]
    seed: int
    worker: int = 0
    shard: Shard = field(default_factory=Shard)
    reference: Engine | None = None
    profile: Profile = field(default_factory=Profile)
    checks_per_state: int = 50
    log: StatementLog | None = None
    report: Callable[[Finding], None] = lambda f: None
    stats: Stats = field(default_factory=Stats)
    #: True when the worker must stop at once: `Halted` is raised before the next statement.
    halted: Callable[[], bool] = lambda: False

    def __post_init__(self) -> None:
        single = [ORACLES[o] for o in self.oracles if o in ORACLES]
        self._oracles = [cls(self._render) for cls in single]
        self._diff = "diff" in self.oracles and self.reference is not None
        self._portable = self._diff and self.reference.dialect != self.target.dialect
        self._comparable = True
        self._stop: Callable[[], bool] = lambda: False
        self._timeouts = 0

    def _render(self, node: object) -> str:
        return render(node, self.target.dialect)

    # -- states ------------------------------------------------------------------------------

    def run_state(self, state: int, stop: Callable[[], bool] = lambda: False) -> None:
        self._stop = stop
        seed = state_seed(self.seed, self.shard, self.worker, state)
        source = Source(self.target.dialect, seed, portable=self._portable)
        statements = source.database()
        setup = Setup(
            [self._render(s) for s in statements],
            [render(s, self.reference.dialect) for s in statements] if self._diff else [],
        )
        if self.log is not None:
            self.log.start(f"worker {self.worker} state {state} seed {seed}")
        self._timeouts = 0
        try:
            self._comparable = self._build(setup)
            self.stats.states += 1
            for check in range(self.checks_per_state):
                if stop():
                    return
                self._check(source, setup, Position(self.worker, state, check))
        except EngineLost as lost:
            self._crash(lost, setup.target, Position(self.worker, state, -1))
        except Abandoned:
            self.stats.states_abandoned += 1

    def _build(self, setup: Setup) -> bool:
        """Build the state on every engine; False when the engines disagreed on a statement.

        Two engines that built different states answer differently without being wrong:
        the differential then leaves the state alone.
        """
        for engine in self._engines():
            engine.reset()
        agree = True
        for n, statement in enumerate(setup.target):
            built = self._execute(self.target, statement)
            if setup.reference and self.reference is not None:
                agree &= built.ok == self._execute(self.reference, setup.reference[n]).ok
        return agree

    def _engines(self) -> Iterator[Engine]:
        yield self.target
        if self._diff and self.reference is not None:
            yield self.reference

    def _execute(self, engine: Engine, sql: str) -> Outcome:
        if self.halted():
            raise Halted
        if self.log is not None and engine is self.target:
            self.log.write(sql)
        outcome = engine.execute(sql)
        self.stats.queries += 1
        self.stats.ok += outcome.ok
        self.stats.engine_time += outcome.elapsed
        if isinstance(outcome, Failure):
            if outcome.code == HANG:  # the engine's watchdog gave the connection up
                raise EngineLost(sql, outcome, "hang")
            if outcome.category is ErrorCategory.CONNECTION:
                raise EngineLost(sql, outcome, "connection-lost")
            if outcome.elapsed > HANG_FACTOR * engine.timeout + 1:
                raise EngineLost(sql, outcome, "hang")
            if outcome.category is ErrorCategory.TIMEOUT:
                self._timeouts += 1
                if self._timeouts >= TIMEOUTS_PER_STATE:
                    raise Abandoned
        return outcome

    # -- checks ------------------------------------------------------------------------------

    def _check(self, source: Source, setup: Setup, position: Position) -> None:
        if self._diff and (not self._oracles or position.check % 2 == 1):
            if self._comparable:
                self._differential(source.query(), setup, position)
            else:
                self.stats.skipped += 1
            return
        turn = position.check // 2 if self._diff else position.check  # the diff takes odd ones
        oracle = self._oracles[turn % len(self._oracles)]
        for probe in self._probes(oracle, source, turn // len(self._oracles)):
            if self._stop():
                return  # a stop finishes the probe in progress, not the whole check
            self._probe(probe, setup, position)

    @staticmethod
    def _probes(oracle: Oracle, source: Source, turn: int) -> list[Probe]:
        """The probes of one check; TLP takes its variants in turn."""
        check = source.check()
        if not isinstance(oracle, TLP):
            return oracle.probes(check.select, check.predicate)
        variant = turn % 5
        if variant == 1:
            return oracle.probes(replace(check.select, distinct=True), check.predicate)
        if variant == 2:
            return oracle.probes(source.grouped(check), check.predicate)
        if variant == 3:
            return oracle.having_probes(*source.having(check))
        if variant == 4:
            expr = source.aggregated(check)
            return oracle.aggregate_probes(check.select.from_, expr, check.predicate)
        return oracle.probes(check.select, check.predicate)

    def _probe(self, probe: Probe, setup: Setup, position: Position) -> None:
        self.stats.checks += 1  # one oracle check: one probe run and judged
        outcomes = [self._execute(self.target, q) for q in probe.queries]
        try:
            seen = ORACLES[probe.oracle].judge(probe.variant, outcomes)
        except Skip:
            self.stats.skipped += 1
            return
        if seen is None or not confirm(self.target, setup.target, probe, seen, times=2):
            return
        self._found(
            probe_finding(
                probe,
                seen,
                self.target,
                setup.target,
                probe.features or tuple(sorted(features(probe.about))),
                seed=self.seed,
                position=str(position),
            )
        )

    def _differential(self, query: ast.Query, setup: Setup, position: Position) -> None:
        assert self.reference is not None
        if self._portable:
            spell_nulls = all(
                get_dialect(e.dialect).nulls_order for e in (self.target, self.reference)
            )
            if not spell_nulls and order_items(query):
                return  # no way to make both engines put NULLs in the same place
            query = explicit_nulls(query)
        self.stats.checks += 1
        target_sql = self._render(query)
        reference_sql = render(query, self.reference.dialect)
        ordered = total_order(query)
        same_dialect = self.reference.dialect == self.target.dialect
        compare_types = self.profile.compare_types and same_dialect

        def once() -> tuple[object, Outcome]:
            ref = self._execute(self.reference, reference_sql)
            tgt = self._execute(self.target, target_sql)
            return compare(ref, tgt, ordered=ordered, compare_types=compare_types), tgt

        first, target_outcome = once()
        shape = tuple(sorted(features(query)))
        if first is None or self.profile.accepts(first, shape, target_outcome):
            return
        for _ in range(2):
            self._build(setup)
            if once()[0] != first:
                return
        self._found(
            divergence_finding(
                first,
                self.target,
                self.reference,
                setup.target,
                target_sql,
                shape,
                seed=self.seed,
                position=str(position),
                extra=(
                    {"reference_setup": setup.reference, "reference_query": reference_sql}
                    if setup.reference != setup.target or reference_sql != target_sql
                    else {}
                ),
            )
        )

    def _found(self, finding: Finding) -> None:
        self.stats.findings += 1
        self.report(finding)

    # -- crashes -----------------------------------------------------------------------------

    def _crash(self, lost: EngineLost, setup: list[str], position: Position) -> None:
        """Wait for the engine, replay the statements that killed it, report if they do again."""
        self.stats.crashes += 1
        before = setup[: setup.index(lost.statement)] if lost.statement in setup else setup
        if not self._recover():
            return
        self._timeouts = 0
        try:
            self._build(Setup(before, []))
            self._execute(self.target, lost.statement)
        except Abandoned:
            return  # the replay only timed out: not the same thing
        except EngineLost as again:
            if again.variant == lost.variant and self._recover():
                self._found(
                    Finding(
                        oracle="crash",
                        variant=lost.variant,
                        engine=EngineInfo.of(self.target),
                        setup=tuple(before),
                        queries=(lost.statement,),
                        expected="the statement completes or fails with an error",
                        actual=f"{lost.variant}: {lost.failure.message}",
                        features=tuple(sorted(text_features(lost.statement))),
                        title=f"{lost.variant} on {self.target.name}",
                        seed=self.seed,
                        position=str(position),
                    )
                )

    def _recover(self) -> bool:
        deadline = time.monotonic() + RECOVERY_SECONDS
        while time.monotonic() < deadline:
            if self.halted():
                raise Halted
            try:
                for engine in self._engines():
                    engine.reconnect()
                return True
            except EngineError:
                time.sleep(1)
        return False
