"""Lark grammars for the SQL the generator speaks: a shared core plus one overlay per dialect.

The grammar is the contract between the generator and the reducer: every statement the
generator emits parses under its dialect's grammar. Grammars are package data, read with
importlib.resources, so this works from an installed wheel as well as from a checkout.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from lark import Lark, Tree

__all__ = ["parser", "rules", "rules_used", "source"]


@cache
def source(dialect: str) -> str:
    """The grammar text of a dialect: the core followed by the dialect's overlay."""
    package = files(__name__)
    overlay = package / f"{dialect}.lark"
    if not overlay.is_file():
        raise ValueError(f"no grammar for SQL dialect {dialect!r}")
    return (package / "core.lark").read_text("utf-8") + "\n" + overlay.read_text("utf-8")


@cache
def parser(dialect: str) -> Lark:
    """A cached LALR parser for the dialect; trees carry source positions."""
    return Lark(source(dialect), parser="lalr", propagate_positions=True, maybe_placeholders=False)


@cache
def rules(dialect: str) -> frozenset[str]:
    """The names a parse tree's nodes can have: rules and aliases, not inlined helpers."""
    names = set()
    for rule in parser(dialect).rules:
        origin = rule.origin.name
        name = rule.alias or origin
        kept = [s for s in rule.expansion if not (s.is_term and s.filter_out)]
        if rule.options.expand1 and not rule.alias and len(kept) == 1:
            continue  # `?rule: child` leaves no node of its own
        if not name.startswith("_"):
            names.add(str(name))
    return frozenset(names)


def rules_used(tree: Tree) -> set[str]:
    """The rule names in a parse tree."""
    return {str(t.data) for t in tree.iter_subtrees()}
