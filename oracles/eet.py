"""Equivalent expression transformation (EET, OSDI'24): rewritten expressions, the same rows.

A query's sub-expressions are rewritten into forms that keep their value and their type under
SQL's three-valued logic: a CASE whose branches agree, `CASE WHEN TRUE THEN e END`,
`COALESCE(e, e)`, `e * 1` and `e + 0` with the one and the zero cast to the narrowest type of
e's family (SMALLINT, REAL: the result has e's type), `p AND
TRUE`, `p OR FALSE`, `NOT NOT p`, De Morgan's laws. The rewritten query must return the rows
the original returns. An optimiser that folds, pushes down or matches an index on the original
expression often takes another path through the rewritten one; a wrong path shows as two
results. Each probe uses one kind of rewrite, at one to three places: its variant names it.

What keeps a value need not keep its type, and the type decides what a comparison means:
- SQLite gives a column reference, a CAST and a scalar subquery an affinity, and a column its
  collation; a CASE or a product has neither (`c = '1'` converts '1' for an INTEGER column,
  `CASE ... c ... END = '1'` does not), and an explicit COLLATE reaches up through `||` but not
  through a CASE. There only expressions without affinity or explicit collation are wrapped,
  and only literal numbers get `* 1`.
- MariaDB's CASE and COALESCE turn an ENUM or SET into a string, a BIT or a YEAR into an
  integer, and a FLOAT into a DOUBLE under MIN (`e = 2` compares the ENUM's index, the
  CASE's string converts to a number; `y > 10` compares a YEAR with the year 2010, the
  CASE's integer with 10). Column references are wrapped only when their type is known and
  none of these; MIN, MAX and scalar subqueries, whose type is their column's, not at all. WITH
  ROLLUP sets a group column to NULL in the super-aggregate row only where it is a select item
  itself, not inside an expression (`(k IS NULL) OR FALSE` is 0 there while `k IS NULL` is 1:
  MySQL 5.7's manual says those NULLs are placed late, MySQL 8.0 changed it, MariaDB keeps it):
  the items and HAVING of a rolled-up SELECT stay as they are.
- PostgreSQL types an untyped literal from its context: literals are never wrapped.
- `e + 0.0` turns -0.0 into 0.0: floating-point values only get `* 1.0`.
- `p AND TRUE` and its kin are exact for a boolean p in every dialect (MySQL's and SQLite's
  booleans are integers, and a comparison is one), and keep any p's truth where only its truth
  counts (WHERE, ON, HAVING, a CASE's WHEN).
Types come from the schema (a column of a table the query reads) and, for the check's host
SELECT, from the generator's scope; what cannot be typed is not rewritten where its type
matters.

Equivalent subquery forms (`x IN (SELECT y ...)` as `EXISTS (... WHERE y = x)`) are left out:
they agree only where the IN is TRUE or FALSE, IN and `=` convert their operands differently
in SQLite and MySQL, and moving x into the subquery lets its names be captured there.

A query whose rows may honestly depend on its plan is not drawn (`shape.plan_free`:
LIMIT without a total order, float aggregates, order-sensitive aggregates, windows): a rewrite
changes the plan. Results compare as multisets, or as lists when the ORDER BY fixes every
row's place (`shape.total_order`), strings without trailing spaces and case (the spelling
DISTINCT or GROUP BY keeps among equal ones is the engine's choice). A query that
fails on either side is skipped: which error an engine raises first is its own business.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, is_dataclass, replace
from typing import Any

from fuzzer import ast
from fuzzer.engines import Engine, Outcome
from fuzzer.generator import Generator, Scope
from fuzzer.schema import Schema
from fuzzer.script import clauses, features
from oracles.base import Discrepancy, Oracle, Probe, rows_of
from oracles.compare import canonical_rows, jsonable, lists_equal, multisets_equal
from oracles.finding import Finding
from oracles.inputs import draw_check, plan_free_query
from oracles.shape import (
    ORDER_SENSITIVE_AGGREGATES,
    VOLATILE_FUNCTIONS,
    field_names,
    plan_free,
    total_order,
)
from oracles.tlp import _spelling_free

TRUE = ast.Literal(True, ast.BOOLEAN)
FALSE = ast.Literal(False, ast.BOOLEAN)

#: rewrite -> what it does, for a finding's title
REWRITES = {
    "case-same": "e as CASE WHEN r THEN e ELSE e END",
    "case-true": "e as CASE WHEN TRUE THEN e END",
    "coalesce": "e as COALESCE(e, e)",
    "times-one": "a number e as e * 1",
    "plus-zero": "an integer e as e + 0",
    "and-true": "p as p AND TRUE",
    "or-false": "p as p OR FALSE",
    "not-not": "p as NOT NOT p",
    "de-morgan": "a AND b as NOT (NOT a OR NOT b), and its duals",
}
VARIANTS = tuple(REWRITES)
BOOLEAN_REWRITES = frozenset({"and-true", "or-false", "not-not", "de-morgan"})
WRAPS = ("case-same", "case-true", "coalesce")
#: the boolean rewrites that apply wherever a truth value stands
TRUTH_REWRITES = ("and-true", "or-false", "not-not")
IDENTITIES = ("times-one", "plus-zero")
#: places one probe rewrites, at most
MOST = 3

COMPARISONS = frozenset({"AND", "OR", "=", "<>", "!=", "<", "<=", ">", ">="})
BOOLEAN_NODES = (ast.IsNull, ast.IsTruth, ast.IsDistinctFrom, ast.Between, ast.InList,
                 ast.InQuery, ast.Exists, ast.Quantified, ast.Like)  # fmt: skip
#: nodes that are never wrapped: a literal's type may come from its context, the others are
#: not values on their own
UNWRAPPED = (ast.Literal, ast.Parameter, ast.Star, ast.Row, ast.GroupingSets, ast.Grouping,
             ast.AllColumns, ast.Excluded, ast.Window)  # fmt: skip
#: MariaDB types that CASE and COALESCE turn into others (a FLOAT into a DOUBLE under MIN; a
#: YEAR into an integer, which `c > 10` then compares with 10, not with the year 2010)
MYSQL_CHANGED = frozenset({"string_enum", "set", "bit", "enum", "real", "year"})
#: types `* 1` keeps exactly (an integer also `+ 0`)
IDENTITY_KINDS = frozenset({"smallint", "integer", "bigint", "double"})


def is_boolean(node: Any) -> bool:
    """Is the node's value a truth value (0, 1 or NULL in MySQL and SQLite)?"""
    if isinstance(node, ast.Binary):
        return node.op.upper() in COMPARISONS
    if isinstance(node, ast.Unary):
        return node.op.upper() == "NOT"
    return isinstance(node, BOOLEAN_NODES)


