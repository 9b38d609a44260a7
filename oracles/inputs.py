"""Draws from the generator that several oracles share.

Every TLP, NoREC and DQP check is built around a host (`fuzzer.generator.Host`): a plain
SELECT over any FROM clause the generator writes (tables, views, CTEs, every join kind,
LATERAL and other derived tables, set operations, ORDER BY and LIMIT inside them), often the
body of a WITH, and a generated predicate over it, with subqueries of every form. The oracles
then differ only in what they make of the host's SELECT; `Check.query` puts each of their
queries back under the host's WITH, so the SELECT an oracle changes is always the outermost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fuzzer import ast
from fuzzer.generator import Generator, Host, Scope
from fuzzer.schema import Schema
from oracles.shape import is_deterministic, plan_free


@dataclass(frozen=True)
class Check:
    host: Host
    predicate: ast.Expr

    @property
    def select(self) -> ast.Select:
        return self.host.select

    @property
    def scope(self) -> Scope:
        return self.host.scope

    def query(self, select: ast.Query) -> ast.Query:
        """`select` (the host's SELECT, changed) with the host's CTEs around it."""
        return self.host.wrap(select)

    @property
    def deterministic(self) -> bool:
        """The CTEs have one right answer (the SELECT and predicate are each oracle's gate)."""
        return all(is_deterministic(cte.query) for cte in self.host.ctes)


#: The predicates a TLP or NoREC check draws over one host. A host costs the generator
#: several times what a predicate does, and the queries its predicates share (TLP's whole
#: query, NoREC's unoptimised counts) run once for them all; each predicate is its own check.
PREDICATES_PER_HOST = 4


def draw_check(generator: Generator) -> Check:
    """A host SELECT and a predicate over its FROM clause."""
    return draw_checks(generator, 1)[0]


def draw_checks(generator: Generator, n: int = PREDICATES_PER_HOST) -> list[Check]:
    """One host SELECT and `n` predicates over its FROM clause, a check each."""
    host = generator.host()
    return [Check(host, generator.predicate(host.scope, host=host)) for _ in range(n)]


def draw_plan_free(generator: Generator) -> ast.Query | None:
    """A check's query filtered by its predicate, without ORDER BY, under its host's WITH, if
    its rows cannot honestly depend on the plan (for the oracles that run one query under two
    plans)."""
    return plan_free_query(draw_check(generator), generator.schema)


def plan_free_query(check: Check, schema: Schema, extra: ast.Expr | None = None,
                    ordered: bool = False) -> ast.Query | None:  # fmt: skip
    """The check's SELECT filtered by its predicate (and `extra`), without its ORDER BY unless
    `ordered`, under its host's WITH; None when its rows may honestly depend on the plan
    (`shape.plan_free`)."""
    where = check.predicate
    if check.select.where is not None:
        where = ast.Binary("AND", check.select.where, where)
    if extra is not None:
        where = ast.Binary("AND", where, extra)
    select = replace(check.select, where=where)
    query = check.query(select if ordered else replace(select, order_by=()))
    return query if plan_free(query, schema) else None
