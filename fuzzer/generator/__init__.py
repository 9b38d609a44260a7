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
from collections.abc import Callable
from typing import Any, TypeVar

from fuzzer import ast as A
from fuzzer.dialects import Dialect, get
from fuzzer.generator.avoid import OPTIONAL_STATEMENTS, draw_avoiding, narrow, without_functions
from fuzzer.generator.expressions import Col, Ctx, Expressions, Scope
from fuzzer.generator.options import DEFAULT_WEIGHTS, Options
from fuzzer.generator.queries import Host, Queries
from fuzzer.generator.spelling import Spellings
from fuzzer.generator.state import State
from fuzzer.generator.values import Values
from fuzzer.generator.vocabulary import spoken
from fuzzer.schema import Schema

T = TypeVar("T")

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
        if o.avoid:
            self.caps = narrow(self.caps, o.avoid)
        #: the functions, operators, aggregates and window functions it may call
        usable = self.dialect.library.select(
            self.caps.families, portable=o.portable, deterministic=o.deterministic
        )
        self.functions = without_functions(usable, o.avoid) if o.avoid else usable
        self.values = Values(self.rng, self.caps, o.edge_values, o.portable)
        #: spellings draw from a stream of their own: the rest of a seed's output stays put
        self.spelling = Spellings(
            random.Random(f"spelling {seed}"), self.caps.spellings, o.chance("spelling")
        )
        self.schema = schema if schema is not None else Schema()
        self.expressions = Expressions(self)
        self.queries = Queries(self)
        self.state = State(self)

    def database(self) -> list[A.Statement]:
        """Statements that create and fill a database; `self.schema` then describes it.

        Optional statements with an avoided feature are left out, and so is a view with one,
        with the views after it (they may read it), from the script and the schema alike."""
        statements = self.state.database()
        avoid = self.options.avoid
        if not avoid:
            return statements
        kept: list[A.Statement] = []
        views_gone = False
        for s in statements:
            if isinstance(s, A.CreateView):
                views_gone = views_gone or not avoid.isdisjoint(_found(s))
                if views_gone:
                    self.schema.tables.remove(self.schema.table(s.name))
                    continue
            elif isinstance(s, OPTIONAL_STATEMENTS) and not avoid.isdisjoint(_found(s)):
                continue
            kept.append(s)
        return kept

    def query(self, depth: int | None = None) -> A.Query:
        self._need_schema()
        depth = self.options.max_depth if depth is None else depth
        return self._avoiding(lambda: self.queries.query(depth))

    def base_select(self, depth: int | None = None) -> tuple[A.Select, Scope]:
        """A SELECT with FROM (tables, views, joins, derived tables) and plain items, without
        WHERE, GROUP BY or ORDER BY, and the scope its clauses may use."""
        self._need_schema()
        depth = self.options.max_depth if depth is None else depth
        return draw_avoiding(
            lambda: self.queries.base(depth), self.options.avoid, lambda b: _found(b[0])
        )

    def host(self, depth: int | None = None) -> Host:
        """What a check is built around: a SELECT as `base_select` makes, often the body of a
        WITH (also a recursive one) whose CTEs its FROM and subqueries read."""
        self._need_schema()
        depth = self.options.max_depth if depth is None else depth
        return draw_avoiding(
            lambda: self.queries.host(depth), self.options.avoid, lambda h: _found(h.wrap(h.select))
        )

    def predicate(
        self, scope: Scope, depth: int | None = None, host: Host | None = None
    ) -> A.Expr:
        """A boolean expression over the columns in scope; its subqueries may read any table,
        and the CTEs of `host`."""
        self.queries.env = list(host.env if host else self.schema.tables)
        depth = self._depth(depth)
        return self._avoiding(lambda: self.expressions.predicate(Ctx(scope), depth))

    def expression(
        self, family: str, scope: Scope, depth: int | None = None, host: Host | None = None
    ) -> A.Expr:
        """An expression of a type family ("int", "text", ...) over the columns in scope."""
        self.queries.env = list(host.env if host else self.schema.tables)
        depth = self._depth(depth)
        return self._avoiding(lambda: self.expressions.expr(family, Ctx(scope), depth))

    def _avoiding(self, draw: Callable[[], T]) -> T:
        return draw_avoiding(draw, self.options.avoid, _found)

    def grouping(self, keys: list[A.Expr]) -> tuple[A.Expr, ...]:
        """GROUP BY elements over these keys: the keys, or ROLLUP / CUBE / GROUPING SETS of
        them where the dialect has them."""
        return self.queries.clauses.grouping(keys)

    def window_predicate(self, scope: Scope, host: Host | None = None) -> A.Expr | None:
        """A comparison of a window function over the scope with a constant, for QUALIFY;
        None where the dialect has no QUALIFY."""
        self.queries.env = list(host.env if host else self.schema.tables)
        return self.queries.clauses.window_comparison(scope, self._depth(None))

    def render(self, node: Any) -> str:
        return self.dialect.render(node)

    def _depth(self, depth: int | None) -> int:
        return max(1, self.options.max_depth - 1) if depth is None else depth

    def _need_schema(self) -> None:
        if not self.schema.tables:
            raise ValueError("the schema is empty: call database() or pass a schema")


