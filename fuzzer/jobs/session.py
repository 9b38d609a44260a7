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

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from fuzzer.adaptive import CONSEQUENTIAL, Evidence, culprit
from fuzzer.collations import available
from fuzzer.dialects import get, render
from fuzzer.engines import Engine, EngineError, Failure, Outcome
from fuzzer.engines.base import HANG
from fuzzer.errors import ErrorCategory
from fuzzer.generator import Generator, Options, features
from fuzzer.jobs.seeds import Position, Shard, state_seed
from oracles import oracle_class
from oracles.base import Context, Oracle, Probe
from oracles.crash import Crash
from oracles.differential import SPLITS, Profile, setup_finding
from oracles.finding import Finding
from oracles.pipeline import Pipeline, Setup
from oracles.shape import explicit_nulls

#: A statement slower than this many timeouts was not stopped by the timeout: a hang.
HANG_FACTOR = 2.0
#: How long a worker waits for a crashed server to come back.
RECOVERY_SECONDS = 120.0
#: A state whose statements time out this often is given up: its checks would spend the run
#: waiting for timeouts. One is enough: a timeout costs as much time as thousands of checks,
#: far more than the rest of the state's checks are worth, and its tables stay as slow.
TIMEOUTS_PER_STATE = 1
#: A probe whose queries have kept the engines busy for more than this share of the statement
#: timeout is given up before its next query, unjudged, and so are the other probes of its
#: draw, which share its host: the last 1% of queries take most of the engine time (two
#: thirds on PostgreSQL), and the partitions of a slow query, or its other predicates, are as
#: slow. Confirming a finding is never cut short.
CHECK_BUDGET = 0.05
#: With `Session.adaptive`, a state whose build took more than this share of its time so far
#: gets more checks than `checks_per_state`, up to `STRETCH` times as many: on a server
#: whose DDL is slow (MariaDB: as long as 50 checks) the build would otherwise take half the
#: run, while on a state that is cheap to build the checks move on to a new one as before.
BUILD_SHARE = 0.2
STRETCH = 10


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
    nonempty: int = 0  # judged checks whose query had rows (`Oracle.returned_rows`)

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