# -- column types ------------------------------------------------------------------------------

#: a name the scope has twice, or from a relation whose columns are unknown
UNKNOWN = ast.SQLType("unknown")


@dataclass(frozen=True)
class Types:
    """The types of the columns a query level sees; `outer` those of the enclosing levels."""

    known: dict[tuple[str | None, str], ast.SQLType] = field(default_factory=dict)
    #: aliases of relations whose columns are not known (derived tables, CTEs, views)
    opaque: frozenset[str] = frozenset()
    outer: Types | None = None

    def of(self, ref: ast.ColumnRef) -> ast.SQLType | None:
        found = self.known.get((ref.table, ref.name))
        if found is not None:
            return None if found is UNKNOWN else found
        if ref.table is not None and ref.table in self.opaque:
            return None
        if ref.table is None and self.opaque:
            return None  # it may be a column of the opaque relation
        if ref.table is not None and any(t == ref.table for t, _ in self.known):
            return None
        return self.outer.of(ref) if self.outer is not None else None

    @classmethod
    def of_columns(cls, columns: Sequence[tuple[str | None, str, ast.SQLType]],
                   opaque: frozenset[str] = frozenset(), outer: Types | None = None) -> Types:
        known: dict[tuple[str | None, str], ast.SQLType] = {}
        for table, name, type_ in columns:
            known[(table, name)] = type_
            known[(None, name)] = UNKNOWN if (None, name) in known else type_
        return cls(known, opaque, outer)

    @classmethod
    def of_scope(cls, scope: Scope) -> Types:
        return cls.of_columns([(c.table, c.name, c.type) for c in scope.columns])


def _leaves(relations: Sequence[ast.Relation]) -> list[ast.Relation]:
    found: list[ast.Relation] = []
    for r in relations:
        if isinstance(r, ast.Join):
            found += _leaves((r.left, r.right))
        else:
            found.append(r)
    return found


