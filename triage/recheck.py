"""Replaying stored findings against an engine, to find the ones a new version fixed.

The oracle that produced a finding is the one that can judge a replay, so judging is delegated
to a hook with this protocol:

    replay(finding: Finding, engine: Engine) -> bool | None

True: it still reproduces; False: the engine now answers correctly; None: the replay cannot
be judged (a setup statement fails, a timeout, an oracle that needs a second engine). The
default hook is `oracles.replay.replay` for the single-engine oracles (`oracles.ORACLES`),
and for `crash` findings the replay itself: the engine must lose the connection, admit an
internal error or hang again. Differential findings need their reference engine and are not
judged here. Only a clear False marks a finding fixed: an unjudged replay never does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from fuzzer.engines import Engine, Failure
from fuzzer.errors import ErrorCategory
from oracles.finding import Finding
from triage.store import Status, Store, StoreError

Replay = Callable[[Finding, Engine], bool | None]

#: findings worth replaying: open ones, and reported ones (waiting for the engine's fix)
RECHECKED = (Status.NEW, Status.CONFIRMED, Status.REPORTED)

#: what a crash finding shows again when it reproduces
_CRASHES = (ErrorCategory.CONNECTION, ErrorCategory.INTERNAL, ErrorCategory.TIMEOUT)


class Verdict(StrEnum):
    REPRODUCES = "reproduces"
    FIXED = "fixed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Rechecked:
    finding_id: int
    title: str
    verdict: Verdict


def default_replay(finding: Finding, engine: Engine) -> bool | None:
    if finding.oracle == "crash":
        return _crashes(finding, engine)
    if finding.reference is not None:
        return None
    from oracles import ORACLES
    from oracles.replay import replay

    if finding.oracle not in ORACLES:
        return None
    return replay(finding, engine)


def _crashes(finding: Finding, engine: Engine) -> bool:
    engine.reset()
    for statement in (*finding.setup, *finding.queries):
        outcome = engine.execute(statement)
        if isinstance(outcome, Failure) and outcome.category in _CRASHES:
            if outcome.connection_lost:
                engine.reconnect()
            return True
    return False


def recheck(
    store: Store,
    engine: Engine,
    *,
    ids: Sequence[int] = (),
    replay: Replay = default_replay,
    dry_run: bool = False,
) -> list[Rechecked]:
    """Replay the rechecked findings of `engine`'s product (or just `ids`); mark the fixed ones.

    A fixed finding is marked with the engine version that no longer reproduces it.
    """
    if ids:
        candidates = [store.get(i) for i in ids]
    else:
        candidates = store.findings(status=RECHECKED, engine=engine.name)
    results = []
    for stored in candidates:
        if stored.engine != engine.name:
            raise StoreError(f"finding {stored.id} is about {stored.engine}, not {engine.name}")
        try:
            finding = store.reproducer(stored.id)
        except StoreError:
            results.append(Rechecked(stored.id, stored.title, Verdict.UNKNOWN))
            continue
        answer = replay(finding, engine)
        verdict = {True: Verdict.REPRODUCES, False: Verdict.FIXED, None: Verdict.UNKNOWN}[answer]
        if verdict is Verdict.FIXED and not dry_run:
            store.mark(
                stored.id,
                Status.FIXED,
                fixed_in=engine.version,
                note=f"no longer reproduces on {engine.name} {engine.version} (recheck)",
                who="sqlparity",
            )
        results.append(Rechecked(stored.id, stored.title, verdict))
    return results
