"""Differential query plans (DQP, SIGMOD'24): a query's rows must not depend on its plan.

Every engine lets a session steer its planner: PostgreSQL's `enable_*` settings and collapse
limits, MySQL's and MariaDB's `optimizer_switch` and `join_cache_level`, DuckDB's
`disabled_optimizers`, SQLite's `automatic_index` and `NOT INDEXED`. A plan is an
implementation choice, so the same query under the default plan and under a forced one must
return the same multiset of rows. A wrong index scan, a join algorithm that drops NULLs, a
rewrite that is not an equivalence: each shows as two plans that disagree, which TLP and NoREC
often cannot see (both of their queries may take the same broken path).

A probe is plain SQL: the query, the statements that set the knobs, the query again (spelled
differently for a knob that lives in the query's text, like `NOT INDEXED`), and the statements
that reset the knobs. Every statement of a probe runs even when one fails, so the session is
always reset, and a confirmation or a replay runs exactly the same statements. A knob the
engine does not have fails its SET: the check is skipped, never judged.

What a plan may legitimately change is kept out: row order (results compare as multisets),
which of several equal spellings DISTINCT or GROUP BY keeps (strings compare without trailing
spaces and ASCII case), LIMIT and other nondeterminism (`oracles.shape.is_deterministic`),
every aggregate or window function but COUNT, MIN and MAX (a float SUM or AVG adds in plan
order, and string_agg concatenates in it), and generated queries over views, whose own query
the schema model does not keep. A query that fails under either plan, or times out under a
bad one, is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from fuzzer import ast
from fuzzer.dialects import Dialect, get
from fuzzer.engines import Engine, Outcome
from fuzzer.generator import Generator
from fuzzer.script import clauses, features
from oracles.base import Discrepancy, Oracle, Probe, Skip, rows_of
from oracles.compare import canonical_rows, jsonable, multisets_equal
from oracles.finding import Finding
from oracles.inputs import draw_plan_free
from oracles.shape import (
    ORDER_SENSITIVE_AGGREGATES,
    VOLATILE_FUNCTIONS,
)
from oracles.tlp import _spelling_free

#: The first words of a knob statement; every other statement of a probe is the query.
KNOB_VERBS = ("SET", "RESET", "PRAGMA")


# -- knobs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Knob:
    """One plan setting: the statements that set and reset it, or a spelling of the query."""

    name: str  # as a maintainer reads it: "enable_hashjoin=off", "NOT INDEXED"
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    #: a knob in the query's text: the dialect that spells the query under it
    spelling: Callable[[Dialect], Dialect] | None = None


def _pg_off(setting: str) -> Knob:
    return Knob(f"{setting}=off", (f"SET {setting} = off",), (f"RESET {setting}",))


def _pg(name: str, **values: str) -> Knob:
    return Knob(
        name,
        tuple(f"SET {k} = {v}" for k, v in values.items()),
        tuple(f"RESET {k}" for k in values),
    )


_PARALLEL = {
    "parallel_setup_cost": "0",
    "parallel_tuple_cost": "0",
    "min_parallel_table_scan_size": "0",
}

#: the planner's method switches, each turned off
PG_METHODS = (
    "hashjoin", "mergejoin", "nestloop", "seqscan", "indexscan", "bitmapscan",
    "indexonlyscan", "hashagg", "sort", "material", "memoize", "gathermerge",
    "incremental_sort", "parallel_hash", "parallel_append", "partition_pruning",
    "tidscan", "presorted_aggregate",
)  # fmt: skip

POSTGRES = (
    *(_pg_off(f"enable_{what}") for what in PG_METHODS),
    _pg("enable_partitionwise_join=on", enable_partitionwise_join="on"),
    _pg("enable_partitionwise_aggregate=on", enable_partitionwise_aggregate="on"),
    _pg("collapse_limits=1", join_collapse_limit="1", from_collapse_limit="1"),
    _pg("geqo_threshold=2", geqo="on", geqo_threshold="2"),
    _pg("random_page_cost=0", random_page_cost="0"),
    _pg("random_page_cost=1e6", random_page_cost="1000000"),
    _pg("cpu_tuple_cost=0", cpu_tuple_cost="0"),
    _pg("cpu_tuple_cost=1e6", cpu_tuple_cost="1000000"),
    # forced parallel query: debug_parallel_query from PostgreSQL 16, force_parallel_mode before
    _pg("debug_parallel_query=on", debug_parallel_query="on", **_PARALLEL),
    _pg("force_parallel_mode=on", force_parallel_mode="on", **_PARALLEL),
)

#: optimizer_switch flags and their defaults (MariaDB 10.11's); a knob flips one. A flag the
#: server lacks fails its SET and the check is skipped, so MySQL 8's own flags (hash_join,
#: skip_scan...) wait for the oracle to know the server's flavour when it draws.
OPTIMIZER_SWITCH = {
    **dict.fromkeys(
        "index_merge index_merge_union index_merge_sort_union index_merge_intersection "
        "index_condition_pushdown derived_merge derived_with_keys firstmatch loosescan "
        "materialization in_to_exists semijoin partial_match_rowid_merge "
        "partial_match_table_scan subquery_cache outer_join_with_cache semijoin_with_cache "
        "join_cache_incremental join_cache_hashed join_cache_bka optimize_join_buffer_size "
        "table_elimination extended_keys exists_to_in orderby_uses_equalities "
        "condition_pushdown_for_derived split_materialized condition_pushdown_for_subquery "
        "rowid_filter condition_pushdown_from_having".split(),
        "on",
    ),
    **dict.fromkeys(
        "index_merge_sort_intersection engine_condition_pushdown mrr mrr_cost_based "
        "mrr_sort_keys not_null_range_scan hash_join_cardinality cset_narrowing".split(),
        "off",
    ),
}


def _switch(flag: str, default: str) -> Knob:
    value = "off" if default == "on" else "on"
    return Knob(
        f"optimizer_switch={flag}={value}",
        (f"SET SESSION optimizer_switch = '{flag}={value}'",),
        ("SET SESSION optimizer_switch = DEFAULT",),
    )


def _no_index_hint(dialect: Dialect) -> Dialect:
    """MySQL's `USE INDEX ()` after every table, in place of its own hint: no index at all."""

    def table(self: Dialect, node: ast.TableRef) -> str:
        return f"{type(dialect)._TableRef(self, replace(node, hint=None))} USE INDEX ()"

    return type("NoIndexMySQL", (type(dialect),), {"_TableRef": table})()


