"""A script's queries through the oracles: what `fuzz check` and the reducer run.

A script is setup statements and queries. The setup runs on the target (and the reference);
each query then goes through the chosen oracles, each building its probes from the query's
text, and through the checking pipeline. A discrepancy counts only once it reproduces from an
empty scratch space.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fuzzer.engines import Engine, Failure, Outcome
from fuzzer.errors import ErrorCategory
from fuzzer.script import is_query
from oracles import oracle_class
from oracles.base import Context, Oracle
from oracles.differential import Profile
from oracles.finding import Finding
from oracles.pipeline import Pipeline, Setup


class ScriptRejected(Exception):
    """No setup statement of the script was accepted by the engine: it is not SQL."""


@dataclass
class Script:
    path: Path
    setup: list[str]
    queries: list[str]

    @classmethod
    def of(cls, path: Path, statements: Sequence[str]) -> Script:
        """The statements' queries, and the others as setup."""
        return cls(
            path,
            [s for s in statements if not is_query(s)],
            [s for s in statements if is_query(s)],
        )


@dataclass(frozen=True)
class Failed:
    """A statement of the script that failed, and how, on which engine."""

    statement: str
    engine: str
    message: str

    def __str__(self) -> str:
        text = " ".join(self.statement.split())
        text = text if len(text) <= 60 else text[:57] + "..."
        return f"`{text}` failed on {self.engine}: {self.message}"


@dataclass
class Tally:
    """How one script's checks went: judged ones, and the statements that kept the others
    from running (a check skipped because its query failed could not run)."""

    judged: int = 0
    failed: list[Failed] = field(default_factory=list)

    @property
    def could_not_run(self) -> bool:
        return self.judged == 0 and bool(self.failed)

    def note(self, statement: str, engine: Engine, outcome: Outcome) -> None:
        if isinstance(outcome, Failure):
            failed = Failed(statement, engine.name, outcome.message.splitlines()[0])
            if failed not in self.failed:  # one query is checked by several oracles
                self.failed.append(failed)


@dataclass
class Checker:
    """Runs scripts through oracles on one target (and, for those that need one, a reference).

    An oracle that needs a reference is left out when there is none.
    """

    target: Engine
    oracles: tuple[str, ...]
    reference: Engine | None = None
    profile: Profile = field(default_factory=Profile)
    confirmations: int = 2
    checks: int = 0
    #: the last script's tally, filled as `check` goes
    tally: Tally = field(default_factory=Tally)

    def __post_init__(self) -> None:
        context = Context(
            self.target.dialect,
            self.reference.dialect if self.reference is not None else None,
            self.profile,
        )
        chosen = [oracle_class(name) for name in self.oracles]
        self._oracles: list[Oracle] = [
            cls(context) for cls in chosen if self.reference is not None or not cls.needs_reference
        ]
        self._pipeline = Pipeline(self.target, self.reference, self.confirmations)

    def check(self, script: Script) -> Iterator[Finding]:
        """The script's confirmed findings; raises ScriptRejected when it is not SQL."""
        self.tally = Tally()
        self._setup(script)
        setup = Setup(script.setup, script.setup)
        for query in script.queries:
            for oracle in self._oracles:
                for probe in oracle.from_text(query):
                    self.checks += 1
                    extra = {"source": str(script.path)}
                    if query not in probe.queries:  # the user's query, when not run as it is
                        extra["query"] = query
                    checked = self._pipeline.check(oracle, probe, setup, extra=extra)
                    if not checked.judged:
                        for engine, failed in checked.failures:
                            self.tally.note(query, engine, failed)
                        continue
                    self.tally.judged += 1
                    if checked.finding is not None:
                        yield checked.finding

    def _setup(self, script: Script) -> None:
        rejected = 0
        for engine in filter(None, (self.target, self.reference)):
            engine.reset()
            for statement in script.setup:
                outcome = engine.execute(statement)
                rejected += not outcome.ok and outcome.category is ErrorCategory.COMPILE
                self.tally.note(statement, engine, outcome)
        if script.setup and rejected == len(script.setup) * (2 if self.reference else 1):
            raise ScriptRejected(
                f"{script.path}: no setup statement was accepted by the engine (not SQL?)"
            )
