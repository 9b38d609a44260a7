"""Plan cache: a prepared statement must return what the literal query returns.

An engine that caches plans answers a prepared statement from a plan made for other parameter
values (PostgreSQL switches from custom to generic plans after five executions; TiDB and MySQL
cache plans across executions), or from a plan made before the data, the indexes or the
statistics changed. Published plan-cache wrong-result bugs (TiDB #17540, #14969, #28696; MySQL
#95047) are plans reused where they no longer hold. No metamorphic oracle sees them: each of
their queries is planned afresh.

A probe prepares a query whose literals became parameters, executes it seven times with
values that change, and after each execution runs the literal query with the same values:
each pair must return the same multiset of rows. Between executions come the events that
should invalidate a cached plan: ANALYZE, CREATE and DROP INDEX, skewed inserts inside a
transaction that is rolled back, and transaction boundaries. On PostgreSQL the probe runs
under each `plan_cache_mode` (a variant each).

The two queries of a pair mean the same by construction. In the *typed* variants both sides
give every value its type explicitly, `CAST($1 AS T)` against `CAST(v AS T)`; in the *untyped*
one only string literals become bare parameters, which PostgreSQL types exactly as it types an
untyped string literal (from its context), and which MySQL's user variables carry as strings.
A query whose rows may honestly depend on its plan is not drawn (`shape.plan_independent`).

On PostgreSQL every variant comes twice: in SQL (PREPARE, EXECUTE) and through the driver's
extended protocol, the way applications prepare (a Parse of the named statement, then a Bind
and an Execute for each execution). A *driver* probe is written as the SQL that means the same,
which reproduces it in psql: `PREPARE s(NUMERIC, unknown) AS ...` is the Parse, its parameter
types those of the typed variant's casts (without their modifiers, which a parameter's type has
none of; the cast in the text keeps them) or `unknown`, for the server to infer; `EXECUTE
s('1.5', 'x')` is the Bind, every value in the text format, read by its parameter type's input
as the literal's string is. psycopg's dumpers are not used: the type they choose is the Python
value's (float8 for any float, int2 for a small integer), and its conversion to the literal's
type is not always exact (float8 to numeric keeps 15 digits).
PyMySQL has no server-side prepared statements (COM_STMT_PREPARE): on the MySQL family the
probes are SQL's PREPARE and EXECUTE only.

Every statement of a probe runs even when one fails, so the probe always leaves the state as it
found it: the index it created is dropped, the rows it inserted are rolled back, the statement
is deallocated and the cache mode reset.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from fuzzer import ast
from fuzzer.dialects import family, get
from fuzzer.engines import Engine, Failure, Outcome
from fuzzer.errors import SQLState
from fuzzer.generator import Generator
from fuzzer.generator.state import Layout
from fuzzer.generator.values import Values
from fuzzer.schema import Table
from fuzzer.script import clauses, tokens
from oracles.base import Discrepancy, Execute, Oracle, Probe, Skip
from oracles.compare import canonical_rows, jsonable, multisets_equal
from oracles.inputs import draw_plan_free
from oracles.shape import transform, walk
from oracles.tlp import _spelling_free

#: Executions of the prepared statement: PostgreSQL plans generically from the sixth.
EXECUTIONS = 7
#: Literals of the predicate that become parameters, at most.
PARAMETERS = 4
NAME = "sqlparity_pc"
INDEX = "sqlparity_pc_i"


@dataclass(frozen=True)
class Prepared:
    """How a dialect prepares, executes and forgets a statement (the query is `{query}`,
    `{quoted}` as a string literal), and the plan-cache modes it can be run under."""

    prepare: str
    execute: str  # `{values}`: the values, comma-separated
    deallocate: str
    #: statements that bind the values before EXECUTE (MySQL's user variables), `{values}`
    #: being `@p1 = v1, ...`; empty: values go into the EXECUTE itself
    bind: str = ""
    #: variant -> (statements that set the mode, statements that reset it)
    modes: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (("auto", (), ()),)
    drop_index: str = "DROP INDEX {index}"
    begin: str = "BEGIN"
    rollback: str = "ROLLBACK"
    #: bare parameters are typed from their context as string literals are
    untyped_strings: bool = False
    #: the driver prepares through its protocol (`Engine.protocol`): the driver variants
    protocol: bool = False


def _pg_mode(mode: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    return mode.split("_")[1], (f"SET plan_cache_mode = {mode}",), ("RESET plan_cache_mode",)


PREPARED: dict[str, Prepared] = {
    "postgres": Prepared(
        "PREPARE {name} AS {query}",
        "EXECUTE {name}({values})",
        "DEALLOCATE {name}",
        modes=(("auto", (), ()), _pg_mode("force_generic_plan"), _pg_mode("force_custom_plan")),
        untyped_strings=True,
        protocol=True,
    ),
    "duckdb": Prepared(
        "PREPARE {name} AS {query}", "EXECUTE {name}({values})", "DEALLOCATE {name}"
    ),
    "mysql": Prepared(
        "PREPARE {name} FROM {quoted}",
        "EXECUTE {name} USING {variables}",
        "DEALLOCATE PREPARE {name}",
        bind="SET {values}",
        drop_index="DROP INDEX {index} ON {table}",
        untyped_strings=True,
    ),
}

_EXECUTE = re.compile(r"\s*EXECUTE\s", re.IGNORECASE)
DRIVER = "driver"
#: the families whose values the text format writes as the literal's string (`Values.text`)
_TEXT_FORMAT = frozenset({"int", "numeric", "float", "text", "bool", "date", "time", "timestamp",
                          "timestamptz"})  # fmt: skip
_NOT_TEXT_FORMAT = frozenset({"bit", "year", "string_enum", "set"})


def _is_execute(statement: str) -> bool:
    return bool(_EXECUTE.match(statement))


# -- the judge -------------------------------------------------------------------------------


def judge_pairs(queries: Sequence[str], outcomes: Sequence[Outcome]) -> Discrepancy | None:
    """Each EXECUTE against the literal query after it: the same multiset of rows.

    A pair in which either side failed is left out (a value may overflow in one spelling's
    arithmetic first); a probe whose PREPARE failed, or whose every pair did, is skipped.
    """
    if not outcomes[_prepare_at(queries)].ok:
        raise Skip("the engine did not prepare the statement")
    judged = 0
    for n, statement in enumerate(queries):
        if not _is_execute(statement) or n + 1 >= len(queries):
            continue
        prepared, literal = outcomes[n], outcomes[n + 1]
        if not (prepared.ok and literal.ok):
            continue
        judged += 1
        a = _spelling_free(canonical_rows(literal.rows))  # type: ignore[union-attr]
        b = _spelling_free(canonical_rows(prepared.rows))  # type: ignore[union-attr]
        if not multisets_equal(a, b):
            return Discrepancy(
                jsonable(sorted(a, key=repr)),
                jsonable(sorted(b, key=repr)),
                f"execution {judged} of the prepared statement returns {len(b)} rows, "
                f"the literal query {len(a)}",
            )
    if not judged:
        raise Skip("no execution could be compared")
    return None


def _prepare_at(queries: Sequence[str]) -> int:
    return next(n for n, q in enumerate(queries) if q.lstrip().upper().startswith("PREPARE"))


# -- building probes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A literal of the query that became parameter `index`, with the values it takes."""

    index: int
    type: ast.SQLType
    values: tuple[Any, ...]  # one per execution, the literal's own first


