"""Reducing a stored finding from the probe it ran, not from its query's text.

EET's and CODD's probes are a pair (the original query and its rewrite, or the query and the
one with a constant substituted) that the oracle built from a syntax tree: a rewrite inside
an ON or WHERE sub-part, or a subquery replaced by its value, is no pair that the oracle's
text builder (`Oracle.from_text`) makes again from the query alone, so the generic reducer,
which judges through `fuzz check`, sees nothing at the start. Here the stored pair stays as
the oracle ran it, and the setup shrinks under the oracle's own judge, keeping the same
problem (`oracles.problem`). The pair itself is not edited: an edit to one side that is not
the same edit to the other would compare two queries no rewrite relates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fuzzer.engines import Engine
from fuzzer.reduce.interesting import run
from fuzzer.reduce.reducer import NotInteresting, Reducer, Reduction
from oracles.base import Oracle
from oracles.finding import Finding
from oracles.pipeline import Pipeline, Setup
from oracles.problem import problem_of


def reduce_stored_pair(
    oracle: Oracle,
    finding: Finding,
    target: Engine,
    max_time: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> Reduction:
    """The finding with its setup reduced and its stored probe kept; raises NotInteresting
    when the stored probe does not show the finding's problem on `target`."""
    probe = oracle.stored_probe(finding)
    problem = problem_of(finding)
    trials = Pipeline(target, confirmations=0)

    def found(setup: Sequence[str]) -> Finding | None:
        run(target, setup)  # from an empty scratch space
        checked = trials.check(oracle, probe, Setup(setup))
        seen = checked.finding
        return seen if seen is not None and problem_of(seen) == problem else None

    reducer = Reducer(lambda s: found(s) is not None, target.dialect, max_time=max_time,
                      progress=progress)  # fmt: skip
    try:
        reduced = reducer.reduce(finding.setup)
    except NotInteresting:
        raise NotInteresting(f"its stored probe does not show {problem.describe()}") from None
    run(target, reduced.statements)
    confirmed = Pipeline(target).check(oracle, probe, Setup(reduced.statements)).finding
    return Reduction([*reduced.statements, *probe.queries], reduced.stats, confirmed)