def _not_indexed(dialect: Dialect) -> Dialect:
    """SQLite's `NOT INDEXED` after every table, in place of its own hint: full scans only."""

    def table(self: Dialect, node: ast.TableRef) -> str:
        return f"{type(dialect)._TableRef(self, replace(node, hint=None))} NOT INDEXED"

    return type("NotIndexedSQLite", (type(dialect),), {"_TableRef": table})()


def _cross_joins(dialect: Dialect) -> Dialect:
    """SQLite's CROSS JOIN for every inner join: the join order as written."""

    def join(self: Dialect, node: ast.Join) -> str:
        if node.kind == "INNER" and not node.natural:
            node = replace(node, kind="CROSS")
        return type(dialect)._Join(self, node)

    return type("CrossJoinSQLite", (type(dialect),), {"_Join": join})()


MYSQL = (
    *(_switch(flag, default) for flag, default in OPTIMIZER_SWITCH.items()),
    *(
        Knob(
            f"join_cache_level={level}",
            (f"SET SESSION join_cache_level = {level}",),
            ("SET SESSION join_cache_level = DEFAULT",),
        )
        for level in (0, 1, 4, 8)  # MariaDB's; MySQL has no such variable
    ),
    Knob("USE INDEX ()", spelling=_no_index_hint),
)

