"""One worker's fuzzing, without processes: states, checks, findings, crashes.

A session owns a target engine (and, for the oracles that need one, a reference). For each
database state it regenerates the state from its seed, builds it in the scratch space, then
runs checks on it: each check is one oracle's turn, whose probes the oracle draws from the
state's generator; the checking pipeline runs and judges them and, when they disagree,
confirms them from scratch before anything is reported. The single-engine oracles take
turns; when oracles that need a reference are on, they take every other check. Every
statement is written to the statement log before it runs, so that when the engine takes the
worker process down with it, the coordinator can still say what killed it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from fuzzer.adaptive import Evidence
from fuzzer.collations import available
from fuzzer.dialects import get, render
from fuzzer.engines import Engine, EngineError, Failure, Outcome
from fuzzer.engines.base import HANG
from fuzzer.errors import ErrorCategory
from fuzzer.generator import Generator, Options
from fuzzer.jobs.seeds import Position, Shard, state_seed
from oracles import oracle_class
from oracles.base import Context, Oracle, Probe
from oracles.crash import Crash
from oracles.differential import Profile
from oracles.finding import Finding
from oracles.pipeline import Pipeline, Setup
from oracles.shape import explicit_nulls

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
    #: the features the next states' generators leave out: what was learned of the target
    avoid: frozenset[str] = frozenset()
    #: what the target did with each generated statement's features, since the last take
    evidence: Evidence = field(default_factory=Evidence)

    def __post_init__(self) -> None:
        context = Context(
            self.target.dialect,
            self.reference.dialect if self.reference is not None else None,
            self.profile,
        )
        chosen = [oracle_class(name)(context) for name in self.oracles]
        self._single = [o for o in chosen if not o.needs_reference and not o.needs_restart]
        self._paired = [o for o in chosen if o.needs_reference and self.reference is not None]
        self._portable = any(o.portable for o in (*self._single, *self._paired))
        self._pipeline = Pipeline(
            self.target, self.reference, execute=self._execute, rebuild=self._build,
            execute_all=self._execute_all,
        )  # fmt: skip
        self._comparable = True
        self._stop: Callable[[], bool] = lambda: False
        self._timeouts = 0
        self._header = ""
        self._server_collations: tuple[str, ...] | bool | None = False  # False: not read yet
        self._built: list[Outcome] = []  # the target's outcomes of the last build

    def _render(self, node: object) -> str:
        return render(node, self.target.dialect)

    # -- states ------------------------------------------------------------------------------

    def run_state(self, state: int, stop: Callable[[], bool] = lambda: False) -> None:
        self._stop = stop
        seed = state_seed(self.seed, self.shard, self.worker, state)
        options = Options(  # what oracles can bear, with the collations the server has,
            # without what the target is known to reject
            deterministic=True, portable=self._portable, collations=self._collations(),
            avoid=self.avoid,
        )  # fmt: skip
        generator = Generator(self.target.dialect, seed, options)
        statements = generator.database()
        if self._portable and self._uses_reference:
            # a view's ORDER BY ... LIMIT must put NULLs where both engines put them
            statements = [explicit_nulls(s) for s in statements]
        setup = Setup(
            [self._render(s) for s in statements],
            [render(s, self.reference.dialect) for s in statements] if self._uses_reference
            else [],
        )  # fmt: skip
        self._header = f"worker {self.worker} state {state} seed {seed}"
        self._timeouts = 0
        try:
            self._comparable = self._build(setup)
            for statement, outcome in zip(statements, self._built, strict=False):
                self.evidence.observe_statement(statement, outcome)
            self.stats.states += 1
            for check in range(self.checks_per_state):
                if stop():
                    return
                self._check(generator, setup, Position(self.worker, state, check))
        except EngineLost as lost:
            self._crash(lost, list(setup.target), Position(self.worker, state, -1))
        except Abandoned:
            self.stats.states_abandoned += 1

    def _collations(self) -> tuple[str, ...] | None:
        """The target's collations, read once: every state of the session draws from them."""
        if self._server_collations is False:
            query = get(self.target.dialect).collation_query
            self._server_collations = available(self.target, query)
        return self._server_collations  # type: ignore[return-value]

    @property
    def _uses_reference(self) -> bool:
        return bool(self._paired)

    def _build(self, setup: Setup, with_reference: bool = True) -> bool:
        """Build the state from an empty scratch space (on the reference too, unless told
        not to); False when the engines disagreed on a statement.

        Two engines that built different states answer differently without being wrong:
        the oracles that compare them then leave the state alone. The statement log starts
        again with the state: it holds what the engine ran since its scratch space was empty.
        """
        if self.log is not None:
            self.log.start(self._header)
        both = with_reference and self._uses_reference
        for engine in self._engines() if both else (self.target,):
            engine.reset()
        self._built = self._execute_all(self.target, setup.target)
        if not (both and setup.reference and self.reference is not None):
            return True
        reference = self._execute_all(self.reference, setup.reference)
        return all(t.ok == r.ok for t, r in zip(self._built, reference, strict=True))

    def _engines(self) -> Iterator[Engine]:
        yield self.target
        if self._uses_reference and self.reference is not None:
            yield self.reference

    def _execute(self, engine: Engine, sql: str) -> Outcome:
        if self.halted():
            raise Halted
        if self.log is not None and engine is self.target:
            self.log.write(sql)
        return self._account(engine, sql, engine.execute(sql))

    def _execute_all(self, engine: Engine, statements: Sequence[str]) -> list[Outcome]:
        """`_execute` of each statement, sent as one batch to an engine that takes batches."""
        if self.halted():
            raise Halted
        log = self.log.write if self.log is not None and engine is self.target else None
        outcomes: list[Outcome] = []
        running = engine.execute_many(statements, before=log)
        try:
            for sql, outcome in zip(statements, running, strict=False):
                outcomes.append(self._account(engine, sql, outcome))
                if self.halted() and len(outcomes) < len(statements):
                    raise Halted
        finally:
            running.close()  # type: ignore[attr-defined]
        return outcomes

    def _account(self, engine: Engine, sql: str, outcome: Outcome) -> Outcome:
        """Count one statement's outcome; raise for a lost engine or a state to give up."""
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

    def _turn(self, check: int) -> tuple[Oracle, int] | None:
        """Whose check this is, and how many turns that oracle had before in this state."""
        groups = [g for g in (self._single, self._paired) if g]
        if not groups:
            return None
        # with both kinds on, the single-engine oracles take the even checks
        group, turn = (groups[check % 2], check // 2) if len(groups) == 2 else (groups[0], check)
        return group[turn % len(group)], turn // len(group)

    def _check(self, generator: Generator, setup: Setup, position: Position) -> None:
        turn = self._turn(position.check)
        if turn is None:
            return
        oracle, own_turn = turn
        if oracle.needs_reference and not self._comparable:
            self.stats.skipped += 1
            return
        for probe in oracle.draw(generator, own_turn):
            if self._stop():
                return  # a stop finishes the probe in progress, not the whole check
            self._probe(oracle, probe, setup, position)

    def _probe(self, oracle: Oracle, probe: Probe, setup: Setup, position: Position) -> None:
        self.stats.checks += 1  # one oracle check: one probe run and judged
        checked = self._pipeline.check(oracle, probe, setup, seed=self.seed, position=str(position))
        if probe.about is not None:
            failed = next((o for e, o in checked.failures if e is self.target), None)
            self.evidence.observe_statement(probe.about, failed)
        if not checked.judged:
            self.stats.skipped += 1
        if checked.finding is not None:
            self._found(checked.finding)

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
            self._build(Setup(before), with_reference=False)
            self._execute(self.target, lost.statement)
        except Abandoned:
            return  # the replay only timed out: not the same thing
        except EngineLost as again:
            if again.variant == lost.variant and self._recover():
                found = Crash.lost(
                    self.target, before, lost.statement, lost.variant, lost.failure.message,
                    seed=self.seed, position=str(position),
                )  # fmt: skip
                self._found(found)

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
