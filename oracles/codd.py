"""Constant substitution (CODDTest, 2025): a sub-expression may be replaced by its value.

An uncorrelated scalar subquery, an uncorrelated `IN (SELECT ...)` subquery, or an expression
over constants only means one value (one list of values) wherever it stands in a query. So the
oracle evaluates it alone first, then runs the query with it replaced by that value, written
as a literal of the same type, and the two queries must return the same rows. An optimiser
treats a literal and a subquery in very different ways (folding, pushing down, index
lookups, decorrelation), which is where the paper found its bugs.

The other direction, as the paper also does it: a typed literal of the query is replaced
by `(SELECT literal)`, a subquery that evaluates to it, in one probe.

A check of the first direction is two probes (`Oracle.follow_up`): the first evaluates the
sub-expression in a CTE under the query's own WITH and asks the engine the value's type and
exact spelling; the second holds the query and the query with the literal, and is the one
judged, confirmed and kept: it replays alone.

What keeps it honest:
- correlation is never guessed: a sub-expression that fails alone is skipped, and one that
  runs alone reads nothing of the outer query (inner names win); a query with a WITH below
  its top, whose names could shadow a table the lone evaluation reads, is not checked;
- the literal has the sub-expression's type: PostgreSQL's `pg_typeof` and collation, DuckDB's
  `typeof`, SQLite's storage class with `quote()` (exact for reals), MariaDB's result
  metadata (a FLOAT written through its exact DOUBLE); a type without an exact literal
  (MariaDB's BIT and YEAR, DuckDB's nested and enum types, PostgreSQL's bit(n)) is skipped,
  and so is a DuckDB string where the schema has collated columns (typeof hides those);
- MariaDB computes a division and PI() with more digits than it shows or a CTE keeps: on
  MariaDB nothing with a `/` or PI() in it is replaced;
- MariaDB converts a constant compared with a YEAR column to a year, a subquery's value not:
  on a query that reads a YEAR column only expressions over constants are replaced; and a
  DOUBLE shown with fewer digits than it has (PI() with 6) is not written back;
- SQLite compares by affinity, which a column reference, a CAST or a scalar subquery carries
  and a literal does not: there only sub-expressions without affinity are replaced;
- a sub-expression in an ORDER BY or GROUP BY position (where `1` is a column number), a
  function's literal argument (which its spelling may need as a literal), or one in
  the CTEs of a recursive WITH (where a CTE name means the working table) is never taken;
- the query's rows must not depend on its plan (`oracles.inputs.plan_free_query`), and results
  compare as multisets, strings without the spellings equal values may take.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import is_dataclass, replace
from decimal import Decimal
from typing import Any, ClassVar

from fuzzer import ast
from fuzzer.dialects import family, get
from fuzzer.engines import Outcome, Rows
from fuzzer.generator import Generator, Scope, features
from fuzzer.generator.avoid import draw_avoiding
from fuzzer.generator.expressions import Ctx
from fuzzer.script import clauses, tokens
from fuzzer.script import features as text_features
from oracles.base import Discrepancy, Judge, Oracle, Probe, Skip, rows_of
from oracles.compare import canonical_rows, jsonable, multisets_equal
from oracles.inputs import draw_check, plan_free_query
from oracles.shape import (
    ORDER_SENSITIVE_AGGREGATES,
    VOLATILE_FUNCTIONS,
    field_names,
    plan_free,
    walk,
)
from oracles.tlp import _spelling_free

#: The CTE that holds the sub-expression's value(s) in the first probe, and its column.
CTE_NAME, COLUMN = "codd_v", "v"
#: A column name no generated query has: where the value goes, in the rendered query.
MARK = "codd_slot"
_MARKED = re.compile(rf"[\"`]?{MARK}[\"`]?")
#: An IN list longer than this is not written out.
MOST_ITEMS = 64

_PG_COLLATABLE = ("text", "varchar", "bpchar", "name", "text[]", "varchar[]", "bpchar[]")
#: What the first probe selects from the CTE, per dialect: the type and the exact spelling.
EVALUATE = {
    # quote() ends a string at a NUL character: the hex of a string shows whether it has one
    "sqlite": f"typeof({COLUMN}), quote({COLUMN}), "
    f"CASE WHEN typeof({COLUMN}) = 'text' THEN hex({COLUMN}) END",
    # pg_collation_for fails on a type without collations: asked only of the string types
    "postgres": f"pg_typeof({COLUMN})::text, {COLUMN}::text, CASE WHEN pg_typeof({COLUMN}) IN "
    + ", ".join(f"'{t}'::regtype" for t in _PG_COLLATABLE).join("()")
    + f" THEN pg_collation_for({COLUMN}) END",
    "duckdb": f"typeof({COLUMN}), CAST({COLUMN} AS VARCHAR)",
    # a FLOAT reads as its 6 digits: as a DOUBLE it is exact, and CAST back gives it again
    "mysql": f"{COLUMN}, CAST({COLUMN} AS CHAR), CAST({COLUMN} AS DOUBLE)",
}

#: The kinds of what is replaced, and the variant of the probe judged for each.
KINDS = ("scalar", "in", "constant", "literal")
#: The first probe's variant: evaluation only, never judged.
EVALUATION = "evaluate"


# -- literals ----------------------------------------------------------------------------------


def _sqlite_literal(row: tuple[Any, ...], columns: Sequence[Any], pending: Pending) -> str:
    _, quoted, text = row
    if text is not None and b"\0" in bytes.fromhex(text):
        raise Skip("a string with a NUL character, which quote() cuts")
    return quoted  # NULL, integers, reals exactly (to 20 digits), X'..', '..'


_PG_UNSAFE = frozenset({"unknown", "record", "bit", "money", "void"})


def _pg_literal(row: tuple[Any, ...], columns: Sequence[Any], pending: Pending) -> str:
    kind, text, collation = row
    kind = re.sub(r"^character(?=$|\[)", "bpchar", kind)  # `character` alone is char(1)
    if kind.rstrip("[]") in _PG_UNSAFE or "(" in kind:
        raise Skip(f"no exact literal of type {kind}")
    value = "NULL" if text is None else get("postgres").string(text)
    literal = f"CAST({value} AS {kind})"
    if collation not in (None, '"default"'):
        literal += f" COLLATE {collation}"
    return literal


def _duckdb_literal(row: tuple[Any, ...], columns: Sequence[Any], pending: Pending) -> str:
    kind, text = row
    if kind == '"NULL"':
        return "NULL"
    if re.match(r"(STRUCT|MAP|UNION|ENUM|BIT)\b", kind) or "[" in kind:
        raise Skip(f"no exact literal of type {kind}")
    if kind == "VARCHAR" and pending.collated:
        raise Skip("a string where the schema has collations typeof does not show")
    value = "NULL" if text is None else get("duckdb").string(text)
    return f"CAST({value} AS {kind})"


_MYSQL_INTEGERS = frozenset({"TINY", "SHORT", "INT24", "LONG", "LONGLONG"})
_MYSQL_STRINGS = frozenset(
    {"VAR_STRING", "STRING", "VARCHAR", "BLOB", "TINY_BLOB", "MEDIUM_BLOB", "LONG_BLOB"}
)
_MYSQL_TEMPORAL = {"DATE": "DATE", "DATETIME": "TIMESTAMP", "TIMESTAMP": "TIMESTAMP",
                   "TIME": "TIME"}  # fmt: skip
#: a NULL of the type, where the type has no length, precision or fractional digits to keep
_MYSQL_NULLS = {"DOUBLE": "DOUBLE", "FLOAT": "FLOAT", "DATE": "DATE", "NULL": None,
                **dict.fromkeys(_MYSQL_INTEGERS, "SIGNED"),
                **dict.fromkeys(_MYSQL_STRINGS, "CHAR")}  # fmt: skip


def _mysql_literal(row: tuple[Any, ...], columns: Sequence[Any], pending: Pending) -> str:
    value, text, exact = row
    kind = columns[0].type
    dialect = get("mysql")
    if value is None:
        if kind not in _MYSQL_NULLS:
            raise Skip(f"no exact NULL of type {kind}")
        target = _MYSQL_NULLS[kind]
        return "NULL" if target is None else f"CAST(NULL AS {target})"
    if kind in _MYSQL_INTEGERS and isinstance(value, int):
        return str(value)
    if kind == "NEWDECIMAL" and isinstance(value, Decimal):
        return format(value, "f")  # its scale kept; never an exponent, which is a DOUBLE
    if kind == "DOUBLE" and isinstance(value, float):
        if value != exact:  # shown with its declared decimals (PI() with 6): so would its value
            raise Skip("a DOUBLE shown with fewer digits than it has")
        return dialect.float_literal(value, ast.DOUBLE)
    if kind == "FLOAT" and isinstance(exact, float):
        return f"CAST({dialect.float_literal(exact, ast.DOUBLE)} AS FLOAT)"
    if kind in _MYSQL_STRINGS and isinstance(value, str):
        return dialect.string(value)
    if kind in _MYSQL_TEMPORAL and isinstance(text, str):
        return f"{_MYSQL_TEMPORAL[kind]}{dialect.string(text)}"  # its fractional digits kept
    raise Skip(f"no exact literal of type {kind}")  # YEAR, BIT, binary strings...


LITERALS = {
    "sqlite": _sqlite_literal,
    "postgres": _pg_literal,
    "duckdb": _duckdb_literal,
    "mysql": _mysql_literal,
}


# -- what is replaced --------------------------------------------------------------------------


class Pending:
    """What the first probe evaluated, and where its value goes in the query.

    Not a dataclass: a job learns from a probe's `about` which features fail to compile, and
    an evaluation that fails (a correlated subquery) says nothing of the query's features.
    """

    __slots__ = ("about", "after", "before", "collated", "empty", "kind", "query")

    def __init__(self, kind: str, query: str, before: str, after: str, about: Any = None,
                 collated: bool = False, empty: str | None = None) -> None:  # fmt: skip
        self.kind = kind  # one of KINDS
        self.query = query  # the query as it stands
        self.before, self.after = before, after  # its text before and after the value
        self.about = about  # the query's tree, if generated
        self.collated = collated  # the schema has collated columns (DuckDB's typeof hides them)
        #: for an IN subquery, the query as it is when the subquery is empty (None: unknown)
        self.empty = empty


#: Nodes an expression over constants only cannot hold.
_NOT_CONSTANT = (
    ast.ColumnRef, ast.Star, ast.ScalarQuery, ast.InQuery, ast.Exists, ast.Quantified,
    ast.Aggregate, ast.Window, ast.Parameter, ast.Excluded, ast.Grouping, ast.GroupingSets,
    ast.AllColumns, ast.Row, ast.Query,
)  # fmt: skip


def _constant(node: Any, free: set[int]) -> bool:
    """An expression over constants only (its id in `free`, `_free_of_columns`), not itself
    a literal (nor a literal cast or negated: those are literals already)."""
    if not isinstance(node, ast.Expr) or isinstance(node, ast.Literal | ast.Row):
        return False
    if isinstance(node, ast.Cast | ast.Unary) and isinstance(node.operand, ast.Literal):  # type: ignore[union-attr]
        return False
    return id(node) in free


def _first_select(query: Any) -> ast.Select | None:
    while isinstance(query, ast.SetOp | ast.With):
        query = query.left if isinstance(query, ast.SetOp) else query.body
    return query if isinstance(query, ast.Select) else None


def _affinity(expr: Any) -> bool:
    """Does SQLite give the expression an affinity (a literal has none)?"""
    if isinstance(expr, ast.ColumnRef | ast.Cast | ast.Star):
        return True
    if isinstance(expr, ast.ScalarQuery):
        select = _first_select(expr.query)
        return select is None or not select.items or _affinity(select.items[0].expr)
    if isinstance(expr, ast.Unary) and expr.op == "+":
        return _affinity(expr.operand)
    if isinstance(expr, ast.Func) and expr.name.lower() in ("likely", "unlikely", "likelihood"):
        return bool(expr.args) and _affinity(expr.args[0])
    return False


def _children(node: Any) -> Iterator[Any]:
    for name in field_names(node) or ():
        value = getattr(node, name)
        if isinstance(value, tuple | list):
            for v in value:
                if isinstance(v, tuple | list):
                    yield from v
                else:
                    yield v
        else:
            yield value


def _free_of_columns(tree: Any) -> set[int]:
    """The ids of the nodes of `tree` whose subtrees hold nothing but constants (none of
    `_NOT_CONSTANT`), found in one pass, children first."""
    free: set[int] = set()

    def visit(node: Any) -> bool:
        if isinstance(node, tuple | list):
            return all([visit(v) for v in node])  # every one visited: no short cut
        if isinstance(node, ast.Literal):
            free.add(id(node))
            return True
        if isinstance(node, ast.ColumnRef | ast.Star):
            return False
        names = field_names(node)
        if names is None or isinstance(node, ast.SQLType):
            return True
        ok = all([visit(getattr(node, n)) for n in names]) and not isinstance(node, _NOT_CONSTANT)
        if ok:
            free.add(id(node))
        return ok

    visit(tree)
    return free


def candidates(query: ast.Query, dialect: str) -> list[tuple[str, Any]]:
    """The sub-expressions of `query` the oracle may replace, each with its kind; none when
    the query has a WITH below its top."""
    if any(isinstance(n, ast.With) and n is not query for n in walk(query)):
        return []
    fixed: set[int] = set()
    for n in walk(query):
        if isinstance(n, ast.OrderItem):
            fixed.add(id(n.expr))
        elif isinstance(n, ast.Select):
            fixed.update(id(g) for g in n.group_by)
        elif isinstance(n, ast.Func):
            # a function's literal argument may be spelled as a keyword, a path, a length
            fixed.update(id(a) for a in n.args if isinstance(a, ast.Literal))
    found: list[tuple[str, Any]] = []
    free = _free_of_columns(query)

    def visit(node: Any) -> None:
        if not is_dataclass(node) or isinstance(node, ast.SQLType):
            return
        kind = _kind(node, dialect, free) if id(node) not in fixed else None
        if kind is not None:
            found.append((kind, node))
            if kind == "constant":
                return  # the largest expression over constants, not its parts
        for child in _children(node):
            visit(child)

    if isinstance(query, ast.With) and query.recursive:
        visit(query.body)  # in a recursive CTE a CTE's name is the working table
    else:
        visit(query)
    return found


def _reads_outside(query: ast.Query) -> bool:
    """Does a qualified column of the subquery name a relation its own FROMs do not?"""
    named = {n.alias or n.name for n in walk(query) if isinstance(n, ast.TableRef)}
    named |= {n.alias for n in walk(query) if isinstance(n, ast.DerivedTable)}
    return any(isinstance(n, ast.ColumnRef) and n.table is not None and n.table not in named
               for n in walk(query))  # fmt: skip


def _kind(node: Any, dialect: str, free: set[int]) -> str | None:
    if isinstance(node, ast.ScalarQuery | ast.InQuery) and _reads_outside(node.query):
        return None  # correlated: it has no value alone
    if (
        isinstance(node, ast.ScalarQuery | ast.InQuery)
        and dialect == "mysql"
        and any(isinstance(n, ast.GroupingSets) for n in walk(node.query))
    ):
        # MariaDB 10.11 crashed (signal 11) evaluating a WITH ROLLUP ... HAVING subquery in
        # the CTE: a shared server is not to be taken down by the oracle's own query
        return None
    if dialect == "mysql" and not isinstance(node, ast.Literal) and _hidden_digits(node):
        return None
    if isinstance(node, ast.ScalarQuery):
        if dialect == "sqlite" and _affinity(node):
            return None
        return "scalar"
    if isinstance(node, ast.InQuery) and not isinstance(node.operand, ast.Row):
        select = _first_select(node.query)
        if select is None or len(select.items) != 1:
            return None
        if dialect == "sqlite" and _affinity(select.items[0].expr):
            return None
        return "in"
    if _constant(node, free):
        if dialect == "sqlite" and _affinity(node):
            return None
        return "constant"
    if isinstance(node, ast.Literal) and _wrappable(node, dialect):
        return "literal"
    return None


def _hidden_digits(node: Any) -> bool:
    """Might MariaDB compute the value with more digits than it shows, and than a CTE keeps?
    `1/3` is 0.3333 there, and 0.333333333 in `1/3*3` (1.0000); PI() is 3.141593 in a CTE,
    3.141592653589793 in `COT(PI())`: a literal of the value shown is another value."""
    return any((isinstance(n, ast.Binary) and n.op == "/")
               or (isinstance(n, ast.Func) and n.name.upper() == "PI")
               for n in walk(node))  # fmt: skip


def _uncorrelated(generator: Generator, scope: Scope) -> ast.Expr | None:
    """A comparison with an uncorrelated scalar subquery, or an uncorrelated IN subquery
    (the generator's subquery predicates without EXISTS and ANY/ALL) whose rows the plan
    cannot change (`shape.plan_free`: else the whole query is drawn again), if one comes in
    three draws."""
    ctx = Ctx(scope, correlate=False)
    depth = max(1, generator.options.max_depth - 1)

    def draw() -> ast.Expr | None:
        return generator.queries.subquery_predicate(ctx, depth)

    def found(node: ast.Expr | None) -> frozenset[str]:
        return frozenset() if node is None else features(node, detailed=True)

    for _ in range(3):
        made = draw_avoiding(draw, generator.options.avoid, found)
        if isinstance(made, ast.InQuery | ast.Binary) and plan_free(made, generator.schema):
            return made
    return None


def _reads_a_year(query: ast.Query, generator: Generator) -> bool:
    """Does the query read a relation with a YEAR column? MariaDB converts a constant
    compared with a YEAR to a year (1 is 2001), and a subquery's value not: there a literal
    and a subquery of the same value differ, as documented."""
    read = {n.name for n in walk(query) if isinstance(n, ast.TableRef)}
    return any(c.type.kind == "year" for t in generator.schema.tables if t.name in read
               for c in t.columns)  # fmt: skip


#: Literals whose spelling types them, so that `(SELECT literal)` has their type: not a
#: PostgreSQL or DuckDB string, whose type its context decides (a string compared with a
#: bpchar is a bpchar), nor an untyped NULL, a blob, an array or a range.
_TYPED_FAMILIES = frozenset({"int", "numeric", "float", "bool", "date", "time", "timestamp"})


def _wrappable(node: ast.Literal, dialect: str) -> bool:
    if node.type.kind == "null" or node.type.element is not None:
        return False
    found = family(node.type)
    return found in _TYPED_FAMILIES or (dialect in ("sqlite", "mysql") and found == "text")


# -- the oracle --------------------------------------------------------------------------------


def judge_substitution(outcomes: Sequence[Outcome]) -> Discrepancy | None:
    """The query and the query with the value in it: the same multiset of rows. The rows
    with the literal are the expected ones: a literal leaves an optimiser least to do."""
    a, b = _results(outcomes)
    if multisets_equal(a, b):
        return None
    return Discrepancy(
        jsonable(sorted(b, key=repr)),
        jsonable(sorted(a, key=repr)),
        f"{len(a)} rows, {len(b)} with a sub-expression replaced by its value",
    )


def judge_wrapped(outcomes: Sequence[Outcome]) -> Discrepancy | None:
    """The query and the query with a literal as `(SELECT literal)`: the same rows."""
    a, b = _results(outcomes)
    if multisets_equal(a, b):
        return None
    return Discrepancy(
        jsonable(sorted(a, key=repr)),
        jsonable(sorted(b, key=repr)),
        f"{len(a)} rows, {len(b)} with a literal selected by a subquery",
    )


def _results(outcomes: Sequence[Outcome]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    first, second = rows_of(outcomes)
    return (_spelling_free(canonical_rows(first.rows)),
            _spelling_free(canonical_rows(second.rows)))  # fmt: skip


class CODD(Oracle):
    name = "codd"
    symptom = "wrong rows"
    description = (
        "Constant substitution: a query must return the same rows when an uncorrelated "
        "subquery, an IN subquery or an expression over constants in it is replaced by the "
        "value it evaluates to on its own, written as a literal of the same type; and when "
        "a literal in it is replaced by a subquery that selects it."
    )
    judges: ClassVar[dict[str, Judge]] = {
        **dict.fromkeys(("scalar", "in", "constant"), judge_substitution),
        "literal": judge_wrapped,
    }
    #: the probes of one drawn query share its text: it runs once per check
    reads_only = True

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        if probe.variant == EVALUATION:
            raise Skip("an evaluation is not judged: its follow-up is")
        return self.judges[probe.variant](outcomes)

    # -- from the generator ----------------------------------------------------------------------

    #: draws of a query per check: two in three draws have nothing to replace or may depend on
    #: the plan, and a check that draws nothing still costs the state one of its turns
    DRAWS = 4
    #: sub-expressions of one drawn query replaced, each in a probe of its own (as TLP's
    #: aggregates are of one predicate): drawing a query is most of what a check costs
    PER_QUERY = 4

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        if self.context.dialect not in EVALUATE:
            return []
        for _ in range(self.DRAWS):
            probes = self._draw(generator, turn)
            if probes:
                return probes
        return []

    def _draw(self, generator: Generator, turn: int) -> list[Probe]:
        wanted = KINDS[turn % len(KINDS)]
        query = self._query(generator, wanted)
        found = [] if query is None else candidates(query, self.context.dialect)
        if found and self.context.dialect == "mysql" and _reads_a_year(query, generator):
            found = [(k, n) for k, n in found if k == "constant"]
        if query is None or not found:
            return []
        # the kind whose turn it is first, when the query has one, then the others in turn
        rng = generator.rng
        start = KINDS.index(wanted)
        order = KINDS[start:] + KINDS[:start]
        pools = {kind: [n for k, n in found if k == kind] for kind in order}
        for nodes in pools.values():
            rng.shuffle(nodes)
        chosen: list[tuple[str, Any]] = []
        while len(chosen) < self.PER_QUERY and any(pools.values()):
            for kind in order:
                if pools[kind] and len(chosen) < self.PER_QUERY:
                    chosen.append((kind, pools[kind].pop()))
        text = self.render(query)
        collated = any(c.collate for t in generator.schema.tables for c in t.columns)
        probes = []
        for kind, node in chosen:
            made = (self._wrapped(query, node, text) if kind == "literal"
                    else self._probe(query, kind, node, collated, text))  # fmt: skip
            if made is not None:
                probes.append(made)
        return probes

    @staticmethod
    def _query(generator: Generator, wanted: str) -> ast.Query | None:
        """A check's query filtered by its predicate, without ORDER BY, under its host's WITH,
        if its rows cannot depend on the plan (`oracles.inputs.plan_free_query`). Where a
        subquery's turn it is, an uncorrelated one joins the predicate: the generator's own
        are rarely uncorrelated."""
        check = draw_check(generator)  # sets the relations the generator's subqueries read
        extra = _uncorrelated(generator, check.scope) if wanted in ("scalar", "in") else None
        return plan_free_query(check, generator.schema, extra)

    def _wrapped(self, query: ast.Query, literal: ast.Literal, text: str | None = None
                 ) -> Probe:  # fmt: skip
        """The other direction: a literal in place of the subquery that selects it (`text`:
        the query rendered, when it is)."""
        subquery = ast.ScalarQuery(ast.Select((ast.SelectItem(literal),)))
        text = self.render(query) if text is None else text
        queries = (text, self.render(_replaced(query, literal, subquery)))
        return Probe(self.name, "literal", queries, about=query)

    def _probe(self, query: ast.Query, kind: str, node: Any, collated: bool,
               text: str | None = None) -> Probe | None:  # fmt: skip
        slot = ast.ColumnRef(None, MARK)
        if kind == "in":
            inner, marked = node.query, ast.InList(node.operand, (slot,), node.negated)
        else:
            inner, marked = ast.Select((ast.SelectItem(node),)), slot
        slotted = self.render(_replaced(query, node, marked))
        spots = list(_MARKED.finditer(slotted))
        if len(spots) != 1:
            return None
        before, after = slotted[: spots[0].start()], slotted[spots[0].end() :]
        ctes = query.ctes if isinstance(query, ast.With) else ()
        recursive = isinstance(query, ast.With) and query.recursive
        evaluation = ast.With(
            (*ctes, ast.CTE(CTE_NAME, inner, (COLUMN,))),
            ast.Select((ast.SelectItem(slot),), (ast.TableRef(CTE_NAME),)),
            recursive,
        )
        evaluate = _MARKED.sub(EVALUATE[self.context.dialect], self.render(evaluation))
        empty = None
        if kind == "in":
            # IN an empty subquery is FALSE, NOT IN TRUE, whatever the operand (NULL too); an
            # empty IN list is no SQL, the truth value is
            empty = self.render(_replaced(query, node, ast.Literal(node.negated, ast.BOOLEAN)))
        text = self.render(query) if text is None else text
        pending = Pending(kind, text, before, after, query, collated, empty)
        return Probe(self.name, EVALUATION, (evaluate,), about=pending)

    # -- the second probe ------------------------------------------------------------------------

    def follow_up(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Probe | None:
        if probe.variant != EVALUATION:
            return None
        pending = probe.about
        (result,) = rows_of(outcomes)
        if pending.kind == "in" and not result.rows and pending.empty is not None:
            substituted = pending.empty
        else:
            value = self._value(pending, result)
            substituted = f"{pending.before}{value}{pending.after}"
        return Probe(
            self.name,
            pending.kind,
            (pending.query, substituted),
            probe.features,
            about=pending.about,
        )

    def _value(self, pending: Pending, result: Rows) -> str:
        spell = LITERALS[self.context.dialect]
        literals = [spell(tuple(row), result.columns, pending) for row in result.rows]
        if any("\0" in literal for literal in literals):
            raise Skip("a NUL character in a literal")
        if pending.kind != "in":
            if len(literals) != 1:
                raise Skip("a scalar that is not one row")
            return f"({literals[0]})"
        if not literals:
            raise Skip("an empty IN list is not SQL (and a user's IN is not replaced whole)")
        if len(literals) > MOST_ITEMS:
            raise Skip("an IN list too long to write out")
        return ", ".join(dict.fromkeys(literals))

    # -- from a user's query ---------------------------------------------------------------------

    def from_text(self, sql: str) -> list[Probe]:
        """One probe per parenthesised subquery of the user's query that is a value or an IN
        list (at most three; its correlation shows when it is evaluated alone), then one per
        number or TRUE/FALSE that stands as an operand (at most three): the reducer reads a
        finding's query this way too. Not for a query whose rows may depend on the plan."""
        dialect = self.context.dialect
        c = clauses(sql)
        if c is None or dialect not in EVALUATE or c.limited:
            return []
        named = text_features(sql)
        calls = {f.removeprefix("func:") for f in named if f.startswith("func:")}
        if calls & (VOLATILE_FUNCTIONS | ORDER_SENSITIVE_AGGREGATES) or "kw:OVER" in named:
            return []
        query = sql.strip().rstrip(";")
        found = tokens(query)
        if sum(t.upper == "WITH" for t in found) > 1:
            return []  # a WITH below the top may shadow what the lone evaluation reads
        return (self._text_subqueries(query, sql, c, found)
                + self._text_constants(query, sql, c, found)
                + self._text_literals(query, sql, found))  # fmt: skip

    def _text_literals(self, query: str, sql: str, found: Sequence[Any]) -> list[Probe]:
        probes = []
        for before, token, after in zip(found, found[1:], [*found[2:], None], strict=False):
            if token.kind != "number" and token.upper not in ("TRUE", "FALSE"):
                continue
            if before.upper not in _OPERAND_AFTER or (after is not None and after.kind == "open"):
                continue
            wrapped = f"{query[: token.start]}(SELECT {token.text}){query[token.end :]}"
            probes.append(self.text_probe("literal", (query, wrapped), sql))
            if len(probes) == 3:
                break
        return probes

    def _text_subqueries(self, query: str, sql: str, c: Any, found: Sequence[Any]) -> list[Probe]:
        dialect = self.context.dialect
        prefix = query[: c.prefix_end].strip()
        recursive = prefix.upper().startswith("WITH RECURSIVE")
        probes = []
        for n, token in enumerate(found):
            if token.kind != "open" or n + 1 >= len(found) or found[n + 1].upper != "SELECT":
                continue
            before = found[n - 1].upper if n else ""
            if before in _NOT_A_VALUE or (recursive and token.start < c.prefix_end):
                continue
            end = _closing(found, n)
            if end is None or (end + 1 < len(found) and found[end + 1].upper in _SET_OPERATIONS):
                continue
            inner = query[found[n + 1].start : found[end].start]
            kind = "in" if before == "IN" else "scalar"
            if dialect == "sqlite" and _text_affinity(inner):
                continue
            if dialect == "mysql" and _text_hidden_digits(inner):
                continue
            probes.append(self._text_probe(query, sql, prefix, kind, token.start,
                                           found[end].end, inner))  # fmt: skip
            if len(probes) == 3:
                break
        return probes

    def _text_constants(self, query: str, sql: str, c: Any, found: Sequence[Any]) -> list[Probe]:
        """One probe per parenthesised expression over constants that stands as an operand
        (`ON a.c = b.c AND (1 > 2)`), the largest ones, at most three: evaluated alone, then
        written back as its value."""
        dialect = self.context.dialect
        prefix = query[: c.prefix_end].strip()
        recursive = prefix.upper().startswith("WITH RECURSIVE")
        probes: list[Probe] = []
        n = 0
        while n < len(found) and len(probes) < 3:
            end = _constant_group(found, n)
            if end is None or (recursive and found[n].start < c.prefix_end):
                n += 1
                continue
            inner = query[found[n + 1].start : found[end].start]
            hidden = dialect == "mysql" and _text_hidden_digits(inner)
            if not hidden:
                probes.append(self._text_probe(query, sql, prefix, "constant", found[n].start,
                                               found[end].end, inner))  # fmt: skip
            n = end + 1  # the largest: not its parts
        return probes

    def _text_probe(
        self, query: str, sql: str, prefix: str, kind: str, start: int, end: int, inner: str
    ) -> Probe:
        dialect = get(self.context.dialect)
        body = inner if kind == "in" else f"SELECT ({inner})"
        cte = f"{dialect.ident(CTE_NAME)}({dialect.ident(COLUMN)}) AS ({body})"
        head = f"{prefix}, {cte}" if prefix else f"WITH {cte}"
        evaluate = f"{head} SELECT {EVALUATE[self.context.dialect]} FROM {CTE_NAME}"
        before, after = query[:start], query[end:]
        if kind == "in":
            before, after = before + "(", ")" + after
        pending = Pending(kind, query, before, after)
        probe = self.text_probe(EVALUATION, (evaluate,), sql)
        return replace(probe, about=pending)


#: Words before a parenthesised SELECT that make it something other than a value.
_NOT_A_VALUE = frozenset(
    "EXISTS ANY SOME ALL FROM JOIN LATERAL ARRAY AS UNION INTERSECT EXCEPT MINUS , ".split()
) | {""}
_SET_OPERATIONS = frozenset({"UNION", "INTERSECT", "EXCEPT", "MINUS"})
#: Words and operators after which a number or TRUE/FALSE is an operand (not a position, a
#: length, a function's argument, or the TRUE of `IS TRUE`).
_OPERAND_AFTER = frozenset(
    "= == < > <= >= <> != + - * / % AND OR ON WHERE HAVING WHEN THEN ELSE".split()
)


#: Words an expression over constants may hold besides function names: a column, a type
#: name (a CAST's, which gives SQLite an affinity) or a collation is none of them.
_CONSTANT_WORDS = frozenset(
    "TRUE FALSE NULL AND OR NOT XOR IS BETWEEN CASE WHEN THEN ELSE END LIKE DIV MOD".split()
)
#: Aggregates: over constants still one value per group, not one value.
_AGGREGATES = frozenset({"count", "sum", "min", "max", "avg", "total", "group_concat"})


def _constant_group(found: Sequence[Any], at: int) -> int | None:
    """The closing token of the parenthesised expression over constants that opens at `at`
    and stands as an operand, with an operator or a call in it (a bare literal is the literal
    variant's); None when there is none."""
    if found[at].kind != "open" or not at or found[at - 1].upper not in _OPERAND_AFTER:
        return None
    end = _closing(found, at)
    if end is None or end - at < 4:
        return None
    inner = found[at + 1 : end]
    for k, token in enumerate(inner):
        if token.kind == "word":
            call = k + 1 < len(inner) and inner[k + 1].kind == "open"
            name = token.text.lower()
            if call and (name in VOLATILE_FUNCTIONS or name in _AGGREGATES or name == "cast"):
                return None
            if not call and token.upper not in _CONSTANT_WORDS:
                return None
        elif token.kind == "other" and token.text in ".,?:$@":
            return None  # a qualified name, a list, a parameter
        elif token.kind not in ("number", "string", "open", "close", "other"):
            return None
    return end



def _text_hidden_digits(inner: str) -> bool:
    """`_hidden_digits` in a user's text: a `/` or a PI() (a string holding one, too)."""
    return "/" in inner or "PI(" in inner.upper().replace(" ", "")


def _closing(found: Sequence[Any], at: int) -> int | None:
    depth = 0
    for n in range(at, len(found)):
        depth += (found[n].kind == "open") - (found[n].kind == "close")
        if depth == 0:
            return n
    return None


def _text_affinity(inner: str) -> bool:
    """Might SQLite give a subquery's value an affinity? Its first item is a column or a CAST
    (or cannot be read)."""
    c = clauses(inner)
    if c is None:
        return True
    items = c.text(c.select_list).split(",")[0].strip()
    first = re.sub(r"\s+AS\s+\w+$", "", items, flags=re.IGNORECASE).strip()
    return (
        bool(re.fullmatch(r"[\w.\"`\[\]]+", first)) and not re.fullmatch(r"-?\d+(\.\d*)?", first)
    ) or first.upper().startswith(("CAST", "(", "+", "LIKELY", "UNLIKELY"))


def _replaced(tree: Any, old: Any, new: Any) -> Any:
    """A copy of `tree` with the node `old` (that very object, where it is first found)
    replaced by `new`: only the nodes on the way to it are rebuilt."""
    path: list[tuple[Any, Any]] = []
    if not _find(tree, old, path):
        return tree
    for container, key in reversed(path):
        if isinstance(container, tuple | list):
            items = list(container)
            items[key] = new
            new = tuple(items) if isinstance(container, tuple) else items
        else:
            new = replace(container, **{key: new})
    return new


def _find(node: Any, old: Any, path: list[tuple[Any, Any]]) -> bool:
    """Is `old` in the tree of `node`? `path` then holds the (node, field or index) steps."""
    if node is old:
        return True
    if isinstance(node, tuple | list):
        steps: Iterable[tuple[Any, Any]] = enumerate(node)
    else:
        names = field_names(node)
        if names is None or isinstance(node, ast.SQLType):
            return False
        steps = ((name, getattr(node, name)) for name in names)
    for key, child in steps:
        path.append((node, key))
        if _find(child, old, path):
            return True
        path.pop()
    return False


__all__ = ["CODD", "candidates", "judge_substitution", "judge_wrapped"]
