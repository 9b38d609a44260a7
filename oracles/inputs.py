"""Draws from the generator that several oracles share.

Every TLP and NoREC check is built from a plain SELECT over a generated FROM clause (tables,
views, joins, derived tables) and a generated predicate over it; the oracles then differ only
in what they wrap around those two.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fuzzer import ast
from fuzzer.generator import Generator, Scope
from oracles.shape import plan_independent, reads_a_view


@dataclass(frozen=True)
class Check:
    select: ast.Select
    scope: Scope
    predicate: ast.Expr


def draw_check(generator: Generator) -> Check:
    """A plain SELECT and a predicate over its FROM clause."""
    select, scope = generator.base_select()
    return Check(select, scope, generator.predicate(scope))


def draw_plan_free(generator: Generator) -> ast.Select | None:
    """A check's query filtered by its predicate, without ORDER BY, if its rows cannot
    honestly depend on the plan (for the oracles that run one query under two plans)."""
    check = draw_check(generator)
    where = check.predicate
    if check.select.where is not None:
        where = ast.Binary("AND", check.select.where, where)
    query = replace(check.select, where=where, order_by=())
    if not plan_independent(query) or reads_a_view(query, generator.schema):
        return None
    return query
