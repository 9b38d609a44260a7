"""One vocabulary of features: the generator's constructs named as the text names them.

`fuzz check`, profiles, the README and the root-cause signature name a query's constructs
from its text (`fuzzer.script.features`: `kw:EXCEPT`, `op:/`, `func:abs`). The generator's
own names (`SetOp:EXCEPT ALL`, `Binary:/`, `Func:ABS`) steer what it draws and what the
adaptive table turns off; for everything else they are translated here, so that a feature of
a query drawn by `fuzz run` is a feature of its rendered SQL in every dialect
(`tests/test_vocabulary.py` proves the inclusion). A construct whose spelling differs by
dialect (a CAST written `::`, a RIGHT JOIN written as a LEFT one) gives only the names every
spelling has.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fuzzer.script import KEYWORDS, ScriptError, tokens
from fuzzer.script import features as text_features

#: node kinds that are spelled with these words, whatever the dialect
_KIND_WORDS = {
    "Select": ("SELECT",),
    "Case": ("CASE", "WHEN", "THEN", "END"),
    "Exists": ("EXISTS", "SELECT"),
    "InQuery": ("IN", "SELECT"),
    "ScalarQuery": ("SELECT",),
    "Between": ("BETWEEN", "AND"),
    "IsNull": ("IS", "NULL"),
    "IsTruth": ("IS",),
    "Window": ("OVER",),
    "With": ("WITH",),
    "CTE": ("AS",),
}
#: flags of node kinds, and the word each is spelled with
_FLAG_WORDS = {
    "distinct": "DISTINCT",
    "negated": "NOT",
    "lateral": "LATERAL",
    "recursive": "RECURSIVE",
    "descending": "DESC",
}


def spoken(node: Any, constructs: Iterable[str], dialect: Any | None) -> set[str]:
    """The names of one node's own constructs; with a dialect (`fuzzer.dialects.Dialect`),
    those its rendering has, a function named by the dialect's spelling of it."""
    names = set(text_names(constructs))
    if dialect is None or not (names or {"Func", "Aggregate"} & set(constructs)):
        return names
    try:
        toks = tokens(dialect.render(node))
        said = text_features(dialect.render(node))
    except (ScriptError, TypeError, ValueError, AttributeError, KeyError, NotImplementedError):
        return set()  # a node the dialect renders only in its context
    names = {n for n in names if not n.startswith("func:")} & said
    if {"Func", "Aggregate"} & set(constructs) and len(toks) > 1 and toks[1].kind == "open":
        spelled = f"func:{toks[0].text.lower()}"
        if spelled in said:
            names.add(spelled)
    return names


def text_names(constructs: Iterable[str]) -> frozenset[str]:
    """The text vocabulary's names of the generator's constructs (`fuzzer.generator`)."""
    found: set[str] = set()
    for construct in constructs:
        kind, _, detail = construct.partition(":")
        found.update(_names(kind, detail))
    return frozenset(found)


def _names(kind: str, detail: str) -> set[str]:
    if not detail:
        return {f"kw:{w}" for w in _KIND_WORDS.get(kind, ())}
    if detail in _FLAG_WORDS and kind not in ("Func", "Aggregate", "Binary", "Unary"):
        return {f"kw:{_FLAG_WORDS[detail]}"}
    if kind in ("Binary", "Unary"):
        return _operator(detail)
    if kind == "Func":
        return {f"func:{detail.lower()}"} if detail.replace("_", "").isalnum() else set()
    if kind == "Aggregate":
        name, _, distinct = detail.partition(" ")
        return {f"func:{name.lower()}", *(("kw:DISTINCT",) if distinct else ())}
    if kind in ("SetOp", "Like", "Frame"):
        return _words(detail)
    if kind == "Quantified":
        op, _, quantifier = detail.rpartition(" ")
        return _operator(op) | _words(quantifier)
    if kind == "Join":
        words = _words(detail) - {"kw:RIGHT", "kw:INNER", "kw:CROSS"}  # spelled otherwise
        return words | ({"kw:JOIN"} if "kw:CROSS" not in _words(detail) else set())
    return set()


def _words(text: str) -> set[str]:
    return {f"kw:{w}" for w in text.upper().split() if w in KEYWORDS}


def _operator(op: str) -> set[str]:
    if op.replace(" ", "").isalpha():
        return _words(op)
    return {f"op:{op}"}
