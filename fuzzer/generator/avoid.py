"""Features the generator must not emit, because the target rejects them (fuzzer.adaptive).

Two means, both in one place and reproducible (same seed, same avoided set, same SQL):
- what is data is narrowed before anything is drawn: the column types and type families
  whose literals or declarations the target rejects, the functions, operators and
  aggregates it lacks, the capabilities that allow one rejected feature (collations,
  LATERAL, ...), and the items of those that name a feature one to one (join kinds, pattern
  operators, frame units, maintenance statements). A CREATE TABLE or an INSERT cannot be
  left out of a database, so what they may contain cannot be left to rejection;
- whatever else a draw contains is rejected at the top: the generator draws again, up to
  `MAX_DRAWS` times, until the statement has none of the avoided features.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TypeVar

from fuzzer import ast as A
from fuzzer.dialects import family
from fuzzer.dialects.capabilities import Capabilities
from fuzzer.functions import Signature, Usable

T = TypeVar("T")

#: Draws of one statement before the last one is taken as it is (it will fail on the target).
MAX_DRAWS = 30
#: Capabilities whose items each name one feature: field -> the node kind of that feature.
ITEM_FEATURES = {"joins": "Join", "like_ops": "Like", "frame_units": "Frame", "maintenance":
                 "Maintenance"}  # fmt: skip
#: Capabilities that allow one feature: field -> that feature. With it off, they are off too
#: (False, or an empty tuple), so that no CREATE TABLE, which cannot be left out, has it.
FLAG_FEATURES = {
    "collations": "ColumnDef.collate", "partial_index": "CreateIndex.where",
    "lateral": "DerivedTable.lateral", "distinct_on": "Select.distinct_on",
    "aggregate_filter": "Aggregate.filter", "nulls_order": "OrderItem.nulls", "casts": "Cast",
    "quantified_subquery": "Quantified", "natural_join": "Join.natural",
    "table_options": "CreateTable.options", "keyed_table_options": "CreateTable.options",
    "persistence": "CreateTable.persistence", "foreign_keys": "CreateTable.foreign_keys",
    "partitioning": "CreateTable.partition_by", "generated_columns": "ColumnDef.generated",
}  # fmt: skip
#: Statements a database script can do without: dropping one leaves the schema it describes
#: true (an UPDATE's values only widen what a column is thought to hold).
OPTIONAL_STATEMENTS = (A.CreateIndex, A.Update, A.Delete, A.Maintenance, A.Analyze,
                       A.CreateStatistics, A.SetStatistics, A.Setting)  # fmt: skip


def narrow(caps: Capabilities, avoid: frozenset[str]) -> Capabilities:
    """The capabilities without the types, families and items the target rejects. A family
    goes when its literals are rejected or none of its column types is left; at least one
    family always stays."""
    lost = {family(A.SQLType(f.split(":", 1)[1])) for f in avoid if f.startswith("Literal:")}
    types = {
        fam: kept
        for fam, ts in caps.column_types.items()
        if fam not in lost and (kept := tuple(t for t in ts if f"ColumnDef:{t.kind}" not in avoid))
    }
    families = tuple(
        f for f in caps.families if f not in lost and (f in types or f not in caps.column_types)
    )
    changes: dict[str, object] = {"families": families, "column_types": types} if families else {}
    for name, feature in FLAG_FEATURES.items():
        if feature in avoid and hasattr(caps, name):
            changes[name] = type(getattr(caps, name))()
    for name, kind in ITEM_FEATURES.items():
        items = getattr(caps, name)
        kept = [i for i in items if f"{kind}:{i}" not in avoid]
        if len(kept) < len(items):
            changes[name] = {i: items[i] for i in kept} if isinstance(items, Mapping) \
                else tuple(kept)  # fmt: skip
    return replace(caps, **changes)


def without_functions(usable: Usable, avoid: frozenset[str]) -> Usable:
    """The callable signatures without those whose calls the target rejects."""

    def kept(groups: dict[str, list[Signature]], node: str) -> dict[str, list[Signature]]:
        return {f: [s for s in ss if f"{node}:{s.name}" not in avoid] for f, ss in groups.items()}

    return Usable(kept(usable.scalars, "Func"), kept(usable.aggregates, "Aggregate"),
                  kept(usable.windows, "Func"))  # fmt: skip


def draw_avoiding(
    draw: Callable[[], T], avoid: frozenset[str], found: Callable[[T], frozenset[str]]
) -> T:
    """A draw with none of the avoided features, or the last of `MAX_DRAWS` draws. With
    nothing to avoid it draws once, as a generator without a learned table does."""
    node = draw()
    for _ in range(MAX_DRAWS - 1):
        if not avoid or avoid.isdisjoint(found(node)):
            break
        node = draw()
    return node
