"""Ternary logic partitioning (TLP).

Every row satisfies exactly one of `p`, `NOT p`, `p IS NULL`. So a query Q equals the union of Q
restricted to each of the three partitions: for WHERE as a multiset, for DISTINCT and GROUP BY
as a set, for HAVING as a multiset of groups, and for an aggregate as the aggregate of the
partitions' aggregates (MIN of MINs, SUM of SUMs and COUNTs, AVG as SUM over COUNT).

The three partition queries are built from one immutable query with `dataclasses.replace`, and
recombined here in Python rather than in a UNION, which would add type unification rules of its
own to what is being tested.

In `fuzz run` TLP takes its five variants in turn (plain WHERE, DISTINCT, GROUP BY, HAVING,
aggregates), each built around the same kind of draw. For a user's query (`fuzz check`) the
query's top-level clauses are located by `fuzzer.script.clauses` and the partitions are
spliced in around the user's own predicate, which is never re-spelled: the engine sees the
user's SQL, parenthesised. The WHERE predicate is p (for HAVING queries, the HAVING predicate).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any, ClassVar

from fuzzer import ast
from fuzzer.collations import fold
from fuzzer.dialects import get
from fuzzer.engines import Outcome
from fuzzer.generator import Generator, Host
from fuzzer.script import Clauses, clauses, features
from oracles.base import Discrepancy, Judge, Oracle, Probe, Skip, rows_of
from oracles.compare import (
    NAN,
    canonical_rows,
    jsonable,
    multisets_equal,
    sets_equal,
    values_equal,
)
from oracles.finding import Finding
from oracles.inputs import Check, draw_checks
from oracles.shape import aggregates_in, is_deterministic, walk, windows_in

AGGREGATES = ("MIN", "MAX", "SUM", "COUNT", "AVG")
#: the aggregates whose judges add the partitions' values up
SUMS = ("SUM", "AVG")


def partitions(p: ast.Expr) -> tuple[ast.Expr, ast.Expr, ast.Expr]:
    return p, ast.Unary("NOT", p), ast.IsNull(p)


def _and(a: ast.Expr | None, b: ast.Expr) -> ast.Expr:
    return b if a is None else ast.Binary("AND", a, b)


# -- judges ----------------------------------------------------------------------------------


def _union(outcomes: Sequence[Outcome], any_spelling: bool = False) -> tuple[list, list]:
    results = rows_of(outcomes)
    whole = canonical_rows(results[0].rows)
    parts = [row for r in results[1:] for row in canonical_rows(r.rows)]
    if any_spelling:
        whole, parts = _spelling_free(whole), _spelling_free(parts)
    return whole, parts


def _spelling_free(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Strings as `fuzzer.collations.fold` spells them: no trailing spaces, accents or case.

    Where comparison ignores trailing spaces (PostgreSQL's CHAR(n), MySQL's PAD SPACE
    collations, SQLite's RTRIM), case or accents (SQLite's NOCASE, MariaDB's _ci collations,
    DuckDB's NOCASE and NOACCENT), 'a', 'a ', 'A' and 'á' are one value to DISTINCT and GROUP
    BY, which may keep any of the spellings: which one is the engine's choice, not a bug.
    """
    return [tuple(fold(v) if isinstance(v, str) else v for v in row) for row in rows]


def _judge_bag(outcomes: Sequence[Outcome], any_spelling: bool, unit: str) -> Discrepancy | None:
    whole, parts = _union(outcomes, any_spelling)
    if multisets_equal(whole, parts):
        return None
    return Discrepancy(
        jsonable(sorted(whole, key=repr)),
        jsonable(sorted(parts, key=repr)),
        f"{len(whole)} {unit}, partitions together {len(parts)}",
    )


def judge_multiset(outcomes: Sequence[Outcome]) -> Discrepancy | None:
    return _judge_bag(outcomes, any_spelling=False, unit="rows")


def judge_groups(outcomes: Sequence[Outcome]) -> Discrepancy | None:
    """HAVING: a multiset of groups, whose keys are spelled as the engine chose."""
    return _judge_bag(outcomes, any_spelling=True, unit="groups")


def judge_set(outcomes: Sequence[Outcome]) -> Discrepancy | None:
    whole, parts = _union(outcomes, any_spelling=True)
    if sets_equal(whole, parts):
        return None
    a, b = sorted(set(whole), key=repr), sorted(set(parts), key=repr)
    return Discrepancy(jsonable(a), jsonable(b), f"{len(a)} distinct rows, partitions {len(b)}")


