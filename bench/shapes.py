"""How often do the checks the oracles draw have a given shape? Count it in N checks.

The oracles can only see bugs in the queries they are given: this counts, per dialect, the
share of TLP and NoREC checks (taken in turn, as `fuzz run` does) whose probes hold a LATERAL
derived table, a correlated subquery, a correlation on the NULL-extended side of an outer
join, a WITH around the host query, a derived table or subquery with LIMIT or a set
operation, and so on. No engine is needed: it reads the trees the oracles build.

    python bench/shapes.py                     # 10,000 checks per dialect
    python bench/shapes.py --checks 2000 --dialects postgres --json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from fuzzer import ast
from fuzzer.generator import Generator, Options
from oracles.base import Context
from oracles.norec import NoREC
from oracles.shape import walk
from oracles.tlp import TLP

DIALECTS = ("sqlite", "duckdb", "postgres", "mysql")
CHECKS_PER_DATABASE = 100

SUBQUERY_EXPRS = (ast.ScalarQuery, ast.InQuery, ast.Exists, ast.Quantified)


def subqueries(tree: Any) -> Iterator[ast.Query]:
    """Every query nested in an expression, and every LATERAL derived table's query."""
    for n in walk(tree):
        if isinstance(n, SUBQUERY_EXPRS) or (isinstance(n, ast.DerivedTable) and n.lateral):
            yield n.query


def names(tree: Any) -> set[str]:
    """The names a query's own relations give their columns (aliases are unique per draw)."""
    found = set()
    for n in walk(tree):
        if isinstance(n, ast.TableRef):
            found.add(n.alias or n.name)
        elif isinstance(n, ast.DerivedTable):
            found.add(n.alias)
    return found


def null_extended(tree: Any) -> set[str]:
    """Relation names on the side of an outer join that NULLs pad."""
    found: set[str] = set()
    for n in walk(tree):
        if isinstance(n, ast.Join):
            if n.kind in ("LEFT", "FULL"):
                found |= names(n.right)
            if n.kind in ("RIGHT", "FULL"):
                found |= names(n.left)
    return found


def outer_refs(query: ast.Query) -> set[str]:
    inner = names(query)
    return {
        n.table for n in walk(query)
        if isinstance(n, ast.ColumnRef) and n.table is not None and n.table not in inner
    }  # fmt: skip


def _correlated(tree: Any) -> bool:
    return any(outer_refs(q) for q in subqueries(tree))


def _null_correlated(tree: Any) -> bool:
    padded = null_extended(tree)
    return any(outer_refs(q) & padded for q in subqueries(tree))


def _limited_inside(tree: Any) -> bool:
    return any(isinstance(n, ast.Select | ast.SetOp) and n.limit is not None for n in walk(tree))


def _set_op_inside(tree: Any) -> bool:
    return any(isinstance(n, ast.SetOp) for q in _nested(tree) for n in walk(q))


def _nested(tree: Any) -> Iterator[ast.Query]:
    for n in walk(tree):
        if isinstance(n, ast.DerivedTable | ast.CTE):
            yield n.query
    yield from subqueries(tree)


def _kinds(tree: Any, kind: type) -> bool:
    return any(isinstance(n, kind) for n in walk(tree))


#: shape name -> does a probe's tree have it
SHAPES: dict[str, Callable[[Any], bool]] = {
    "lateral": lambda t: any(isinstance(n, ast.DerivedTable) and n.lateral for n in walk(t)),
    "subquery": lambda t: any(True for _ in subqueries(t)),
    "correlated_subquery": _correlated,
    "null_extended_correlation": _null_correlated,
    "outer_join": lambda t: any(
        isinstance(n, ast.Join) and n.kind in ("LEFT", "RIGHT", "FULL") for n in walk(t)
    ),
    "with_host": lambda t: isinstance(t, ast.With),
    "recursive_cte": lambda t: any(isinstance(n, ast.With) and n.recursive for n in walk(t)),
    "derived_table": lambda t: _kinds(t, ast.DerivedTable),
    "set_op_inside": _set_op_inside,
    "limit_inside": _limited_inside,
    "exists": lambda t: _kinds(t, ast.Exists),
    "in_subquery": lambda t: _kinds(t, ast.InQuery),
    "quantified": lambda t: _kinds(t, ast.Quantified),
    "scalar_subquery": lambda t: _kinds(t, ast.ScalarQuery),
}


def count(dialect: str, checks: int, seed: int) -> dict[str, Any]:
    oracles = [TLP(Context(dialect)), NoREC(Context(dialect))]
    seen: Counter[str] = Counter()
    drawn = with_probes = 0
    db = 0
    while drawn < checks:
        g = Generator(dialect, seed + db, Options(deterministic=True))
        g.database()
        db += 1
        for turn in range(min(CHECKS_PER_DATABASE, checks - drawn)):
            oracle = oracles[turn % len(oracles)]
            probes = oracle.draw(g, turn // len(oracles))
            drawn += 1
            if not probes:
                continue
            with_probes += 1
            for shape, has in SHAPES.items():
                if any(has(p.about) for p in probes):
                    seen[shape] += 1
    return {
        "checks": drawn,
        "checks_with_probes": with_probes,
        "counts": {s: seen[s] for s in SHAPES},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=10_000, help="checks per dialect")
    parser.add_argument("--dialects", default=",".join(DIALECTS), help="comma-separated names")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    results = {}
    for d in (n.strip() for n in args.dialects.split(",") if n.strip()):
        if d not in DIALECTS:
            parser.error(f"unknown dialect {d}; known: {', '.join(DIALECTS)}")
        results[d] = count(d, args.checks, args.seed)
        if not args.json:
            r = results[d]
            print(f"== {d}: {r['checks']} checks, {r['checks_with_probes']} with probes")
            for shape, n in r["counts"].items():
                print(f"   {n:6d}  {shape}")
    if args.json:
        print(json.dumps({"dialects": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
