"""The renderer every dialect shares.

A dialect is a subclass that overrides spelling (type names, literals, function templates)
and declares what its engine accepts in one `Capabilities` object (`lateral`, `joins`, ...).
The generator asks those capabilities instead of testing dialect names, so adding a dialect
is adding a module.
Rendering parenthesises every compound expression: the tree, not operator precedence, says
what a statement means, and no engine can disagree about a fully parenthesised expression.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar

from fuzzer import ast as A
from fuzzer.dialects.capabilities import Capabilities
from fuzzer.dialects.catalog import CATALOG_TYPES, parse
from fuzzer.functions import Library

#: The aggregates every dialect spells alike, and the oracles reason about (TLP's partitions);
#: STRING_AGG is spelled by `string_agg`, the others by the dialect's library.
CORE_AGGREGATES = frozenset({"COUNT", "SUM", "AVG", "MIN", "MAX"})

#: the nodes whose text `Dialect.render` keeps for the next statements: those a check's
#: probes share (its host's joins, derived tables and CTE bodies); at most RECENT of them
_RECURRING = frozenset({A.Join, A.DerivedTable, A.Select, A.SetOp, A.With, A.Values})
RECENT = 512


@cache
def family(t: A.SQLType) -> str:
    """The family of a type: what it may be compared with, unified with, or passed as.

    Cached per type (types are frozen and few): the generator asks this on every node.
    """
    if t.element is not None:
        return family(t.element) + ("[]" if t.kind == "array" else t.kind)
    return _FAMILY.get(t.kind, t.kind)


_FAMILY = {
    "smallint": "int", "integer": "int", "bigint": "int", "numeric": "numeric",
    "real": "float", "double": "float", "text": "text", "varchar": "text", "char": "text",
    "boolean": "bool", "hugeint": "int",
    "usmallint": "int", "uinteger": "int", "ubigint": "int", "year": "int",
    "string_enum": "text", "set": "text",
}  # fmt: skip


class Dialect:
    """The standard spelling; subclasses change what their engine spells differently."""

    name: ClassVar[str] = "base"
    quote: ClassVar[str] = '"'
    #: lists (table, column, type, is_view) of the current scratch space, by table and position
    catalog_query: ClassVar[str] = ""
    #: lists the names of the collations the server has (`fuzzer.collations.available`)
    collation_query: ClassVar[str] = ""
    is_unknown: ClassVar[bool] = True  # x IS [NOT] UNKNOWN, else spelled as IS [NOT] NULL
    parenthesized_set_operands: ClassVar[bool] = True
    #: how a prepared statement names its parameters: `$1` or, positionally, `?`
    placeholder: ClassVar[str] = "${index}"
    index_method_after_columns: ClassVar[bool] = False  # `(c) USING HASH`, not `USING hash (c)`
    #: float literals typed by a cast: a bare `2.25` is a numeric constant (PostgreSQL) or a
    #: DOUBLE where the column is a REAL (DataFusion), either way another type than the column's
    typed_floats: ClassVar[bool] = False
    #: what the engine accepts, for the generator; a dialect declares only what differs
    capabilities: ClassVar[Capabilities] = Capabilities()

    #: the functions, operators, aggregates and window functions the dialect has
    library: ClassVar[Library] = Library()


    # -- entry point ---------------------------------------------------------------------------

    _dispatch: ClassVar[dict[type, Callable[[Dialect, Any], str]]] = {}

    _idents: ClassVar[dict[str, str]] = {}

    #: the text of the last queries and relations rendered, by identity: the probes of one
    #: check share their host's FROM and WITH, which are spelled once for them all (a node
    #: kept here is alive, so its id is its own; rendering is a function of the node)
    _recent: ClassVar[dict[int, tuple[Any, str]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._dispatch = {}
        cls._idents = {}
        cls._recent = {}

    def render(self, node: Any) -> str:
        """SQL text for any node: statement, query, relation or expression."""
        recurring = type(node) in _RECURRING
        if recurring:
            seen = self._recent.get(id(node))
            if seen is not None and seen[0] is node:
                return seen[1]
        method = self._dispatch.get(type(node))
        if method is None:
            method = getattr(type(self), "_" + type(node).__name__)
            self._dispatch[type(node)] = method
        text = method(self, node)
        if recurring:
            if len(self._recent) >= RECENT:
                self._recent.clear()
            self._recent[id(node)] = (node, text)
        return text

    def script(self, statements: list[A.Statement]) -> str:
        return "".join(self.render(s) + ";\n" for s in statements)

    # -- names and types -----------------------------------------------------------------------

    def ident(self, name: str) -> str:
        """Quote a name only when it needs it: generated names are plain lower-case words."""
        quoted = self._idents.get(name)
        if quoted is None:
            quoted = name
            if not (name.isidentifier() and name.islower() and name.upper() not in RESERVED):
                q = self.quote
                quoted = q + name.replace(q, q + q) + q
            self._idents[name] = quoted
        return quoted

    def parse_type(self, name: str) -> A.SQLType | None:
        """The logical type of a catalog type name, or None for a type the generator skips."""
        return parse(CATALOG_TYPES, name)

    def type_name(self, t: A.SQLType) -> str:
        if t.kind == "range" and t.element is not None:
            return RANGE_TYPES[t.element.kind]
        if t.element is not None:
            return self.type_name(t.element) + "[]"
        names = {"double": "DOUBLE PRECISION", "text": "TEXT", "varchar": "VARCHAR", "char": "CHAR"}
        base = names.get(t.kind, t.kind.upper())
        return f"{base}({', '.join(map(str, t.params))})" if t.params else base

    def cast_type(self, t: A.SQLType) -> str:
        return self.type_name(t)

    # -- literals ------------------------------------------------------------------------------

    def string(self, s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    def _Literal(self, node: A.Literal) -> str:
        v, t = node.value, node.type
        if v is None:
            return "NULL" if t.kind == "null" else f"CAST(NULL AS {self.cast_type(t)})"
        fam = family(t)
        if fam == "bool":
            return "TRUE" if v else "FALSE"
        if fam in ("int", "bit"):
            return str(v)
        if fam == "numeric":  # with a point: `1` would be an integer to PostgreSQL and DuckDB
            text = str(v) if isinstance(v, Decimal) else repr(v)
            return text if "." in text or "E" in text.upper() else text + ".0"
        if fam == "float":
            return self.float_literal(float(v), t)
        if fam in ("text", "json"):
            return self.typed_string(self.string(v), t)
        if fam == "blob":
            return self.blob_literal(v)
        if t.kind == "range" and t.element is not None:
            return self.range_literal(v, t.element)
        if t.element is not None:
            items = ", ".join(self.render(A.Literal(e, t.element)) for e in v)
            return f"CAST(ARRAY[{items}] AS {self.cast_type(t)})"
        return self.typed_string(self.string(str(v)), t)

    def range_literal(self, v: tuple[Any, Any, str] | str, element: A.SQLType) -> str:
        """A range from its bounds, by its constructor (`INT4RANGE(1, 5, '[)')`); a NULL
        bound is unbounded; `v` may also be the string 'empty'."""
        name = RANGE_TYPES[element.kind]
        if isinstance(v, str):
            return f"CAST({self.string(v)} AS {name})"
        low, high, bounds = v
        lo, hi = (self.render(A.Literal(b, element)) for b in (low, high))
        return f"{name}({lo}, {hi}, {self.string(bounds)})"

    def float_literal(self, v: float, t: A.SQLType) -> str:
        text = self.float_text(v, t)
        if self.typed_floats and not text.startswith("CAST("):
            return f"CAST({text} AS {self.cast_type(t)})"
        return text

    def float_text(self, v: float, t: A.SQLType) -> str:
        if math.isnan(v) or math.isinf(v) or (v == 0 and math.copysign(1, v) < 0):
            text = (
                "NaN" if math.isnan(v) else ("-0" if v == 0 else repr(v).replace("inf", "Infinity"))
            )
            return f"CAST('{text}' AS {self.cast_type(t)})"
        return repr(v)

    def blob_literal(self, v: bytes) -> str:
        return f"X'{v.hex().upper()}'"

    def typed_string(self, quoted: str, t: A.SQLType) -> str:
        """A string literal that stands for a value of type t (`DATE '2000-01-01'`)."""
        if t.kind in ("date", "time", "timestamp", "interval"):
            return f"{t.kind.upper()} {quoted}"
        if t.kind in ("json", "uuid", "timestamptz", "enum"):
            return f"CAST({quoted} AS {self.cast_type(t)})"
        return quoted

    # -- expressions ---------------------------------------------------------------------------

    def _ColumnRef(self, node: A.ColumnRef) -> str:
        name = self.ident(node.name)
        return f"{self.ident(node.table)}.{name}" if node.table else name

    def _Star(self, node: A.Star) -> str:
        text = f"{self.ident(node.table)}.*" if node.table else "*"
        if node.exclude:
            text += f" EXCLUDE ({', '.join(self.ident(c) for c in node.exclude)})"
        if node.replace:
            text += f" REPLACE ({', '.join(self._SelectItem(i) for i in node.replace)})"
        return text

    def _Unary(self, node: A.Unary) -> str:
        return f"({node.op} {self.render(node.operand)})"

    def spelled(self, node: Any, spelling: str) -> bool:
        """Did the generator draw this spelling for the node, and does the dialect have it?"""
        return spelling in node.spellings and spelling in self.capabilities.spellings

    def _Binary(self, node: A.Binary) -> str:
        op = node.op
        if node.spellings:
            op = next((s for s in node.spellings if s in OPERATOR_SPELLINGS.get(op, ())
                       and s in self.capabilities.spellings), op)  # fmt: skip
        return f"({self.render(node.left)} {op} {self.render(node.right)})"

    def _IsNull(self, node: A.IsNull) -> str:
        if self.spelled(node, "ISNULL"):
            return f"({self.render(node.operand)} {'NOTNULL' if node.negated else 'ISNULL'})"
        return f"({self.render(node.operand)} IS {'NOT ' if node.negated else ''}NULL)"

    def _IsTruth(self, node: A.IsTruth) -> str:
        if node.value is None and not self.is_unknown:  # the same test for a boolean
            return self._IsNull(A.IsNull(node.operand, node.negated))
        value = {True: "TRUE", False: "FALSE", None: "UNKNOWN"}[node.value]
        return f"({self.render(node.operand)} IS {'NOT ' if node.negated else ''}{value})"

    def _IsDistinctFrom(self, node: A.IsDistinctFrom) -> str:
        neg = "NOT " if node.negated else ""
        return f"({self.render(node.left)} IS {neg}DISTINCT FROM {self.render(node.right)})"

    def _Between(self, node: A.Between) -> str:
        neg = "NOT " if node.negated else ""
        return (
            f"({self.render(node.operand)} {neg}BETWEEN {self.render(node.low)}"
            f" AND {self.render(node.high)})"
        )

    def _InList(self, node: A.InList) -> str:
        items = ", ".join(self.render(i) for i in node.items)
        return f"({self.render(node.operand)} {'NOT ' if node.negated else ''}IN ({items}))"

    def _InQuery(self, node: A.InQuery) -> str:
        neg = "NOT " if node.negated else ""
        return f"({self.render(node.operand)} {neg}IN ({self.render(node.query)}))"

    def _Exists(self, node: A.Exists) -> str:
        return f"({'NOT ' if node.negated else ''}EXISTS ({self.render(node.query)}))"

    def _Quantified(self, node: A.Quantified) -> str:
        quantifier = "SOME" if node.quantifier == "ANY" and self.spelled(node, "SOME") else None
        quantifier = quantifier or node.quantifier
        return f"({self.render(node.left)} {node.op} {quantifier} ({self.render(node.query)}))"

    def _ScalarQuery(self, node: A.ScalarQuery) -> str:
        return f"({self.render(node.query)})"

    def _Like(self, node: A.Like) -> str:
        neg = "NOT " if node.negated else ""
        return f"({self.render(node.operand)} {neg}{node.op} {self.render(node.pattern)})"

    def _Case(self, node: A.Case) -> str:
        parts = ["CASE"]
        if node.operand is not None:
            parts.append(self.render(node.operand))
        for cond, result in node.whens:
            parts.append(f"WHEN {self.render(cond)} THEN {self.render(result)}")
        if node.default is not None:
            parts.append(f"ELSE {self.render(node.default)}")
        parts.append("END")
        return " ".join(parts)

    def _Cast(self, node: A.Cast) -> str:
        if node.shorthand:
            return f"(({self.render(node.operand)})::{self.cast_type(node.type)})"
        return f"CAST({self.render(node.operand)} AS {self.cast_type(node.type)})"

    def _Parameter(self, node: A.Parameter) -> str:
        return self.placeholder.format(index=node.index)

    def _Func(self, node: A.Func) -> str:
        return self.call(node.name, node)

    def call(self, name: str, node: A.Func | A.Aggregate) -> str:
        """A call spelled by the library's template for `name`."""
        template = self.library.templates[name]
        args = [self.render(a) for a in node.args]
        if callable(template):
            return template(self, args, node)
        if "{*}" in template:
            return template.replace("{*}", ", ".join(args))
        return template.format(*args)

    def _Aggregate(self, node: A.Aggregate) -> str:
        if node.name == "STRING_AGG":
            body = self.string_agg(node)
        elif node.name in CORE_AGGREGATES:
            args = ", ".join(self.render(a) for a in node.args) or "*"
            body = f"{node.name}({'DISTINCT ' if node.distinct else ''}{args})"
        else:
            body = self.call(node.name, node)
        if node.filter is not None:
            body += f" FILTER (WHERE {self.render(node.filter)})"
        return body

    def string_agg(self, node: A.Aggregate) -> str:
        value, sep = (self.render(a) for a in node.args)
        order = f" ORDER BY {self.order_items(node.order_by)}" if node.order_by else ""
        return f"STRING_AGG({'DISTINCT ' if node.distinct else ''}{value}, {sep}{order})"

    def _Window(self, node: A.Window) -> str:
        spec = [self.ident(node.base)] if node.base else []
        if node.base and not (node.partition_by or node.order_by or node.frame):
            return f"{self.render(node.function)} OVER {spec[0]}"
        spec.append(self.window_spec(node.partition_by, node.order_by))
        if node.frame is not None:
            f = node.frame
            bounds = f"BETWEEN {f.start} AND {f.end}" if f.end else f.start
            spec.append(f"{f.unit} {bounds}" + (f" EXCLUDE {f.exclude}" if f.exclude else ""))
        return f"{self.render(node.function)} OVER ({' '.join(p for p in spec if p)})"

    def window_spec(self, partition_by: tuple[A.Expr, ...], order_by: tuple[A.OrderItem, ...]):
        spec = []
        if partition_by:
            spec.append("PARTITION BY " + ", ".join(self.render(e) for e in partition_by))
        if order_by:
            spec.append("ORDER BY " + self.order_items(order_by))
        return " ".join(spec)

    # -- queries -------------------------------------------------------------------------------

    def order_items(self, items: tuple[A.OrderItem, ...]) -> str:
        return ", ".join(self.order_item(i) for i in items)

    def order_item(self, item: A.OrderItem) -> str:
        text = self.render(item.expr) + (" DESC" if item.descending else "")
        if item.nulls:
            text += f" NULLS {item.nulls}"
        return text

    def _SelectItem(self, node: A.SelectItem) -> str:
        text = self.render(node.expr)
        return f"{text} AS {self.ident(node.alias)}" if node.alias else text

    def _Select(self, node: A.Select) -> str:
        parts = ["SELECT"]
        if node.distinct_on:
            parts.append(f"DISTINCT ON ({', '.join(self.render(e) for e in node.distinct_on)})")
        elif node.distinct:
            parts.append("DISTINCTROW" if self.spelled(node, "DISTINCTROW") else "DISTINCT")
        elif self.spelled(node, "SELECT ALL"):
            parts.append("ALL")
        parts.extend(node.modifiers)
        parts.append(", ".join(self._SelectItem(i) for i in node.items))
        if node.from_:
            parts.append("FROM " + ", ".join(self.render(r) for r in node.from_))
        elif self.spelled(node, "FROM DUAL"):
            parts.append("FROM DUAL")
        if node.where is not None:
            parts.append("WHERE " + self.render(node.where))
        if node.group_by:
            parts.append(self.group_by(node))
        if node.having is not None:
            parts.append("HAVING " + self.render(node.having))
        if node.windows:
            defs = (f"{self.ident(w.name)} AS ({self.window_spec(w.partition_by, w.order_by)})"
                    for w in node.windows)  # fmt: skip
            parts.append("WINDOW " + ", ".join(defs))
        if node.qualify is not None:
            parts.append("QUALIFY " + self.render(node.qualify))
        parts.append(self.tail(node))
        return " ".join(p for p in parts if p)

    def group_by(self, node: A.Select) -> str:
        keys = ", ".join(self.render(e) for e in node.group_by)
        return f"GROUP BY {'DISTINCT ' if node.group_distinct else ''}{keys}"

    def tail(self, node: A.Select | A.SetOp) -> str:
        parts = []
        if node.order_by:
            parts.append("ORDER BY " + self.order_items(node.order_by))
        if node.fetch is not None:
            if node.offset is not None:
                parts.append(f"OFFSET {node.offset} ROWS")
            parts.append(f"FETCH FIRST {node.limit} ROWS {node.fetch}")
            return " ".join(parts)
        if node.limit is not None and node.offset is not None and self.spelled(node, "LIMIT COMMA"):
            parts.append(f"LIMIT {node.offset}, {node.limit}")
            return " ".join(parts)
        if node.limit is not None:
            parts.append(f"LIMIT {node.limit}")
        elif self.spelled(node, "LIMIT ALL"):
            parts.append("LIMIT ALL")
        if node.offset is not None:
            parts.append(f"OFFSET {node.offset}")
        return " ".join(parts)

    def set_operand(self, node: A.Query) -> str:
        text = self.render(node)
        return f"({text})" if self.parenthesized_set_operands else text

    def first_operand(self, node: A.SetOp) -> str:
        """The left operand bare where that means the same: a nested set operation then
        starts with its SELECT keyword, as a subquery in an expression must ("((" would be
        ambiguous). INTERSECT binds tighter than UNION and EXCEPT: (a UNION b) INTERSECT c
        keeps its parentheses."""
        left = node.left
        bare = isinstance(left, A.Select) and not (left.order_by or left.limit or left.offset)
        if isinstance(left, A.SetOp) and not (left.order_by or left.limit or left.offset):
            bare = left.op == "INTERSECT" or node.op != "INTERSECT"
        return self.render(left) if bare else self.set_operand(left)

    def _SetOp(self, node: A.SetOp) -> str:
        quantifier = " ALL" if node.all else ""
        if not node.all and self.spelled(node, "UNION DISTINCT"):
            quantifier = " DISTINCT"
        op = node.op + quantifier + (" BY NAME" if node.by_name else "")
        text = f"{self.first_operand(node)} {op} {self.set_operand(node.right)}"
        tail = self.tail(node)
        return f"{text} {tail}" if tail else text

    def _With(self, node: A.With) -> str:
        ctes = []
        for cte in node.ctes:
            cols = f"({', '.join(self.ident(c) for c in cte.columns)})" if cte.columns else ""
            m = {None: "", True: "MATERIALIZED ", False: "NOT MATERIALIZED "}[cte.materialized]
            ctes.append(f"{self.ident(cte.name)}{cols} AS {m}({self.render(cte.query)})")
        rec = "RECURSIVE " if node.recursive else ""
        return f"WITH {rec}{', '.join(ctes)} {self.render(node.body)}"

    def _Values(self, node: A.Values) -> str:
        rows = ", ".join("(" + ", ".join(self.render(v) for v in r) + ")" for r in node.rows)
        return f"VALUES {rows}"

    def _TableQuery(self, node: A.TableQuery) -> str:
        return f"TABLE {self.ident(node.name)}"

    # -- expressions of the SELECT clauses beyond the core --------------------------------------

    def _Row(self, node: A.Row) -> str:
        items = ", ".join(self.render(i) for i in node.items)
        return f"ROW({items})" if node.keyword else f"({items})"

    def _GroupingSets(self, node: A.GroupingSets) -> str:
        def member(m: tuple[A.Expr, ...]) -> str:
            text = ", ".join(self.render(e) for e in m)
            return text if len(m) == 1 and node.kind != "GROUPING SETS" else f"({text})"

        return f"{node.kind} ({', '.join(member(m) for m in node.members)})"

    def _Grouping(self, node: A.Grouping) -> str:
        return f"GROUPING({', '.join(self.render(k) for k in node.keys)})"

    def _AllColumns(self, node: A.AllColumns) -> str:
        return "ALL"

    # -- relations -----------------------------------------------------------------------------

    def _TableRef(self, node: A.TableRef) -> str:
        name = self.ident(node.name)
        text = f"{name} AS {self.ident(node.alias)}" if node.alias else name
        if node.hint is None:
            return text
        h = node.hint
        if h.kind in ("NOT INDEXED", "INDEXED BY"):
            return f"{text} {h.kind}" + (f" {self.ident(h.indexes[0])}" if h.indexes else "")
        return f"{text} {h.kind} INDEX ({', '.join(self.ident(i) for i in h.indexes)})"

    def _DerivedTable(self, node: A.DerivedTable) -> str:
        lateral = "LATERAL " if node.lateral else ""
        cols = f" ({', '.join(self.ident(c) for c in node.columns)})" if node.columns else ""
        return f"{lateral}({self.render(node.query)}) AS {self.ident(node.alias)}{cols}"

    def _Join(self, node: A.Join) -> str:
        natural = "NATURAL " if node.natural else ""
        kind = {"INNER": "JOIN", "CROSS": "CROSS JOIN", "STRAIGHT": "STRAIGHT_JOIN"}.get(
            node.kind, f"{node.kind} JOIN"
        )
        if node.spellings and not node.natural:
            if node.kind == "INNER" and self.spelled(node, "INNER JOIN"):
                kind = "INNER JOIN"
            elif node.kind in ("LEFT", "RIGHT", "FULL") and self.spelled(node, "OUTER JOIN"):
                kind = f"{node.kind} OUTER JOIN"
        right = self.render(node.right)
        if isinstance(node.right, A.Join):  # a join nested on the right needs its parentheses
            right = f"({right})"
        text = f"{self.render(node.left)} {natural}{kind} {right}"
        if node.on is not None:
            text += f" ON {self.render(node.on)}"
        elif node.using:
            text += f" USING ({', '.join(self.ident(c) for c in node.using)})"
        return text

    # -- statements ----------------------------------------------------------------------------

    def column_def(self, c: A.ColumnDef) -> str:
        parts = [self.ident(c.name), self.type_name(c.type)]
        if c.collate:
            parts.append(self.collate_clause(c.collate))
        if c.generated is not None:
            parts.append(
                f"GENERATED ALWAYS AS ({self.render(c.generated.expr)}) {c.generated.kind}"
            )
        if c.not_null:
            parts.append("NOT NULL")
        if c.default is not None:
            parts.append(f"DEFAULT {self.default(c.default)}")
        if c.primary_key:
            parts.append("PRIMARY KEY")
        if c.unique:
            parts.append("UNIQUE")
        if c.check is not None:
            parts.append(f"CHECK ({self.render(c.check)})")
        return " ".join(parts)

    def collation(self, name: str) -> str:
        return name

    def collate_clause(self, name: str) -> str:
        return f"COLLATE {self.collation(name)}"

    def default(self, expr: A.Expr) -> str:
        return self.render(expr) if isinstance(expr, A.Literal) else f"({self.render(expr)})"

    def _CreateTable(self, node: A.CreateTable) -> str:
        node = self.table_level(node)
        parts = [self.column_def(c) for c in node.columns]
        constraints = []
        if node.primary_key:
            constraints.append(
                f"PRIMARY KEY ({', '.join(self.ident(c) for c in node.primary_key)})"
            )
        constraints.extend(f"UNIQUE ({', '.join(self.ident(c) for c in u)})" for u in node.unique)
        constraints.extend(f"CHECK ({self.render(c)})" for c in node.checks)
        if self.spelled(node, "CONSTRAINT NAME"):  # names unique in the schema (PostgreSQL's)
            constraints = [f"CONSTRAINT {self.ident(f'{node.name}_k{i}')} {c}"
                           for i, c in enumerate(constraints)]  # fmt: skip
        parts += constraints
        parts.extend(self.foreign_key(fk) for fk in node.foreign_keys)
        persistence = f"{node.persistence} " if node.persistence else ""
        exists = "IF NOT EXISTS " if self.spelled(node, "IF NOT EXISTS") else ""
        text = f"CREATE {persistence}TABLE {exists}{self.ident(node.name)} ({', '.join(parts)})"
        tail = [self.options_clause(node.options)] if node.options else []
        if node.partition_by is not None:
            tail.append(self.partition_by(node.partition_by))
        return " ".join([text, *tail])

    def table_level(self, node: A.CreateTable) -> A.CreateTable:
        """Column UNIQUE and CHECK constraints written as table constraints, where drawn: the
        same constraints (a column CHECK may read other columns in no dialect we generate)."""
        named = self.spelled(node, "CONSTRAINT NAME")  # names go on table constraints
        unique = named or self.spelled(node, "TABLE UNIQUE")
        check = named or self.spelled(node, "TABLE CHECK")
        if not (unique or check):
            return node
        columns, uniques, checks = [], list(node.unique), list(node.checks)
        for c in node.columns:
            if unique and c.unique and not c.primary_key:
                uniques.append((c.name,))
                c = replace(c, unique=False)
            if check and c.check is not None and c.generated is None:
                checks.append(c.check)
                c = replace(c, check=None)
            columns.append(c)
        return replace(node, columns=tuple(columns), unique=tuple(uniques), checks=tuple(checks))

    def foreign_key(self, fk: A.ForeignKey) -> str:
        text = (f"FOREIGN KEY ({self.ident(fk.column)}) REFERENCES {self.ident(fk.table)}"
                f" ({self.ident(fk.references)})")  # fmt: skip
        return text + (f" ON DELETE {fk.on_delete}" if fk.on_delete else "")

    def options_clause(self, options: tuple[str, ...]) -> str:
        """Options after the column list, as the dialect separates them."""
        return " ".join(options)

    def partition_by(self, p: A.PartitionBy) -> str:
        """The partitioning clause; the partitions themselves are `CreatePartition`s."""
        return f"PARTITION BY {p.kind} ({self.ident(p.column)})"

    def _CreatePartition(self, node: A.CreatePartition) -> str:
        p = node.partition
        head = f"CREATE TABLE {self.ident(node.name)} PARTITION OF {self.ident(node.table)}"
        if p.default:
            return f"{head} DEFAULT"
        if node.kind == "RANGE":
            low = "MINVALUE" if p.low is None else self.render(p.low)
            high = "MAXVALUE" if p.high is None else self.render(p.high)
            return f"{head} FOR VALUES FROM ({low}) TO ({high})"
        if node.kind == "LIST":
            return f"{head} FOR VALUES IN ({', '.join(self.render(v) for v in p.values)})"
        assert p.low is not None and p.high is not None
        return (f"{head} FOR VALUES WITH (MODULUS {self.render(p.high)},"
                f" REMAINDER {self.render(p.low)})")  # fmt: skip

    def index_expr(self, e: A.Expr | A.IndexItem) -> str:
        if isinstance(e, A.IndexItem):
            return self.index_item(e)
        return self.render(e) if isinstance(e, A.ColumnRef) else f"({self.render(e)})"

    def index_item(self, item: A.IndexItem) -> str:
        text = self.index_expr(item.expr)
        if item.prefix is not None:
            text += f"({item.prefix})"
        if item.collate:
            text += f" {self.collate_clause(item.collate)}"
        if item.descending is not None:
            text += " DESC" if item.descending else " ASC"
        return text

    def _CreateIndex(self, node: A.CreateIndex) -> str:
        unique = "UNIQUE " if node.unique else ""
        cols = ", ".join(self.index_expr(e) for e in node.exprs)
        using = f" USING {node.method}" if node.method else ""
        exists = "IF NOT EXISTS " if self.spelled(node, "IF NOT EXISTS") else ""
        head = f"CREATE {unique}INDEX {exists}{self.ident(node.name)} ON {self.ident(node.table)}"
        if self.index_method_after_columns:
            text = f"{head} ({cols}){using}"
        else:
            text = f"{head}{using} ({cols})"
        return text + (f" WHERE {self.render(node.where)}" if node.where is not None else "")

    def _CreateEnum(self, node: A.CreateEnum) -> str:
        labels = ", ".join(self.string(label) for label in node.labels)
        return f"CREATE TYPE {self.ident(node.name)} AS ENUM ({labels})"

    def _CreateView(self, node: A.CreateView) -> str:
        cols = f" ({', '.join(self.ident(c) for c in node.columns)})" if node.columns else ""
        temporary = "TEMPORARY " if self.spelled(node, "TEMPORARY VIEW") else ""
        return f"CREATE {temporary}VIEW {self.ident(node.name)}{cols} AS {self.render(node.query)}"

    def _Insert(self, node: A.Insert) -> str:
        rows = ", ".join("(" + ", ".join(self.render(v) for v in r) + ")" for r in node.rows)
        text = self.insert(node.table, node.columns, f"VALUES {rows}", node.conflict)
        return text + (" RETURNING *" if self.spelled(node, "RETURNING") else "")

    def _InsertSelect(self, node: A.InsertSelect) -> str:
        return self.insert(node.table, node.columns, self.render(node.query), None)

    #: upsert forms spelled before INTO, and after the rows
    INSERT_VERBS: ClassVar[dict[str, str]] = {
        "OR IGNORE": "INSERT OR IGNORE", "OR REPLACE": "INSERT OR REPLACE",
        "REPLACE": "REPLACE", "IGNORE": "INSERT IGNORE",
    }  # fmt: skip

    def insert(
        self, table: str, columns: tuple[str, ...], source: str, conflict: A.OnConflict | None
    ) -> str:
        verb = self.INSERT_VERBS.get(conflict.form, "INSERT") if conflict else "INSERT"
        cols = ", ".join(self.ident(c) for c in columns)
        text = f"{verb} INTO {self.ident(table)} ({cols}) {source}"
        if conflict is None or conflict.form in self.INSERT_VERBS:
            return text
        sets = ", ".join(f"{self.ident(c)} = {self.render(v)}" for c, v in conflict.assignments)
        if conflict.form == "ON DUPLICATE KEY UPDATE":
            return f"{text} ON DUPLICATE KEY UPDATE {sets}"
        target = (
            f" ({', '.join(self.ident(c) for c in conflict.target)})" if conflict.target else ""
        )
        action = "DO NOTHING" if conflict.form == "DO NOTHING" else f"DO UPDATE SET {sets}"
        return f"{text} ON CONFLICT{target} {action}"

    def _Excluded(self, node: A.Excluded) -> str:
        return f"excluded.{self.ident(node.name)}"

    def _Update(self, node: A.Update) -> str:
        sets = ", ".join(f"{self.ident(c)} = {self.render(v)}" for c, v in node.assignments)
        where = f" WHERE {self.render(node.where)}" if node.where is not None else ""
        return f"UPDATE {self.ident(node.table)} SET {sets}{where}"

    def _Delete(self, node: A.Delete) -> str:
        where = f" WHERE {self.render(node.where)}" if node.where is not None else ""
        returning = " RETURNING *" if self.spelled(node, "RETURNING") else ""
        return f"DELETE FROM {self.ident(node.table)}{where}{returning}"

    def _Maintenance(self, node: A.Maintenance) -> str:
        return f"{node.kind} {self.ident(node.table)}" if node.table else node.kind

    def _Analyze(self, node: A.Analyze) -> str:
        """SQLite's and DuckDB's spelling: `ANALYZE [t [(columns)]]`."""
        text = "ANALYZE" + (f" {self.ident(node.table)}" if node.table else "")
        return text + (f" ({self.idents(node.columns)})" if node.columns else "")

    def idents(self, names: tuple[str, ...]) -> str:
        return ", ".join(self.ident(n) for n in names)

    def _CreateStatistics(self, node: A.CreateStatistics) -> str:
        kinds = f" ({', '.join(node.kinds)})" if node.kinds else ""
        return (f"CREATE STATISTICS {self.ident(node.name)}{kinds} ON {self.idents(node.columns)}"
                f" FROM {self.ident(node.table)}")  # fmt: skip

    def _SetStatistics(self, node: A.SetStatistics) -> str:
        head = f"ALTER TABLE {self.ident(node.table)} ALTER COLUMN {self.ident(node.column)} SET"
        if node.n_distinct is not None:
            return f"{head} (n_distinct = {node.n_distinct!r})"
        return f"{head} STATISTICS {node.target}"

    def _Setting(self, node: A.Setting) -> str:
        return f"SET {node.name} = {node.value}"


