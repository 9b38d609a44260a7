"""What a caller may ask of the generator; what the dialect lets it emit is the dialect's
`capabilities`, narrowed by these options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: The chance of each optional construct; `Options.weights` multiplies these by name.
DEFAULT_WEIGHTS: dict[str, float] = {
    "join": 0.45, "comma_join": 0.1, "derived_table": 0.12, "lateral": 0.25, "natural": 0.15,
    "where": 0.75, "group_by": 0.3, "having": 0.4, "aggregate_only": 0.1, "distinct": 0.12,
    "distinct_on": 0.25, "order_by": 0.4, "limit": 0.3, "offset": 0.4, "window": 0.15,
    "set_op": 0.12, "with": 0.08, "recursive": 0.04, "subquery": 0.2,
    "host_with": 0.25, "host_recursive": 0.08, "correlate": 0.5, "case": 1.0,
    "function": 1.0, "cast": 0.5, "arith": 1.0, "aggregate_filter": 0.15, "null": 0.05,
    # the dialects' own SELECT clauses (fuzzer/generator/clauses.py)
    "grouping_sets": 0.35, "grouping_function": 0.4, "group_distinct": 0.25, "by_all": 0.25,
    "row_value": 0.04, "values": 0.05, "table_query": 0.03, "constant_on": 0.1,
    "dialect_join": 0.25, "index_hint": 0.1, "frame_exclude": 0.4, "window_filter": 0.2,
    "named_window": 0.3, "qualify": 0.15, "star": 0.08, "fetch": 0.35, "select_modifier": 0.1,
    "materialized": 0.4, "by_name": 0.3,
    # equivalent spellings (fuzzer/generator/spelling.py), each drawn on its own
    "spelling": 0.15, "no_from": 0.03,
}  # fmt: skip


@dataclass(frozen=True)
class Options:
    """`deterministic`: every query has one right answer (no LIMIT without a total order, no
    tie-dependent window functions or string aggregates). `portable`: only constructs whose
    meaning all dialects share (integer and text columns, no casts, no division)."""

    deterministic: bool = False
    portable: bool = False
    max_depth: int = 3
    weights: Mapping[str, float] = field(default_factory=dict)
    tables: tuple[int, int] = (2, 4)
    rows: tuple[int, int] = (4, 10)
    edge_values: float = 0.08
    #: the collations the server has (`fuzzer.collations.available`); None: all declared
    collations: tuple[str, ...] | None = None
    #: features the target rejects (learned: see fuzzer.adaptive), never to be emitted
    avoid: frozenset[str] = frozenset()

    def chances(self) -> dict[str, float]:
        """The probability of each feature, after weighting."""
        return {k: min(1.0, w * self.weights.get(k, 1.0)) for k, w in DEFAULT_WEIGHTS.items()}

    def chance(self, feature: str) -> float:
        return min(1.0, DEFAULT_WEIGHTS[feature] * self.weights.get(feature, 1.0))