# -- the rewriter ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where an expression stands: the types in scope, the truth-valued expressions of its
    clause at its level (conditions a CASE may test), whether only its truth counts, and
    whether it is a function's literal argument (a length, a key: it stays a literal)."""

    types: Types
    siblings: tuple[ast.Expr, ...] = ()
    truth: bool = False
    fixed: bool = False


class Rewriter:
    """One pass over a query: counts the places a rewrite applies to (`chosen` None), or
    rewrites the places whose numbers are in `chosen`, in the same order. With no variant it
    counts the places of each variant (`counts`)."""

    def __init__(self, dialect: str, variant: str | None, schema: Schema, rng: random.Random,
                 chosen: frozenset[int] | None = None, top: Types | None = None) -> None:
        self.dialect, self.variant, self.rng, self.chosen = dialect, variant, rng, chosen
        self.tables = {t.name: t for t in schema.tables if not t.view}
        self.top = top
        self.count = 0
        self.counts: Counter[str] = Counter()
        self.ctes: set[str] = set()

    # -- queries ---------------------------------------------------------------------------

    def query(self, q: ast.Query, outer: Types | None, top: bool = False) -> ast.Query:
        if isinstance(q, ast.With):
            self.ctes |= {c.name for c in q.ctes}
            ctes = tuple(_rebuilt(c, query=self.query(c.query, outer)) for c in q.ctes)
            return _rebuilt(q, ctes=ctes, body=self.query(q.body, outer, top))
        if isinstance(q, ast.SetOp):
            return _rebuilt(q, left=self.query(q.left, outer), right=self.query(q.right, outer))
        if isinstance(q, ast.Select):
            return self.select(q, outer, top)
        return q

    def select(self, s: ast.Select, outer: Types | None, top: bool) -> ast.Select:
        types = self.top if top and self.top is not None else self.types_of(s.from_, outer)
        from_ = tuple(self.relation(r, types, outer) for r in s.from_)
        where = self.clause(s.where, types)
        if self.dialect == "mysql" and any(isinstance(g, ast.GroupingSets) for g in s.group_by):
            # WITH ROLLUP puts its NULLs into a super-aggregate row's group columns only
            # where they are items themselves, not inside an expression (a known legacy)
            return _rebuilt(s, from_=from_, where=where)
        items = tuple(_rebuilt(i, expr=self.expr(i.expr, Place(types))) for i in s.items)
        having = self.clause(s.having, types, siblings=False)
        return _rebuilt(s, from_=from_, where=where, items=items, having=having)

    def types_of(self, from_: Sequence[ast.Relation], outer: Types | None) -> Types:
        columns, opaque = [], set()
        for r in _leaves(from_):
            if isinstance(r, ast.TableRef) and r.name in self.tables and r.name not in self.ctes:
                alias = r.alias or r.name
                columns += [(alias, c.name, c.type) for c in self.tables[r.name].columns]
            elif isinstance(r, ast.TableRef | ast.DerivedTable):
                opaque.add(r.alias or getattr(r, "name", ""))
        return Types.of_columns(columns, frozenset(opaque), outer)

    def relation(self, r: ast.Relation, types: Types, outer: Types | None) -> ast.Relation:
        if isinstance(r, ast.Join):
            left = self.relation(r.left, types, outer)
            right = self.relation(r.right, types, outer)
            return _rebuilt(r, left=left, right=right, on=self.clause(r.on, types))
        if isinstance(r, ast.DerivedTable):
            # a LATERAL one sees the FROM clause before it: its names are not typed here
            return _rebuilt(r, query=self.query(r.query, None if r.lateral else outer))
        return r

    def clause(self, e: ast.Expr | None, types: Types, siblings: bool = True) -> ast.Expr | None:
        """WHERE, ON or HAVING: only its truth counts; its truth-valued parts at its own
        level are conditions a CASE there may test (HAVING's may hold aggregates)."""
        if e is None:
            return None
        found = tuple(n for n in _level(e) if is_boolean(n)) if siblings else ()
        return self.expr(e, Place(types, found, truth=True))

    # -- expressions -----------------------------------------------------------------------

    def expr(self, e: ast.Expr, place: Place) -> ast.Expr:
        if self.variant is None:
            self.counts.update(self.applying(e, place))
            return self.children(e, place)
        # whether a place counts is decided on the original node, in both passes alike
        applies = self.applies(e, place, self.variant)
        rewritten = self.children(e, place)
        if not applies:
            return rewritten
        self.count += 1
        if self.chosen is None or self.count - 1 not in self.chosen:
            return rewritten
        return self.rewrite(rewritten, e, place)

    def children(self, e: ast.Expr, place: Place) -> ast.Expr:
        if isinstance(e, LEAVES) or not is_dataclass(e):
            return e
        types, siblings = place.types, place.siblings
        inner = Place(types, siblings)
        #: the operands of AND, OR and NOT count only by their truth, in every dialect
        logical = (isinstance(e, ast.Binary) and e.op.upper() in ("AND", "OR")) or (
            isinstance(e, ast.Unary) and e.op.upper() == "NOT")
        operands = Place(types, siblings, truth=True) if logical else inner
        updates: dict[str, Any] = {}
        for name in field_names(e) or ():
            value = getattr(e, name)
            if isinstance(e, ast.Aggregate) and name == "order_by":
                continue
            if isinstance(e, ast.Case) and name == "whens":
                # a searched CASE tests its conditions' truth; a simple one compares values
                test = Place(types, siblings, truth=e.operand is None)
                new = tuple((self.expr(c, test), self.expr(v, inner)) for c, v in value)
            elif isinstance(e, ast.Aggregate) and name == "filter" and value is not None:
                new = self.expr(value, Place(types, truth=True))
            elif isinstance(e, ast.Aggregate):
                new = self._any(value, Place(types))
            elif isinstance(e, ast.Func) and name == "args":
                fixed = Place(types, siblings, fixed=True)
                new = tuple(self.expr(a, fixed if isinstance(a, ast.Literal) else inner)
                            for a in value)  # fmt: skip
            else:
                new = self._any(value, operands)
            if new is not value:
                updates[name] = new
        return replace(e, **updates) if updates else e

    def _any(self, value: Any, place: Place) -> Any:
        if isinstance(value, ast.Query):
            return self.query(value, place.types)
        if isinstance(value, ast.Expr):
            return self.expr(value, place)
        if isinstance(value, tuple):
            items = tuple(self._any(v, place) for v in value)
            return value if all(a is b for a, b in zip(items, value, strict=True)) else items
        return value

    def applies(self, e: ast.Expr, place: Place, v: str) -> bool:
        if v in BOOLEAN_REWRITES:
            if v == "de-morgan":
                return _de_morgan(e) is not None
            return self._truth_place(e, place)
        if v in WRAPS:
            return is_boolean(e) or self.wrappable(e, place)
        return not place.fixed and self.identity_type(e, place, v) is not None

    def applying(self, e: ast.Expr, place: Place) -> list[str]:
        """The variants that apply to e (as `applies` tells each): the counting pass asks
        this of every node, and variants of one group share the answer (a wrap's test
        walks e's subtree), which is most of what counting costs."""
        found = list(TRUTH_REWRITES) if self._truth_place(e, place) else []
        if _de_morgan(e) is not None:
            found.append("de-morgan")
        if is_boolean(e) or self.wrappable(e, place):
            found += WRAPS
        if not place.fixed:
            found += [v for v in IDENTITIES if self.identity_type(e, place, v) is not None]
        return found

    @staticmethod
    def _truth_place(e: ast.Expr, place: Place) -> bool:
        return is_boolean(e) or (place.truth and not isinstance(e, ast.Literal))

    def wrappable(self, e: ast.Expr, place: Place) -> bool:
        """Does wrapping e in a CASE or COALESCE keep its type and what comparisons mean?"""
        if isinstance(e, UNWRAPPED) or not self._keeps_type(e, place):
            return False
        # an explicit collation reaches through `||` but not a CASE (SQLite)
        return not any(isinstance(n, ast.Func) and n.name.upper() == "COLLATE"
                       for n in _level(e))  # fmt: skip

    def _keeps_type(self, e: ast.Expr, place: Place) -> bool:
        if self.dialect == "sqlite":
            plus = isinstance(e, ast.Unary) and e.op == "+"
            return not (plus or isinstance(e, ast.ColumnRef | ast.Cast | ast.ScalarQuery
                                           | ast.Aggregate))  # fmt: skip
        if self.dialect == "mysql":
            if isinstance(e, ast.ColumnRef):
                t = place.types.of(e)
                return t is not None and t.kind not in MYSQL_CHANGED
            if isinstance(e, ast.Cast):
                return e.type.kind not in MYSQL_CHANGED
            if isinstance(e, ast.Aggregate):
                return e.name.upper() == "COUNT"
            return not isinstance(e, ast.ScalarQuery)
        return True

    def identity_type(self, e: ast.Expr, place: Place, variant: str) -> ast.SQLType | None:
        """The type e certainly has, when `* 1` (or `+ 0`) keeps e exactly."""
        t: ast.SQLType | None = None
        if isinstance(e, ast.Literal) and e.value is not None and not isinstance(e.value, bool):
            if self.dialect == "duckdb":
                return None  # an integer literal takes the type of what it meets (c + 5)
            t = e.type if isinstance(e.value, int | float) else None
        elif self.dialect == "sqlite":
            return None  # a column's or a CAST's affinity would be lost
        elif isinstance(e, ast.Cast):
            t = e.type
        elif isinstance(e, ast.ColumnRef):
            t = place.types.of(e)
        if t is None or t.kind not in IDENTITY_KINDS:
            return None
        if variant == "plus-zero" and t.kind == "double":
            return None
        return t

    def rewrite(self, e: ast.Expr, original: ast.Expr, place: Place) -> ast.Expr:
        """e (`original` with its own places rewritten) in the variant's form."""
        v = self.variant
        if v == "and-true":
            return ast.Binary("AND", e, TRUE)
        if v == "or-false":
            return ast.Binary("OR", e, FALSE)
        if v == "not-not":
            return ast.Unary("NOT", ast.Unary("NOT", e))
        if v == "de-morgan":
            # a NOT over an AND whose AND was rewritten first is already De Morgan's form
            return _de_morgan(e) or e
        if v == "case-same":
            return ast.Case(None, ((self.condition(e, place), e),), e)
        if v == "case-true":
            return ast.Case(None, ((TRUE, e),))
        if v == "coalesce":
            return ast.Func("COALESCE", (e, e))
        t = self.identity_type(original, place, v)
        assert t is not None
        # the narrowest type of e's family: the result has e's type, whichever e has
        narrow = ast.REAL if t.kind == "double" else ast.SMALLINT
        one = ast.Literal((1 if v == "times-one" else 0) * (1.0 if t.kind == "double" else 1),
                          narrow)  # fmt: skip
        return ast.Binary("*" if v == "times-one" else "+", e, ast.Cast(one, narrow))

    def condition(self, e: ast.Expr, place: Place) -> ast.Expr:
        """What the CASE tests: its value does not matter, both branches are e."""
        choices: list[ast.Expr] = [TRUE, FALSE, ast.IsNull(e), ast.IsNull(e, negated=True)]
        others = [s for s in place.siblings if s is not e]
        if others and self.rng.random() < 0.5:
            return self.rng.choice(others)
        return self.rng.choice(choices)


