"""What a caller may ask of the generator, and what the target dialect lets it emit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fuzzer import ast as A
from fuzzer.dialects import Dialect
from fuzzer.generator.functions import Signature, library

#: The chance of each optional construct; `Options.weights` multiplies these by name.
DEFAULT_WEIGHTS: dict[str, float] = {
    "join": 0.45, "comma_join": 0.1, "derived_table": 0.12, "lateral": 0.15, "natural": 0.15,
    "where": 0.75, "group_by": 0.3, "having": 0.4, "aggregate_only": 0.1, "distinct": 0.12,
    "distinct_on": 0.25, "order_by": 0.4, "limit": 0.3, "offset": 0.4, "window": 0.15,
    "set_op": 0.12, "with": 0.08, "recursive": 0.04, "subquery": 0.12, "case": 1.0,
    "function": 1.0, "cast": 0.5, "arith": 1.0, "aggregate_filter": 0.15, "null": 0.05,
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

    def chances(self) -> dict[str, float]:
        """The probability of each feature, after weighting."""
        return {k: min(1.0, w * self.weights.get(k, 1.0)) for k, w in DEFAULT_WEIGHTS.items()}

    def chance(self, feature: str) -> float:
        return min(1.0, DEFAULT_WEIGHTS[feature] * self.weights.get(feature, 1.0))


PORTABLE_FAMILIES = ("int", "text")

#: The one type per portable family whose values mean the same everywhere: no CHAR(n)
#: padding (PostgreSQL pads, SQLite does not), no VARCHAR(n) limit (PostgreSQL enforces it,
#: SQLite does not), no SMALLINT overflow (PostgreSQL raises it, SQLite has no such width).
PORTABLE_TYPES: dict[str, tuple[A.SQLType, ...]] = {"int": (A.INTEGER,), "text": (A.TEXT,)}


@dataclass(frozen=True)
class Caps:
    """The dialect's capabilities narrowed by the options: what the generator may emit."""

    families: tuple[str, ...]
    joins: tuple[str, ...]
    natural: bool
    lateral: bool
    distinct_on: bool
    aggregate_filter: bool
    nulls_order: bool
    set_ops: tuple[tuple[str, bool], ...]
    quantified: bool
    like_ops: tuple[str, ...]
    frame_units: tuple[str, ...]
    string_agg: bool
    bool_aggregates: tuple[str, ...]
    casts: bool
    functions: dict[str, list[Signature]]
    column_types: dict[str, tuple[A.SQLType, ...]]
    collations: tuple[str, ...]  # collation names are each engine's own
    partial_index: bool  # DuckDB and MySQL have none
    expression_index: bool
    maintenance: dict[str, bool]  # statement kind -> takes a table name

    @classmethod
    def of(cls, d: Dialect, o: Options) -> Caps:
        p = o.portable
        families = tuple(f for f in d.families if f in PORTABLE_FAMILIES) if p else d.families
        return cls(
            families=families,
            joins=tuple(j for j in d.joins if j in ("INNER", "LEFT", "CROSS")) if p else d.joins,
            natural=d.natural_join and not p,
            lateral=d.lateral and not p,
            distinct_on=d.distinct_on and not p,
            aggregate_filter=d.aggregate_filter and not p,
            nulls_order=d.nulls_order and not p,
            set_ops=tuple(s for s in d.set_ops if not s[1] or s[0] == "UNION") if p else d.set_ops,
            quantified=d.quantified_subquery and not p,
            like_ops=() if p else d.like_ops,  # SQLite's LIKE ignores ASCII case
            frame_units=tuple(u for u in d.frame_units if u != "GROUPS") if p else d.frame_units,
            string_agg=not p and (d.string_agg_order or not o.deterministic),
            bool_aggregates=() if p else d.bool_aggregates,
            casts=not p,
            functions=library(d, families, p),
            column_types=PORTABLE_TYPES if p else d.column_types,
            collations=() if p else d.collations,
            partial_index=d.partial_index and not p,
            expression_index=d.expression_index and not p,
            maintenance=(
                {k: v for k, v in d.maintenance.items() if k == "ANALYZE"} if p else d.maintenance
            ),
        )
