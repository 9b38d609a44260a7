"""What a target rejects, learned from its compile errors (the SQLancer++ idea).

Every statement the generator made is observed with its outcome: the features it uses
(`fuzzer.generator.features(node, detailed=True)`) passed when it compiled (ran, or failed
on its data: a runtime error means the engine understood it), and were suspects when it
was rejected at compile time. Other failures (timeouts, lost connections, limits) and
errors that only follow from an earlier failure (a table whose CREATE failed) say nothing.

Attribution, as a failed statement has many features: a feature is turned off only on
evidence, by explaining the failures greedily. It must have failed at least `MIN_FAILURES`
times, and statements with it must compile far less often than others of their kinds: its
estimated chance of compiling (the mean of a Beta(1, 1) posterior over its passes and
failures) below `RELATIVE_SUPPORT` times what the kinds of statement it was seen in
(`Insert`, `Select`, ...) compile at (`Evidence.expected`), and that few passes must be
unlikely by chance (`Evidence.chance` below `ALPHA`, divided by the number of features
tested). So what all statements of a kind have
is never the culprit while they all fail, and a handful of failures is no verdict. Among
such features, the one that gains the most is turned off first: the failures not yet
explained that it explains, less the statements with it that compiled (`Frame:GROUPS`
rather than `Frame`). That explains them, and so on while a feature gains at least
`MIN_FAILURES`. A kind of node whose finer features are suspects too (`Func` beside
`Func:SQRT`) is never turned off itself: many functions each failing a little are no verdict
on every function. A feature that co-occurs with the
culprit, but also compiles elsewhere, keeps a high estimate; one that always co-occurs
with it is explained away once the culprit is off. A feature once off stays off (the
generator no longer makes it, so no new evidence could turn it on again).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from fuzzer.engines import Outcome
from fuzzer.errors import ErrorCategory, SQLState
from fuzzer.generator import features

#: failures before a feature may be turned off
MIN_FAILURES = 3
#: a feature is off only while its estimated chance of compiling is below this share of the
#: chance that any statement compiles
RELATIVE_SUPPORT = 0.5
#: the pseudo-feature every statement has: its counts are the totals
EVERY = "*"
#: and only while so few of its statements compiling is this unlikely by chance (for all
#: the features tested together)
ALPHA = 0.01
#: failed statements kept for attribution (the most recent)
MAX_KEPT = 4000
#: compile errors that follow from an earlier failure, not from the statement's features
CONSEQUENTIAL = frozenset({SQLState.UNDEFINED_TABLE})
#: outcomes that show the statement compiled
COMPILED = frozenset({ErrorCategory.RUNTIME, ErrorCategory.CONSTRAINT})


Key = tuple[str, str]  # (statement kind, feature)


@dataclass
class Evidence:
    """What one target did with the features it was sent; counts add up across workers.

    Counts are kept per kind of statement (the root node's: `Insert`, `Select`, ...): a
    feature is compared with the other statements of its kind, so that the kind itself, or
    what all its statements have, is never mistaken for a culprit while they all fail.
    """

    passed: Counter[Key] = field(default_factory=Counter)
    failed: Counter[Key] = field(default_factory=Counter)
    #: (kind, features) of failed statements, oldest first, at most MAX_KEPT
    failures: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    #: features turned off, by this run or an earlier one
    off: set[str] = field(default_factory=set)

    def observe(self, kind: str, found: Iterable[str], outcome: Outcome | None) -> None:
        """Count one statement's features with its outcome."""
        verdict = judged(outcome)
        if verdict is None:
            return
        found = frozenset(found) | {EVERY}
        counts = self.passed if verdict else self.failed
        counts.update((kind, f) for f in found)
        if not verdict:
            self.failures.append((kind, found))
            del self.failures[:-MAX_KEPT]

    def observe_statement(self, node: object, outcome: Outcome | None) -> None:
        """Count a generated statement or query with its outcome (None: it ran)."""
        self.observe(type(node).__name__, features(node, detailed=True), outcome)

    def support(self, feature: str, kind: str | None = None) -> float:
        """The estimated chance that a statement (of this kind) with this feature compiles."""
        if kind is not None:
            return _support(self.passed[kind, feature], self.failed[kind, feature])
        return _support(*self.totals().get(feature, (0, 0, 0.0))[:2])

    def expected(self, feature: str) -> float:
        """The chance of compiling of the statements this feature was seen in, had it no
        influence: the support of each kind, weighted by how often the feature was in it."""
        passed, failed, mean = self.totals().get(feature, (0, 0, 0.0))
        return mean / (passed + failed) if passed + failed else 1.0

    def chance(self, feature: str) -> float:
        """How likely so few statements with this feature would have compiled, had it no
        influence (a Poisson tail: a conservative stand-in for the sum of binomials)."""
        passed, _, mean = self.totals().get(feature, (0, 0, 0.0))
        return _poisson_tail(passed, mean)

    def totals(self, explained: Counter[Key] | None = None) -> dict[str, tuple[int, int, float]]:
        """Per feature: statements with it that compiled, that failed, and how many would
        have compiled had it no influence (the sum of their kinds' supports). `explained`:
        failures not to count, as a feature that is off explains them."""
        gone = explained or Counter()
        base = {k: _support(self.passed[k, f], self.failed[k, f] - gone[k, f])
                for k, f in (*self.passed, *self.failed) if f == EVERY}  # fmt: skip
        totals: dict[str, tuple[int, int, float]] = {}
        for key in sorted(set(self.passed) | set(self.failed)):
            kind, feature = key
            ok, bad = self.passed[key], self.failed[key] - gone[key]
            p, f, m = totals.get(feature, (0, 0, 0.0))
            totals[feature] = (p + ok, f + bad, m + (ok + bad) * base.get(kind, 0.5))
        return totals

    def decide(self) -> frozenset[str]:
        """Turn off the features the failures are best explained by (see the module doc);
        returns every feature that is off."""
        explained: Counter[Key] = Counter()
        left = []
        for kind, found in self.failures:
            if self.off.isdisjoint(found):
                left.append((kind, found))
            else:
                explained.update((kind, f) for f in found)
        while left:
            # the failures explained so far are out of the counts: the next culprit stands
            # out against what the rest compiles at
            totals = self.totals(explained)
            suspects = {f for _, found in left for f in found} - {EVERY}
            alpha = ALPHA / max(1, len(suspects))  # so many features tested: Bonferroni
            # a kind of node with finer features among the suspects (`Func` beside `Func:X`)
            # is never the verdict: its refinements are, each on its own evidence, or none
            coarse = {f.split(":", 1)[0] for f in suspects if ":" in f}
            eligible = {
                f for f in suspects - coarse
                if (t := totals[f])[1] >= MIN_FAILURES
                and _support(t[0], t[1]) < RELATIVE_SUPPORT * t[2] / (t[0] + t[1])
                and _poisson_tail(t[0], t[2]) < alpha
            }  # fmt: skip
            # what turning one off gains: the failures it explains, less the statements with
            # it that compiled (so `Frame:GROUPS` rather than `Frame`); ties: the name
            gain = Counter(f for _, found in left for f in found & eligible)
            gain.subtract({f: totals[f][0] for f in gain})
            best = min(gain, key=lambda f: (-gain[f], f), default=None)
            if best is None or gain[best] < MIN_FAILURES:
                break
            self.off.add(best)
            for kind, found in left:
                if best in found:
                    explained.update((kind, f) for f in found)
            left = [(k, found) for k, found in left if best not in found]
        return frozenset(self.off)

    def merge(self, other: Evidence) -> None:
        self.passed.update(other.passed)
        self.failed.update(other.failed)
        self.failures.extend(other.failures)
        del self.failures[:-MAX_KEPT]
        self.off |= other.off

    def take(self) -> Evidence:
        """What was observed since the last take, and forget it (to send deltas)."""
        taken = Evidence(self.passed, self.failed, self.failures, set(self.off))
        self.passed, self.failed, self.failures = Counter(), Counter(), []
        return taken


def culprit(evidence: Evidence, kind: str, found: Iterable[str]) -> str:
    """The feature of a rejected statement that statements of its kind compiled with least
    often (ties: the name), to report a rejection by; the kind itself when it has none."""
    return min((f for f in found if f != EVERY),
               key=lambda f: (evidence.support(f, kind), f), default=kind)  # fmt: skip


def _support(passed: int, failed: int) -> float:
    """The mean of the Beta(1, 1) posterior of the chance of compiling."""
    return (passed + 1) / (passed + failed + 2)


def _poisson_tail(passed: int, mean: float) -> float:
    """P(X <= passed) for X ~ Poisson(mean)."""
    if mean <= 0:
        return 1.0
    terms = (math.exp(-mean + i * math.log(mean) - math.lgamma(i + 1)) for i in range(passed + 1))
    return min(1.0, sum(terms))


def judged(outcome: Outcome | None) -> bool | None:
    """True: the statement compiled; False: rejected at compile time; None: it cannot tell."""
    if outcome is None or outcome.ok:
        return True
    kind = outcome.category  # type: ignore[union-attr]
    if kind in COMPILED:
        return True
    if kind is ErrorCategory.COMPILE and outcome.sqlstate not in CONSEQUENTIAL:  # type: ignore[union-attr]
        return False
    return None