def _de_morgan(e: ast.Expr) -> ast.Expr | None:
    """`a AND b` as `NOT (NOT a OR NOT b)`, `NOT (a AND b)` as `NOT a OR NOT b` (and with OR
    for AND): equal under three-valued logic."""
    flip = {"AND": "OR", "OR": "AND"}
    if isinstance(e, ast.Binary) and e.op.upper() in flip:
        inner = ast.Binary(flip[e.op.upper()], ast.Unary("NOT", e.left), ast.Unary("NOT", e.right))
        return ast.Unary("NOT", inner)
    if isinstance(e, ast.Unary) and e.op.upper() == "NOT":
        b = e.operand
        if isinstance(b, ast.Binary) and b.op.upper() in flip:
            left, right = ast.Unary("NOT", b.left), ast.Unary("NOT", b.right)
            return ast.Binary(flip[b.op.upper()], left, right)
    return None


#: nodes with nothing to rewrite inside: leaves, and what is never rewritten in
LEAVES = (ast.Literal, ast.ColumnRef, ast.Parameter, ast.Star, ast.Window, ast.GroupingSets,
          ast.AllColumns, ast.Excluded)  # fmt: skip
def _level(e: ast.Expr) -> list[Any]:
    """The nodes of an expression at its own query level: not inside a subquery, an
    aggregate or a window (whose rows are others)."""
    found, stack = [], [e]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple):
            stack.extend(n)
            continue
        if not isinstance(n, ast.Expr) or isinstance(n, ast.Aggregate | ast.Window):
            continue
        found.append(n)
        for name in field_names(n) or ():
            value = getattr(n, name)
            if isinstance(value, ast.Expr | tuple) and not isinstance(value, ast.Query):
                stack.append(value)
    return found