#: DuckDB's optimizer passes (duckdb_optimizers() of 1.x, where it exists); a knob disables
#: one or several at once. A release without a pass, or without the setting, fails the SET.
DUCKDB_OPTIMIZERS = (
    "expression_rewriter", "filter_pullup", "filter_pushdown", "empty_result_pullup",
    "cte_filter_pusher", "regex_range", "in_clause", "join_order", "deliminator",
    "unnest_rewriter", "unused_columns", "statistics_propagation", "common_subexpressions",
    "common_aggregate", "column_lifetime", "build_side_probe_side", "compressed_materialization",
    "duplicate_groups", "reorder_filter", "join_filter_pushdown", "extension",
    "materialized_cte", "aggregate_function_rewriter", "late_materialization", "cte_inlining",
    "join_elimination", "outer_join_simplification", "partial_aggregate_pushdown",
    "type_pushdown", "scalar_fn_pushdown", "projection_pullup",
)  # fmt: skip

DUCKDB = (
    *(
        Knob(
            f"disabled_optimizers={name}",
            (f"SET disabled_optimizers = '{name}'",),
            ("RESET disabled_optimizers",),
        )
        for name in DUCKDB_OPTIMIZERS
    ),
    Knob("disable_optimizer", ("PRAGMA disable_optimizer",), ("PRAGMA enable_optimizer",)),
)

SQLITE = (
    Knob(
        "automatic_index=off", ("PRAGMA automatic_index = off",), ("PRAGMA automatic_index = on",)
    ),
    Knob(
        "reverse_unordered_selects=on",
        ("PRAGMA reverse_unordered_selects = on",),
        ("PRAGMA reverse_unordered_selects = off",),
    ),
    Knob("NOT INDEXED", spelling=_not_indexed),
    Knob("CROSS JOIN", spelling=_cross_joins),
)

#: Each dialect's plan knobs. (Unary `+` on SQLite column references is not among them: it
#: strips the column's affinity, which changes what a comparison means, not only the plan.)
KNOBS: dict[str, tuple[Knob, ...]] = {
    "postgres": POSTGRES,
    "mysql": MYSQL,
    "duckdb": DUCKDB,
    "sqlite": SQLITE,
}


def combined(knobs: Sequence[Knob]) -> list[Knob]:
    """Knobs that can be set together; DuckDB's disabled passes go in one setting."""
    passes = [k.name.partition("=")[2] for k in knobs if k.name.startswith("disabled_optimizers=")]
    rest = [k for k in knobs if not k.name.startswith("disabled_optimizers=")]
    if len(passes) > 1:
        names = ",".join(passes)
        merged = Knob(
            f"disabled_optimizers={names}",
            (f"SET disabled_optimizers = '{names}'",),
            ("RESET disabled_optimizers",),
        )
        return [merged, *rest]
    return list(knobs)


# -- the judge -------------------------------------------------------------------------------


def is_knob(statement: str) -> bool:
    words = statement.lstrip().split(None, 1)
    return bool(words) and words[0].upper() in KNOB_VERBS


def judge_plans(queries: Sequence[str], outcomes: Sequence[Outcome]) -> Discrepancy | None:
    """The two runs of the query as multisets, ignoring the spellings equal values may take."""
    for statement, outcome in zip(queries, outcomes, strict=True):
        if is_knob(statement) and not outcome.ok:
            raise Skip(f"the engine refused a knob: {statement}")
    default, forced = rows_of([o for s, o in zip(queries, outcomes, strict=True) if not is_knob(s)])
    a = _spelling_free(canonical_rows(default.rows))
    b = _spelling_free(canonical_rows(forced.rows))
    if multisets_equal(a, b):
        return None
    return Discrepancy(
        jsonable(sorted(a, key=repr)),
        jsonable(sorted(b, key=repr)),
        f"{len(a)} rows under the default plan, {len(b)} under the forced one",
    )


