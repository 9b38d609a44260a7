"""Queries: SELECT with FROM/joins/grouping/windows, set operations, WITH, subqueries.

A query is built together with its output columns (`Col`s with the alias a reader gives
them), so that a derived table, a CTE or a set operation's other side can be typed too.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from fuzzer import ast as A
from fuzzer.functions import Signature
from fuzzer.generator.clauses import Clauses
from fuzzer.generator.expressions import EQUATABLE, ORDERED, REPRESENTATIVE, Col, Ctx, Scope
from fuzzer.schema import Column, Table

if TYPE_CHECKING:
    from fuzzer.generator import Generator

Outputs = list[Col]
#: join kinds a LATERAL derived table may stand on the right of (PostgreSQL: "The combining
#: JOIN type must be INNER or LEFT for a LATERAL reference")
LATERAL_JOINS = ("CROSS", "INNER", "LEFT")


@dataclass(frozen=True)
class Host:
    """The SELECT an oracle partitions or counts, and the WITH it is the body of.

    An oracle changes only `select` (its WHERE, items, grouping); `wrap` puts each changed
    SELECT back under the same CTEs, so every query of a check reads the same relations.
    `env` are the relations its subqueries may read: the tables, the views and the CTEs.
    """

    select: A.Select
    scope: Scope
    ctes: tuple[A.CTE, ...] = ()
    recursive: bool = False
    env: tuple[Table, ...] = ()

    def wrap(self, query: A.Query) -> A.Query:
        return A.With(self.ctes, query, self.recursive) if self.ctes else query


class Queries:
    def __init__(self, g: Generator) -> None:
        self.g = g
        self.rng: random.Random = g.rng
        self.caps = g.caps
        self.opt = g.options
        self.x = g.expressions
        self.env: list[Table] = []  # relations a FROM may name: tables, views, CTEs
        self.aliases = 0
        self.chances = self.opt.chances()
        # UNION is the set operation that keeps rows: INTERSECT/EXCEPT of random sides are empty
        unions = [s for s in self.caps.set_ops if s[0] == "UNION"]
        self.set_ops = unions * 4 + list(self.caps.set_ops)
        self.clauses = Clauses(self)

    def chance(self, feature: str) -> bool:
        return self.rng.random() < self.chances[feature]

    def alias(self, prefix: str = "a") -> str:
        self.aliases += 1
        return f"{prefix}{self.aliases}"

    # -- top level -----------------------------------------------------------------------------

    def query(self, depth: int) -> A.Query:
        self.env = list(self.g.schema.tables)
        if self.chance("with"):
            return self.with_query(depth)
        if self.chance("recursive"):
            return self.recursive_query(depth)
        return self.body(depth)

    def body(self, depth: int) -> A.Query:
        whole = self.clauses.top_query()
        if whole is not None:
            return whole
        if self.chance("set_op") and self.caps.set_ops:
            return self.set_op(depth)[0]
        return self.select(depth, top=True)[0]

    def inner(
        self, depth: int, families: Sequence[str] | None = None, outer: Sequence[Col] = (),
        ordered: bool = True,
    ) -> tuple[A.Query, Outputs]:
        """A query nested in another (a derived table, a CTE, a subquery): a SELECT or a set
        operation, with ORDER BY and LIMIT/OFFSET when `ordered`."""
        if self.caps.set_ops and self.chance("set_op"):
            query, outs = self.set_op(depth, families, outer)
            return (query if ordered else replace(query, order_by=(), limit=None,
                                                  offset=None, fetch=None)), outs  # fmt: skip
        return self.select(depth, families, outer, top=True, ordered=ordered, nested=True)

    def host(self, depth: int) -> Host:
        """A check's host: a plain SELECT (`base`), often the body of a WITH (recursive, too)."""
        self.env = list(self.g.schema.tables)
        ctes: list[A.CTE] = []
        recursive = self.chance("host_recursive")
        if self.chance("host_with"):
            # DuckDB reads a set operation under WITH RECURSIVE as a recursion, which may
            # not have an ORDER BY
            ctes += self.ctes(depth, ordered=not recursive)
        if recursive:
            ctes.append(self.counting_cte())
        select, scope = self.plain(depth)
        return Host(select, scope, tuple(ctes), recursive, tuple(self.env))

    def base(self, depth: int) -> tuple[A.Select, Scope]:
        """A plain SELECT (no WHERE, grouping, windows, ORDER BY) and the scope of its FROM."""
        self.env = list(self.g.schema.tables)
        return self.plain(depth)

    def plain(self, depth: int) -> tuple[A.Select, Scope]:
        rels, scope = self.from_clause(depth, ())
        items = []
        for i, col in enumerate(self.pick_columns(scope, self.rng.randint(1, 4))):
            if self.rng.random() < 0.6 or col.family == "json":
                e: A.Expr = col.ref
            else:
                e = self.x.expr(col.family, Ctx(scope), depth)
            items.append(A.SelectItem(e, f"c{i}"))
        return A.Select(tuple(items), rels, spellings=self.g.spelling.draw("SELECT ALL")), scope

    def pick_columns(self, scope: Scope, n: int) -> list[Col]:
        cols = scope.columns
        if self.opt.portable:
            cols = tuple(c for c in cols if c.family != "bool") or cols
        return [self.rng.choice(cols) for _ in range(n)]

    # -- SELECT --------------------------------------------------------------------------------

    def select(
        self,
        depth: int,
        families: Sequence[str] | None = None,
        outer: Sequence[Col] = (),
        top: bool = False,
        ordered: bool = True,
        nested: bool = False,
    ) -> tuple[A.Select, Outputs]:
        """A SELECT whose items have the given families (any, if None). `top`: it may carry
        window functions, ORDER BY and LIMIT; members of set operations may not. `nested`:
        it stands in another query, so it takes none of a statement's SELECT modifiers."""
        rng = self.rng
        rels, scope = self.from_clause(depth, outer)
        row = Ctx(scope)
        fams = list(families) if families else self.item_families(scope)
        where = self.x.predicate(row, depth) if self.chance("where") else None
        if outer and self.chance("correlate"):
            where = _and(where, self.correlation(scope))
        group_by: tuple[A.Expr, ...] = ()
        having = None
        windows = False
        if self.chance("group_by"):
            keys = self.group_keys(scope)
            ctx = Ctx(scope, groups=tuple(keys), aggregates=True, correlate=False)
            group_by = self.clauses.grouping([k.ref for k in keys])
            if self.chance("having"):
                having = self.x.predicate(ctx, depth - 1)
        elif self.chance("aggregate_only"):
            ctx = Ctx(scope, groups=(), aggregates=True, correlate=False)
            if self.chance("having"):  # HAVING without GROUP BY: the one group, or none
                having = self.x.predicate(ctx, depth - 1)
        else:
            ctx = row
            windows = top and not families and self.chance("window")
        items, outs = [], []
        # SQLite 3.40 calls a NATURAL or USING join's column in `t.*` ambiguous
        plain = families is None and ctx is row and not _merging(rels)
        starred = self.clauses.star(scope, depth, nested or not top) if plain else None
        for i, fam in enumerate(fams if starred is None else ()):
            if windows and (i == len(fams) - 1 or rng.random() < 0.3):
                e, fam = self.window(scope, depth)
            else:
                e = self.x.expr(fam, ctx, depth)
            alias = f"c{i}"
            col = self.x.column_of(e, row) if ctx is row else None
            t = col.type if col else REPRESENTATIVE[fam]
            items.append(A.SelectItem(e, alias))
            values, extreme = (col.values, col.extreme) if col else ((), False)
            outs.append(Col(None, alias, t, values, extreme))
        if starred is not None:
            items, outs = starred
        grouping = self.clauses.grouping_item(group_by) if families is None else None
        if grouping is not None:
            items.append(A.SelectItem(grouping, f"c{len(items)}"))
            outs.append(Col(None, f"c{len(outs)}", A.INTEGER))
        # LIMIT ALL where a LIMIT may stand: a set operand's would need parentheses
        limits = ("LIMIT COMMA", "LIMIT ALL") if top and ordered else ()
        if having is not None and not group_by and not any(_aggregated(i.expr) for i in items):
            having = None  # SQLite: "HAVING clause on a non-aggregate query"
        spellings = self.g.spelling.draw("SELECT ALL", "DISTINCTROW", *limits)
        select = A.Select(tuple(items), rels, where, group_by, having, spellings=spellings)
        alone = top and families is None
        rows = alone and ctx is row
        select = self.clause_extras(select, scope, depth, alone and not nested, rows)
        if families is None and self.chance("distinct"):
            first = items[0].expr
            # a set operation's members take no ORDER BY, which DISTINCT ON needs
            if (self.caps.distinct_on and top and ordered and self.chance("distinct_on")
                    and not group_by and not isinstance(first, A.Literal | A.Star)):  # (1)
                select = replace(select, distinct_on=(items[0].expr,))
                return self.order(select, outs, force=True), outs
            select = replace(select, distinct=True)
        if top and ordered and (self.caps.grouping_order_by or not self.clauses.rolls_up(select)):
            select = self.order(select, outs)
        return select, outs

    def clause_extras(
        self, select: A.Select, scope: Scope, depth: int, alone: bool, rows: bool
    ) -> A.Select:
        """The dialect's own clauses on a built SELECT: GROUP BY DISTINCT and ALL, named
        windows, and for `alone` (a top-level query of its own) SELECT modifiers and, where it
        is `rows` (neither grouped nor aggregated), QUALIFY."""
        c = self.clauses
        select = c.unrolled_if_repeated(select)
        if c.group_distinct(select.group_by):  # (`replace` costs more than the rest here)
            select = replace(select, group_distinct=True)
        select = c.by_all(select)
        select = c.named_windows(select)
        if rows:
            select = c.qualify(select, scope, depth)
        if alone and (modifiers := c.modifiers()):
            select = replace(select, modifiers=modifiers)
        return select

    def item_families(self, scope: Scope) -> list[str]:
        fams = []
        for col in self.pick_columns(scope, self.rng.randint(1, 4)):
            fam = col.family
            if fam == "json" or (self.rng.random() < 0.2 and not self.opt.portable):
                fam = self.rng.choice(self.caps.families)
            fams.append(fam)
        return fams

    def group_keys(self, scope: Scope) -> list[Col]:
        cols = [c for c in scope.columns if c.family in EQUATABLE]
        if not cols:
            cols = list(scope.columns)
        keys: list[Col] = []
        for _ in range(self.rng.randint(1, 2)):
            c = self.rng.choice(cols)
            clash = self.caps.unique_key_names and any(k.name == c.name for k in keys)
            if c not in keys and not clash:
                keys.append(c)
        return keys

    def order(
        self, q: A.Select | A.SetOp, outs: Sequence[Col], force: bool = False, limit: int = 0
    ) -> A.Select | A.SetOp:
        """ORDER BY output positions, and LIMIT/OFFSET (`limit`: this one, always). In
        deterministic mode a LIMIT comes only with an order over every output column, all of
        families whose equal values are identical: rows that tie are then the same rows."""
        rng = self.rng
        if not force and not limit and not self.chance("order_by"):
            return q
        width = len(outs)
        if not limit:
            limit = rng.randint(1, 6) if self.chance("limit") else 0
        offset = rng.randint(0, 2) if limit and self.chance("offset") else None
        total = force or bool(limit) or rng.random() < 0.3
        positions = list(range(1, width + 1))
        if not total:
            positions = rng.sample(positions, rng.randint(1, width))
        elif not force:
            rng.shuffle(positions)
        fetch = self.clauses.fetch(total) if limit else None
        if fetch == "WITH TIES":
            offset = None
        elif self.opt.deterministic and not (total and self.tie_free(outs)):
            limit, offset, fetch = 0, None, None
        nulls = self.caps.nulls_order
        items = tuple(
            A.OrderItem(
                A.Literal(p, A.INTEGER),
                rng.random() < 0.4,
                rng.choice(("FIRST", "LAST")) if nulls and rng.random() < 0.5 else None,
            )
            for p in positions
        )
        if total and positions == list(range(1, width + 1)):
            items = self.clauses.order_all(items)
        return replace(q, order_by=items, limit=limit or None, offset=offset, fetch=fetch)

    def tie_free(self, outs: Sequence[Col]) -> bool:
        """Rows whose values are all equal are the same rows (no 'a' = 'a ', -0.0 = 0.0)."""
        return all(c.family in self.caps.tie_free for c in outs)

    def correlation(self, scope: Scope) -> A.Expr:
        """A term that ties a subquery's rows to the enclosing row: an inner column compared
        with an outer one, most often one an outer join may have padded with NULL."""
        rng = self.rng
        padded = [c for c in scope.outer if c.padded and c.family in EQUATABLE]
        outer = padded if padded and rng.random() < 0.7 else [
            c for c in scope.outer if c.family in EQUATABLE]
        if not outer:
            return self.x.predicate(Ctx(scope), 0)
        o = rng.choice(outer)
        inner = [c for c in scope.columns if c.family == o.family]
        if not inner or rng.random() < 0.1:
            return A.IsNull(o.ref, rng.random() < 0.5)
        i = rng.choice(inner)
        r = rng.random()
        if r < 0.15:
            return A.IsDistinctFrom(i.ref, o.ref, negated=True)
        ops = ("=", "=", "=", "<>", "<", ">=") if o.family in ORDERED else ("=", "<>")
        return A.Binary(rng.choice(ops), i.ref, o.ref)

    def equality(self, scope: Scope) -> A.Expr | None:
        """`inner = outer`, the one correlation some engines decorrelate, most often with a
        column an outer join may have padded; None if no inner column has an outer's family."""
        pairs = [(i, o) for o in scope.outer if o.family in EQUATABLE
                 for i in scope.columns if i.family == o.family]  # fmt: skip
        padded = [(i, o) for i, o in pairs if o.padded]
        pairs = padded if padded and self.rng.random() < 0.7 else pairs
        if not pairs:
            return None
        i, o = self.rng.choice(pairs)
        return A.Binary("=", i.ref, o.ref)

    def window(self, scope: Scope, depth: int) -> tuple[A.Window, str]:
        rng = self.rng
        windows = [s for sigs in self.g.functions.windows.values() for s in sigs
                   if all(f in scope.by_family for f in s.families)]  # fmt: skip
        aggregates = ["SUM", "COUNT", "MIN", "MAX"] + ([] if self.opt.portable else ["AVG"])
        by_name: dict[str, list[Signature]] = {}  # each name as likely as an aggregate
        for sig in windows:
            by_name.setdefault(sig.name, []).append(sig)
        picked = rng.choice([*by_name.values(), *aggregates])
        choice: str | Signature = rng.choice(picked) if isinstance(picked, list) else picked
        partition = tuple(c.ref for c in self.pick_columns(scope, rng.randint(0, 1)))
        order_cols = [c for c in scope.columns if c.family in ORDERED]
        order = tuple(
            A.OrderItem(c.ref, rng.random() < 0.3) for c in order_cols[: rng.randint(1, 2)]
        ) if order_cols else ()
        frame = None
        if isinstance(choice, Signature) and not order:
            choice = "COUNT"  # MariaDB: ranking and offset functions need an ORDER BY
        if isinstance(choice, Signature):
            args = self.x.arguments(choice, Ctx(scope), 0, operand=self.x.agg_arg)
            fn: A.Func | A.Aggregate = A.Func(choice.name, args)
            fam = choice.returns
        else:
            fam = "int" if choice == "COUNT" else rng.choice(
                [f for f in ("int", "numeric", "float") if f in scope.by_family] or ["int"])
            if choice == "AVG":
                fam = "float" if fam == "float" else "numeric"
            arg_fam = "int" if choice == "AVG" and fam == "numeric" and "int" in scope.by_family \
                else fam
            cols = [c for c in scope.by_family.get(arg_fam, ()) if not c.extreme]
            flt = self.clauses.window_filter(scope, depth)
            if choice == "COUNT" or not cols:
                fn, fam = A.Aggregate("COUNT", (), filter=flt), "int"
            else:
                fn = A.Aggregate(choice, (rng.choice(cols).ref,), filter=flt)
            if order and rng.random() < 0.5:
                units = [u for u in self.caps.frame_units
                         if not (self.opt.deterministic and u == "ROWS")]  # fmt: skip
                frame = self.clauses.frame(units, order, scope)
        return A.Window(fn, partition, order, frame), fam

    # -- FROM ----------------------------------------------------------------------------------

    def from_clause(self, depth: int, outer: Sequence[Col]) -> tuple[tuple[A.Relation, ...], Scope]:
        rel, cols = self.relation(depth, ())
        for _ in range(2):
            if not self.chance("join"):
                break
            rel, cols = self.join(rel, cols, depth)
            if isinstance(rel, A.Join):
                rel = replace(rel, spellings=self.g.spelling.draw("INNER JOIN", "OUTER JOIN"))
        rels: tuple[A.Relation, ...] = (rel,)
        if self.chance("comma_join") and len(cols) < 12:
            extra, extra_cols = self.relation(depth, ())
            rels, cols = (rel, extra), cols + extra_cols
        return rels, Scope(cols, outer)

    def relation(self, depth: int, left: Sequence[Col] = ()) -> tuple[A.Relation, list[Col]]:
        """A table, a view, a CTE or (with depth to spare) a derived table; LATERAL, reading
        the columns `left` of it, when `left` is given."""
        alias = self.alias()
        special = self.clauses.relation(alias) if depth > 1 and not left else None
        if special is not None:
            return special
        if left or (depth > 1 and self.chance("derived_table")):
            query, outs = self.inner(max(depth - 1, 0), outer=left)
            cols = [Col(alias, c.name, c.type, c.values, c.extreme) for c in outs]
            return A.DerivedTable(query, alias, bool(left)), cols
        table = self.rng.choice(self.env)
        cols = [_col(alias, c) for c in table.columns]
        return self.clauses.table_ref(table, alias), cols

    def join(self, left: A.Relation, lcols: list[Col], depth: int) -> tuple[A.Relation, list[Col]]:
        rng = self.rng
        if self.caps.lateral and depth > 0 and self.chance("lateral"):
            return self.lateral_join(left, lcols, depth)
        kind = self.clauses.join_kind()
        right, rcols = self.relation(depth)
        if kind not in ("INNER", "LEFT", "RIGHT", "FULL", "CROSS"):
            return self.clauses.dialect_join(kind, left, right, lcols, rcols)
        if kind in ("RIGHT", "FULL"):
            lcols = [c.padded_by_join for c in lcols]
        if kind in ("LEFT", "FULL"):
            rcols = [c.padded_by_join for c in rcols]
        both = lcols + rcols
        if self.caps.natural_join and kind != "CROSS" and self.chance("natural"):
            natural = self.natural(left, right, kind, lcols, rcols)
            if natural is not None:
                return natural, both
        if kind == "CROSS":
            return A.Join("CROSS", left, right), both
        on = self.equi_condition(lcols, rcols)
        if on is None:
            if kind == "FULL":
                return A.Join("CROSS", left, right), both
            on = self.x.predicate(Ctx(Scope(both)), 1)
        elif kind != "FULL" and rng.random() < 0.25:
            op = rng.choice(("AND", "OR"))
            on = A.Binary(op, on, self.x.predicate(Ctx(Scope(both)), 1))
        return A.Join(kind, left, right, self.clauses.constant_on(kind, on)), both

    def lateral_join(
        self, left: A.Relation, lcols: list[Col], depth: int
    ) -> tuple[A.Relation, list[Col]]:
        """`left [CROSS | INNER | LEFT] JOIN LATERAL (query over left's columns) AS a [ON ...]`."""
        kind = self.rng.choice(LATERAL_JOINS)
        right, rcols = self.relation(depth, lcols)
        if kind == "LEFT":
            rcols = [c.padded_by_join for c in rcols]
        both = lcols + rcols
        if kind == "CROSS":
            return A.Join("CROSS", left, right), both
        on = self.equi_condition(lcols, rcols) if self.rng.random() < 0.5 else None
        if on is None:  # DuckDB: "Subqueries are not supported in LATERAL join conditions"
            on = self.x.predicate(Ctx(Scope(both), subqueries=False), 1)
        return A.Join(kind, left, right, on), both

    def natural(self, left, right, kind, lcols, rcols) -> A.Join | None:
        """NATURAL or USING: only between two base relations whose same-named columns have
        the same family (generated tables name columns by family slot)."""
        if not (isinstance(left, A.TableRef) and isinstance(right, A.TableRef)):
            return None
        lnames = {c.name: c.family for c in lcols}
        common = [c.name for c in rcols if c.name in lnames]
        if not common or any(lnames[n] != c.family for n in common for c in rcols if c.name == n):
            return None
        if any(lnames[n] == "json" for n in common):
            return None
        if self.rng.random() < 0.5:
            return A.Join(kind, left, right, natural=True)
        return A.Join(kind, left, right, using=(self.rng.choice(common),))

    def equi_condition(self, lcols: list[Col], rcols: list[Col]) -> A.Expr | None:
        """`l = r` over columns of one family, preferring pairs that share values."""
        pairs = [(lc, rc) for lc in lcols for rc in rcols
                 if lc.family == rc.family and lc.family in EQUATABLE]  # fmt: skip
        if not pairs:
            return None
        sharing = [(lc, rc) for lc, rc in pairs if set(lc.values) & set(rc.values)]
        lc, rc = self.rng.choice(sharing if sharing and self.rng.random() < 0.8 else pairs)
        return A.Binary("=", lc.ref, rc.ref)

    # -- set operations and WITH ---------------------------------------------------------------

    def set_op(
        self, depth: int, families: Sequence[str] | None = None, outer: Sequence[Col] = ()
    ) -> tuple[A.Query, Outputs]:
        left, outs = self.select(depth, families=families, outer=outer, ordered=False)
        fams = [c.family for c in outs]
        node: A.Query = left
        most = 2 if self.caps.correlated_nested_set_ops or not outer else 1
        for _ in range(self.rng.randint(1, most)):
            right: A.Query | None = self.clauses.set_operand(fams)
            if right is None:
                right, _ = self.select(depth, families=fams, outer=outer, ordered=False)
            ops = self.set_ops
            if isinstance(node, A.SetOp) and node.op != "INTERSECT":
                # (a UNION b) INTERSECT c must keep its parentheses, which a nested query
                # cannot begin with: INTERSECT binds tighter
                ops = [o for o in ops if o[0] != "INTERSECT"]
            op, all_ = self.rng.choice(ops)
            right, by_name = self.clauses.by_name(op, node, right)
            spellings = self.g.spelling.draw("UNION DISTINCT", "LIMIT COMMA")
            node = A.SetOp(op, node, right, all_, by_name=by_name, spellings=spellings)
        assert isinstance(node, A.SetOp)
        if isinstance(node.right, A.Values) and not self.caps.values_order_by:
            return node, outs
        return self.order(node, outs), outs

    def with_query(self, depth: int) -> A.Query:
        return A.With(tuple(self.ctes(depth)), self.body(depth))  # trees hold tuples

    def ctes(self, depth: int, ordered: bool = True) -> list[A.CTE]:
        """One or two CTEs (selects or set operations, ordered and limited as any nested
        query), added to the relations a FROM may name: the body reads one most of the time."""
        ctes = []
        for _ in range(self.rng.randint(1, 2)):
            name = self.alias("w")
            query, outs = self.inner(max(depth - 1, 1), ordered=ordered)
            names = tuple(c.name for c in outs)
            ctes.append(A.CTE(name, query, names, self.clauses.materialized()))
            self.env.append(Table(name, [_column(c) for c in outs]))
        self.env = self.env[-len(ctes):] + self.env
        return ctes

    def recursive_query(self, depth: int) -> A.Query:
        return A.With((self.counting_cte(),), self.body(depth), recursive=True)

    def counting_cte(self) -> A.CTE:
        """The counting recursion: r(c0) AS (SELECT 1 UNION ALL SELECT c0 + 1 FROM r WHERE
        c0 < n), which a FROM then joins like any table."""
        name, n = self.alias("r"), self.rng.randint(2, 8)
        one = A.Literal(1, A.INTEGER)
        anchor = A.Select((A.SelectItem(one, "c0"),))
        step = A.Select(
            (A.SelectItem(A.Binary("+", A.ColumnRef(name, "c0"), one)),),
            (A.TableRef(name),),
            A.Binary("<", A.ColumnRef(name, "c0"), A.Literal(n, A.INTEGER)),
        )
        self.env.insert(0, Table(name, [Column("c0", A.INTEGER, values=list(range(1, n + 1)))]))
        self.env = self.env[:1] * 3 + self.env
        return A.CTE(name, A.SetOp("UNION", anchor, step, all=True), ("c0",))

    # -- subqueries in expressions -------------------------------------------------------------

    @staticmethod
    def outer_of(ctx: Ctx) -> tuple[Col, ...]:
        """The columns a subquery in ctx may correlate with: ctx's own and its outer ones."""
        return (ctx.scope.columns + ctx.scope.outer) if ctx.correlate else ()

    def scalar_subquery(self, fam: str, ctx: Ctx, depth: int) -> A.Expr | None:
        """A query of one row at most: an aggregate without GROUP BY, or any nested query of
        one column under an order of its rows and LIMIT 1."""
        outer = self.outer_of(ctx)
        limitable = fam in self.caps.tie_free or not self.opt.deterministic
        limitable &= self.caps.limited_scalar_correlation or not outer
        if limitable and self.rng.random() < 0.4:
            query, outs = self.inner(depth, [fam], outer, ordered=False)
            rolls_up = isinstance(query, A.Select) and self.clauses.rolls_up(query)
            # SQLite: a set operation ending in VALUES takes no ORDER BY
            ends_in_values = isinstance(query, A.SetOp) and isinstance(query.right, A.Values)
            if (self.caps.grouping_order_by or not rolls_up) and (
                self.caps.values_order_by or not ends_in_values
            ):
                limited = self.order(query, outs, force=True, limit=1)
                return A.ScalarQuery(replace(limited, fetch=None))  # WITH TIES: rows > 1
        rels, scope = self.from_clause(depth, outer)
        general = self.caps.general_scalar_correlation
        own = scope if general else scope.inner  # the outer row only in the correlation term
        agg = self.x.aggregate(fam, Ctx(own, groups=(), aggregates=True), max(depth - 1, 0))
        if agg is None:
            return None
        where = self.x.predicate(Ctx(own), max(depth - 1, 0)) if self.rng.random() < 0.7 else None
        if outer and self.chance("correlate"):
            where = _and(where, self.correlation(scope) if general else self.equality(scope))
        return A.ScalarQuery(A.Select((A.SelectItem(agg),), rels, where))

    def subquery_predicate(self, ctx: Ctx, depth: int) -> A.Expr | None:
        """EXISTS, IN, ANY/ALL or a comparison with a scalar subquery; the subquery is any
        nested query (joins, set operations, grouping, ORDER BY and LIMIT), often correlated."""
        rng = self.rng
        outer = self.outer_of(ctx)
        kind = rng.random()
        if kind < 0.3:
            query, outs = self.inner(depth, outer=outer)
            if len(outs) > 1 and not self.caps.exists_unlisted_arm and _unlisted_arm(query):
                query, _ = self.inner(depth, [outs[0].family], outer)  # one column: no rewrite
            return A.Exists(query, rng.random() < 0.3)
        fams = [c.family for c in (ctx.groups if ctx.groups is not None else ctx.scope.columns)
                if c.family in EQUATABLE]  # fmt: skip
        if not fams:
            return None
        fam = rng.choice(fams)
        left = self.x.expr(fam, ctx, max(depth - 1, 0))
        if kind < 0.45:
            right = self.scalar_subquery(fam, ctx, depth)
            if right is None:
                return None
            ops = ("=", "<>", "<", "<=", ">", ">=") if fam in ORDERED else ("=", "<>")
            return A.Binary(rng.choice(ops), left, right)
        query, _ = self.inner(depth, [fam], outer, ordered=self.caps.limit_in_subquery)
        if kind < 0.8 or not self.caps.quantified_subquery or fam not in ORDERED:
            return A.InQuery(left, query, rng.random() < 0.25)
        op = rng.choice(("=", "<>", "<", "<=", ">", ">="))
        quantifier = rng.choice(("ANY", "ALL"))
        return A.Quantified(left, op, quantifier, query, self.g.spelling.draw("SOME"))


