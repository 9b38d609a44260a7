"""What a session asks of the generator: a database state, then checks on it."""

from __future__ import annotations

from fuzzer import ast
from fuzzer.generator import Generator, Options


class Source:
    """One database state's generator, in the mode the oracles can bear (deterministic)."""

    def __init__(self, dialect: str, seed: int, portable: bool = False) -> None:
        self.generator = Generator(dialect, seed, Options(deterministic=True, portable=portable))

    def database(self) -> list[ast.Statement]:
        return self.generator.database()

    def check(self) -> tuple[ast.Select, ast.Expr]:
        """A plain SELECT and a predicate over its FROM clause: the input of TLP and NoREC."""
        select, scope = self.generator.base_select()
        return select, self.generator.predicate(scope)

    def query(self) -> ast.Query:
        return self.generator.query()