def _scalars(outcomes: Sequence[Outcome]) -> list[tuple[Any, ...]]:
    results = rows_of(outcomes)
    rows = []
    for r in results:
        if len(r.rows) != 1:
            raise Skip("an aggregate without GROUP BY must return one row")
        rows.append(canonical_rows(r.rows)[0])
    return rows


def _comparable(values: list[Any]) -> list[Any]:
    present = [v for v in values if v is not None]
    if any(v == NAN for v in present):
        raise Skip("NaN orders differently per engine")
    kinds = {
        "number" if isinstance(v, int | float | Decimal) else type(v).__name__ for v in present
    }
    if len(kinds) > 1:
        raise Skip("values of several types: their order is the engine's own")
    return present


def _same_value(expected: Any, actual: Any, printed: Any = None) -> bool:
    """Equal as the engine can spell it; `printed` is the engine's own value, uncanonicalised."""
    if isinstance(expected, str) and isinstance(actual, str):
        # Under a PAD SPACE collation (MySQL, MariaDB) 'a' and 'a ' are equal and MIN/MAX may
        # return either spelling: that is not a bug.
        return expected == actual or expected.rstrip(" ") == actual.rstrip(" ")
    if isinstance(printed, Decimal) and isinstance(expected, int | Decimal):
        # An engine rounds a division (AVG) to a scale of its choosing (MySQL: 4 digits,
        # PostgreSQL: about 16 significant digits, so none at all after 18 integer digits):
        # half a unit in the last digit it kept is not a difference.
        exponent = printed.as_tuple().exponent
        if isinstance(exponent, int):
            return abs(Decimal(expected) - printed) <= Decimal(10) ** exponent / 2
    return values_equal(expected, actual)


def _float_slack(parts: list[tuple[Any, ...]], per_value: bool) -> float:
    """How far a floating-point SUM (or AVG) may honestly be off.

    Adding n values of magnitude at most m in some order is off by at most about n * eps * n * m
    (an average by n * eps * m): the partitions add in another order than the whole query.
    The partition queries report MIN and MAX so that m is known.
    """
    n = sum(p[1] or 0 for p in parts)
    m = max((abs(float(v)) for p in parts for v in p[2:4] if v is not None), default=0.0)
    return 4 * sys.float_info.epsilon * m * (n if per_value else n * n)


def _floating(*values: Any) -> bool:
    return any(isinstance(v, float) for v in values)


def _judge_extreme(pick: Callable[..., Any]) -> Judge:
    def judge(outcomes: Sequence[Outcome]) -> Discrepancy | None:
        (whole,), *parts = _scalars(outcomes)
        values = _comparable([p[0] for p in parts])
        _comparable([*values, whole])
        expected = pick(values) if values else None
        if expected is None and whole is None:
            return None
        if expected is not None and whole is not None and _same_value(expected, whole):
            return None
        if isinstance(whole, str) and values:
            # Under SQLite's NOCASE, 'a' < 'B': the engine's order, not Python's, picks.
            loose = pick(values, key=lambda v: _spelling_free([(v,)])[0][0])
            if _spelling_free([(loose,)]) == _spelling_free([(whole,)]):
                return None
        return Discrepancy(jsonable([(expected,)]), jsonable([(whole,)]))

    return judge


def judge_count(outcomes: Sequence[Outcome]) -> Discrepancy | None:
    (whole,), *parts = _scalars(outcomes)
    expected = sum(_comparable([p[0] for p in parts]))
    return None if expected == whole else Discrepancy([[expected]], jsonable([(whole,)]))


def judge_sum(outcomes: Sequence[Outcome]) -> Discrepancy | None:
    (whole,), *parts = _scalars(outcomes)
    sums = _comparable([p[0] for p in parts])
    expected = sum(sums) if sums else None
    if expected is None or whole is None:
        ok = expected is None and whole is None
    elif _floating(whole, *sums):
        slack = _float_slack(parts, per_value=False)
        ok = abs(float(expected) - float(whole)) <= slack or values_equal(float(expected), whole)
    else:
        ok = _same_value(expected, whole)
    return None if ok else Discrepancy(jsonable([(expected,)]), jsonable([(whole,)]))


