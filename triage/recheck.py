"""Replaying stored findings against an engine, to find the ones a new version fixed.

The oracle that produced a finding is the one that can judge a replay, so judging is delegated
to a hook with this protocol:

    replay(finding: Finding, engine: Engine) -> bool | None

True: it still reproduces; False: the engine now answers correctly; None: the replay cannot
be judged (a setup statement fails, a timeout, an oracle that needs a second engine). The
default hook is the checking pipeline's `replay`, which asks the finding's own oracle (a crash
is judged by the replay itself; a differential finding needs its reference engine and is not
judged here). Only a clear False marks a finding fixed: an unjudged replay never does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from fuzzer.engines import Engine
from oracles.finding import Finding
from oracles.pipeline import replay as default_replay
from triage.store import Status, Store, StoreError

Replay = Callable[[Finding, Engine], bool | None]

#: findings worth replaying: open ones, and reported ones (waiting for the engine's fix)
RECHECKED = (Status.NEW, Status.CONFIRMED, Status.REPORTED)


class Verdict(StrEnum):
    REPRODUCES = "reproduces"
    FIXED = "fixed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Rechecked:
    finding_id: int
    title: str
    verdict: Verdict


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
