"""Non-optimizing reference engine construction (NoREC).

`SELECT COUNT(*) FROM f WHERE p` is what optimizers work hardest on: indexes, pushed-down
predicates, rewritten joins. `SELECT SUM(CASE WHEN p THEN 1 ELSE 0 END) FROM f` computes the
same number while evaluating p on every row, which leaves an optimizer little to get wrong.
Both queries are built afresh from the immutable FROM clause and predicate: the unoptimised
side can never keep the WHERE clause of the other (the defect SQLancer's NoREC once had).
For a user's query (`fuzz check`) its WHERE predicate is p, spliced in as the user wrote it.

In `fuzz run` a check draws several predicates over one FROM (`PREDICATES_PER_HOST`): their
unoptimised counts are the columns of one `SELECT SUM(CASE WHEN p1 ...), SUM(CASE WHEN p2
...) FROM f`, one scan for them all. A count that disagrees there is checked again the plain
way, with its own unoptimised query, and only that pair can become a finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from fuzzer import ast
from fuzzer.engines import Outcome
from fuzzer.generator import Generator, Host
from fuzzer.script import clauses
from oracles.base import Discrepancy, Judge, Oracle, Probe, Shared, Skip, rows_of
from oracles.compare import canonical
from oracles.inputs import draw_checks
from oracles.shape import aggregates_in, is_deterministic, windows_in

ONE = ast.Literal(1, ast.INTEGER)
ZERO = ast.Literal(0, ast.INTEGER)


def _count(outcome_rows: list) -> int:
    if len(outcome_rows) != 1:
        raise Skip("a count must be one row")
    value = canonical(outcome_rows[0][0])
    if value is None:
        return 0  # SUM over no rows
    if not isinstance(value, int):
        raise Skip(f"a count that is not an integer: {value!r}")
    return value


def judge_count(outcomes: Sequence[Outcome]) -> Discrepancy | None:
    optimised, unoptimised = (_count(r.rows) for r in rows_of(outcomes))
    if optimised == unoptimised:
        return None
    return Discrepancy(
        [[unoptimised]], [[optimised]], "rows counted by WHERE vs rows where p is true"
    )


class NoREC(Oracle):
    name = "norec"
    symptom = "wrong rows"
    signed_clauses = True
    description = (
        "Non-optimising reference: the number of rows an optimised query returns must equal "
        "the count from an equivalent query the optimiser cannot rewrite."
    )
    skips_failures = True
    reads_only = True
    judges: ClassVar[dict[str, Judge]] = {"count": judge_count}

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        checks = draw_checks(generator)
        if not checks[0].deterministic:  # (the checks share their host)
            return []
        drawn = {c.predicate: self.probes(c.select, c.predicate, c.host) for c in checks}
        alone = {p: probes[0] for p, probes in drawn.items() if probes}
        if len(alone) < 2:
            return list(alone.values())
        return self.sharing(alone, checks[0].select.from_, checks[0].host)

    def sharing(self, alone: dict[ast.Expr, Probe], from_: tuple[ast.Relation, ...],
                host: Host) -> list[Probe]:  # fmt: skip
        """The probes of predicates over one FROM, their unoptimised counts in one query."""
        items = tuple(ast.SelectItem(ast.Aggregate("SUM", (ast.Case(None, ((p, ONE),), ZERO),)))
                      for p in alone)  # fmt: skip
        counts = self.render(host.wrap(ast.Select(items, from_)))
        return [
            replace(probe, queries=(probe.queries[0], counts), shared=Shared(n, probe))
            for n, probe in enumerate(alone.values())
        ]

    def follow_up(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Probe | None:
        """A shared count that disagrees: the probe it stands for, to judge alone."""
        if probe.shared is None:
            return None
        optimised, counts = rows_of(outcomes)
        if len(counts.rows) != 1:
            raise Skip("a count must be one row")
        column = [(counts.rows[0][probe.shared.column],)]
        return None if _count(optimised.rows) == _count(column) else probe.shared.alone

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        """A shared count reaches here only when it agreed (`follow_up`)."""
        return None if probe.shared is not None else judge_count(outcomes)

    def returned_rows(self, probe: Probe, outcomes: Sequence[Outcome]) -> bool:
        """The optimised query counted some rows."""
        return _count(rows_of(outcomes)[0].rows) > 0

    def from_text(self, sql: str) -> list[Probe]:
        c = clauses(sql)
        if c is None or c.set_operation or c.where is None or c.from_ is None:
            return []
        if c.group_by is not None or c.having is not None:
            return []
        prefix, source, p = c.sql[: c.prefix_end], c.text(c.from_), c.text(c.where)
        optimised = f"{prefix}SELECT COUNT(*) FROM {source} WHERE {p}"
        unoptimised = f"{prefix}SELECT SUM(CASE WHEN {p} THEN 1 ELSE 0 END) FROM {source}"
        return [self.text_probe("count", [optimised, unoptimised], sql)]

    def probes(
        self, query: ast.Select, predicate: ast.Expr | None = None, host: Host | None = None
    ) -> list[Probe]:
        """COUNT(*) ... WHERE p against SUM(CASE WHEN p ...) over the same FROM, both under
        `host`'s WITH: the same relations, the counted SELECT the outermost."""
        p = predicate if predicate is not None else query.where
        if p is None or not query.from_ or (query.where is not None and predicate is not None):
            return []
        if aggregates_in(p) or windows_in(p) or not is_deterministic(p):
            return []
        if not all(is_deterministic(r) for r in query.from_):
            return []
        optimised = ast.Select((ast.SelectItem(ast.Aggregate("COUNT", ())),), query.from_, where=p)
        flag = ast.Case(None, ((p, ONE),), ZERO)
        unoptimised = ast.Select((ast.SelectItem(ast.Aggregate("SUM", (flag,))),), query.from_)
        if host is not None:
            optimised, unoptimised = host.wrap(optimised), host.wrap(unoptimised)
        return [
            Probe(
                self.name,
                "count",
                (self.render(optimised), self.render(unoptimised)),
                about=optimised,
            )
        ]