def _rebuilt(node: Any, **values: Any) -> Any:
    """`node` with these fields; `node` itself where each value is the very one it has, or
    a tuple of the very same items (a pass that rewrites nothing builds nothing)."""
    changed = {k: v for k, v in values.items() if not _same(getattr(node, k), v)}
    return replace(node, **changed) if changed else node


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    return (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)
            and all(x is y for x, y in zip(a, b, strict=True)))  # fmt: skip


def places(query: ast.Query, dialect: str, schema: Schema, top: Types | None = None
           ) -> Counter[str]:  # fmt: skip
    """How many places of the query each variant applies to, in one pass for them all."""
    counting = Rewriter(dialect, None, schema, random.Random(0), top=top)
    counting.query(query, None, top=True)
    return counting.counts


def rewritten(query: ast.Query, dialect: str, variant: str, schema: Schema, rng: random.Random,
              top: Types | None = None, count: int | None = None) -> ast.Query | None:
    """The query with `variant` applied at one to MOST places, or None when it applies
    nowhere; `count`: its places, when `places` told them."""
    if count is None:
        count = places(query, dialect, schema, top)[variant]
    if not count:
        return None
    most = rng.randint(1, min(MOST, count))
    chosen = frozenset(rng.sample(range(count), most))
    applying = Rewriter(dialect, variant, schema, rng, chosen, top=top)
    return applying.query(query, None, top=True)


