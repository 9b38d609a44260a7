"""How valid is the generator's SQL? Run generated queries on real engines and count.

For each engine: generate databases and queries, execute them, and report the share that ran
without error, the share rejected at compile time (syntax, names, types: generator bugs) and
at run time (division by zero, overflow: data-dependent), the most common errors, how many
queries per second the generator makes (generation and rendering only), the share of the
dialect grammar's rules the statements used, and the share of successful queries that
returned rows; per engine also `functions_used` (the distinct functions and operators the
sample used) and `feature_share` (the share of the dialect's feature checklist,
`bench/features/<dialect>.txt`, seen at least once; `features_missing` lists the others).

    python bench/validity.py                      # all four engines, 10,000 queries each
    python bench/validity.py --queries 2000 --engines sqlite,postgres --json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from features import Coverage, checklist, functions_and_operators

import grammar
from fuzzer.engines import EngineError, connect
from fuzzer.errors import ErrorCategory
from fuzzer.generator import Generator, Options

ENGINES = {
    "sqlite": lambda: "sqlite:",
    "duckdb": lambda: "duckdb:",
    "datafusion": lambda: "datafusion:",
    "postgres": lambda: os.environ.get(
        "SQLPARITY_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    ),
    "mariadb": lambda: os.environ.get("SQLPARITY_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}
QUERIES_PER_DATABASE = 100
TOP_ERRORS = 10


@dataclass
class Tally:
    dialect: str = ""
    version: str = ""
    queries: int = 0
    ok: int = 0
    nonempty: int = 0
    compile: int = 0
    runtime: int = 0
    setup_failures: int = 0
    generate_seconds: float = 0.0
    errors: Counter = field(default_factory=Counter)
    rules: set = field(default_factory=set)
    functions: Counter = field(default_factory=Counter)
    coverage: Coverage | None = None

    def saw(self, sql: str, tree: object) -> None:
        """Count what a statement shows: its functions and operators, its checklist features."""
        self.functions.update(functions_and_operators(tree))
        if self.coverage is not None:
            self.coverage.add(sql)

    def report(self, all_rules: frozenset[str]) -> dict:
        n = max(self.queries, 1)
        return {
            "version": self.version,
            "queries": self.queries,
            "ok_share": self.ok / n,
            "compile_error_share": self.compile / n,
            "runtime_error_share": self.runtime / n,
            "queries_per_s": self.queries / self.generate_seconds if self.generate_seconds else 0.0,
            "rule_coverage": len(self.rules & all_rules) / len(all_rules),
            "nonempty_share": self.nonempty / max(self.ok, 1),
            "setup_failures": self.setup_failures,
            "top_errors": [[m, c] for m, c in self.errors.most_common(TOP_ERRORS)],
            "unused_rules": sorted(all_rules - self.rules),
            "functions_used": len(self.functions),
            "functions": sorted(self.functions),
            "feature_share": self.coverage.share if self.coverage else 0.0,
            "features_missing": self.coverage.missing if self.coverage else [],
        }


def normalise(message: str) -> str:
    """One line per kind of error: numbers and quoted names vary between instances."""
    line = message.strip().splitlines()[0] if message.strip() else "(no message)"
    line = re.sub(r"\"[^\"]*\"|'[^']*'|`[^`]*`", "?", line)
    return re.sub(r"\d+", "N", line)[:160]


def run_engine(name: str, total: int, seed: int, options: Options) -> Tally:
    tally = Tally()
    engine = connect(ENGINES[name]())
    parser = grammar.parser(engine.dialect)
    tally.version, tally.dialect = engine.version, engine.dialect
    tally.coverage = Coverage(checklist(engine.dialect))
    try:
        db = 0
        while tally.queries < total:
            engine.reset()
            g = Generator(engine.dialect, seed + db, options)
            db += 1
            for statement in g.database():
                sql = g.render(statement)
                tally.rules |= grammar.rules_used(parser.parse(sql))
                tally.saw(sql, statement)
                outcome = engine.execute(sql)
                if not outcome.ok:
                    tally.setup_failures += 1
                    tally.errors["setup: " + normalise(outcome.message)] += 1
            # Generate a batch, timed on its own, before running it: the rate is the generator's,
            # not the engine's or the driver's.
            start = time.perf_counter()
            size = min(QUERIES_PER_DATABASE, total - tally.queries)
            trees = [g.query() for _ in range(size)]
            batch = [g.render(tree) for tree in trees]
            tally.generate_seconds += time.perf_counter() - start
            for sql, tree in zip(batch, trees, strict=True):
                tally.rules |= grammar.rules_used(parser.parse(sql))
                tally.saw(sql, tree)
                tally.queries += 1
                outcome = engine.execute(sql)
                if outcome.ok:
                    tally.ok += 1
                    tally.nonempty += bool(outcome.rows)
                    continue
                kind = outcome.category
                if kind is ErrorCategory.COMPILE:
                    tally.compile += 1
                elif kind is ErrorCategory.RUNTIME:
                    tally.runtime += 1
                tally.errors[f"{kind.value}: {normalise(outcome.message)}"] += 1
    finally:
        engine.close()
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=10_000, help="queries per engine")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated names")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    unknown = [n for n in names if n not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(ENGINES)}")
    options = Options(max_depth=args.depth)
    results = {}
    for name in names:
        try:
            tally = run_engine(name, args.queries, args.seed, options)
        except EngineError as exc:
            print(f"validity: {name}: {exc}", file=sys.stderr)
            return 2
        results[name] = tally.report(grammar.rules(tally.dialect))
        if not args.json:
            print_report(name, results[name])
    if args.json:
        print(json.dumps({"engines": results}))
    return 0


def print_report(name: str, r: dict) -> None:
    print(f"== {name} {r['version']}: {r['queries']} queries")
    print(
        f"   ok {r['ok_share']:.1%}  compile errors {r['compile_error_share']:.2%}  "
        f"runtime errors {r['runtime_error_share']:.2%}  non-empty {r['nonempty_share']:.1%}"
    )
    print(
        f"   {r['queries_per_s']:,.0f} queries/s generated  "
        f"grammar rule coverage {r['rule_coverage']:.1%}  setup failures {r['setup_failures']}"
    )
    print(
        f"   {r['functions_used']} functions and operators used  "
        f"feature share {r['feature_share']:.1%} ({len(r['features_missing'])} missing)"
    )
    if r["unused_rules"]:
        print(f"   unused rules: {' '.join(r['unused_rules'])}")
    for message, count in r["top_errors"]:
        print(f"   {count:6d}  {message}")


if __name__ == "__main__":
    sys.exit(main())