def judge_avg(outcomes: Sequence[Outcome]) -> Discrepancy | None:
    (whole,), *parts = _scalars(outcomes)
    printed = outcomes[0].rows[0][0]  # type: ignore[union-attr]
    sums = _comparable([p[0] for p in parts])
    count = sum(p[1] for p in parts)
    expected: Any = None
    if count:
        total = sum(sums)
        expected = Decimal(total) / count if isinstance(total, Decimal | int) else total / count
    if expected is None or whole is None:
        ok = expected is None and whole is None
    elif _floating(whole, *sums):
        slack = _float_slack(parts, per_value=True)
        ok = abs(float(expected) - float(whole)) <= slack or values_equal(float(expected), whole)
    else:
        ok = _same_value(expected, whole, printed)
    return None if ok else Discrepancy(jsonable([(str(expected),)]), jsonable([(whole,)]))


# -- what it draws ---------------------------------------------------------------------------

ONE = ast.Literal(1, ast.INTEGER)
ZERO = ast.Literal(0, ast.INTEGER)


def grouped(check: Check, generator: Generator | None = None) -> ast.Select:
    """The check's SELECT grouped by its own items (the GROUP BY variant); with a generator,
    sometimes by ROLLUP, CUBE or GROUPING SETS of them where the dialect has them. Constant
    items are no keys: a constant groups nothing, and an integer one names an output position.

    Both variants that group stay sound under grouping sets. GROUP BY (a set, no aggregates):
    a grouping set S contributes the rows' keys with the keys outside S set to NULL, so the
    whole query's set is the union over S of those projections of all rows, and a union over
    the partitions of the same projections is the same set. The empty set's row (all NULL) is
    there for the whole query iff some partition has it: engines that emit it for no input
    emit it for every query, the others for every non-empty one. HAVING (a multiset of
    groups): each output row, super-aggregate rows included, is one group with its own
    aggregates, and p, NOT p and p IS NULL send it to exactly one partition.
    """
    keys = [i.expr for i in check.select.items if _reads_a_column(i.expr)]
    group_by = tuple(keys) if generator is None or not keys else generator.grouping(keys)
    return replace(check.select, group_by=group_by)


def _reads_a_column(e: ast.Expr) -> bool:
    return any(isinstance(n, ast.ColumnRef) for n in walk(e))


def having(generator: Generator, check: Check) -> tuple[ast.Select, ast.Expr]:
    """A grouped SELECT with a count per group, and a HAVING predicate over aggregates.

    The generated predicate goes inside an aggregate, where it may use every column.
    """
    rng = generator.rng
    select = grouped(check, generator)
    counted = ast.SelectItem(ast.Aggregate("COUNT", ()), "n")
    select = replace(select, items=(*select.items, counted))
    hits = ast.Aggregate("SUM", (ast.Case(None, ((check.predicate, ONE),), ZERO),))
    forms = (
        ast.Binary(">", hits, ZERO),
        ast.Binary(">", ast.Aggregate("COUNT", ()), ast.Literal(rng.randint(0, 2), ast.INTEGER)),
        ast.Binary("=", hits, ast.Aggregate("COUNT", ())),
    )
    return select, forms[rng.randrange(len(forms))]


# -- the text of a user's query ----------------------------------------------------------------


def _partitions_text(p: str) -> tuple[str, str, str]:
    return f"({p})", f"NOT ({p})", f"({p}) IS NULL"


def _has_call(c: Clauses) -> bool:
    """Aggregates or windows in the select list: conservatively, any known aggregate name."""
    names = {f.removeprefix("func:") for f in features(c.text(c.select_list))}
    aggregate_names = {"count", "sum", "min", "max", "avg", "total", "group_concat",
                       "string_agg", "array_agg", "list", "bool_and", "bool_or", "every",
                       "stddev", "variance", "median"}  # fmt: skip
    return bool(names & aggregate_names) or "kw:OVER" in features(c.text(c.select_list))


# -- the oracle ------------------------------------------------------------------------------


