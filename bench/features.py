"""The feature checklist: the constructs of each dialect's syntax, as its manual gives them.

`bench/features/<dialect>.txt` holds one line per construct: its name, then (after white
space) a regular expression that finds it in rendered SQL. Detection reads the SQL text only,
so the checklist does not depend on the generator's tree and says what the generator must
reach, not what it emits today. Blank lines and lines starting with `#` are comments.
`bench/validity.py` reports `feature_share`: the share of the checklist seen at least once.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fuzzer import ast

FOLDER = Path(__file__).resolve().parent / "features"


class ChecklistError(ValueError):
    """A checklist line that cannot be read: its file, line number and why."""


@dataclass(frozen=True)
class Feature:
    name: str
    pattern: re.Pattern[str]

    def seen_in(self, sql: str) -> bool:
        return self.pattern.search(sql) is not None


def parse(text: str, source: str = "<checklist>") -> tuple[Feature, ...]:
    """The features of a checklist's text, in file order; names must be unique."""
    features: list[Feature] = []
    names: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise ChecklistError(f"{source}:{number}: a feature needs a name and a pattern")
        name, pattern = parts
        if name in names:
            raise ChecklistError(f"{source}:{number}: feature {name} is listed twice")
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise ChecklistError(f"{source}:{number}: {name}: bad pattern: {exc}") from exc
        names.add(name)
        features.append(Feature(name, compiled))
    return tuple(features)


def checklist(dialect: str) -> tuple[Feature, ...]:
    """The checklist of a dialect (`sqlite`, `duckdb`, `postgres`, `mysql`)."""
    path = FOLDER / f"{dialect}.txt"
    return parse(path.read_text(), str(path))


class Coverage:
    """Which features of a checklist a sample of SQL statements has shown."""

    def __init__(self, features: Iterable[Feature]) -> None:
        self.features = tuple(features)
        self.seen: set[str] = set()

    def add(self, sql: str) -> None:
        for feature in self.features:
            if feature.name not in self.seen and feature.seen_in(sql):
                self.seen.add(feature.name)

    @property
    def share(self) -> float:
        return len(self.seen) / len(self.features) if self.features else 0.0

    @property
    def missing(self) -> list[str]:
        return [f.name for f in self.features if f.name not in self.seen]


#: expression nodes that are neither a function nor an operator (values, names, wrappers)
NOT_OPERATORS = (ast.Literal, ast.Parameter, ast.ColumnRef, ast.Star, ast.ScalarQuery, ast.Window)


def functions_and_operators(node: object) -> Iterator[str]:
    """The functions and operators a statement tree uses, one name each time one is used.

    A node with a `name` and `args` is a function call (`LOWER()`); another expression node is
    an operator, named by its `op` (`+`, `LIKE`) or else its kind (`Between`), so new node
    kinds count without a list to keep up to date.
    """
    if isinstance(node, tuple | list):
        for item in node:
            yield from functions_and_operators(item)
        return
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return
    if isinstance(node, ast.Expr) and not isinstance(node, NOT_OPERATORS):
        if hasattr(node, "name") and hasattr(node, "args"):
            yield f"{node.name.upper()}()"
        else:
            op = getattr(node, "op", None)
            kind = type(node).__name__
            yield f"{op}" if kind == "Binary" else f"{kind}({op})" if op else kind
    for f in dataclasses.fields(node):
        yield from functions_and_operators(getattr(node, f.name))