# -- the judge ---------------------------------------------------------------------------------


def judge_same(outcomes: Sequence[Outcome], ordered: bool = False) -> Discrepancy | None:
    """The original's rows and the rewritten query's, spelling-free: as multisets, or as
    lists when the query's ORDER BY fixes the place of every row."""
    original, rewritten_ = rows_of(outcomes)
    if _identical(original.rows, rewritten_.rows, ordered):
        return None
    a = _spelling_free(canonical_rows(original.rows))
    b = _spelling_free(canonical_rows(rewritten_.rows))
    if lists_equal(a, b) if ordered else multisets_equal(a, b):
        return None
    if not ordered:
        a, b = sorted(a, key=repr), sorted(b, key=repr)
    order = " (in order)" if ordered and len(a) == len(b) else ""
    return Discrepancy(jsonable(a), jsonable(b),
                       f"{len(a)} rows from the query, {len(b)} from its rewritten twin{order}")


def _identical(a: Sequence[Sequence[Any]], b: Sequence[Sequence[Any]], ordered: bool) -> bool:
    """The very same Python values, row for row (as multisets unless `ordered`): then they are
    the same canonically too, and the canonical forms, most of a judgement's cost on results
    that agree (nearly all), need not be built. False: not known, compare canonically."""
    if len(a) != len(b):
        return False
    try:
        if ordered:
            return all(tuple(x) == tuple(y) for x, y in zip(a, b, strict=True))
        return Counter(map(tuple, a)) == Counter(map(tuple, b))
    except TypeError:  # an unhashable value (a list, a dict): the canonical way
        return False


#: what a user's WHERE clause becomes (only its truth counts there), by variant
TEXT_FORMS: dict[str, Callable[[str], str]] = {
    "and-true": lambda p: f"({p}) AND TRUE",
    "or-false": lambda p: f"({p}) OR FALSE",
    "not-not": lambda p: f"NOT (NOT ({p}))",
    "case-true": lambda p: f"CASE WHEN TRUE THEN ({p}) END",
    "case-same": lambda p: f"CASE WHEN ({p}) IS NULL THEN ({p}) ELSE ({p}) END",
}


# -- the oracle --------------------------------------------------------------------------------