def knobs_of(queries: Sequence[str]) -> list[str]:
    """The statements that set a probe's knobs (between its two queries), for a finding."""
    first = next(n for n, q in enumerate(queries) if not is_knob(q))
    second = next((n for n, q in enumerate(queries) if n > first and not is_knob(q)), first)
    return list(queries[first + 1 : second])


# -- the oracle ------------------------------------------------------------------------------


class DQP(Oracle):
    name = "dqp"
    symptom = "wrong rows"
    signed_clauses = True
    description = (
        "Differential query plans: a query must return the same rows under its default plan "
        "and under a plan forced by the engine's own planner settings (disabled join methods, "
        "index scans or optimizer rewrites)."
    )
    #: not in the default rotation: on DuckDB, whose configuration sqlparity locks, every
    #: knob is refused, and `fuzz check` would run each query once per knob
    by_default = False
    #: how many knobs one check sets together, at most
    MOST = 2

    @property
    def knobs(self) -> tuple[Knob, ...]:
        return KNOBS.get(self.context.dialect, ())

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        return judge_plans(probe.queries, outcomes)

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        if not self.knobs:
            return []
        query = draw_plan_free(generator)
        rng = generator.rng
        chosen = rng.sample(self.knobs, rng.randint(1, min(self.MOST, len(self.knobs))))
        if query is None:
            return []
        probe = self.probe(query, combined(chosen))
        if len(probe.queries) == 2 and probe.queries[0] == probe.queries[1]:
            # the knobs chosen live in text the query does not have (no table, no join)
            sessions = [k for k in self.knobs if k.spelling is None]
            probe = self.probe(query, [rng.choice(sessions)])
        return [probe]

    def probe(self, query: ast.Query, knobs: Sequence[Knob]) -> Probe:
        dialect = get(self.context.dialect)
        for knob in knobs:
            if knob.spelling is not None:
                dialect = knob.spelling(dialect)
        before = [s for k in knobs for s in k.before]
        # one reset of optimizer_switch undoes every flag: each distinct reset, once
        after = list(dict.fromkeys(s for k in reversed(knobs) for s in k.after))
        queries = (self.render(query), *before, dialect.render(query), *after)
        return Probe(self.name, "plan", queries, about=query)

    def from_text(self, sql: str) -> list[Probe]:
        """One probe per knob that lives in the session (a knob in the text needs a tree)."""
        c = clauses(sql)
        if c is None or c.limited:
            return []
        found = features(sql)
        names = {f.removeprefix("func:") for f in found if f.startswith("func:")}
        if names & (VOLATILE_FUNCTIONS | ORDER_SENSITIVE_AGGREGATES) or "kw:LIMIT" in found:
            return []
        if "kw:OVER" in found:
            return []
        query = sql.strip().rstrip(";")
        return [
            self.text_probe("plan", (query, *k.before, query, *k.after), sql)
            for k in self.knobs
            if k.spelling is None
        ]

    def finding(
        self,
        probe: Probe,
        seen: Discrepancy,
        target: Engine,
        reference: Engine | None,
        setup: Sequence[str],
        reference_setup: Sequence[str] = (),
        **more: Any,
    ) -> Finding:
        """The finding names its knobs, in `extra` and in its title: the plan that is wrong."""
        knobs = knobs_of(probe.queries) + _respelling(probe.queries)
        extra = {**more.pop("extra", {}), "knobs": knobs}
        found = super().finding(probe, seen, target, reference, setup, extra=extra, **more)
        return replace(found, title=f"{found.title} with {'; '.join(knobs)}")


def _respelling(queries: Sequence[str]) -> list[str]:
    """The knobs in the text: what the forced query spells and the default one does not."""
    forced = next((q for q in queries[1:] if not is_knob(q)), "")
    return [w for w in ("NOT INDEXED", "USE INDEX ()", "CROSS JOIN")
            if w in forced and w not in queries[0]]  # fmt: skip


__all__ = ["DQP", "KNOBS", "Knob", "judge_plans"]