class TLP(Oracle):
    name = "tlp"
    symptom = "wrong rows"
    signed_clauses = True
    description = (
        "Ternary logic partitioning: a query's rows must equal the union of the rows where its "
        "predicate is TRUE, FALSE and NULL."
    )
    #: the variants `fuzz run` takes in turn, one per check of this oracle
    skips_failures = True
    reads_only = True
    SCHEDULE = ("where", "distinct", "group-by", "having", "aggregate", "qualify")
    judges: ClassVar[dict[str, Judge]] = {
        "where": judge_multiset,
        "qualify": judge_multiset,
        "distinct": judge_set,
        "group-by": judge_set,
        "having": judge_groups,
        "aggregate:min": _judge_extreme(min),
        "aggregate:max": _judge_extreme(max),
        "aggregate:sum": judge_sum,
        "aggregate:count": judge_count,
        "aggregate:avg": judge_avg,
    }

    @property
    def _exact_sums(self) -> bool:
        """Whether the partitions' sums may be added up (`Capabilities.exact_integer_sums`)."""
        return get(self.context.dialect).capabilities.exact_integer_sums

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        """A check per predicate over one host (their whole query is one and runs once)."""
        variant = self.SCHEDULE[turn % len(self.SCHEDULE)]
        checks = draw_checks(generator)
        if not checks[0].deterministic:  # (the checks share their host)
            return []
        return [p for check in checks for p in self.variant_probes(variant, check, generator)]

    def variant_probes(self, variant: str, check: Check, generator: Generator) -> list[Probe]:
        host = check.host
        if variant == "distinct":
            return self.probes(replace(check.select, distinct=True), check.predicate, host)
        if variant == "group-by":
            return self.probes(grouped(check, generator), check.predicate, host)
        if variant == "having":
            return self.having_probes(*having(generator, check), host)
        if variant == "qualify":
            return self.qualify_probes(generator, check, host) or self.probes(
                check.select, check.predicate, host
            )
        if variant == "aggregate":
            # numeric: MIN to AVG apply
            expr = generator.expression("int", check.scope, host=host)
            return self.aggregate_probes(check.select.from_, expr, check.predicate, host)
        return self.probes(check.select, check.predicate, host)

    def returned_rows(self, probe: Probe, outcomes: Sequence[Outcome]) -> bool:
        """The whole query had rows; for an aggregate, its value is not that of no rows."""
        if not probe.variant.startswith("aggregate"):
            return super().returned_rows(probe, outcomes)
        return canonical_rows(rows_of(outcomes)[0].rows)[0][0] not in (None, 0)

    @classmethod
    def case_query(cls, finding: Finding) -> str:
        """The `... WHERE (p)` partition: the user-level query whose p TLP splits."""
        return finding.queries[1] if len(finding.queries) > 1 else finding.queries[0]

    def from_text(self, sql: str) -> list[Probe]:
        c = clauses(sql)
        if c is None or c.set_operation or c.limited:
            return []
        s = c.sql
        if c.having is not None and c.having_keyword is not None and c.group_by is not None:
            p = c.text(c.having)
            base = s[: c.having_keyword] + " " + s[c.having[1] : c.tail]
            parts = [s[: c.having_keyword] + f" HAVING {part} " + s[c.having[1] : c.tail]
                     for part in _partitions_text(p)]  # fmt: skip
            return [self.text_probe("having", [base, *parts], sql)]
        if c.where is None or c.where_keyword is None:
            return []
        p = c.text(c.where)
        head, rest = s[: c.where_keyword], s[c.where[1] : c.tail]
        base = f"{head} {rest}"
        parts = [f"{head} WHERE {part} {rest}" for part in _partitions_text(p)]
        aggregate = c.single_aggregate
        if c.group_by is not None:
            if aggregate is not None or _has_call(c):
                return []
            return [self.text_probe("group-by", [base, *parts], sql)]
        if aggregate is not None:
            name, arg = aggregate
            if name in SUMS and not self._exact_sums:
                return []
            if name in SUMS:  # the judge needs the count and the magnitude too
                prefix, source = s[: c.prefix_end], c.text(c.from_)
                items = ", ".join(f"{f}({arg})" for f in ("SUM", "COUNT", "MIN", "MAX"))
                parts = [f"{prefix}SELECT {items} FROM {source} WHERE {part}"
                         for part in _partitions_text(p)]  # fmt: skip
            return [self.text_probe(f"aggregate:{name.lower()}", [base, *parts], sql)]
        if _has_call(c):
            return []  # an aggregate or window among other items: no variant recombines it
        return [self.text_probe("distinct" if c.distinct else "where", [base, *parts], sql)]

    def probe(
        self, variant: str, queries: Sequence[ast.Query], about: ast.Query, host: Host | None
    ) -> Probe:
        """The queries, each under the host's WITH: the partitioned SELECT is the outermost."""
        if host is not None:
            queries, about = [host.wrap(q) for q in queries], host.wrap(about)
        return Probe(self.name, variant, tuple(self.render(q) for q in queries), about=about)

    def probes(
        self, query: ast.Select, predicate: ast.Expr | None = None, host: Host | None = None
    ) -> list[Probe]:
        """Probes for every variant that applies to `query` (its WHERE is p if none is given),
        each query under `host`'s WITH."""
        p = predicate if predicate is not None else query.where
        if p is None or not is_deterministic(query) or not is_deterministic(p):
            return []
        if aggregates_in(p) or windows_in(p):
            return []
        base = query if predicate is not None else replace(query, where=None)
        if base.limit is not None or base.offset is not None or base.distinct_on:
            return []
        if base.qualify is not None:  # QUALIFY's windows see the rows WHERE kept
            return []
        base = replace(base, order_by=())
        grouped = bool(base.group_by) or any(aggregates_in(i.expr) for i in base.items)
        if any(windows_in(i.expr) for i in base.items):
            return []
        found = []
        if not grouped:
            split = [replace(base, where=_and(base.where, part)) for part in partitions(p)]
            variant = "distinct" if base.distinct else "where"
            found.append(self.probe(variant, [base, *split], replace(base, where=p), host))
        elif base.group_by and not any(aggregates_in(i.expr) for i in base.items):
            split = [replace(base, where=_and(base.where, part)) for part in partitions(p)]
            found.append(self.probe("group-by", [base, *split], replace(base, where=p), host))
        return found

    def qualify_probes(
        self, generator: Generator, check: Check, host: Host | None = None
    ) -> list[Probe]:
        """QUALIFY (DuckDB): p compares a window function's result and may use the row too.

        QUALIFY filters rows after every window is computed over all the rows WHERE kept;
        the partitions change only QUALIFY, so their windows are the query's own and each row
        satisfies exactly one of p, NOT p and p IS NULL: the rows are a multiset union."""
        window = generator.window_predicate(check.scope, host=host)
        if window is None:
            return []
        op = "AND" if generator.rng.random() < 0.5 else "OR"
        p = ast.Binary(op, window, check.predicate)
        base = check.select
        if not is_deterministic(base) or not is_deterministic(p) or aggregates_in(p):
            return []
        if base.distinct or base.group_by or base.qualify is not None or base.limit is not None:
            return []  # DISTINCT, grouping and LIMIT come after QUALIFY: no longer a union
        if any(aggregates_in(i.expr) for i in base.items):
            return []
        split = [replace(base, qualify=part) for part in partitions(p)]
        return [self.probe("qualify", [base, *split], replace(base, qualify=p), host)]

    def having_probes(
        self, query: ast.Select, p: ast.Expr, host: Host | None = None
    ) -> list[Probe]:
        """HAVING: `query` is grouped, `p` may use aggregates and the grouping expressions."""
        if not query.group_by or query.distinct or query.limit is not None:
            return []
        if not is_deterministic(query) or not is_deterministic(p) or windows_in(p):
            return []
        base = replace(query, order_by=())
        split = [replace(base, having=_and(base.having, part)) for part in partitions(p)]
        return [self.probe("having", [base, *split], replace(base, having=p), host)]

    def aggregate_probes(
        self,
        relations: tuple[ast.Relation, ...],
        expr: ast.Expr,
        p: ast.Expr,
        host: Host | None = None,
    ) -> list[Probe]:
        """Aggregates of `expr` over `relations`, against the same over the three partitions."""
        if not is_deterministic(expr) or not is_deterministic(p) or aggregates_in(p):
            return []
        found = []
        exact = self._exact_sums
        for name in AGGREGATES if exact else tuple(a for a in AGGREGATES if a not in SUMS):
            whole = ast.Select((ast.SelectItem(ast.Aggregate(name, (expr,))),), relations)
            if name in SUMS:
                items = tuple(
                    ast.SelectItem(ast.Aggregate(f, (expr,)))
                    for f in ("SUM", "COUNT", "MIN", "MAX")
                )
                split = [ast.Select(items, relations, where=part) for part in partitions(p)]
            else:
                split = [replace(whole, where=part) for part in partitions(p)]
            about = replace(whole, where=p)
            found.append(self.probe(f"aggregate:{name.lower()}", [whole, *split], about, host))
        return found