def features(node: Any, dialect: str | None = None, detailed: bool = False) -> frozenset[str]:
    """The features of a statement, in the vocabulary of its text (`fuzzer.script.features`:
    `kw:EXCEPT`, `op:/`, `func:abs`): what findings, profiles and `fuzz check` name. With a
    dialect, each node's names are those its rendering in that dialect has
    (`fuzzer.generator.vocabulary`), and functions are named as the dialect spells them.

    `detailed` gives instead the generator's own constructs, which steer what it draws and
    what the adaptive table learns (`fuzzer.adaptive`, `fuzzer.generator.avoid`): node kinds
    with their operators, functions and join kinds (`Binary:/`, `Join:LEFT`), the kind of
    each type a node names (`ColumnDef:uuid`, `Literal:date`, `Cast:bigint`) and each
    optional part a node has (`CreateIndex.where`, `ColumnDef.collate`, `Select.limit`).
    """
    if detailed:
        return constructs(node, detailed=True)
    found: set[str] = set()
    spelling = get(dialect) if dialect is not None else None
    for n in _nodes(node):
        found.update(spoken(n, _own(n), spelling))
    return frozenset(found)


def constructs(node: Any, detailed: bool = False) -> frozenset[str]:
    """The generator's names of a statement's constructs, without names or values: each
    node's `_own` and, `detailed`, the kind of each type it names and each optional part it
    has, in one pass (this runs on every probe)."""
    found: set[str] = set()
    add, stack = found.add, [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (tuple, list)):
            stack.extend(n)
            continue
        plan = _PLANS.get(type(n)) or _plan(type(n))
        if plan is _NOT_A_NODE:
            continue
        kind, detail, fields = plan
        if detail is not _NO_OWN:
            add(kind)
            if detail is not None:
                add(f"{kind}:{detail(n)}")
        for name, optional, flag in fields:
            value = getattr(n, name)
            if isinstance(value, A.SQLType):
                if detailed:
                    add(f"{kind}:{value.kind}")
                continue
            if detailed and optional and value not in _ABSENT:
                add(f"{kind}.{name}")
            if value is True:
                if flag and detail is not _NO_OWN:
                    add(f"{kind}:{name}")
            elif value is not None and not isinstance(value, (str, int, bool)):
                stack.append(value)
    return frozenset(found)


#: per node type: its kind, its `_DETAIL` (or `_NO_OWN`: a literal or column, whose kind is
#: not a construct) and its fields with whether each is optional and a flag
Plan = tuple[str, Any, tuple[tuple[str, bool, bool], ...]]
_NO_OWN = object()
_NOT_A_NODE: Plan = ("", None, ())
_PLANS: dict[type, Plan] = {}


def _plan(t: type) -> Plan:
    shape = _shape_of(t)
    if shape is None:
        plan = _NOT_A_NODE
    else:
        kind = t.__name__
        detail = _NO_OWN if t in (A.Literal, A.ColumnRef) else _DETAIL.get(kind)
        plan = (kind, detail, tuple((name, opt, name in _FLAGS) for name, opt in shape))
    _PLANS[t] = plan
    return plan


def _nodes(node: Any) -> list[Any]:
    """Every node of a statement (not its types)."""
    found, stack = [], [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (tuple, list)):
            stack.extend(n)
            continue
        shape = _shape(n)
        if shape is None:
            continue
        found.append(n)
        for name, _ in shape:
            value = getattr(n, name)
            if value is not None and not isinstance(value, (str, int, bool)):
                stack.append(value)
    return found


def _own(n: Any) -> set[str]:
    """The node's own constructs: its kind, its detail and its flags."""
    if isinstance(n, (A.Literal, A.ColumnRef)):
        return set()
    kind = type(n).__name__
    found = {kind}
    detail = _DETAIL.get(kind)
    if detail is not None:
        found.add(f"{kind}:{detail(n)}")
    found.update(f"{kind}:{name}" for name, _ in _shape(n) or ()
                 if name in _FLAGS and getattr(n, name) is True)  # fmt: skip
    return found


_ABSENT = (None, False, ())

#: a node type's fields: each one's name, and whether its default is absent (an optional part)
Shape = tuple[tuple[str, bool], ...]
_SHAPES: dict[type, Shape | None] = {}


def _shape(n: Any) -> Shape | None:
    """The fields of a syntax node's type, None for what is not a node: worked out once per
    type (`dataclasses.fields` on every node was most of what `features` cost)."""
    return _shape_of(type(n))


def _shape_of(t: type) -> Shape | None:
    if t not in _SHAPES:
        node = dataclasses.is_dataclass(t) and not issubclass(t, A.SQLType)
        fields = dataclasses.fields(t) if node else ()
        _SHAPES[t] = tuple((f.name, f.default in _ABSENT) for f in fields) if node else None
    return _SHAPES[t]


def _found(node: Any) -> frozenset[str]:
    return constructs(node, detailed=True)
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
