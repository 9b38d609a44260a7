"""Oracles: each decides, without a human, that an engine's answer is wrong.

One module per oracle. A single-engine oracle turns a query into probes (plain SQL) and judges
their outcomes; `judge` finds the right judge for a stored probe by oracle and variant name.
"""

from __future__ import annotations

from collections.abc import Sequence

from fuzzer.engines import Outcome
from oracles.base import Discrepancy, Oracle, Probe, Skip
from oracles.norec import NoREC
from oracles.tlp import TLP

#: single-engine oracles by name
ORACLES: dict[str, type[Oracle]] = {cls.name: cls for cls in (TLP, NoREC)}

#: every oracle name a user may ask for; "diff" needs a reference engine
ALL = (*ORACLES, "diff")


def judge(oracle: str, variant: str, outcomes: Sequence[Outcome]) -> Discrepancy | None:
    return ORACLES[oracle].judge(variant, outcomes)


__all__ = ["ALL", "ORACLES", "Discrepancy", "Oracle", "Probe", "Skip", "judge"]
