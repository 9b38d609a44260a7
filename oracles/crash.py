"""Crashes: the engine died, hung, or dropped the connection under a statement.

Not a relation between queries but a watch on every statement a job runs, so it draws no
checks of its own. What it needs is a fresh process or a restarted engine: a candidate is
confirmed by replaying the statements that killed the engine after it came back (or, when the
engine took the worker's process down, in a new process), and its findings are not reduced
beside a running job, whose engine they would take down again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fuzzer.engines import Engine, Failure
from fuzzer.errors import ErrorCategory
from fuzzer.script import features
from oracles.base import Oracle
from oracles.finding import EngineInfo, Finding

if TYPE_CHECKING:
    from oracles.pipeline import Pipeline

#: what a crash finding shows again when it reproduces
SHOWS = (ErrorCategory.CONNECTION, ErrorCategory.INTERNAL, ErrorCategory.TIMEOUT)

EXPECTED = "the statement completes or fails with an error"


class Crash(Oracle):
    name = "crash"
    description = "The engine crashed, lost the connection, reported an internal error or hung."
    needs_restart = True

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

    def replay(self, finding: Finding, engine: Engine, pipeline: Pipeline) -> bool | None:
        """The replay itself is the verdict: the engine must lose the connection, admit an
        internal error or hang again."""
        engine.reset()
        for statement in (*finding.setup, *finding.queries):
            outcome = engine.execute(statement)
            if isinstance(outcome, Failure) and outcome.category in SHOWS:
                if outcome.connection_lost:
                    engine.reconnect()
                return True
        return False
