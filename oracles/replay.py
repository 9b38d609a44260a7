"""Running probes, confirming candidates, replaying stored findings.

A candidate finding is only reported once it reproduces: the scratch space is emptied, the
setup script replayed from nothing, and the probe run and judged again. The same discrepancy
must come back; anything else (a flaky timeout, state left by an earlier statement, an
engine that answers differently twice) is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fuzzer.engines import Engine
from oracles import judge
from oracles.base import Discrepancy, Probe, Skip
from oracles.finding import EngineInfo, Finding


def run(engine: Engine, probe: Probe) -> Discrepancy | None:
    """Execute a probe and judge it; raises Skip when it cannot be judged."""
    outcomes = [engine.execute(q) for q in probe.queries]
    return judge(probe.oracle, probe.variant, outcomes)


def rebuild(engine: Engine, setup: Sequence[str]) -> None:
    """Empty the scratch space and replay the setup script in it."""
    engine.reset()
    for statement in setup:
        engine.execute(statement)


def confirm(
    engine: Engine, setup: Sequence[str], probe: Probe, seen: Discrepancy, times: int = 1
) -> bool:
    """True when the probe shows the same discrepancy again, `times` times, from scratch."""
    for _ in range(times):
        rebuild(engine, setup)
        try:
            again = run(engine, probe)
        except Skip:
            return False
        if again != seen:
            return False
    return True


def finding(
    probe: Probe,
    seen: Discrepancy,
    engine: Engine,
    setup: Sequence[str],
    features: tuple[str, ...],
    **more: Any,
) -> Finding:
    """The finding of a confirmed probe."""
    return Finding(
        oracle=probe.oracle,
        variant=probe.variant,
        engine=EngineInfo.of(engine),
        setup=tuple(setup),
        queries=probe.queries,
        expected=seen.expected,
        actual=seen.actual,
        features=features,
        title=f"{probe.oracle} {probe.variant}: {seen.detail or 'results differ'}",
        **more,
    )


def replay(finding: Finding, engine: Engine) -> bool | None:
    """Does a stored single-engine finding still reproduce on this engine?

    None when that cannot be told: a query of the probe fails on this engine, say.
    """
    rebuild(engine, finding.setup)
    try:
        return run(engine, Probe(finding.oracle, finding.variant, finding.queries)) is not None
    except Skip:
        return None
