"""The SELECT clauses each dialect's manual adds to the core: grouping sets, row values, VALUES
and TABLE, constant join terms, the dialects' own joins, window frames with EXCLUDE and named
windows, QUALIFY, star modifiers, FETCH FIRST, index hints and SELECT modifiers.

`Queries` (queries.py) calls these builders where the clause goes; each one asks the
dialect's capabilities whether the clause exists, and returns the core construct otherwise.
Deterministic mode keeps what has one right answer: RANGE and GROUPS frames (peers, not row
order, bound them, EXCLUDE included), FETCH ... WITH TIES without OFFSET (every row tying
with the last is returned, so the multiset is fixed), and no ASOF or POSITIONAL joins.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from fuzzer import ast as A
from fuzzer.generator.expressions import EQUATABLE, ORDERED, REPRESENTATIVE, Col, Ctx, Scope
from fuzzer.schema import Table

if TYPE_CHECKING:
    from fuzzer.generator.queries import Queries

#: frame bounds (start, end) for ROWS and GROUPS, and RANGE over one integer ORDER BY column
OFFSET_FRAMES = (
    ("2 PRECEDING", "1 PRECEDING"),
    ("1 PRECEDING", "2 FOLLOWING"),
    ("CURRENT ROW", "1 FOLLOWING"),
    ("0 PRECEDING", "0 FOLLOWING"),
    ("1 FOLLOWING", "3 FOLLOWING"),
    ("2 PRECEDING", None),
)
#: bounds any unit takes over any ORDER BY
PLAIN_FRAMES = (
    ("UNBOUNDED PRECEDING", "CURRENT ROW"),
    ("CURRENT ROW", "UNBOUNDED FOLLOWING"),
    ("UNBOUNDED PRECEDING", "UNBOUNDED FOLLOWING"),
    ("UNBOUNDED PRECEDING", None),
    ("CURRENT ROW", None),
)
#: join kinds every dialect has; a dialect's own kinds are drawn less often
CORE_JOINS = ("INNER", "LEFT", "RIGHT", "FULL", "CROSS")
TRUE = A.Literal(True, A.BOOLEAN)
FALSE = A.Literal(False, A.BOOLEAN)
NEVER = A.Binary("=", A.Literal(1, A.INTEGER), A.Literal(0, A.INTEGER))


class Clauses:
    def __init__(self, q: Queries) -> None:
        self.q = q
        self.rng: random.Random = q.rng
        self.caps = q.caps
        self.x = q.x
        self.det = q.opt.deterministic
        self.grouping_kinds = self.caps.grouping_sets

    @contextmanager
    def for_view(self) -> Iterator[None]:
        """Build a view's query: without the clauses the dialect's views do not keep."""
        if self.caps.grouping_in_views:
            yield
            return
        self.grouping_kinds = ()
        try:
            yield
        finally:
            self.grouping_kinds = self.caps.grouping_sets

    def chance(self, feature: str) -> bool:
        return self.q.chance(feature)

    def allowed(self, feature: str) -> bool:
        """Is a construct the caller weighted to zero kept out of these clauses too?"""
        return self.q.chances[feature] > 0

    # -- GROUP BY ------------------------------------------------------------------------------

    def grouping(self, keys: list[A.Expr]) -> tuple[A.Expr, ...]:
        """GROUP BY elements over `keys`: the keys themselves, or ROLLUP / CUBE / GROUPING SETS
        of them (MariaDB: the whole list rolled up, `WITH ROLLUP`).

        Every grouping set is a subset of the keys, so an expression valid over the plain keys
        stays valid: a key left out of a set is NULL in that set's rows."""
        rng, kinds = self.rng, self.grouping_kinds
        if not kinds or not keys or not self.chance("grouping_sets"):
            return tuple(keys)
        if not self.caps.rollup_repeated_keys and len(set(keys)) < len(keys):
            return tuple(keys)  # the TLP host's items are its keys
        if not self.caps.grouping_mixed:
            return (A.GroupingSets("ROLLUP", tuple((k,) for k in keys)),)
        kind = rng.choice(kinds)
        plain: list[A.Expr] = []
        rest = list(keys)
        if len(rest) > 1 and rng.random() < 0.3:
            plain.append(rest.pop(0))  # GROUP BY a, ROLLUP (b)
        if kind == "GROUPING SETS":
            sets: dict[str, tuple[A.Expr, ...]] = {"()": ()} if rng.random() < 0.6 else {}
            for _ in range(rng.randint(1, 2)):
                chosen = tuple(k for k in rest if rng.random() < 0.6)
                sets.setdefault(repr(chosen), chosen)
            sets.setdefault(repr(tuple(rest)), tuple(rest))  # every key is in some set
            members = tuple(sets.values())
        elif self.caps.grouping_composites and len(rest) > 1 and rng.random() < 0.3:
            members = (tuple(rest),)  # a composite: ROLLUP ((a, b))
        else:
            members = tuple((k,) for k in rest)
        return (*plain, A.GroupingSets(kind, members))

    def group_distinct(self, group_by: tuple[A.Expr, ...]) -> bool:
        """PostgreSQL's GROUP BY DISTINCT: duplicate grouping sets once."""
        rolled = any(isinstance(e, A.GroupingSets) for e in group_by)
        return rolled and self.caps.group_by_distinct and self.chance("group_distinct")

    def grouping_item(self, group_by: tuple[A.Expr, ...]) -> A.Expr | None:
        """GROUPING(k, ...) over keys of a rolled-up GROUP BY: which of them a row's set left
        out (bit 1 = left out)."""
        if not self.caps.grouping_function or not self.chance("grouping_function"):
            return None
        keys = [e for g in group_by if isinstance(g, A.GroupingSets)
                for m in g.members for e in m]  # fmt: skip
        if not keys:
            return None
        args = tuple(self.rng.sample(keys, self.rng.randint(1, min(len(keys), 3))))
        return A.Grouping(args)

    def unrolled_if_repeated(self, select: A.Select) -> A.Select:
        """The plain keys instead of grouping sets where the dialect mishandles a key column
        selected twice (`rollup_repeated_keys`)."""
        if self.caps.rollup_repeated_keys or not self.rolls_up(select):
            return select
        refs = [i.expr for i in select.items if isinstance(i.expr, A.ColumnRef)]
        if len(set(refs)) == len(refs):
            return select
        keys = tuple(e for g in select.group_by for e in (
            [k for m in g.members for k in m] if isinstance(g, A.GroupingSets) else [g]))
        return replace(select, group_by=keys)

    def rolls_up(self, select: A.Select) -> bool:
        return any(isinstance(e, A.GroupingSets) for e in select.group_by)

    def by_all(self, select: A.Select) -> A.Select:
        """DuckDB's GROUP BY ALL, where it means the same keys: every item is a key column, an
        aggregate or a constant, and HAVING (which may name other keys) is absent."""
        if not (self.caps.by_all and select.group_by and select.having is None):
            return select
        if any(isinstance(e, A.GroupingSets) for e in select.group_by):
            return select
        keys = set(select.group_by)
        items = [i.expr for i in select.items]
        if not all(e in keys or isinstance(e, A.Aggregate | A.Literal) for e in items):
            return select
        if set(items) & keys != keys or not self.chance("by_all"):
            return select
        return replace(select, group_by=(A.AllColumns(),))

    def order_all(self, items: tuple[A.OrderItem, ...]) -> tuple[A.OrderItem, ...]:
        """DuckDB's ORDER BY ALL for a total order: every column, left to right."""
        if not self.caps.by_all or not self.chance("by_all"):
            return items
        return (replace(items[0], expr=A.AllColumns()),)

    # -- row values ----------------------------------------------------------------------------

    def row_predicate(self, ctx: Ctx, depth: int) -> A.Expr | None:
        """`(a, b) op (x, y)`, `(a, b) [NOT] IN ((..), ..)`, `(a, b) IN (SELECT x, y ...)` or
        `(a, b) BETWEEN (..) AND (..)`: a row value against rows of the same families."""
        rng, caps = self.rng, self.caps
        if not caps.row_comparisons or not (caps.row_keys or ctx.subqueries):
            return None
        forms = ["compare", "compare"]
        forms += ["in_list"] * caps.row_in_list + ["between"] * caps.row_between
        subqueries = caps.row_in_subquery and ctx.subqueries and self.allowed("subquery")
        forms += ["in_query"] * subqueries
        form = rng.choice(forms)
        ordered = form == "between" or (form == "compare" and rng.random() < 0.6)
        among = ORDERED if ordered else EQUATABLE
        fams = [self.x.pick_family(ctx, among) for _ in range(rng.randint(2, 3))]
        # MariaDB: "doesn't yet support 'SUBQUERY in ROW in left expression of IN'"
        inner = replace(ctx, subqueries=False) if form.startswith("in_") else ctx
        left = [self.x.expr(f, inner, depth) for f in fams]
        cols = [self.x.column_of(e, ctx) for e in left]

        def row(items: list[A.Expr] | tuple[A.Expr, ...]) -> A.Row:
            return A.Row(tuple(items), caps.row_keyword and rng.random() < 0.3)

        def constants() -> A.Row:
            return row([self.x.literal(f, c) for f, c in zip(fams, cols, strict=True)])

        if form == "in_list":
            items = tuple(constants() for _ in range(rng.randint(1, 3)))
            return A.InList(row(left), items, rng.random() < 0.2)
        if form == "between":
            return A.Between(row(left), constants(), constants(), rng.random() < 0.2)
        if form == "in_query":
            query = self.row_query(fams, ctx, depth)
            return None if query is None else A.InQuery(row(left), query, rng.random() < 0.2)
        ops = [o for o in caps.row_comparisons if ordered or o in ("=", "<>")]
        right = constants() if rng.random() < 0.7 else row(
            [self.x.expr(f, ctx, depth) for f in fams])
        return A.Binary(rng.choice(ops), row(left), right)

    def row_query(self, fams: list[str], ctx: Ctx, depth: int) -> A.Query | None:
        """A nested query (`Queries.inner`: joins, set operations, grouping, correlation) of
        columns of `fams`, or VALUES rows of them."""
        if self.caps.values_query and self.rng.random() < 0.3:
            values = self.values(fams)[0]
            first = [(v.type, v.value) for v in values.rows[0]]  # type: ignore[attr-defined]
            if not self.caps.values_first_row_names or len(set(first)) == len(first):
                return values
        outer = self.q.outer_of(ctx) if self.caps.row_in_correlated else ()
        return self.q.inner(depth, fams, outer, ordered=self.caps.limit_in_subquery)[0]

    def sample_column(self, fam: str) -> Col | None:
        """A column of the family somewhere in the schema: its values make rows that match."""
        cols = [Col(None, c.name, c.type, tuple(c.values), c.extreme)
                for t in self.q.env for c in t.columns if c.family == fam]  # fmt: skip
        return self.rng.choice(cols) if cols else None

    # -- VALUES and TABLE ----------------------------------------------------------------------

    def values(self, fams: list[str]) -> tuple[A.Values, list[Col]]:
        """VALUES rows whose columns have `fams` and hold values of columns of the schema."""
        samples = [self.sample_column(f) for f in fams]
        rows = tuple(
            tuple(self.x.literal(f, c) for f, c in zip(fams, samples, strict=True))
            for _ in range(self.rng.randint(1, 4))
        )
        outs = []
        for i, (f, c) in enumerate(zip(fams, samples, strict=True)):
            t = c.type if c is not None else REPRESENTATIVE[f]
            held = tuple(r[i].value for r in rows if r[i].value is not None)
            outs.append(Col(None, f"x{i}", t, held, c is not None and c.extreme))
        return A.Values(rows), outs

    def relation(self, alias: str) -> tuple[A.Relation, list[Col]] | None:
        """A derived table that is VALUES (`(VALUES ...) AS v (x0, x1)`; where a derived table
        takes no column names, a CTE names them) or `(TABLE t) AS d`; None: the usual ones."""
        rng = self.rng
        if self.caps.table_query and self.chance("table_query"):
            table = rng.choice(self.q.env)
            cols = [Col(alias, c.name, c.type, tuple(c.values), c.extreme) for c in table.columns]
            return A.DerivedTable(A.TableQuery(table.name), alias), cols
        if not self.caps.values_query or not self.chance("values"):
            return None
        fams = [rng.choice(self.caps.families) for _ in range(rng.randint(1, 3))]
        fams = [f if f != "json" else "text" for f in fams]
        query, outs = self.values(fams)
        names = tuple(c.name for c in outs)
        cols = [replace(c, table=alias) for c in outs]
        if self.caps.derived_columns:
            return A.DerivedTable(query, alias, columns=names), cols
        if not self.allowed("with"):
            return None
        name = self.q.alias("v")
        star = A.Select((A.SelectItem(A.Star()),), (A.TableRef(name),))
        return A.DerivedTable(A.With((A.CTE(name, query, names),), star), alias), cols

    def top_query(self) -> A.Query | None:
        """A whole query that is `TABLE t` or VALUES; None: a SELECT."""
        if self.caps.table_query and self.chance("table_query"):
            return A.TableQuery(self.rng.choice(self.q.env).name)
        if self.caps.values_query and self.chance("values"):
            fams = [self.rng.choice(self.caps.families) for _ in range(self.rng.randint(1, 3))]
            return self.values([f if f != "json" else "text" for f in fams])[0]
        return self.constant_query(self.q.opt.max_depth)

    def set_operand(self, fams: list[str]) -> A.Values | None:
        """VALUES as a set operation's right side."""
        if not self.caps.values_query or not self.chance("values") or "json" in fams:
            return None
        return self.values(fams)[0]

    def materialized(self) -> bool | None:
        """AS MATERIALIZED or AS NOT MATERIALIZED for a CTE: the planner's choice, forced."""
        if not self.caps.cte_materialized or not self.chance("materialized"):
            return None
        return self.rng.random() < 0.5

    def by_name(self, op: str, left: A.Query, right: A.Query) -> tuple[A.Query, bool]:
        """UNION BY NAME, the right side's items shuffled: the sides' columns pair up by their
        names (c0, c1, ...), so the result is the positional UNION's. Not after a `*`, whose
        columns have the tables' names."""
        if not (self.caps.union_by_name and op == "UNION" and isinstance(right, A.Select)):
            return right, False
        while isinstance(left, A.SetOp):
            left = left.left
        if not isinstance(left, A.Select) or any(isinstance(i.expr, A.Star) for i in left.items):
            return right, False
        if not self.chance("by_name"):
            return right, False
        items = list(right.items)
        self.rng.shuffle(items)
        return replace(right, items=tuple(items)), True

    # -- FROM: joins and table references ------------------------------------------------------

    def join_kind(self) -> str:
        kinds = self.caps.joins
        own = [k for k in kinds if k not in CORE_JOINS]
        if own and self.chance("dialect_join"):
            return self.rng.choice(own)
        return self.rng.choice([k for k in kinds if k in CORE_JOINS])

    def constant_on(self, kind: str, on: A.Expr) -> A.Expr:
        """ON TRUE, ON 1 = 0, ON FALSE, or the condition AND FALSE / OR TRUE: joins whose
        condition the planner can fold (FULL JOIN keeps a hash- or merge-joinable one)."""
        if not self.chance("constant_on"):
            return on
        forms = [TRUE, NEVER, FALSE, A.Binary("AND", on, FALSE)]
        if kind != "FULL":
            forms.append(A.Binary("OR", on, TRUE))
        return self.rng.choice(forms)

    def dialect_join(
        self, kind: str, left: A.Relation, right: A.Relation, lcols: list[Col], rcols: list[Col]
    ) -> tuple[A.Relation, list[Col]]:
        """SEMI and ANTI (the right side's columns are gone), ASOF (an equality and one
        inequality: each left row meets its nearest right row), POSITIONAL, STRAIGHT_JOIN."""
        both = lcols + rcols
        on = self.q.equi_condition(lcols, rcols)
        if kind == "POSITIONAL":
            return A.Join("POSITIONAL", left, right), both
        if kind == "ASOF":
            pairs = [(lc, rc) for lc in lcols for rc in rcols
                     if lc.family == rc.family and lc.family in ORDERED]  # fmt: skip
            if not pairs:
                return A.Join("CROSS", left, right), both
            lc, rc = self.rng.choice(pairs)
            inequality = A.Binary(self.rng.choice((">=", ">", "<=", "<")), lc.ref, rc.ref)
            cond = inequality if on is None else A.Binary("AND", on, inequality)
            return A.Join("ASOF", left, right, cond), both
        if on is None:
            on = self.x.predicate(Ctx(Scope(both)), 1)
        visible = lcols if kind in ("SEMI", "ANTI") else both
        return A.Join(kind, left, right, self.constant_on(kind, on)), visible

    def table_ref(self, table: Table, alias: str) -> A.TableRef:
        """A base table reference, with an index hint where the dialect has them."""
        hints = self.caps.index_hints
        base = any(t is table for t in self.q.g.schema.base_tables)
        if not hints or not base or not self.chance("index_hint"):
            return A.TableRef(table.name, alias)
        if not table.indexes:
            hints = tuple(h for h in hints if h in ("NOT INDEXED", "USE")) or hints[:0]
        if not hints:
            return A.TableRef(table.name, alias)
        kind = self.rng.choice(hints)
        names: tuple[str, ...] = ()
        if table.indexes and (kind in ("INDEXED BY", "FORCE", "IGNORE") or self.rng.random() < 0.5):
            many = 1 if kind == "INDEXED BY" else self.rng.randint(1, len(table.indexes))
            names = tuple(self.rng.sample(table.indexes, many))
        if kind == "NOT INDEXED":
            names = ()
        return A.TableRef(table.name, alias, A.IndexHint(kind, names))  # type: ignore[arg-type]

    # -- windows -------------------------------------------------------------------------------

    def frame(self, units: list[str], order: tuple[A.OrderItem, ...], scope: Scope) -> A.Frame:
        """A frame: offsets for ROWS and GROUPS, and for RANGE over one integer ORDER BY
        column (the only RANGE offset every dialect types alike); EXCLUDE where there is one."""
        rng = self.rng
        unit = rng.choice(units)
        one_int = len(order) == 1 and any(
            c.ref == order[0].expr and c.family == "int" for c in scope.columns
        )
        offsets = unit != "RANGE" or one_int
        start, end = rng.choice(OFFSET_FRAMES + PLAIN_FRAMES if offsets else PLAIN_FRAMES)
        exclude = None
        if self.caps.frame_exclude and self.chance("frame_exclude"):
            exclude = rng.choice(self.caps.frame_exclude)
        return A.Frame(unit, start, end, exclude)  # type: ignore[arg-type]

    def window_filter(self, scope: Scope, depth: int) -> A.Expr | None:
        """FILTER (WHERE ...) on a window aggregate."""
        if not self.caps.aggregate_filter or not self.chance("window_filter"):
            return None
        flags = scope.by_family.get("bool", ())
        if self.rng.random() < 0.25:  # a bare flag or constant: the filter of every row or none
            return self.rng.choice(flags).ref if flags else self.rng.choice((TRUE, FALSE))
        return self.x.predicate(Ctx(scope, subqueries=False), max(depth - 1, 0))

    def named_windows(self, select: A.Select) -> A.Select:
        """Move window specifications into a WINDOW clause: `OVER w` or `OVER (w frame)`."""
        if not self.caps.named_windows or not self.chance("named_window"):
            return select
        defs: list[A.NamedWindow] = []
        items = []
        for item in select.items:
            w = item.expr
            framed = w.frame is not None and w.frame.unit != "ROWS" if isinstance(w, A.Window) \
                else False
            if isinstance(w, A.Window) and w.base is None and (w.partition_by or w.order_by) \
                    and (self.caps.named_window_frames or not framed):
                name = self.q.alias("w")
                defs.append(A.NamedWindow(name, w.partition_by, w.order_by))
                w = A.Window(w.function, frame=w.frame, base=name)
                item = replace(item, expr=w)
            items.append(item)
        return replace(select, items=tuple(items), windows=tuple(defs)) if defs else select

    def qualify(self, select: A.Select, scope: Scope, depth: int) -> A.Select:
        """DuckDB's QUALIFY: a comparison of a window function's result with a constant."""
        if not self.chance("qualify"):
            return select
        p = self.window_comparison(scope, depth)
        return select if p is None else replace(select, qualify=p)

    def window_comparison(self, scope: Scope, depth: int) -> A.Expr | None:
        """`window op constant` where the dialect has QUALIFY, for it to filter on."""
        if not self.caps.qualify:
            return None
        window, fam = self.q.window(scope, depth)
        if fam not in ("int", "numeric", "float"):
            return None
        bound = A.Literal(self.rng.randint(0, 3), A.INTEGER)
        op = self.rng.choice(("<", "<=", ">", ">=", "=", "<>"))
        return A.Binary(op, window, bound)

    # -- the select list and the tail ----------------------------------------------------------

    def star(
        self, scope: Scope, depth: int, nested: bool = False
    ) -> tuple[list[A.SelectItem], list[Col]] | None:
        """`* EXCLUDE (c)` or `* REPLACE (e AS c)` over a FROM whose column names are unique;
        else, in a query not `nested` in another, `*` or `t.*` (MariaDB 10.11 loses an
        EXISTS subquery's `t.*` items: "Unknown column '2' in 'ORDER BY'")."""
        cols = scope.columns
        names = [c.name for c in cols]
        if not self.chance("star"):
            return None
        if not self.caps.star_modifiers or len(set(names)) != len(names) or len(cols) < 2:
            return None if nested else self.plain_star(scope)
        rng = self.rng
        if rng.random() < 0.5:
            gone = rng.sample(names, rng.randint(1, len(names) - 1))
            star = A.Star(exclude=tuple(n for n in names if n in gone))
            outs = [Col(None, c.name, c.type, c.values, c.extreme)
                    for c in cols if c.name not in gone]  # fmt: skip
            return [A.SelectItem(star)], outs
        target = rng.choice([c for c in cols if c.family != "json"] or [cols[0]])
        e = self.x.expr(target.family, Ctx(scope), depth)
        star = A.Star(replace=(A.SelectItem(e, target.name),))
        outs = [Col(None, c.name, c.type, () if c is target else c.values,
                    c.extreme and c is not target) for c in cols]  # fmt: skip
        return [A.SelectItem(star)], outs

    def plain_star(self, scope: Scope) -> tuple[list[A.SelectItem], list[Col]] | None:
        """`*` over a FROM whose column names are unique, or `t.*` over one of its relations;
        none over a json column (no equality: DISTINCT and set operations refuse it)."""
        cols = scope.columns
        names = [c.name for c in cols]
        tables = list(dict.fromkeys(c.table for c in cols if c.table is not None))
        if self.rng.random() < 0.5 or len(set(names)) != len(names) or not tables:
            if not tables:
                return None
            table = self.rng.choice(tables)
            cols = [c for c in cols if c.table == table]
        else:
            table = None
        if any(c.family == "json" for c in cols):
            return None
        outs = [Col(None, c.name, c.type, c.values, c.extreme) for c in cols]
        return [A.SelectItem(A.Star(table))], outs

    def constant_query(self, depth: int) -> A.Select | None:
        """A SELECT without FROM: constant expressions, one row (MariaDB may say FROM DUAL)."""
        if not self.chance("no_from"):
            return None
        ctx = Ctx(Scope([]), subqueries=False)
        fams = [self.rng.choice(self.caps.families) for _ in range(self.rng.randint(1, 3))]
        items = tuple(A.SelectItem(self.x.expr(f if f != "json" else "text", ctx, depth), f"c{i}")
                      for i, f in enumerate(fams))  # fmt: skip
        return A.Select(items, spellings=self.q.g.spelling.draw("SELECT ALL", "FROM DUAL"))

    def modifiers(self) -> tuple[str, ...]:
        """MariaDB's SELECT modifiers, in the order its grammar wants them."""
        mods = self.caps.select_modifiers
        if not mods or not self.chance("select_modifier"):
            return ()
        return tuple(m for m in mods if self.rng.random() < 0.3) or (self.rng.choice(mods),)

    def fetch(self, total: bool) -> A.Fetch | None:
        """FETCH FIRST n ROWS ONLY (a LIMIT) or WITH TIES. WITH TIES returns every row that
        ties with the last one, so its multiset is one whatever the order among ties."""
        options = self.caps.fetch
        if not options or not self.chance("fetch"):
            return None
        if self.det and not total:
            options = tuple(o for o in options if o == "WITH TIES")
        return self.rng.choice(options) if options else None  # type: ignore[return-value]