class PlanCache(Oracle):
    name = "plancache"
    symptom = "wrong rows"
    signed_clauses = True
    description = (
        "Plan cache: a prepared statement, executed again and again with changing parameter "
        "values and with indexes, statistics and data changing in between, must return the "
        "same rows as the same query with the values written in."
    )
    #: not in the default rotation until its precision runs are in on every engine
    by_default = False

    @property
    def prepared(self) -> Prepared | None:
        return PREPARED.get(self.context.dialect)

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        return judge_pairs(probe.queries, outcomes)

    def run(self, probe: Probe, target: Engine, execute: Execute) -> list[Outcome] | None:
        """A driver probe's PREPARE and EXECUTE through the driver's protocol; the job's
        `execute` still logs and counts them."""
        if not probe.variant.startswith(DRIVER):
            return None
        if not target.binds:
            missing = Failure(SQLState.FEATURE_NOT_SUPPORTED, "sqlparity:no-protocol",
                              f"{target.name}: no prepared statements of the driver's own")
            return [missing] * len(probe.queries)
        with target.protocol():
            return [execute(target, q) for q in probe.queries]

    def returned_rows(self, probe: Probe, outcomes: Sequence[Outcome]) -> bool:
        """Whether a literal query had rows (the first statement is a PREPARE or a SET)."""
        return any(_is_execute(q) and n + 1 < len(outcomes) and outcomes[n + 1].ok
                   and bool(outcomes[n + 1].rows)  # type: ignore[union-attr]
                   for n, q in enumerate(probe.queries))  # fmt: skip

    # -- from the generator ----------------------------------------------------------------------

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        spelling = self.prepared
        if spelling is None:
            return []
        query = draw_plan_free(generator)
        if query is None:
            return []
        modes = [m for m, _, _ in spelling.modes]
        mode = modes[turn % len(modes)]
        typed = not (spelling.untyped_strings and turn // len(modes) % 2)
        driver = spelling.protocol and bool(turn // (2 * len(modes)) % 2)
        made = self._parameterised(query, generator, typed, driver)
        if made is None:
            return []
        prepared, literal_of, slots = made
        tables = [t for t in generator.schema.tables if not t.view
                  and any(isinstance(n, ast.TableRef) and n.name == t.name for n in walk(query))]
        if not tables:
            return []
        events = self._events(generator, generator.rng.choice(tables))
        if driver:
            spelling = replace(spelling, prepare=self._parse(slots, typed), execute=_BIND_SPELLING)
        queries = self._script(spelling, mode, prepared, literal_of, slots, events, driver)
        variant = f"{DRIVER + '-' if driver else ''}{mode}{'' if typed else '-untyped'}"
        return [Probe(self.name, variant, tuple(queries), about=query)]

    def _parameterised(self, hosted: ast.Query, generator: Generator, typed: bool,
                       driver: bool = False):  # fmt: skip
        """The query with some of its predicate's literals as parameters, a function that
        writes the literal query for one execution's values, and the slots. The predicate is
        the outermost SELECT's, the body of the WITH the query may stand under."""
        query = hosted.body if isinstance(hosted, ast.With) else hosted
        assert isinstance(query, ast.Select) and query.where is not None
        # ORDER BY 1 is a position, not a value; a function's literal argument (a length, a
        # JSON key) is one its spelling or its range of valid values may need as a literal
        fixed = {id(n.expr) for n in walk(query.where) if isinstance(n, ast.OrderItem)}
        fixed |= {id(a) for n in walk(query.where) if isinstance(n, ast.Func) for a in n.args}
        candidates = [n for n in walk(query.where)
                      if self._may_bind(n, typed, driver) and id(n) not in fixed]  # fmt: skip
        if not candidates:
            return None
        rng = generator.rng
        most = min(len(candidates), rng.randint(1, PARAMETERS))
        picked = rng.sample(range(len(candidates)), most)
        # in the order of the text: `?` parameters are positional
        chosen = [candidates[n] for n in sorted(picked)]
        index = {id(n): k for k, n in enumerate(chosen, start=1)}
        slots = [Slot(index[id(n)], n.type, self._values(n, generator)) for n in chosen]

        def rewrite(make: Callable[[ast.Literal, int], ast.Expr]) -> ast.Query:
            def change(node: Any) -> Any:  # literals are leaves: `transform` keeps them as is
                k = index.get(id(node))
                if k is None:
                    return node
                made = make(node, k)
                return ast.Cast(made, node.type) if typed else made
            select = replace(query, where=transform(query.where, change))
            return replace(hosted, body=select) if isinstance(hosted, ast.With) else select

        prepared = rewrite(lambda node, k: ast.Parameter(k))

        def literal_of(execution: int) -> ast.Query:
            return rewrite(lambda node, k: ast.Literal(slots[k - 1].values[execution], node.type))

        return prepared, literal_of, slots

    @staticmethod
    def _may_bind(node: Any, typed: bool, driver: bool = False) -> bool:
        if not isinstance(node, ast.Literal) or node.value is None or node.type.kind == "null":
            return False
        if node.type.kind in ("json", "interval", "blob", "uuid"):
            return False  # values whose literal spelling is the dialect's own business
        if driver and (family(node.type) not in _TEXT_FORMAT or node.type.kind in _NOT_TEXT_FORMAT):
            return False  # no text-format value means what the literal means
        return typed or node.type.kind in ("text", "varchar", "char")

    def _parse(self, slots: Sequence[Slot], typed: bool) -> str:
        """The driver's PREPARE: the parameters' types, the typed casts' without modifiers."""
        dialect = get(self.context.dialect)
        types = [re.sub(r"\(.*", "", dialect.cast_type(s.type)) if typed else "unknown"
                 for s in slots]  # fmt: skip
        return f"PREPARE {{name}}({', '.join(types)}) AS {{query}}"

    @staticmethod
    def _values(node: ast.Literal, generator: Generator) -> tuple[Any, ...]:
        """The literal's value first, then values of its type, often ones the data holds."""
        held = [v for t in generator.schema.tables for c in t.columns
                if c.type == node.type for v in c.values]  # fmt: skip
        values = [node.value]
        for _ in range(EXECUTIONS - 1):
            if held and generator.rng.random() < 0.7:
                values.append(generator.rng.choice(held))
            else:
                values.append(generator.values.value(node.type))
        return tuple(values)

    def _events(self, generator: Generator, table: Table) -> list[Event]:
        """What happens between executions, one event after each but the last."""
        spelling = self.prepared
        assert spelling is not None
        rng, render = generator.rng, self.render
        maintenance = [k for k, named in generator.caps.maintenance.items() if named]
        layout = generator.state.layouts[table.name]
        index = generator.state.create_index(layout)
        events: list[Event] = []
        for _ in range(EXECUTIONS - 1):
            kind = rng.choice(("nothing", "analyze", "index", "insert", "transaction"))
            if kind == "analyze" and maintenance:
                events.append(Event((render(ast.Maintenance(rng.choice(maintenance),
                                                            table.name)),)))  # fmt: skip
            elif kind == "index" and index is not None:
                statement = render(replace(index, name=INDEX))
                drop = spelling.drop_index.format(index=INDEX, table=render(
                    ast.TableRef(table.name)))
                events.append(Event((statement,), cleanup=(drop,)))
                index = None
            elif kind in ("insert", "transaction") and "transactions" in layout.lacks:
                events.append(Event())  # a ROLLBACK would keep the rows: the state would change
            elif kind == "insert":
                inserts = tuple(render(s) for s in _skewed(generator, layout))
                events.append(Event((spelling.begin, *inserts), (spelling.rollback,)))
            elif kind == "transaction":
                events.append(Event((spelling.begin,), (spelling.rollback,)))
            else:
                events.append(Event())
        return events

    def _script(self, spelling: Prepared, mode: str, prepared: ast.Query,
                literal_of: Callable[[int], ast.Query], slots: Sequence[Slot],
                events: Sequence[Event], driver: bool = False) -> list[str]:
        text = self.render(prepared)
        before, after = next((b, a) for m, b, a in spelling.modes if m == mode)
        dialect = get(self.context.dialect)
        queries = [*before, spelling.prepare.format(name=NAME, query=text,
                                                    quoted=dialect.string(text))]  # fmt: skip
        undo: tuple[str, ...] = ()
        for execution in range(EXECUTIONS):
            values = [_text_format(s.values[execution]) if driver else
                      self.render(ast.Literal(s.values[execution], s.type)) for s in slots]
            queries += self._execute(spelling, [s.index for s in slots], values)
            queries.append(self.render(literal_of(execution)))
            queries += undo
            event = events[execution] if execution < len(events) else Event()
            queries += event.statements
            undo = event.undo
        queries += [*undo, *(s for e in events for s in e.cleanup)]
        return [*queries, spelling.deallocate.format(name=NAME), *after]

    @staticmethod
    def _execute(spelling: Prepared, indexes: Sequence[int], values: Sequence[str]) -> list[str]:
        """The statements of one execution with these values (bound first, if the dialect
        binds through variables)."""
        statements = []
        if spelling.bind:
            statements.append(spelling.bind.format(values=", ".join(
                f"@p{k} = {v}" for k, v in zip(indexes, values, strict=True))))
        statements.append(spelling.execute.format(
            name=NAME, values=", ".join(values), variables=", ".join(f"@p{k}" for k in indexes)))
        return statements

    # -- from a user's query ---------------------------------------------------------------------

    def from_text(self, sql: str) -> list[Probe]:
        """The user's WHERE literals as parameters, each typed as its spelling types it; every
        other execution has zeros and empty strings instead (`_other`), for what a statement
        kept from one execution (a plan, a subquery's result) to meet other values."""
        spelling = self.prepared
        c = clauses(sql)
        if spelling is None or c is None or c.where is None or c.limited:
            return []
        start, end = c.where
        found = _bindable(tokens(sql), start, end, positional=_POSITIONAL.search(c.text(c.where)))
        if not found:
            return []
        found = found[:PARAMETERS]
        dialect = get(self.context.dialect)

        def spliced(spellings: Sequence[str]) -> str:
            pieces, last = [], start
            for token, spelled in zip(found, spellings, strict=True):
                pieces += [sql[last:token.start], spelled]
                last = token.end
            return (sql[:start] + "".join(pieces) + sql[last:]).strip().rstrip(";")

        typed = [_spelled_type(token.text) for token in found]
        text = spliced([dialect.render(ast.Cast(ast.Parameter(k), t) if t else ast.Parameter(k))
                        for k, t in enumerate(typed, start=1)])  # fmt: skip
        values = [t.text for t in found]
        indexes = list(range(1, len(values) + 1))
        queries = [spelling.prepare.format(name=NAME, query=text, quoted=dialect.string(text))]
        for execution in range(EXECUTIONS):
            these = values if execution % 2 == 0 else [_other(v) for v in values]
            queries += [*self._execute(spelling, indexes, these), spliced(these)]
        queries.append(spelling.deallocate.format(name=NAME))
        return [self.text_probe("auto", queries, sql)]

    @classmethod
    def case_query(cls, finding) -> str:
        """The literal query: the statement after the first EXECUTE."""
        queries = finding.queries
        first = next(n for n, q in enumerate(queries) if _is_execute(q))
        return queries[first + 1]


#: the driver's EXECUTE: its values are the text format's strings
_BIND_SPELLING = "EXECUTE {name}({values})"


def _text_format(value: Any) -> str:
    """A value as the protocol's text format sends it, written as a string literal."""
    return "'" + Values.text(value).replace("'", "''") + "'"


@dataclass(frozen=True)
class Event:
    """Statements between two executions; `undo` runs after the next one (a ROLLBACK), and
    `cleanup` at the end of the probe (a DROP INDEX)."""

    statements: tuple[str, ...] = ()
    undo: tuple[str, ...] = ()
    cleanup: tuple[str, ...] = ()


#: In a WHERE with these, a bare number may be a position (`ORDER BY 1`), not a value.
_POSITIONAL = re.compile(r"\b(ORDER|GROUP)\s+BY\b|\bLIMIT\b|\bOFFSET\b", re.IGNORECASE)
#: What may come before a literal that is a value, wherever it stands.
_VALUE_AFTER = frozenset("= < > + - * / % BETWEEN AND LIKE THEN ELSE WHEN IS".split())


def _bindable(found: Sequence[Any], start: int, end: int, positional: Any) -> list[Any]:
    """The number and plain string tokens of the span that stand for values.

    A string after a word is a typed literal (`DATE '2000-01-01'`), whose type word a
    parameter cannot follow; after `(` or `,` a number may be a position when the text has
    ORDER BY, GROUP BY or LIMIT.
    """
    chosen = []
    for before, token in pairwise(found):
        if not start <= token.start < end or token.kind not in ("number", "string"):
            continue
        if token.kind == "string" and not token.text.startswith("'"):
            continue  # X'..', B'..', N'..': the dialect's own spellings
        previous = before.text.upper()
        if previous in _VALUE_AFTER or (previous in ("(", ",") and not positional):
            chosen.append(token)
    return chosen


def _spelled_type(text: str) -> ast.SQLType | None:
    """The type a literal's spelling gives it; None for a string, which stays untyped."""
    if text.startswith("'"):
        return None
    if re.fullmatch(r"\d+", text):
        return ast.INTEGER if int(text) < 2**31 else ast.BIGINT
    return ast.DOUBLE if "e" in text.lower() else ast.numeric(38, 10)


def _other(text: str) -> str:
    """Another value of a literal's spelled type: zero, or the empty string."""
    if text.startswith("'"):
        return "''"
    return "0e0" if "e" in text.lower() else "0.0" if "." in text else "0"


def _skewed(generator: Generator, layout: Layout) -> list[ast.Statement]:
    """Inserts of one row many times over: a value suddenly frequent, for the planner's
    estimates to be wrong about."""
    table = layout.table
    columns = [c for c in table.columns if not c.generated]
    row = generator.state.row(layout, columns, {})
    if row is None:
        return []
    names = tuple(c.name for c in columns)
    keyed = bool(table.keys)
    return [ast.Insert(table.name, names, (row,) if keyed else (row,) * 8)]


__all__ = ["PREPARED", "PlanCache", "Prepared", "judge_pairs"]
