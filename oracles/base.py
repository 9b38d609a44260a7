"""What every oracle is: it turns a query into a *probe* and judges the probe's outcomes.

A probe is plain SQL text: the queries to run, in order. Its verdict depends only on the
outcomes of those queries, so the same probe can be re-run to confirm a candidate finding in a
fresh database, replayed by the triage store against a newer engine version, or shrunk by the
reducer, without the generator or the syntax tree that made it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fuzzer.engines import Failure, Outcome, Rows


@dataclass(frozen=True)
class Discrepancy:
    """What the oracle expected versus what the engine answered (JSON-serialisable)."""

    expected: Any
    actual: Any
    detail: str = ""


@dataclass(frozen=True)
class Probe:
    oracle: str
    variant: str
    queries: tuple[str, ...]
    features: tuple[str, ...] = ()
    #: the tree the probe was built from; its features are worked out only for a finding
    about: Any = field(default=None, compare=False, repr=False)


class Skip(Exception):
    """The probe's outcomes cannot be judged: an error, a timeout, a result too large.

    Precision first: an error in one query of a probe and not in another is no finding.
    """


Judge = Callable[[Sequence[Outcome]], Discrepancy | None]


def rows_of(outcomes: Sequence[Outcome]) -> list[Rows]:
    """The results, or Skip when any query failed."""
    for outcome in outcomes:
        if isinstance(outcome, Failure):
            raise Skip(outcome.message)
    return list(outcomes)  # type: ignore[arg-type]


class Oracle(ABC):
    """A single-engine metamorphic oracle (TLP, NoREC, ...)."""

    name: ClassVar[str]
    #: variant name -> the function that judges that variant's outcomes
    judges: ClassVar[dict[str, Judge]]

    @classmethod
    def judge(cls, variant: str, outcomes: Sequence[Outcome]) -> Discrepancy | None:
        """Decide; raises Skip when the outcomes cannot be judged."""
        return cls.judges[variant](outcomes)

    @abstractmethod
    def probes(self, query: Any, predicate: Any = None) -> list[Probe]:
        """The probes for a `fuzzer.ast.Select` and a predicate p (default: its WHERE)."""
