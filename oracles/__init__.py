"""Oracles: each decides, without a human, that an engine's answer is wrong.

An oracle is one module defining one `Oracle` subclass (see `oracles.base`). Built-in oracles
are listed here by module, so that sqlparity runs from its sources alone; other packages add
oracles through the `sqlparity.oracles` entry-point group (name: the oracle's name, value:
`module:Class`), as engines are added through `sqlparity.engines`.
"""

from __future__ import annotations

from collections.abc import Sequence

from fuzzer.engines import Outcome
from fuzzer.plugins import load, registered
from oracles.base import Context, Discrepancy, Oracle, Probe, Skip

_BUILTIN = {
    "tlp": "oracles.tlp:TLP",
    "norec": "oracles.norec:NoREC",
    "diff": "oracles.differential:Differential",
    "crash": "oracles.crash:Crash",
    "dqp": "oracles.dqp:DQP",
    "plancache": "oracles.plancache:PlanCache",
    "isolation": "oracles.isolation:Isolation",
    "expr": "oracles.expr:FunctionFidelity",
    "eet": "oracles.eet:EET",
    "codd": "oracles.codd:CODD",
    "fts": "oracles.fts:FTS",
    "ann-invariants": "oracles.ann:ANNInvariants",
    "ann-recall": "oracles.ann_recall:ANNRecall",
}


class UnknownOracle(KeyError):
    """No oracle of that name is installed."""


def names() -> dict[str, str]:
    """Every oracle sqlparity knows, with the class that is it."""
    return registered(_BUILTIN, "sqlparity.oracles")


def oracle_class(name: str) -> type[Oracle]:
    target = names().get(name)
    if target is None:
        raise UnknownOracle(name)
    return load(target)


def selectable() -> tuple[str, ...]:
    """The oracles a user may ask for by name: all but those that watch every statement."""
    return tuple(n for n in names() if not oracle_class(n).needs_restart)


def judge(oracle: str, variant: str, outcomes: Sequence[Outcome]) -> Discrepancy | None:
    """The verdict of a single-engine oracle's variant on a probe's outcomes."""
    return oracle_class(oracle).judges[variant](outcomes)


__all__ = [
    "Context",
    "Discrepancy",
    "Oracle",
    "Probe",
    "Skip",
    "UnknownOracle",
    "judge",
    "names",
    "oracle_class",
    "selectable",
]
