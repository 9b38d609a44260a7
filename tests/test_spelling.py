"""Spellings (fuzzer/generator/spelling.py): the manuals' equivalent ways to write a construct.

Each is rendered exactly so where its dialect declares it and plainly where not, parses under
the dialect's grammar and runs on the real engine; the generator writes every spelling its
dialect has, and drawing them moves nothing else a seed generates.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from conftest import open_engine

import grammar
from fuzzer import ast as A
from fuzzer.dialects import get, render
from fuzzer.engines import Engine
from fuzzer.generator import Generator, Options

ALL = ("sqlite", "duckdb", "postgres", "mysql")
MARKS = {"postgres": [pytest.mark.postgres], "mysql": [pytest.mark.mysql]}
a, b, ua = A.ColumnRef("t", "a"), A.ColumnRef("t", "b"), A.ColumnRef("u", "a")
ONE, TWO = A.Literal(1, A.INTEGER), A.Literal(2, A.INTEGER)
T, U = A.TableRef("t"), A.TableRef("u")


def sel(*items: A.Expr, **kw: Any) -> A.Select:
    return A.Select(tuple(A.SelectItem(i) for i in items), kw.pop("from_", (T,)), **kw)


def spelled(node: Any, *names: str) -> Any:
    return dataclasses.replace(node, spellings=names)


JOIN = A.Join("INNER", T, U, A.Binary("=", a, ua))
LEFT = A.Join("LEFT", T, U, A.Binary("=", a, ua))
SUB = sel(ua, from_=(U,))
POSITIVE = A.Binary(">", A.ColumnRef(None, "v"), A.Literal(0, A.INTEGER))
COLUMNS = (A.ColumnDef("k", A.INTEGER, primary_key=True),
           A.ColumnDef("v", A.INTEGER, unique=True, check=POSITIVE))  # fmt: skip
TABLE = A.CreateTable("w", COLUMNS)

#: spelling -> (tree, {dialect: its SQL}); every dialect that declares the spelling is listed
GOLDEN: dict[str, tuple[Any, dict[str, str]]] = {
    "SELECT ALL": (spelled(sel(a), "SELECT ALL"), dict.fromkeys(ALL, "SELECT ALL t.a FROM t")),
    "DISTINCTROW": (spelled(sel(a, distinct=True), "DISTINCTROW"),
                    {"mysql": "SELECT DISTINCTROW t.a FROM t"}),
    "INNER JOIN": (sel(a, from_=(spelled(JOIN, "INNER JOIN"),)),
                   dict.fromkeys(ALL, "SELECT t.a FROM t INNER JOIN u ON (t.a = u.a)")),
    "OUTER JOIN": (sel(a, from_=(spelled(LEFT, "OUTER JOIN"),)),
                   dict.fromkeys(ALL, "SELECT t.a FROM t LEFT OUTER JOIN u ON (t.a = u.a)")),
    "UNION DISTINCT": (spelled(A.SetOp("UNION", sel(a), SUB), "UNION DISTINCT"),
                       dict.fromkeys(("postgres", "mysql"),
                                     "SELECT t.a FROM t UNION DISTINCT (SELECT u.a FROM u)")),
    "!=": (sel(a, where=A.Binary("<>", a, ONE, ("!=",))),
           dict.fromkeys(ALL, "SELECT t.a FROM t WHERE (t.a != 1)")),
    "==": (sel(a, where=A.Binary("=", a, ONE, ("==",))),
           dict.fromkeys(("sqlite", "duckdb"), "SELECT t.a FROM t WHERE (t.a == 1)")),
    "&& ||": (sel(a, where=A.Binary("OR", A.Binary("AND", a, b, ("&&",)), b, ("||",))),
              {"mysql": "SELECT t.a FROM t WHERE ((t.a && t.b) || t.b)"}),
    "SOME": (sel(a, where=A.Quantified(a, "=", "ANY", SUB, ("SOME",))),
             dict.fromkeys(("duckdb", "postgres", "mysql"),
                           "SELECT t.a FROM t WHERE (t.a = SOME (SELECT u.a FROM u))")),
    "ISNULL": (sel(a, where=A.Binary("OR", A.IsNull(a, False, ("ISNULL",)),
                                     A.IsNull(b, True, ("ISNULL",)))),
               dict.fromkeys(("sqlite", "duckdb", "postgres"),
                             "SELECT t.a FROM t WHERE ((t.a ISNULL) OR (t.b NOTNULL))")),
    "LIMIT COMMA": (spelled(sel(a, order_by=(A.OrderItem(a),), limit=2, offset=1), "LIMIT COMMA"),
                    dict.fromkeys(("sqlite", "mysql"),
                                  "SELECT t.a FROM t ORDER BY t.a LIMIT 1, 2")),
    "LIMIT ALL": (spelled(sel(a, order_by=(A.OrderItem(a),), offset=1), "LIMIT ALL"),
                  {"postgres": "SELECT t.a FROM t ORDER BY t.a LIMIT ALL OFFSET 1"}),
    "FROM DUAL": (spelled(A.Select((A.SelectItem(ONE, "c0"),)), "FROM DUAL"),
                  {"mysql": "SELECT 1 AS c0 FROM DUAL"}),
    "IF NOT EXISTS": (spelled(TABLE, "IF NOT EXISTS"), {
        **dict.fromkeys(("sqlite", "duckdb", "postgres"),
                        "CREATE TABLE IF NOT EXISTS w (k INTEGER PRIMARY KEY,"
                        " v INTEGER UNIQUE CHECK ((v > 0)))"),
        "mysql": "CREATE TABLE IF NOT EXISTS w (k INT PRIMARY KEY, v INT UNIQUE CHECK ((v > 0)))",
    }),
    "CONSTRAINT NAME": (spelled(TABLE, "CONSTRAINT NAME"), {
        **dict.fromkeys(("sqlite", "duckdb", "postgres"),
                        "CREATE TABLE w (k INTEGER PRIMARY KEY, v INTEGER,"
                        " CONSTRAINT w_k0 UNIQUE (v), CONSTRAINT w_k1 CHECK ((v > 0)))"),
        "mysql": "CREATE TABLE w (k INT PRIMARY KEY, v INT,"
                 " CONSTRAINT w_k0 UNIQUE (v), CONSTRAINT w_k1 CHECK ((v > 0)))",
    }),
    "TABLE UNIQUE": (spelled(TABLE, "TABLE UNIQUE"), {
        **dict.fromkeys(("sqlite", "duckdb", "postgres"),
                        "CREATE TABLE w (k INTEGER PRIMARY KEY, v INTEGER CHECK ((v > 0)),"
                        " UNIQUE (v))"),
        "mysql": "CREATE TABLE w (k INT PRIMARY KEY, v INT CHECK ((v > 0)), UNIQUE (v))",
    }),
    "TABLE CHECK": (spelled(TABLE, "TABLE CHECK"), {
        **dict.fromkeys(("sqlite", "duckdb", "postgres"),
                        "CREATE TABLE w (k INTEGER PRIMARY KEY, v INTEGER UNIQUE,"
                        " CHECK ((v > 0)))"),
        "mysql": "CREATE TABLE w (k INT PRIMARY KEY, v INT UNIQUE, CHECK ((v > 0)))",
    }),
    "INDEX IF NOT EXISTS": (
        spelled(A.CreateIndex("tx", "t", (A.ColumnRef(None, "a"),)), "IF NOT EXISTS"),
        dict.fromkeys(ALL, "CREATE INDEX IF NOT EXISTS tx ON t (a)"),
    ),
    "RETURNING": (spelled(A.Delete("u", A.Binary(">", A.ColumnRef(None, "a"), TWO)), "RETURNING"),
                  dict.fromkeys(ALL, "DELETE FROM u WHERE (a > 2) RETURNING *")),
    "INSERT RETURNING": (A.Insert("u", ("a",), ((TWO,),), spellings=("RETURNING",)),
                         dict.fromkeys(ALL, "INSERT INTO u (a) VALUES (2) RETURNING *")),
    "TEMPORARY VIEW": (spelled(A.CreateView("tv", sel(a), ("x",)), "TEMPORARY VIEW"),
                       dict.fromkeys(("sqlite", "postgres"),
                                     "CREATE TEMPORARY VIEW tv (x) AS SELECT t.a FROM t")),
}  # fmt: skip

CASES = [
    pytest.param(node, dialect, sql, id=f"{name}-{dialect}", marks=MARKS.get(dialect, []))
    for name, (node, by_dialect) in GOLDEN.items()
    for dialect, sql in by_dialect.items()
]


@pytest.mark.parametrize(("node", "dialect", "expected"), CASES)
def test_each_spelling_renders_exactly_so_and_parses(node, dialect: str, expected: str) -> None:
    assert render(node, dialect) == expected
    grammar.parser(dialect).parse(expected)


@pytest.mark.parametrize(("name", "dialect"), [
    (name, d) for name, (_, by_dialect) in GOLDEN.items() for d in ALL if d not in by_dialect
])  # fmt: skip
def test_a_dialect_without_the_spelling_writes_the_plain_form(name: str, dialect: str) -> None:
    node = GOLDEN[name][0]
    plain = _strip(node)
    assert render(node, dialect) == render(plain, dialect)


SETUP = (
    "CREATE TABLE t (a INTEGER, b INTEGER)",
    "CREATE TABLE u (a INTEGER, b INTEGER)",
    "INSERT INTO t (a, b) VALUES (1, 2), (1, 3), (2, NULL), (NULL, 1)",
    "INSERT INTO u (a, b) VALUES (1, 1), (2, 2), (3, 3)",
)


@pytest.fixture(scope="module")
def engines():
    opened: dict[str, Engine] = {}
    yield opened
    for e in opened.values():
        e.close()


@pytest.mark.parametrize(("node", "dialect", "expected"), CASES)
def test_each_spelling_runs_on_its_real_engine(engines, node, dialect: str, expected) -> None:
    engine = engines.get(dialect)
    if engine is None:
        engine = engines[dialect] = open_engine(dialect)
    engine.reset()  # a DELETE, a CREATE: each case on the same fresh tables
    for sql in SETUP:
        assert engine.execute(sql).ok, sql
    outcome = engine.execute(expected)
    assert outcome.ok, f"{expected}\n-> {outcome.message}"


@pytest.mark.parametrize("dialect", ALL)
def test_the_generator_writes_every_spelling_its_dialect_declares(dialect: str) -> None:
    seen: set[str] = set()
    for seed in range(30):  # a DELETE (RETURNING) is in one state of three
        g = Generator(dialect, seed, Options(weights={"spelling": 4, "no_from": 3}))
        for node in [*g.database(), *(g.query() for _ in range(30 if seed < 8 else 0))]:
            seen.update(s for n in _walk(node) for s in getattr(n, "spellings", ()))
    assert set(get(dialect).capabilities.spellings) <= seen


@pytest.mark.parametrize("dialect", ALL)
def test_spellings_move_nothing_else_a_seed_generates(dialect: str) -> None:
    """Spellings draw from their own stream: with them or without, the same trees."""
    with_, without = (Generator(dialect, 7, Options(weights={"spelling": w})) for w in (3, 0))
    assert [_strip(s) for s in with_.database()] == without.database()
    for _ in range(30):
        assert _strip(with_.query()) == without.query()


def _walk(node: Any) -> Any:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple | list):
            stack.extend(n)
        elif dataclasses.is_dataclass(n) and not isinstance(n, type | A.SQLType):
            yield n
            stack.extend(getattr(n, f.name) for f in dataclasses.fields(n))


def _strip(node: Any) -> Any:
    """The node with every spelling taken off (and unary + back to the - it stands for)."""
    if isinstance(node, tuple):
        return tuple(_strip(n) for n in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, type | A.SQLType):
        return node
    changes = {f.name: _strip(getattr(node, f.name)) for f in dataclasses.fields(node)}
    if "spellings" in changes:
        changes["spellings"] = ()
    if isinstance(node, A.Unary) and node.op == "+":
        changes["op"] = "-"
    return dataclasses.replace(node, **changes)
