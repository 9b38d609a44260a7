"""Queries: SELECT with FROM/joins/grouping/windows, set operations, WITH, subqueries.

A query is built together with its output columns (`Col`s with the alias a reader gives
them), so that a derived table, a CTE or a set operation's other side can be typed too.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from fuzzer import ast as A
from fuzzer.functions import Signature
from fuzzer.generator.clauses import Clauses
from fuzzer.generator.expressions import EQUATABLE, ORDERED, REPRESENTATIVE, Col, Ctx, Scope
from fuzzer.schema import Column, Table

if TYPE_CHECKING:
    from fuzzer.generator import Generator

Outputs = list[Col]


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

    def base(self, depth: int) -> tuple[A.Select, Scope]:
        """A plain SELECT (no WHERE, grouping, windows, ORDER BY) and the scope of its FROM."""
        self.env = list(self.g.schema.tables)
        rels, scope = self.from_clause(depth, ())
        items, outs = [], []
        for i, col in enumerate(self.pick_columns(scope, self.rng.randint(1, 4))):
            if self.rng.random() < 0.6 or col.family == "json":
                e: A.Expr = col.ref
            else:
                e = self.x.expr(col.family, Ctx(scope), depth)
            items.append(A.SelectItem(e, f"c{i}"))
            outs.append(Col(None, f"c{i}", col.type))
        return A.Select(tuple(items), rels), scope

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
    ) -> tuple[A.Select, Outputs]:
        """A SELECT whose items have the given families (any, if None). `top`: it may carry
        window functions, ORDER BY and LIMIT; members of set operations may not."""
        rng = self.rng
        rels, scope = self.from_clause(depth, outer)
        row = Ctx(scope)
        fams = list(families) if families else self.item_families(scope)
        where = self.x.predicate(row, depth) if self.chance("where") else None
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
        else:
            ctx = row
            windows = top and not families and self.chance("window")
        items, outs = [], []
        starred = self.clauses.star(scope, depth) if families is None and ctx is row else None
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
        select = A.Select(tuple(items), rels, where, group_by, having)
        alone = top and families is None
        select = self.clause_extras(select, scope, depth, alone, alone and ctx is row)
        if families is None and self.chance("distinct"):
            first = items[0].expr
            if (self.caps.distinct_on and self.chance("distinct_on") and not group_by
                    and not isinstance(first, A.Literal | A.Star)):  # DISTINCT ON (1): a position
                select = replace(select, distinct_on=(items[0].expr,))
                return self.order(select, len(outs), force=True), outs
            select = replace(select, distinct=True)
        if top and ordered and (self.caps.grouping_order_by or not self.clauses.rolls_up(select)):
            select = self.order(select, len(outs))
        return select, outs

    def clause_extras(
        self, select: A.Select, scope: Scope, depth: int, alone: bool, rows: bool
    ) -> A.Select:
        """The dialect's own clauses on a built SELECT: GROUP BY DISTINCT and ALL, named
        windows, and for `alone` (a top-level query of its own) SELECT modifiers and, where it
        is `rows` (neither grouped nor aggregated), QUALIFY."""
        c = self.clauses
        select = replace(select, group_distinct=c.group_distinct(select.group_by))
        select = c.by_all(select)
        select = c.named_windows(select)
        if rows:
            select = c.qualify(select, scope, depth)
        if alone:
            select = replace(select, modifiers=c.modifiers())
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
            if c not in keys:
                keys.append(c)
        return keys

    def order(self, q: A.Select | A.SetOp, width: int, force: bool = False) -> A.Select | A.SetOp:
        """ORDER BY output positions, and LIMIT/OFFSET. In deterministic mode a LIMIT comes
        only with an order over every output column: rows that tie are then equal."""
        rng = self.rng
        if not force and not self.chance("order_by"):
            return q
        limit = rng.randint(1, 6) if self.chance("limit") else None
        offset = rng.randint(0, 2) if limit is not None and self.chance("offset") else None
        total = force or limit is not None or rng.random() < 0.3
        positions = list(range(1, width + 1))
        if not total:
            positions = rng.sample(positions, rng.randint(1, width))
        elif not force:
            rng.shuffle(positions)
        fetch = self.clauses.fetch(total) if limit is not None else None
        if fetch == "WITH TIES":
            offset = None
        elif self.opt.deterministic and not total:
            limit = offset = None
            fetch = None
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
        return replace(q, order_by=items, limit=limit, offset=offset, fetch=fetch)

    def window(self, scope: Scope, depth: int) -> tuple[A.Window, str]:
        rng = self.rng
        windows = [s for sigs in self.g.functions.windows.values() for s in sigs
                   if all(f in scope.by_family for f in s.families)]  # fmt: skip
        aggregates = ["SUM", "COUNT", "MIN", "MAX"] + ([] if self.opt.portable else ["AVG"])
        choice: str | Signature = rng.choice([*windows, *aggregates])
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
        rels: tuple[A.Relation, ...] = (rel,)
        if self.chance("comma_join") and len(cols) < 12:
            extra, extra_cols = self.relation(depth, ())
            rels, cols = (rel, extra), cols + extra_cols
        return rels, Scope(cols, outer)

    def relation(self, depth: int, left: Sequence[Col]) -> tuple[A.Relation, list[Col]]:
        """A table, a view, a CTE or (with depth to spare) a derived table."""
        alias = self.alias()
        special = self.clauses.relation(alias) if depth > 1 else None
        if special is not None:
            return special
        if depth > 1 and self.chance("derived_table"):
            lateral = bool(left) and self.caps.lateral and self.chance("lateral")
            query, outs = self.select(depth - 1, outer=left if lateral else ())
            cols = [Col(alias, c.name, c.type, c.values, c.extreme) for c in outs]
            return A.DerivedTable(query, alias, lateral), cols
        table = self.rng.choice(self.env)
        cols = [_col(alias, c) for c in table.columns]
        return self.clauses.table_ref(table, alias), cols

    def join(self, left: A.Relation, lcols: list[Col], depth: int) -> tuple[A.Relation, list[Col]]:
        rng = self.rng
        kind = self.clauses.join_kind()
        right, rcols = self.relation(depth, lcols if kind in ("INNER", "CROSS", "LEFT") else ())
        both = lcols + rcols
        if isinstance(right, A.DerivedTable) and right.lateral:
            return A.Join("CROSS", left, right), both
        if kind not in ("INNER", "LEFT", "RIGHT", "FULL", "CROSS"):
            return self.clauses.dialect_join(kind, left, right, lcols, rcols)
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

    def set_op(self, depth: int, families: Sequence[str] | None = None) -> tuple[A.Query, Outputs]:
        left, outs = self.select(depth, families=families, ordered=False)
        fams = [c.family for c in outs]
        node: A.Query = left
        for _ in range(self.rng.randint(1, 2)):
            right: A.Query | None = self.clauses.set_operand(fams)
            if right is None:
                right, _ = self.select(depth, families=fams, ordered=False)
            op, all_ = self.rng.choice(self.set_ops)
            node = A.SetOp(op, node, right, all_)
        assert isinstance(node, A.SetOp)
        if isinstance(node.right, A.Values) and not self.caps.values_order_by:
            return node, outs
        return self.order(node, len(outs)), outs

    def with_query(self, depth: int) -> A.Query:
        ctes = []
        for _ in range(self.rng.randint(1, 2)):
            name = self.alias("w")
            query, outs = self.select(max(depth - 1, 1))
            ctes.append(A.CTE(name, query, tuple(c.name for c in outs)))
            self.env.append(Table(name, [_column(c) for c in outs]))
        self.env = self.env[-len(ctes):] + self.env  # the body reads a CTE most of the time
        return A.With(tuple(ctes), self.body(depth))

    def recursive_query(self, depth: int) -> A.Query:
        """The counting recursion: WITH RECURSIVE r(c0) AS (SELECT 1 UNION ALL SELECT c0 + 1
        FROM r WHERE c0 < n); the body joins it like any table."""
        name, n = self.alias("r"), self.rng.randint(2, 8)
        one = A.Literal(1, A.INTEGER)
        anchor = A.Select((A.SelectItem(one, "c0"),))
        step = A.Select(
            (A.SelectItem(A.Binary("+", A.ColumnRef(name, "c0"), one)),),
            (A.TableRef(name),),
            A.Binary("<", A.ColumnRef(name, "c0"), A.Literal(n, A.INTEGER)),
        )
        cte = A.CTE(name, A.SetOp("UNION", anchor, step, all=True), ("c0",))
        self.env.insert(0, Table(name, [Column("c0", A.INTEGER, values=list(range(1, n + 1)))]))
        self.env = self.env[:1] * 3 + self.env
        return A.With((cte,), self.body(depth), recursive=True)

    # -- subqueries in expressions -------------------------------------------------------------

    def sub_scope(self, ctx: Ctx) -> tuple[A.TableRef, Scope]:
        table = self.rng.choice(self.env)
        alias = self.alias()
        outer = (ctx.scope.columns + ctx.scope.outer) if ctx.correlate else ()
        cols = [_col(alias, c) for c in table.columns]
        return A.TableRef(table.name, alias), Scope(cols, outer)

    def scalar_subquery(self, fam: str, ctx: Ctx, depth: int) -> A.Expr | None:
        """(SELECT agg(...) FROM t WHERE ...): an aggregate without GROUP BY is one row."""
        ref, scope = self.sub_scope(ctx)
        inner = Ctx(scope, groups=(), aggregates=True)
        agg = self.x.aggregate(fam, inner, max(depth - 1, 0))
        if agg is None:
            return None
        where = self.x.predicate(Ctx(scope), max(depth - 1, 0)) if self.rng.random() < 0.7 else None
        return A.ScalarQuery(A.Select((A.SelectItem(agg),), (ref,), where))

    def subquery_predicate(self, ctx: Ctx, depth: int) -> A.Expr | None:
        rng = self.rng
        ref, scope = self.sub_scope(ctx)
        row = Ctx(scope)
        where = self.x.predicate(row, max(depth - 1, 0)) if rng.random() < 0.8 else None
        kind = rng.random()
        if kind < 0.35:
            item = A.SelectItem(A.Literal(1, A.INTEGER))
            return A.Exists(A.Select((item,), (ref,), where), rng.random() < 0.3)
        shared = [c for c in scope.columns if c.family in EQUATABLE
                  and (c.family in ctx.scope.by_family or ctx.groups is not None)]  # fmt: skip
        if not shared:
            return None
        col = rng.choice(shared)
        left = self.x.expr(col.family, ctx, max(depth - 1, 0))
        select = A.Select((A.SelectItem(col.ref),), (ref,), where)
        if kind < 0.75 or not self.caps.quantified_subquery or col.family not in ORDERED:
            return A.InQuery(left, select, rng.random() < 0.2)
        op = rng.choice(("=", "<>", "<", "<=", ">", ">="))
        return A.Quantified(left, op, rng.choice(("ANY", "ALL")), select)


def _col(alias: str, c: Column) -> Col:
    return Col(alias, c.name, c.type, tuple(c.values), c.extreme)


def _column(c: Col) -> Column:
    return Column(c.name, c.type, values=list(c.values), extreme=c.extreme)


