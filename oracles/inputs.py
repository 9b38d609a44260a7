"""Draws from the generator that several oracles share.

Every TLP and NoREC check is built from a plain SELECT over a generated FROM clause (tables,
views, joins, derived tables) and a generated predicate over it; the oracles then differ only
in what they wrap around those two.
"""

from __future__ import annotations

from dataclasses import dataclass

from fuzzer import ast
from fuzzer.generator import Generator, Scope


@dataclass(frozen=True)
class Check:
    select: ast.Select
    scope: Scope
    predicate: ast.Expr


def draw_check(generator: Generator) -> Check:
    """A plain SELECT and a predicate over its FROM clause."""
    select, scope = generator.base_select()
    return Check(select, scope, generator.predicate(scope))
