"""What a session asks of the generator: a database state, then checks on it.

Every check is built from a plain SELECT over a generated FROM clause (tables, views, joins,
derived tables) and a generated predicate over it; the TLP variants then differ only in what
they wrap around those two: DISTINCT, GROUP BY, a HAVING predicate, an aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fuzzer import ast
from fuzzer.generator import Generator, Options, Scope

ONE = ast.Literal(1, ast.INTEGER)
ZERO = ast.Literal(0, ast.INTEGER)


@dataclass(frozen=True)
class Check:
    select: ast.Select
    scope: Scope
    predicate: ast.Expr


class Source:
    """One database state's generator, in the mode the oracles can bear (deterministic)."""

    def __init__(self, dialect: str, seed: int, portable: bool = False) -> None:
        self.generator = Generator(dialect, seed, Options(deterministic=True, portable=portable))
        self.rng = self.generator.rng

    def database(self) -> list[ast.Statement]:
        return self.generator.database()

    def query(self) -> ast.Query:
        return self.generator.query()

    def check(self) -> Check:
        """A plain SELECT and a predicate over its FROM clause: the input of TLP and NoREC."""
        select, scope = self.generator.base_select()
        return Check(select, scope, self.generator.predicate(scope))

    def grouped(self, check: Check) -> ast.Select:
        """The check's SELECT grouped by its own items (the GROUP BY variant of TLP)."""
        return replace(check.select, group_by=tuple(i.expr for i in check.select.items))

    def having(self, check: Check) -> tuple[ast.Select, ast.Expr]:
        """A grouped SELECT with a count per group, and a HAVING predicate over aggregates.

        The generated predicate goes inside an aggregate, where it may use every column.
        """
        grouped = self.grouped(check)
        counted = ast.SelectItem(ast.Aggregate("COUNT", ()), "n")
        select = replace(grouped, items=(*grouped.items, counted))
        hits = ast.Aggregate("SUM", (ast.Case(None, ((check.predicate, ONE),), ZERO),))
        forms = (
            ast.Binary(">", hits, ZERO),
            ast.Binary(
                ">", ast.Aggregate("COUNT", ()), ast.Literal(self.rng.randint(0, 2), ast.INTEGER)
            ),
            ast.Binary("=", hits, ast.Aggregate("COUNT", ())),
        )
        return select, forms[self.rng.randrange(len(forms))]

    def aggregated(self, check: Check) -> ast.Expr:
        """A numeric expression over the check's scope, for MIN, MAX, SUM, COUNT and AVG."""
        return self.generator.expression("int", check.scope)