class OverBudget(Exception):
    """The probe in progress has used up its share of engine time (see `CHECK_BUDGET`)."""


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
    #: settings of particular oracles (`oracles.base.Context.options`)
    oracle_options: tuple[tuple[str, Any], ...] = ()
    checks_per_state: int = 50
    #: more checks on a state that was slow to build (see `BUILD_SHARE`); off for a replay,
    #: which must stop at its position
    adaptive: bool = False
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
            self.oracle_options,
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
        self._reference_built: list[Outcome] = []  # and the reference's
        #: the last build's first statement one engine accepted and the other rejected:
        #: (its index, the target's outcome, the reference's)
        self._split: tuple[int, Outcome, Outcome] | None = None
        #: what each engine did with the setup statements' features this session, to name
        #: the feature a split statement is reported by; the splits already reported
        self._setup_seen = {"target": Evidence(), "reference": Evidence()}
        self._splits_reported: set[tuple[str, str]] = set()
        self._metered = False  # a probe's first run is in progress: its engine time counts
        self._spent = 0.0  # the engine time of that run so far
        #: the last probe's tree and its features (`Evidence.observe_statement`'s), which
        #: the probes drawn from one query share: computed once for them all
        self._about: tuple[object, frozenset[str]] = (None, frozenset())

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
            began = time.perf_counter()
            self._comparable = self._build(setup)
            built = time.perf_counter() - began
            for statement, outcome in zip(statements, self._built, strict=False):
                self.evidence.observe_statement(statement, outcome)
            same = self.reference is not None and self.reference.dialect == self.target.dialect
            if self._split is not None and same:
                # (between dialects, a split is the two spellings' doing as often as not)
                self._setup_split(statements, setup, Position(self.worker, state, -1))
            self.stats.states += 1
            for check in itertools.count():
                if check >= self.checks_per_state and not self._stretch(check, built, began):
                    return
                if stop():
                    return
                self._check(generator, setup, Position(self.worker, state, check))
        except EngineLost as lost:
            self._crash(lost, list(setup.target), Position(self.worker, state, -1))
        except Abandoned:
            self.stats.states_abandoned += 1

    def _stretch(self, check: int, built: float, began: float) -> bool:
        """One more check on this state: its build is still too large a share of its time."""
        if not self.adaptive or check >= STRETCH * self.checks_per_state:
            return False
        return built > BUILD_SHARE * (time.perf_counter() - began)

    def _collations(self) -> tuple[str, ...] | None:
        """The target's collations, read once: every state of the session draws from them."""
        if self._server_collations is False:
            query = get(self.target.dialect).collation_query
            self._server_collations = available(self.target, query)
        return self._server_collations  # type: ignore[return-value]

    @property
    def _uses_reference(self) -> bool:
        """A paired oracle reads the generated state: it is built on the reference too."""
        return any(not o.own_tables for o in self._paired)

    def _build(self, setup: Setup, with_reference: bool = True) -> bool:
        """Build the state from an empty scratch space (on the reference too, unless told
        not to); False when the engines disagreed on a statement.

        Two engines that built different states answer differently without being wrong:
        the oracles that compare them then leave the state alone. The statement log starts
        again with the state: it holds what the engine ran since its scratch space was empty.
        """
        self._metered = False  # a rebuild confirms a finding: no budget
        if self.log is not None:
            self.log.start(self._header)
        both = with_reference and self._uses_reference
        for engine in self._engines() if both else (self.target,):
            engine.reset()
        self._reference_built, self._split = [], None
        self._built = self._execute_all(self.target, setup.target)
        if not (both and setup.reference and self.reference is not None):
            return True
        self._reference_built = self._execute_all(self.reference, setup.reference)
        pairs = zip(self._built, self._reference_built, strict=True)
        self._split = next(((n, t, r) for n, (t, r) in enumerate(pairs) if t.ok != r.ok), None)
        return self._split is None

    def _engines(self) -> Iterator[Engine]:
        yield self.target
        if self._uses_reference and self.reference is not None:
            yield self.reference

    def _execute(self, engine: Engine, sql: str) -> Outcome:
        if self.halted():
            raise Halted
        if self._metered and self._spent > CHECK_BUDGET * engine.timeout:
            raise OverBudget
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
        self._spent += outcome.elapsed
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

    def _setup_split(self, statements: list, setup: Setup, position: Position) -> None:
        """Report the statement one engine accepted and the other rejected (`diff/setup`),
        once per statement kind and feature, when two builds from scratch split on it again.

        A target's rejection also turns the feature off in the learned table: the next states
        no longer make it, so the state stays comparable and the finding is listed once."""
        assert self._split is not None and self.reference is not None
        n, target_outcome, reference_outcome = self._split
        for side, outcomes in (("target", self._built), ("reference", self._reference_built)):
            for statement, outcome in zip(statements, outcomes, strict=False):
                self._setup_seen[side].observe_statement(statement, outcome)
        rejecting = "target" if not target_outcome.ok else "reference"
        failure = target_outcome if not target_outcome.ok else reference_outcome
        if not isinstance(failure, Failure) or failure.category not in SPLITS:
            return  # a timeout, a lost connection or a limit says nothing of the statement
        if failure.sqlstate in CONSEQUENTIAL:
            return  # it only follows from an earlier statement's failure
        node = statements[n]
        kind = type(node).__name__
        feature = culprit(self._setup_seen[rejecting], kind, features(node, detailed=True))
        if (kind, feature) in self._splits_reported:
            return
        split = self._split
        pair = (setup.target[n], setup.reference[n])
        alone = self._splits_alone(pair, split)
        for _ in range(self._pipeline.confirmations):
            self._comparable = self._build(setup)  # the state the checks use, in the end
            again = self._split
            if again is None or again[0] != n or again[1].ok != split[1].ok:
                return
        self._splits_reported.add((kind, feature))
        if rejecting == "target":
            self.evidence.off.add(feature)
        before = Setup([], []) if alone else Setup(setup.target[:n], setup.reference[:n])
        found = setup_finding(
            self.target, self.reference, before, pair, (target_outcome, reference_outcome),
            (kind, feature), self.profile, seed=self.seed, position=str(position),
        )  # fmt: skip
        if found is not None:
            self._found(found)

    def _splits_alone(self, pair: tuple[str, str], split: tuple[int, Outcome, Outcome]) -> bool:
        """The statement splits the engines the same way in an empty scratch space: the
        finding needs none of the statements before it."""
        assert self.reference is not None
        if self.log is not None:
            self.log.start(self._header)
        alone = []
        for engine, statement in zip(self._engines(), pair, strict=True):
            engine.reset()
            alone.append(self._execute(engine, statement))
        return [o.ok for o in alone] == [split[1].ok, split[2].ok]

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
        # the probes of one check share the state: a query one of them ran, another need not
        recall: dict[str, Outcome] = {}
        for probe in oracle.draw(generator, own_turn):
            if self._stop():
                return  # a stop finishes the probe in progress, not the whole check
            if not self._probe(oracle, probe, setup, position, recall):
                return  # over budget: the draw's other probes share the slow host

    def _probe(self, oracle: Oracle, probe: Probe, setup: Setup, position: Position,
               recall: dict[str, Outcome]) -> bool:  # fmt: skip
        """Run, judge and report one probe; False when it ran over its budget."""
        self.stats.checks += 1  # one oracle check: one probe run and judged
        self._metered, self._spent = oracle.metered, 0.0
        try:
            checked = self._pipeline.check(
                oracle, probe, setup, recall=recall, seed=self.seed, position=str(position)
            )
        except OverBudget:
            self.stats.skipped += 1  # the engine's time, not the probe's features: not learned
            return False
        finally:
            self._metered = False
        if probe.about is not None:
            failed = next((o for e, o in checked.failures if e is self.target), None)
            if probe.about is not self._about[0]:  # the probes of one draw share their tree
                self._about = (probe.about, features(probe.about, detailed=True))
            self.evidence.observe(type(probe.about).__name__, self._about[1], failed)
        if not checked.judged:
            self.stats.skipped += 1
        self.stats.nonempty += checked.nonempty
        if checked.finding is not None:
            self._found(checked.finding)
        return True

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
