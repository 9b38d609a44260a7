"""What every oracle is: it turns a query into *probes* and judges the probes' outcomes.

A probe is plain SQL text: the queries to run, in order. Its verdict depends only on the
outcomes of those queries, so the same probe can be re-run to confirm a candidate finding in a
fresh database, replayed by the triage store against a newer engine version, or shrunk by the
reducer, without the generator or the syntax tree that made it.

An oracle is one module and one `Oracle` subclass, which owns everything about it: what it
draws from the generator and the order in which it takes its variants (`draw`), how it reads
a user's query (`from_text`), how it judges, what its findings say, and what it needs to run
(a reference engine, a fresh process). The checking pipeline (`oracles.pipeline`) and the
commands ask the oracle, never its name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from fuzzer.dialects import render
from fuzzer.engines import Failure, Outcome, Rows
from fuzzer.generator import features as tree_features
from fuzzer.script import features as text_features
from oracles.finding import EngineInfo, Finding

if TYPE_CHECKING:
    from fuzzer.engines import Engine
    from fuzzer.generator import Generator
    from fuzzer.reduce import Reduction
    from oracles.differential import Profile
    from oracles.pipeline import Pipeline


@dataclass(frozen=True)
class Discrepancy:
    """What the oracle expected versus what the engine answered (JSON-serialisable)."""

    expected: Any
    actual: Any
    detail: str = ""
    #: the kind of discrepancy when only judging tells it (the differential's "rows",
    #: "sqlstate"...); otherwise the probe's variant is the finding's
    variant: str | None = None


@dataclass(frozen=True)
class Probe:
    oracle: str
    variant: str
    queries: tuple[str, ...]
    features: tuple[str, ...] = ()
    #: the tree the probe was built from; its features are worked out only for a finding
    about: Any = field(default=None, compare=False, repr=False)
    #: the same queries spelled for the reference engine, for an oracle that needs one
    reference_queries: tuple[str, ...] = ()
    #: the query's ORDER BY fixes the place of every row: results compare as lists
    ordered: bool = False
    #: for a probe that shares a query with the other probes of its draw: where its answer
    #: is in that query, and the probe it stands for
    shared: Shared | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Shared:
    """A probe's answer in a query the probes of one draw share (NoREC's counts of several
    predicates in one scan): column `column` of the probe's last query. Only a disagreement
    runs `alone`, the probe it stands for, which is then judged, confirmed and kept: a
    finding never rests on the shared query."""

    column: int
    alone: Probe



class Skip(Exception):
    """The probe's outcomes cannot be judged: an error, a timeout, a result too large.

    Precision first: an error in one query of a probe and not in another is no finding.
    """


Judge = Callable[[Sequence[Outcome]], Discrepancy | None]
Execute = Callable[["Engine", str], Outcome]


def rows_of(outcomes: Sequence[Outcome]) -> list[Rows]:
    """The results, or Skip when any query failed."""
    for outcome in outcomes:
        if isinstance(outcome, Failure):
            raise Skip(outcome.message)
    return list(outcomes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Context:
    """What an oracle checks: the target's dialect, and the reference's when there is one."""

    dialect: str
    reference: str | None = None  # the reference engine's dialect
    profile: Profile | None = None  # the target's accepted divergences from its reference
    #: settings of particular oracles from the command line (the isolation oracle's
    #: `clients`, `isolation`, `expect`), as (name, value) pairs
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)

    def render(self, node: object) -> str:
        return render(node, self.dialect)


class Oracle:
    """One oracle. Subclasses set the class attributes and override what applies to them."""

    name: ClassVar[str]
    #: what the oracle checked, in words a maintainer who never heard of it understands
    description: ClassVar[str]
    #: variant name -> the function that judges that variant's outcomes
    judges: ClassVar[dict[str, Judge]] = {}
    #: it compares the target with a reference engine: off without one; in `fuzz run` it
    #: takes turns with the single-engine oracles (every other check)
    needs_reference: ClassVar[bool] = False
    #: its findings reproduce only in a fresh process or a restarted engine: they are not
    #: reduced beside a running job, and it watches every statement instead of drawing checks
    needs_restart: ClassVar[bool] = False
    #: its findings come reduced (it shrinks them itself): the job's reducer leaves them
    reduced: ClassVar[bool] = False
    #: its probe is given up once it has kept the engine busy for a share of the statement
    #: timeout (`fuzzer.jobs.session.CHECK_BUDGET`); False for a probe that is a whole
    #: workload, whose statements wait on each other's locks by design (the isolation oracle)
    metered: ClassVar[bool] = True
    #: its probe makes the tables it checks (the isolation oracle's schedules): the generated
    #: state is no part of it, and is not built on its reference
    own_tables: ClassVar[bool] = False
    #: its scripts' statements say what they mean in a comment before each (the isolation
    #: oracle's tags): a case for it is read with those comments
    commented: ClassVar[bool] = False
    #: it runs when `--oracle` names none; an oracle still being measured runs only when named
    by_default: ClassVar[bool] = True
    #: the kind of wrong answer its findings show, for the root-cause signature
    #: (`oracles.signature`): findings of one symptom on the same reduced query are one bug,
    #: whichever oracle or variant flagged them. None: a symptom of its own, per variant
    symptom: ClassVar[str | None] = None
    #: the signature reads only the FROM, WHERE, GROUP BY and HAVING clauses of its query:
    #: the select list is the oracle's scaffold (an aggregate, a COUNT(*)) or, for a wrong
    #: set of rows, beside the point
    signed_clauses: ClassVar[bool] = False
    #: any failed query makes its probe unjudgeable (the judges raise Skip): the probe's
    #: queries after the first failure are not run, a timeout is not waited out again
    skips_failures: ClassVar[bool] = False
    #: its probes' queries only read, and what they answer depends on the state alone: the
    #: probes of one check, which share the state, run a query they share once (a confirmation
    #: runs it again)
    reads_only: ClassVar[bool] = False
    #: a stored finding's probe is built from a syntax tree that its text cannot give back
    #: (a rewrite inside a sub-part, a subquery replaced by its value): `fuzz reduce` starts
    #: from the stored probe and shrinks the setup under the oracle's judge
    #: (`fuzzer.reduce.paired`), not from `from_text` of its query
    reduces_stored_probe: ClassVar[bool] = False

    def __init__(self, context: Context) -> None:
        self.context = context

    def render(self, node: object) -> str:
        return self.context.render(node)

    def shape(self, probe: Probe) -> tuple[str, ...]:
        """The probe's features: given (from text), or those of the tree it was built from as
        the target's dialect spells it; one vocabulary either way (`fuzzer.script.features`)."""
        if probe.features or probe.about is None:
            return probe.features
        return tuple(sorted(tree_features(probe.about, self.context.dialect)))

    @property
    def portable(self) -> bool:
        """The generator must draw SQL that the reference's dialect spells the same way."""
        return False

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        """The probes of one check of `fuzz run`, drawn from the state's generator.

        `turn` counts this oracle's own checks in the state's stream: an oracle with several
        variants takes them in turn by it. The draws must depend only on the generator.
        """
        return []

    def from_text(self, sql: str) -> list[Probe]:
        """The probes for a query a person wrote (`fuzz check`, the reducer); [] when none."""
        return []

    def text_probe(self, variant: str, queries: Sequence[str], sql: str) -> Probe:
        """A probe built from a user's query `sql`: its features are those of the text."""
        return Probe(self.name, variant, tuple(queries), tuple(sorted(text_features(sql))))

    def run(self, probe: Probe, target: Engine, execute: Execute) -> list[Outcome] | None:
        """The probe's outcomes when the oracle runs its queries itself, on several sessions
        of the target at once (`Engine.companion`); None: the pipeline runs them one by one.
        An oracle that needs a reference is run on it too, with the reference's queries.

        `execute` is the job's: it counts, logs and notices a dying engine on any session.
        """
        return None

    def follow_up(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Probe | None:
        """A probe built from this one's results, to run and judge instead; None: judge this.

        For an oracle whose second query depends on the first one's answer (a subquery
        evaluated alone, then replaced by its value). The last probe of the chain is the one
        confirmed and kept in the finding: it replays alone. Raises Skip like `judge`.
        """
        return None

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        """Decide; raises Skip when the outcomes cannot be judged."""
        return self.judges[probe.variant](outcomes)

    def confirms(self, seen: Discrepancy, again: Discrepancy) -> bool:
        """Whether a replay's discrepancy confirms the first one: by default, it is the same.
        A statistical oracle whose replay measures afresh (a vector index built with random
        levels) says the replay is on the same side of its threshold too."""
        return again == seen

    def returned_rows(self, probe: Probe, outcomes: Sequence[Outcome]) -> bool:
        """Whether a judged probe's query had rows: a check on no rows tests little (the
        benchmarks' non-empty share). By default: the first query's result had rows."""
        first = outcomes[0] if outcomes else None
        return isinstance(first, Rows) and bool(first.rows)

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
        """The finding of a confirmed probe, built from `setup` on the target."""
        variant = seen.variant or probe.variant
        return Finding(
            oracle=probe.oracle,
            variant=variant,
            engine=EngineInfo.of(target),
            setup=tuple(setup),
            queries=probe.queries,
            expected=seen.expected,
            actual=seen.actual,
            features=self.shape(probe),
            title=f"{probe.oracle} {variant}: {seen.detail or 'results differ'}",
            **more,
        )

    def stored_probe(self, finding: Finding) -> Probe:
        """The probe a stored finding ran, to replay it."""
        return Probe(finding.oracle, finding.variant, finding.queries)

    @classmethod
    def symptom_of(cls, finding: Finding) -> str:
        """The finding's symptom: the class's, else its own oracle and variant."""
        return cls.symptom or f"{finding.oracle}/{finding.variant}"

    @classmethod
    def root_of(cls, found: frozenset[str]) -> frozenset[str]:
        """Which of a case's features (`oracles.signature.root_features`) name its bug: all
        of them, unless the oracle knows the bug lives in fewer (a crash, in the statement
        the engine died of)."""
        return found

    @classmethod
    def case_query(cls, finding: Finding) -> str:
        """The user-level query of a stored finding, which `from_text` turns into its probe."""
        return finding.queries[0]

    def reduce(
        self,
        statements: Sequence[str],
        target: Engine,
        like: Finding | None = None,
        max_time: float | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Reduction | None:
        """`fuzz reduce` by the oracle itself, for a case (a stored finding's: `like`) whose
        parts the generic reducer does not know; None: the generic reducer's (statements
        and tokens, judged by `fuzz check`). Raises `NotInteresting` when the case does not
        show the problem at the start."""
        if like is None or not self.reduces_stored_probe:
            return None
        from fuzzer.reduce.paired import reduce_stored_pair  # the reducer imports the oracles

        return reduce_stored_pair(self, like, target, max_time, progress)

    def replay(self, finding: Finding, engine: Engine, pipeline: Pipeline) -> bool | None:
        """Does a stored finding still reproduce on `engine`? None when that cannot be told."""
        if self.needs_reference or finding.reference is not None:
            return None
        return pipeline.reproduces(self, self.stored_probe(finding), finding.setup)
