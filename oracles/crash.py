"""Crashes: the engine died, hung, or dropped the connection under a statement.

Not a relation between queries but a watch on every statement a job runs, so it draws no
checks of its own. What it needs is a fresh process or a restarted engine: a candidate is
confirmed by replaying the statements that killed the engine after it came back (or, when the
engine took the worker's process down, in a new process). Its findings are reduced with each
trial in an engine host of its own (`fuzzer.engines.contained`), beside a running job only
when there is one: a server's crash would take the job's engine down again.

One crash is one finding: it is signed by the crashing statement's functions, else its
operators, else its clauses (`Crash.root_of`), whatever setup reached it and however it
showed (a lost connection, an internal error, a hang).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeGuard

from fuzzer.engines import Engine, Failure, connect, contained
from fuzzer.errors import ErrorCategory
from fuzzer.script import features
from oracles.base import Oracle
from oracles.finding import EngineInfo, Finding

if TYPE_CHECKING:
    from fuzzer.reduce import Reduction
    from oracles.pipeline import Pipeline

#: what a crash finding shows again when it reproduces
SHOWS = (ErrorCategory.CONNECTION, ErrorCategory.INTERNAL, ErrorCategory.TIMEOUT)

EXPECTED = "the statement completes or fails with an error"

#: clauses that say nothing of a crash: a `CROSS JOIN LATERAL` and a `JOIN LATERAL ... ON 1`
#: that kill an engine alike are one crash
_SCAFFOLD = frozenset(f"kw:{w}" for w in ("SELECT", "FROM", "WHERE", "AS", "ON", "JOIN", "CROSS",
                                          "INNER", "ALL"))


class Crash(Oracle):
    name = "crash"
    description = "The engine crashed, lost the connection, reported an internal error or hung."
    needs_restart = True
    symptom = "crash"

    @staticmethod
    def lost(
        engine: Engine,
        setup: Sequence[str],
        statement: str,
        variant: str,
        message: str,
        **more: object,
    ) -> Finding:
        """The engine hung or dropped the connection under `statement`, twice."""
        return Finding(
            oracle=Crash.name,
            variant=variant,
            engine=EngineInfo.of(engine),
            setup=tuple(setup),
            queries=(statement,),
            expected=EXPECTED,
            actual=f"{variant}: {message}",
            features=tuple(sorted(features(statement))),
            title=f"{variant} on {engine.name}",
            **more,  # type: ignore[arg-type]
        )

    @staticmethod
    def process_died(
        engine: EngineInfo, setup: Sequence[str], statement: str, how: str, **more: object
    ) -> Finding:
        """The engine took its process down (`how`: the signal) under `statement`, twice."""
        return Finding(
            oracle=Crash.name,
            variant="process-died",
            engine=engine,
            setup=tuple(setup),
            queries=(statement,),
            expected=EXPECTED,
            actual=f"the engine took its process down ({how})",
            features=tuple(sorted(features(statement) | {how})),
            title=f"{engine.name} crashed the process ({how})",
            **more,  # type: ignore[arg-type]
        )

    def reduce(
        self,
        statements: Sequence[str],
        target: Engine,
        like: Finding | None = None,
        max_time: float | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Reduction | None:
        """The generic reducer, each trial on a fresh engine in a host of its own (a server's
        as it is); the reduced finding is the stored one with the reduced script, its last
        statement the crashing one. Raises `NotInteresting` when the case does not crash."""
        from fuzzer.reduce import Crash as Crashes
        from fuzzer.reduce import Reducer, Reduction

        own = contained(target.url)
        engine = connect(str(own), timeout=target.timeout) if own is not None else target
        try:
            test = Crashes(engine, SHOWS, restart=True)
            reducer = Reducer(test, target.dialect, max_time=max_time, progress=progress)
            result = reducer.reduce(statements)
        finally:
            if engine is not target:
                engine.close()
        if like is None or not result.statements:
            return result
        *setup, statement = result.statements
        told = set(like.features) - features(like.queries[0]) if like.queries else set()
        found = dataclasses.replace(like, setup=tuple(setup), queries=(statement,),
                                    features=tuple(sorted(features(statement) | told)))  # fmt: skip
        return Reduction(result.statements, result.stats, found)

    @classmethod
    def root_of(cls, found: frozenset[str]) -> frozenset[str]:
        """The crashing statement's functions, else its operators, else its clauses but
        the scaffold every query has (how a join is spelled): what the engine died of, not
        the setup or the scaffold around it."""
        query = frozenset(f for f in found if not f.startswith("setup:"))
        for prefix in ("func:", "op:"):
            chosen = frozenset(f for f in query if f.startswith(prefix))
            if chosen:
                return chosen
        return query - _SCAFFOLD or query

    def replay(self, finding: Finding, engine: Engine, pipeline: Pipeline) -> bool | None:
        """The replay itself is the verdict: the engine must lose the connection, admit an
        internal error or hang again."""
        engine.reset()
        for statement in (*finding.setup, *finding.queries):
            outcome = engine.execute(statement)
            if _shows(outcome):
                if outcome.connection_lost:
                    engine.reconnect()
                return True
        return False


def _shows(outcome: object) -> TypeGuard[Failure]:
    """The outcome is what a crash finding shows: a lost connection, an internal error, a
    hang."""
    return isinstance(outcome, Failure) and (outcome.connection_lost or outcome.category in SHOWS)
