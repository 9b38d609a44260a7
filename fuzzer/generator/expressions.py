"""Typed expressions: ask for "an expression of family F over these columns" and get one.

Every builder returns an expression of the family it was asked for, built only from
operands whose families the operator accepts, so strict engines (PostgreSQL, DuckDB) accept
it. Constants come from values the columns hold, so that predicates select rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fuzzer import ast as A
from fuzzer.dialects import family
from fuzzer.functions import LITERALS, Signature

if TYPE_CHECKING:
    from fuzzer.generator import Generator

#: The type a family's expressions get when no column says otherwise (casts, NULLs).
REPRESENTATIVE = {
    "int": A.INTEGER, "numeric": A.numeric(18, 4), "float": A.DOUBLE, "text": A.TEXT,
    "bool": A.BOOLEAN, "date": A.DATE, "time": A.TIME, "timestamp": A.TIMESTAMP,
    "blob": A.BLOB, "json": A.JSON, "interval": A.INTERVAL, "uuid": A.UUID,
    "timestamptz": A.TIMESTAMPTZ, "int[]": A.array(A.INTEGER), "text[]": A.array(A.TEXT),
    "intrange": A.range_of(A.INTEGER), "daterange": A.range_of(A.DATE), "enum": A.ENUM,
    "struct": A.STRUCT, "map": A.MAP, "bit": A.bit(8),
}  # fmt: skip
NUMBER = ("int", "numeric", "float")
#: families with an ordering (<, MIN/MAX, BETWEEN) in every dialect
ORDERED = ("int", "numeric", "float", "text", "date", "time", "timestamp", "interval", "enum")
#: families whose values can be compared with `=` everywhere
EQUATABLE = (*ORDERED, "bool", "uuid", "blob")
COMPARISONS = ("=", "=", "<>", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class Col:
    """A column visible in a scope: `table` is the alias that qualifies it."""

    table: str | None
    name: str
    type: A.SQLType
    values: tuple[Any, ...] = ()
    extreme: bool = False
    #: NULL-padded by an outer join of the query whose FROM it is in
    padded: bool = field(default=False, compare=False)
    family: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "family", family(self.type))

    @property
    def ref(self) -> A.ColumnRef:
        return A.ColumnRef(self.table, self.name)

    @property
    def padded_by_join(self) -> Col:
        return Col(self.table, self.name, self.type, self.values, self.extreme, padded=True)


class Scope:
    """The columns an expression may use; `outer` are those of enclosing queries."""

    __slots__ = ("_inner", "aggregate_order", "by_family", "columns", "outer")

    def __init__(self, columns: Sequence[Col], outer: Sequence[Col] = ()):
        self.columns = tuple(columns)
        self.outer = tuple(outer)
        #: the longest ORDER BY an aggregate over these rows has (`independent_aggregate_orders`)
        self.aggregate_order: tuple[A.OrderItem, ...] = ()
        self.by_family: dict[str, list[Col]] = {}
        for c in self.columns:
            self.by_family.setdefault(c.family, []).append(c)
        self._inner: Scope | None = None if outer else self

    @property
    def inner(self) -> Scope:
        """The scope without outer columns: an aggregate over only outer columns would
        belong to the outer query (and be illegal where the subquery stands)."""
        if self._inner is None:
            self._inner = Scope(self.columns)
        return self._inner


@dataclass(frozen=True)
class Ctx:
    """Where an expression goes. `groups` set: a grouped query, where a column may appear only
    as one of the group keys; `aggregates`: aggregate calls are allowed here."""

    scope: Scope
    groups: tuple[Col, ...] | None = None
    aggregates: bool = False
    correlate: bool = True  # may subqueries reference this scope's columns?
    subqueries: bool = True
    #: where an error fails the statement that stores the value (a generated column, an
    #: index key): only calls that declare no errors and may be stored
    strict: bool = False

    @property
    def row(self) -> Ctx:
        """The context of an aggregate's argument: the rows, before grouping. No subqueries:
        MariaDB takes an aggregate inside one for a nested aggregate."""
        return Ctx(self.scope.inner, correlate=self.correlate, subqueries=False, strict=self.strict)


class Expressions:
    """The expression half of the generator; it shares the generator's rng and schema."""

    def __init__(self, g: Generator) -> None:
        self.g = g
        self.rng: random.Random = g.rng
        self.caps = g.caps
        self.values = g.values
        o = g.options
        self.null_chance = 0.0 if o.portable else o.chance("null")
        self.subquery_chance = 4 * o.chance("subquery")
        self.filter_chance = o.chance("aggregate_filter")
        self.row_chance = 4 * o.chance("row_value")
        self.function_chance = o.chance("function")
        #: while set (a view's query), nothing is drawn that may raise: a view whose rows
        #: raise a data exception fails every query that reads it, so its checks test nothing
        self.error_free = False
        #: scalar signatures by result family, grouped by name: each name is as likely as
        #: another, however many families its signatures cover (`=` has one per pair)
        self.calls: dict[str, list[list[Signature]]] = {}
        for fam, sigs in g.functions.scalars.items():
            by_name: dict[str, list[Signature]] = {}
            for sig in sigs:
                by_name.setdefault(sig.name, []).append(sig)
            self.calls[fam] = list(by_name.values())
        weights = {
            "int": [("arith", o.chance("arith")), ("neg", 0.2), ("func", o.chance("function")),
                    ("case", 0.3 * o.chance("case")), ("cast", 0.3 * o.chance("cast")),
                    ("subquery", 0.4 * o.chance("subquery")), ("aggregate", 1.5)],
            "numeric": [("arith", o.chance("arith")), ("func", o.chance("function")),
                        ("case", 0.3 * o.chance("case")), ("cast", 0.4 * o.chance("cast")),
                        ("subquery", 0.2 * o.chance("subquery")), ("aggregate", 1.5)],
            "float": [("arith", o.chance("arith")), ("func", o.chance("function")),
                      ("case", 0.3 * o.chance("case")), ("cast", 0.4 * o.chance("cast")),
                      ("aggregate", 1.5)],
            "text": [("concat", 0.6), ("func", 1.5 * o.chance("function")),
                     ("case", 0.3 * o.chance("case")), ("cast", 0.3 * o.chance("cast")),
                     ("subquery", 0.3 * o.chance("subquery")), ("aggregate", 1.0)],
            "date": [("func", o.chance("function")), ("case", 0.3 * o.chance("case")),
                     ("cast", 0.3 * o.chance("cast")), ("subquery", 0.2 * o.chance("subquery")),
                     ("aggregate", 1.0)],
        }  # fmt: skip
        self.builders: dict[str, tuple[list[Callable], list[float]]] = {}
        for fam in self.caps.families:
            pairs = weights.get(fam, [("func", 1.0), ("case", 0.5), ("aggregate", 0.5)])
            if not self.caps.casts:
                pairs = [(n, w) for n, w in pairs if n != "cast"]
            fns = [getattr(self, "_" + name) for name, _ in pairs]
            cum, total = [], 0.0
            for _, w in pairs:
                total += w
                cum.append(total)
            self.builders[fam] = (fns, cum)

    # -- entry points --------------------------------------------------------------------------

    def expr(self, fam: str, ctx: Ctx, depth: int, top: bool = True) -> A.Expr:
        """An expression of family `fam`. Below the top, no column holding extreme values:
        arithmetic on them overflows, which is a runtime error, not a finding."""
        if fam == "bool":
            return self.predicate(ctx, depth)
        if depth <= 0 or self.rng.random() < 0.45:
            return self.leaf(fam, ctx, top)
        fns, cum = self.builders[fam]
        result = self.rng.choices(fns, cum_weights=cum)[0](fam, ctx, depth - 1)
        return result if result is not None else self.leaf(fam, ctx, top)

    def leaf(self, fam: str, ctx: Ctx, top: bool = True) -> A.Expr:
        rng = self.rng
        if ctx.groups is not None:
            keys = [c for c in ctx.groups if c.family == fam]
            if keys and rng.random() < 0.7:
                return rng.choice(keys).ref
            if ctx.aggregates and rng.random() < 0.7:
                agg = self.aggregate(fam, ctx, 1, top)
                if agg is not None:
                    return agg
            return self.literal(fam)
        cols = ctx.scope.by_family.get(fam, ())
        if not top:
            cols = [c for c in cols if not c.extreme]
        if cols and rng.random() < 0.8:
            if ctx.scope.outer and rng.random() < 0.15:
                outer = [c for c in ctx.scope.outer if c.family == fam and (top or not c.extreme)]
                if outer:
                    return rng.choice(outer).ref
            return rng.choice(cols).ref
        return self.literal(fam)

    def literal(self, fam: str, col: Col | None = None, untyped: bool = False) -> A.Literal:
        """A value of the family; `untyped`: where a bare NULL is legal (a comparison's
        operand), a NULL is untyped as often as typed."""
        t = col.type if col is not None else REPRESENTATIVE[fam]
        if self.rng.random() < self.null_chance:
            return A.Literal(None, A.NULLTYPE if untyped and self.rng.random() < 0.5 else t)
        if col is not None and col.values and self.rng.random() < 0.85:
            return A.Literal(self.rng.choice(col.values), t)
        return A.Literal(self.values.value(t, edges=False), t)

    def predicate(self, ctx: Ctx, depth: int) -> A.Expr:
        """A boolean expression over the scope, biased towards ones that some rows satisfy."""
        rng = self.rng
        if depth <= 0:
            return self.comparison(ctx, 0)
        r = rng.random()
        if r < 0.35:
            if r < 0.06:  # a call of the dialect's library: a boolean function or operator
                call = self._func("bool", ctx, depth - 1)
                if call is not None:
                    return call
            return self.comparison(ctx, depth - 1)
        if r < 0.5:
            op = "OR" if rng.random() < 0.6 else "AND"
            spelled = self.g.spelling.draw("&&" if op == "AND" else "||")
            return A.Binary(op, self.predicate(ctx, depth - 1), self.predicate(ctx, depth - 1),
                            spelled)  # fmt: skip
        if r < 0.55:
            return A.Unary("NOT", self.predicate(ctx, depth - 1))
        if r < 0.62:
            fam = self.pick_family(ctx)
            spelled = self.g.spelling.draw("ISNULL")
            return A.IsNull(self.expr(fam, ctx, depth - 1), rng.random() < 0.5, spelled)
        if r < 0.68:
            return self.between(ctx, depth - 1)
        if r < 0.74:
            return self.in_list(ctx, depth - 1)
        if r < 0.8 and self.caps.like_ops:
            return self.like(ctx, depth - 1)
        if r < 0.84:
            fam = self.pick_family(ctx)
            left, right = self.operands(fam, ctx, depth - 1)
            return A.IsDistinctFrom(left, right, rng.random() < 0.5)
        if r < 0.88:
            inner = self.comparison(ctx, depth - 1)
            value = rng.choice((True, False, None))
            return A.IsTruth(inner, value, rng.random() < 0.3)
        if r < 0.9:
            bools = ctx.scope.by_family.get("bool") if ctx.groups is None else None
            if bools:
                return rng.choice(bools).ref
        subqueries = ctx.subqueries and self.caps.subquery_predicates
        if r >= 0.93 and subqueries and rng.random() < self.subquery_chance:
            sub = self.g.queries.subquery_predicate(ctx, depth - 1)
            if sub is not None:
                return sub
        if rng.random() < self.row_chance:
            row = self.g.queries.clauses.row_predicate(ctx, depth - 1)
            if row is not None:
                return row
        if r < 0.95 and rng.random() < self.function_chance:
            call = self._func("bool", ctx, depth - 1)  # the library's predicates and operators
            if call is not None:
                return call
        if subqueries and rng.random() < self.subquery_chance:
            sub = self.g.queries.subquery_predicate(ctx, depth - 1)
            if sub is not None:
                return sub
        return self.comparison(ctx, depth - 1)

    # -- predicates ----------------------------------------------------------------------------

    def pick_family(self, ctx: Ctx, among: Sequence[str] = EQUATABLE) -> str:
        """A family the scope has columns of (so the predicate is about the data)."""
        cols = ctx.groups if ctx.groups is not None else ctx.scope.columns
        fams = [c.family for c in cols if c.family in among]
        if ctx.groups is not None and ctx.aggregates:
            fams += ["int", "int"]  # COUNT(*) and friends
        if not fams:
            fams = [f for f in ("int", "text") if f in self.caps.families]
        return self.rng.choice(fams)

    def operands(self, fam: str, ctx: Ctx, depth: int) -> tuple[A.Expr, A.Expr]:
        """Two comparable operands; the right one is often a value the left column holds."""
        left = self.expr(fam, ctx, depth)
        col = self.column_of(left, ctx)
        if self.rng.random() < 0.75:
            return left, self.literal(fam, col, untyped=True)
        return left, self.expr(fam, ctx, depth)

    def column_of(self, e: A.Expr, ctx: Ctx) -> Col | None:
        if isinstance(e, A.ColumnRef):
            for c in ctx.scope.columns:
                if c.name == e.name and c.table == e.table:
                    return c
        return None

    def comparison(self, ctx: Ctx, depth: int) -> A.Expr:
        fam = self.pick_family(ctx)
        if fam == "bool" and self.rng.random() < 0.5:
            return self.leaf("bool", ctx) if ctx.groups is None else self.literal("bool")
        left, right = self.operands(fam, ctx, depth)
        right = self.converted(fam, left, right, ctx, depth)
        ops = COMPARISONS if fam in ORDERED or fam == "bool" else ("=", "<>")  # FALSE < TRUE
        op = self.rng.choice(ops)
        spellings = self.g.spelling.draw({"<>": "!=", "=": "=="}.get(op, ""))
        return A.Binary(op, left, right, spellings)

    def converted(self, fam: str, left: A.Expr, right: A.Expr, ctx: Ctx, depth: int) -> A.Expr:
        """Sometimes the right side of a comparison in a family the dialect converts to or
        from implicitly: an expression of another family, or a value spelled as a string
        literal (`d = '2000-01-01'`). Dialects that convert nothing draw nothing here.

        A string compared with a decimal literal is read as that literal's own DECIMAL(p, s)
        (DuckDB: `3.14 = '10'` fails to convert), so such a left side keeps its right one."""
        others = self.caps.implicit_comparisons.get(fam, ())
        spelled = (fam in self.caps.string_literal_casts and isinstance(right, A.Literal)
                   and right.value is not None
                   and not (fam == "numeric" and isinstance(left, A.Literal)))  # fmt: skip
        if not (others or spelled) or self.rng.random() >= 0.25:
            return right
        if spelled and (not others or self.rng.random() < 0.5):
            assert isinstance(right, A.Literal)
            return A.Literal(self.values.text(right.value), A.TEXT)
        return self.expr(self.rng.choice(others), ctx, depth)

    def between(self, ctx: Ctx, depth: int) -> A.Expr:
        fam = self.pick_family(ctx, ORDERED)
        operand = self.expr(fam, ctx, depth)
        col = self.column_of(operand, ctx)
        low, high = self.literal(fam, col), self.literal(fam, col)
        if _ordered(low.value, high.value) is False:
            low, high = high, low
        return A.Between(operand, low, high, self.rng.random() < 0.2)

    def in_list(self, ctx: Ctx, depth: int) -> A.Expr:
        fam = self.pick_family(ctx)
        operand = self.expr(fam, ctx, depth)
        col = self.column_of(operand, ctx)
        items = tuple(self.literal(fam, col) for _ in range(self.rng.randint(1, 4)))
        return A.InList(operand, items, self.rng.random() < 0.2)

    def like(self, ctx: Ctx, depth: int) -> A.Expr:
        if "text" not in self.caps.families:
            return self.comparison(ctx, depth)
        operand = self.expr("text", ctx, depth)
        col = self.column_of(operand, ctx)
        sample = self.rng.choice(col.values) if col is not None and col.values else "ab"
        op = self.rng.choice(self.caps.like_ops)
        pattern = self.pattern(op, sample)
        return A.Like(operand, A.Literal(pattern, A.TEXT), op, self.rng.random() < 0.2)

    def pattern(self, op: str, sample: str) -> str:
        head = sample[:1]
        if op == "GLOB":
            return self.rng.choice((head + "*", "*" + sample[-1:], "?" * len(sample), sample))
        if op == "REGEXP":
            char = head if head.isalnum() else "a"
            return self.rng.choice(("^" + char, char + "$", char, "."))
        return self.rng.choice((head + "%", "%" + sample[-1:], "_" * len(sample), sample, "%"))

    @contextmanager
    def without_errors(self) -> Iterator[None]:
        """Draw only what cannot raise: no call that declares errors, no edge-value operand
        of arithmetic, no cast the dialect may reject at run time."""
        before, self.error_free = self.error_free, True
        try:
            yield
        finally:
            self.error_free = before

    # -- builders, by name in Expressions.builders ---------------------------------------------

    def _arith(self, fam: str, ctx: Ctx, depth: int) -> A.Expr:
        ops = ["+", "-", "*"]
        if fam == "int":
            ops.append("%")
        elif not self.g.options.portable and (fam != "numeric" or self.caps.numeric_division):
            ops.append("/")
        op = self.rng.choice(ops)
        left = self.expr(fam, ctx, depth, top=False)
        if op in ("%", "/", "*"):  # a literal divisor is never zero; a factor stays small
            right: A.Expr = A.Literal(self.rng.choice((2, 3, 7)), REPRESENTATIVE["int"])
            if fam == "numeric":
                factor = self.rng.choice((Decimal("2.0"), Decimal("0.5"), Decimal("4.0")))
                right = A.Literal(factor, REPRESENTATIVE["numeric"])
            elif fam != "int":
                right = A.Literal(self.rng.choice((2.0, 0.5, 4.0)), REPRESENTATIVE["float"])
        elif (self.values.edges and not (ctx.strict or self.error_free)
              and self.rng.random() < 0.6 * self.values.edges):
            t = REPRESENTATIVE[fam]  # an edge value: the arithmetic may overflow (an error)
            right = A.Literal(self.values.edge(t), t)
        else:  # of a family the dialect promotes to fam, sometimes (int + float)
            promoted = self.caps.implicit_arithmetic.get(fam)
            right_fam = self.rng.choice((fam, fam, *promoted)) if promoted else fam
            right = self.expr(right_fam, ctx, depth, top=False)
        return A.Binary(op, left, right)

    def _neg(self, fam: str, ctx: Ctx, depth: int) -> A.Expr:
        op = "+" if self.caps.unary_plus and self.g.spelling.draw_plus() else "-"
        return A.Unary(op, self.expr(fam, ctx, depth, top=False))

    def _concat(self, fam: str, ctx: Ctx, depth: int) -> A.Expr:
        return A.Binary("||", self.expr("text", ctx, depth), self.expr("text", ctx, depth))

    def _func(self, fam: str, ctx: Ctx, depth: int) -> A.Expr | None:
        names = self.calls.get(fam)
        if ctx.strict and names:
            names = [safe for sigs in names
                     if (safe := [s for s in sigs
                                  if not s.errors and s.storable and s.deterministic])]
        elif self.error_free and names:
            names = [safe for sigs in names if (safe := [s for s in sigs if not s.errors])]
        if not names:
            return None
        sig = self.rng.choice(self.rng.choice(names))
        return A.Func(sig.name, self.arguments(sig, ctx, depth))

    def arguments(self, sig: Signature, ctx: Ctx, depth: int,
                  operand: Callable[..., A.Expr] | None = None) -> tuple[A.Expr, ...]:
        """Arguments of the families a signature takes, built by `operand` (an expression
        by default), and literals where it asks for one."""
        operand = operand or self.expr
        args: list[A.Expr] = []
        for spec in sig.args:
            if spec.startswith("lit:"):
                t, values = LITERALS[spec[4:]]
                args.append(A.Literal(self.rng.choice(values), t))
            elif spec.startswith("abs:"):
                inner = operand(spec[4:], ctx, depth, top=False)
                args.append(A.Func("ABS", (inner,)))
            else:
                args.append(operand(spec, ctx, depth, top=False))
        return tuple(args)

    def _case(self, fam: str, ctx: Ctx, depth: int) -> A.Expr:
        rng = self.rng
        whens = []
        if rng.random() < 0.3:  # simple CASE x WHEN v ...
            key_fam = self.pick_family(ctx)
            operand = self.expr(key_fam, ctx, depth)
            col = self.column_of(operand, ctx)
            for _ in range(rng.randint(1, 2)):
                whens.append((self.literal(key_fam, col), self.expr(fam, ctx, depth)))
            default = self.expr(fam, ctx, depth) if rng.random() < 0.7 else None
            return A.Case(operand, tuple(whens), default)
        for _ in range(rng.randint(1, 2)):
            whens.append((self.predicate(ctx, depth), self.expr(fam, ctx, depth)))
        default = self.expr(fam, ctx, depth) if rng.random() < 0.7 else None
        return A.Case(None, tuple(whens), default)

    def _cast(self, fam: str, ctx: Ctx, depth: int) -> A.Expr | None:
        sources = [f for f in self.caps.cast_sources.get(fam, ()) if f in self.caps.families
                   and not ((ctx.strict or self.error_free)
                            and (f, fam) in self.caps.unstable_casts)]  # fmt: skip
        if not sources:
            return None
        source = self.rng.choice(sources)
        target = REPRESENTATIVE[fam]
        if fam == "int":  # PostgreSQL casts boolean to integer, but not to bigint
            target = A.INTEGER if source == "bool" else A.BIGINT
        shorthand = self.caps.cast_shorthand and self.rng.random() < 0.5
        return A.Cast(self.expr(source, ctx, depth, top=False), target, shorthand)

    def _subquery(self, fam: str, ctx: Ctx, depth: int) -> A.Expr | None:
        return self.g.queries.scalar_subquery(fam, ctx, depth) if ctx.subqueries else None

    def _aggregate(self, fam: str, ctx: Ctx, depth: int) -> A.Expr | None:
        return self.aggregate(fam, ctx, depth, top=False) if ctx.aggregates else None

    # -- aggregates ----------------------------------------------------------------------------

    def aggregate(self, fam: str, ctx: Ctx, depth: int, top: bool = True) -> A.Expr | None:
        """An aggregate call of family `fam` over the rows of ctx, or None if none fits.
        Below the top, MIN and MAX skip extreme columns as any other operand does."""
        rng = self.rng
        row = ctx.row
        options: list[str | Signature] = ["MIN", "MAX"] if fam in ORDERED and fam != "interval" \
            else []
        if fam == "int":
            options += ["COUNT", "COUNT", "COUNT*", "SUM"]
        elif fam in ("numeric", "float"):
            options += ["SUM", "AVG"]
        elif fam == "text" and self.caps.string_aggregate:
            options.append("STRING_AGG")
        if self.g.options.portable and "AVG" in options:
            options.remove("AVG")  # exact in PostgreSQL, floating point in SQLite
        options += self.g.functions.aggregates.get(fam, [])
        if not options:
            return None
        choice = rng.choice(options)
        distinct = rng.random() < 0.15
        order: tuple[A.OrderItem, ...] = ()
        flt = None
        if self.caps.aggregate_filter and rng.random() < self.filter_chance:
            flt = self.predicate(row, depth)
        if isinstance(choice, Signature):  # the dialect's own: no DISTINCT, as declared
            args = self.arguments(choice, row, depth, operand=self.agg_arg)
            return A.Aggregate(choice.name, args, False, flt)
        name = choice
        if name == "COUNT*":
            name, args, distinct = "COUNT", (), False
        elif name == "COUNT":
            arg_fam = self.pick_family(row)
            args = (self.agg_arg(arg_fam, row, depth),)
        elif name == "AVG" and fam == "numeric" and rng.random() < 0.5:
            args = (self.agg_arg("int", row, depth),)
        else:
            args = (self.agg_arg(fam, row, depth, top=top and name in ("MIN", "MAX")),)
        if name == "STRING_AGG":
            args = (args[0], A.Literal(rng.choice((",", "|", "")), A.TEXT))
            order = (A.OrderItem(args[0], rng.random() < 0.5),)
            if not self.caps.independent_aggregate_orders:
                order = row.scope.aggregate_order + order
                row.scope.aggregate_order = order
                distinct &= len(order) == 1  # DISTINCT orders only by its own argument
        return A.Aggregate(name, args, distinct, flt, order)

    def agg_arg(self, fam: str, ctx: Ctx, depth: int, top: bool = False) -> A.Expr:
        """An aggregate argument that depends on the row: an aggregate of a constant is legal
        but its type may be unknown to PostgreSQL (`min('a')`)."""
        e = self.expr(fam, ctx, depth, top=top)
        if isinstance(e, A.Literal):
            cols = [c for c in ctx.scope.by_family.get(fam, ()) if top or not c.extreme]
            if cols:
                return self.rng.choice(cols).ref
            t = REPRESENTATIVE[fam] if e.type == A.NULLTYPE else e.type
            return A.Cast(e, t) if self.caps.casts else e
        return e


def _ordered(a: Any, b: Any) -> bool | None:
    """a <= b, or None when the values do not compare (NULL, NaN, mixed types)."""
    try:
        if a is None or b is None or a != a or b != b:
            return None
        return bool(a <= b)
    except TypeError:
        return None