class EET(Oracle):
    name = "eet"
    #: each rewrite of one query that a bug breaks shows the same wrong rows: one finding
    symptom = "wrong rows"
    description = (
        "Equivalent expression transformation: a query must return the same rows when some of "
        "its expressions are rewritten into forms with the same value and type (a CASE whose "
        "branches agree, multiplying by one, adding AND TRUE, De Morgan's laws)."
    )
    #: the probes of one drawn query share its text: it runs once per check
    reads_only = True
    #: its pairs are rewritten trees: a stored one reduces as it ran
    reduces_stored_probe = True
    #: queries drawn, at most, for one whose rows cannot depend on its plan (four in ten are
    #: not: a SUM, an AVG, a LIMIT)
    ATTEMPTS = 3

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        return judge_same(outcomes, probe.ordered)

    #: rewrites of one drawn query, each a probe of its own (as TLP's aggregates are of one
    #: predicate): drawing a query the plan cannot change is most of what a check costs
    PER_QUERY = 3

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        """Turns take the variants in order, PER_QUERY at a time; a variant that applies
        nowhere in the query gives way to the next one."""
        for _ in range(self.ATTEMPTS):
            drawn = self.query(generator, turn)
            if drawn is not None:
                break
        else:
            return []
        query, top = drawn
        original = self.render(query)
        body = query.body if isinstance(query, ast.With) else query
        ordered = total_order(body)
        probes: list[Probe] = []
        dialect, schema = self.context.dialect, generator.schema
        counts = places(query, dialect, schema, top)
        start = turn * self.PER_QUERY % len(VARIANTS)
        for variant in VARIANTS[start:] + VARIANTS[:start]:
            if counts[variant]:
                twin = rewritten(query, dialect, variant, schema, generator.rng, top,
                                 counts[variant])  # fmt: skip
                probes.append(Probe(self.name, variant, (original, self.render(twin)),
                                    about=query, ordered=ordered))  # fmt: skip
                if len(probes) == self.PER_QUERY:
                    break
        return probes

    def query(self, generator: Generator, turn: int) -> tuple[ast.Query, Types | None] | None:
        """The query to rewrite, and the types of its host SELECT's columns when known; None
        when its rows may depend on its plan. Every len(VARIANTS) turns the source switches
        between a check's host SELECT and its predicate (typed by the generator's scope) and
        any query the generator writes."""
        if (turn // len(VARIANTS)) % 2:
            query = generator.query()
            return (query, None) if plan_free(query, generator.schema) else None
        check = draw_check(generator)
        found = plan_free_query(check, generator.schema, ordered=True)
        return None if found is None else (found, Types.of_scope(check.scope))

    def from_text(self, sql: str) -> list[Probe]:
        """The user's WHERE clause rewritten whole, one probe per form (a rewrite inside it
        needs a syntax tree)."""
        c = clauses(sql)
        if c is None or c.where is None or c.limited:
            return []
        found = features(sql)
        names = {f.removeprefix("func:") for f in found if f.startswith("func:")}
        if names & (VOLATILE_FUNCTIONS | ORDER_SENSITIVE_AGGREGATES) or "kw:OVER" in found:
            return []
        start, end = c.where
        p = sql[start:end].strip()
        query = sql.strip().rstrip(";")
        probes = []
        for variant, form in TEXT_FORMS.items():
            twin = f"{sql[:start]} {form(p)} {sql[end:]}".strip().rstrip(";")
            probes.append(self.text_probe(variant, (query, twin), sql))
        return probes

    def finding(
        self,
        probe: Probe,
        seen: Discrepancy,
        target: Engine,
        reference: Engine | None,
        setup: Sequence[str],
        reference_setup: Sequence[str] = (),
        **more: Any,
    ) -> Finding:
        """The title says what the rewrite was; `extra` whether the rows compared in order."""
        extra = {**more.pop("extra", {}), "rewrite": REWRITES.get(probe.variant, ""),
                 "ordered": probe.ordered}  # fmt: skip
        found = super().finding(probe, seen, target, reference, setup, extra=extra, **more)
        return replace(found, title=f"{found.title} ({extra['rewrite']})")

    def stored_probe(self, finding: Finding) -> Probe:
        ordered = bool(finding.extra.get("ordered"))
        return Probe(finding.oracle, finding.variant, finding.queries, ordered=ordered)


__all__ = ["EET", "REWRITES", "VARIANTS", "judge_same", "rewritten"]