def _aggregated(expr: A.Expr) -> bool:
    """Does the expression call an aggregate (outside a window)?"""
    stack: list[object] = [expr]
    while stack:
        n = stack.pop()
        if isinstance(n, A.Aggregate):
            return True
        if isinstance(n, tuple):
            stack.extend(n)
        elif isinstance(n, A.Expr) and not isinstance(n, A.Window | A.ScalarQuery):
            stack.extend(getattr(n, f) for f in n.__dataclass_fields__)
    return False


def _unlisted_arm(query: A.Query) -> bool:
    """Is an arm of the set operation `query` VALUES, or a SELECT of `*`?"""
    if not isinstance(query, A.SetOp):
        return False
    arms: list[A.Query] = [query.left, query.right]
    while arms:
        arm = arms.pop()
        if isinstance(arm, A.SetOp):
            arms += (arm.left, arm.right)
        elif not isinstance(arm, A.Select) or any(isinstance(i.expr, A.Star) for i in arm.items):
            return True
    return False


def _merging(rels: Sequence[A.Relation]) -> bool:
    """Does a NATURAL join or USING merge columns of these relations?"""
    stack = list(rels)
    while stack:
        r = stack.pop()
        if isinstance(r, A.Join):
            if r.natural or r.using:
                return True
            stack += (r.left, r.right)
    return False


def _and(a: A.Expr | None, b: A.Expr | None) -> A.Expr | None:
    return b if a is None else a if b is None else A.Binary("AND", a, b)


def _col(alias: str, c: Column) -> Col:
    return Col(alias, c.name, c.type, tuple(c.values), c.extreme)


def _column(c: Col) -> Column:
    return Column(c.name, c.type, values=list(c.values), extreme=c.extreme)


