"""The grammar-driven, schema-aware, type-correct SQL generator.

    g = Generator("postgres", seed=1, options=Options(deterministic=True))
    script = g.database()                 # CREATE/INSERT/... statements; g.schema mirrors them
    q = g.query()                         # any query over that schema
    select, scope = g.base_select()       # FROM + items, for oracles to add WHERE/GROUP BY
    p = g.predicate(scope)                # a boolean expression over that scope
    host = g.host()                       # the same, often the body of a WITH
    p = g.predicate(host.scope, host=host)
    sql = g.render(host.wrap(replace(host.select, where=p)))
    sql = g.render(q)

A run is a pure function of the seed: one `random.Random`, no set or hash-order iteration.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from fuzzer import ast as A
from fuzzer.dialects import Dialect, get
from fuzzer.generator.expressions import Col, Ctx, Expressions, Scope
from fuzzer.generator.options import DEFAULT_WEIGHTS, Options
from fuzzer.generator.queries import Host, Queries
from fuzzer.generator.state import State
from fuzzer.generator.values import Values
from fuzzer.schema import Schema

__all__ = [
    "DEFAULT_WEIGHTS",
    "Col",
    "Generator",
    "Host",
    "Options",
    "Scope",
    "features",
]


class Generator:
    def __init__(
        self,
        dialect: str | Dialect,
        seed: int = 0,
        options: Options | None = None,
        schema: Schema | None = None,
    ) -> None:
        self.dialect = get(dialect) if isinstance(dialect, str) else dialect
        self.options = options or Options()
        self.rng = random.Random(seed)
        o = self.options
        #: what this generator may emit: the dialect's capabilities, narrowed by the options
        self.caps = self.dialect.capabilities.narrowed(
            portable=o.portable, deterministic=o.deterministic, collations=o.collations
        )
        #: the functions, operators, aggregates and window functions it may call
        self.functions = self.dialect.library.select(
            self.caps.families, portable=o.portable, deterministic=o.deterministic
        )
        self.values = Values(self.rng, self.caps, o.edge_values, o.portable)
        self.schema = schema if schema is not None else Schema()
        self.expressions = Expressions(self)
        self.queries = Queries(self)
        self.state = State(self)

    def database(self) -> list[A.Statement]:
        """Statements that create and fill a database; `self.schema` then describes it."""
        return self.state.database()

    def query(self, depth: int | None = None) -> A.Query:
        self._need_schema()
        return self.queries.query(self.options.max_depth if depth is None else depth)

    def base_select(self, depth: int | None = None) -> tuple[A.Select, Scope]:
        """A SELECT with FROM (tables, views, joins, derived tables) and plain items, without
        WHERE, GROUP BY or ORDER BY, and the scope its clauses may use."""
        self._need_schema()
        return self.queries.base(self.options.max_depth if depth is None else depth)

    def host(self, depth: int | None = None) -> Host:
        """What a check is built around: a SELECT as `base_select` makes, often the body of a
        WITH (also a recursive one) whose CTEs its FROM and subqueries read."""
        self._need_schema()
        return self.queries.host(self.options.max_depth if depth is None else depth)

    def predicate(
        self, scope: Scope, depth: int | None = None, host: Host | None = None
    ) -> A.Expr:
        """A boolean expression over the columns in scope; its subqueries may read any table,
        and the CTEs of `host`."""
        self.queries.env = list(host.env if host else self.schema.tables)
        return self.expressions.predicate(Ctx(scope), self._depth(depth))

    def expression(
        self, family: str, scope: Scope, depth: int | None = None, host: Host | None = None
    ) -> A.Expr:
        """An expression of a type family ("int", "text", ...) over the columns in scope."""
        self.queries.env = list(host.env if host else self.schema.tables)
        return self.expressions.expr(family, Ctx(scope), self._depth(depth))

    def grouping(self, keys: list[A.Expr]) -> tuple[A.Expr, ...]:
        """GROUP BY elements over these keys: the keys, or ROLLUP / CUBE / GROUPING SETS of
        them where the dialect has them."""
        return self.queries.clauses.grouping(keys)

    def render(self, node: Any) -> str:
        return self.dialect.render(node)

    def _depth(self, depth: int | None) -> int:
        return max(1, self.options.max_depth - 1) if depth is None else depth

    def _need_schema(self) -> None:
        if not self.schema.tables:
            raise ValueError("the schema is empty: call database() or pass a schema")


def features(node: Any) -> frozenset[str]:
    """The constructs a statement uses, without names or values: node kinds, operators,
    functions, join kinds. Oracles deduplicate findings by it."""
    found: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (tuple, list)):
            stack.extend(n)
            continue
        if not dataclasses.is_dataclass(n) or isinstance(n, (A.Literal, A.ColumnRef, A.SQLType)):
            continue
        kind = type(n).__name__
        found.add(kind)
        detail = _DETAIL.get(kind)
        if detail is not None:
            found.add(f"{kind}:{detail(n)}")
        for f in dataclasses.fields(n):
            value = getattr(n, f.name)
            if value is not None and not isinstance(value, (str, int, bool)):
                stack.append(value)
            elif value is True and f.name in _FLAGS:
                found.add(f"{kind}:{f.name}")
    return frozenset(found)


_DETAIL = {
    "Binary": lambda n: n.op,
    "Unary": lambda n: n.op,
    "Func": lambda n: n.name,
    "Aggregate": lambda n: n.name + (" DISTINCT" if n.distinct else ""),
    "Join": lambda n: ("NATURAL " if n.natural else "") + n.kind + (" USING" if n.using else ""),
    "SetOp": lambda n: n.op + (" ALL" if n.all else ""),
    "Like": lambda n: n.op,
    "Quantified": lambda n: f"{n.op} {n.quantifier}",
    "Frame": lambda n: n.unit,
    "Maintenance": lambda n: n.kind,
}
_FLAGS = frozenset({"distinct", "negated", "lateral", "recursive", "unique", "descending"})