#: The operators a spelling writes differently (`spelled` for Binary)
OPERATOR_SPELLINGS = {"<>": ("!=",), "=": ("==",), "AND": ("&&",), "OR": ("||",)}

#: The range type of each element type (PostgreSQL's names).
RANGE_TYPES = {"integer": "INT4RANGE", "bigint": "INT8RANGE", "numeric": "NUMRANGE",
               "timestamp": "TSRANGE", "timestamptz": "TSTZRANGE", "date": "DATERANGE"}  # fmt: skip

#: Words no dialect lets us use as a bare identifier; generated names never are one.
RESERVED = frozenset(
    """ALL AND ANY AS ASC BETWEEN BY CASE CAST CHECK COLLATE COLUMN CREATE CROSS CURRENT_DATE
    DEFAULT DELETE DESC DISTINCT ELSE END EXCEPT EXISTS FALSE FETCH FILTER FIRST FOR FROM FULL
    GLOB GROUP GROUPS HAVING ILIKE IN INDEX INNER INSERT INTERSECT INTO IS JOIN KEY LAST LATERAL
    LEFT LIKE LIMIT NATURAL NOT NULL NULLS OFFSET ON OR ORDER OUTER OVER PARTITION PRIMARY RANGE
    REGEXP RIGHT ROWS SELECT SET TABLE THEN TRUE UNION UNIQUE UPDATE USING VALUES VIEW WHEN WHERE
    WINDOW WITH""".split()
)
