"""The generator and the renderers, without engines: determinism, options, literals, API."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal

import pytest
from click.testing import CliRunner

from fuzzer import ast as A
from fuzzer.cli import cli
from fuzzer.dialects import DIALECTS, get, render
from fuzzer.dialects.catalog import UNTYPED
from fuzzer.generator import Generator, Options, features


def script(dialect: str, seed: int, n: int = 30, options: Options | None = None) -> list[str]:
    g = Generator(dialect, seed, options)
    return [g.render(s) for s in g.database()] + [g.render(g.query()) for _ in range(n)]

#: the dialects whose catalogs name SQL types
SQL_CATALOGS = tuple(d for d in DIALECTS if d != "datafusion")


def walk(node):
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (tuple, list)):
            stack.extend(n)
        elif dataclasses.is_dataclass(n) and not isinstance(n, A.SQLType):
            yield n
            stack.extend(getattr(n, f.name) for f in dataclasses.fields(n))


# -- determinism -------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_same_seed_same_sql(dialect: str) -> None:
    assert script(dialect, 42) == script(dialect, 42)
    assert script(dialect, 42) != script(dialect, 43)


def test_fuzz_generate_prints_script_and_queries() -> None:
    args = ["generate", "--dialect", "postgres", "--seed", "5", "-n", "7"]
    first = CliRunner().invoke(cli, args)
    second = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    lines = first.output.splitlines()
    assert lines[0].startswith(("CREATE TABLE ", "CREATE TYPE ", "SET "))  # a state begins so
    assert all(line.endswith(";") for line in lines)
    queries = ("SELECT", "WITH", "(", "VALUES", "TABLE")
    assert sum(line.startswith(queries) for line in lines) >= 7
    assert lines == [s + ";" for s in script("postgres", 5, 7, Options(max_depth=3))]


# -- options -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_deterministic_limits_only_under_a_total_order(dialect: str) -> None:
    g = Generator(dialect, 3, Options(deterministic=True, weights={"limit": 3, "order_by": 2}))
    g.database()
    limited = 0
    for _ in range(300):
        for node in walk(g.query()):
            if isinstance(node, (A.Select, A.SetOp)) and node.limit is not None:
                limited += 1
                if node.fetch == "WITH TIES":  # every row tying with the last one: no choice
                    assert node.offset is None
                    continue
                if isinstance(node.order_by[0].expr, A.AllColumns):  # ORDER BY ALL
                    continue
                items = _items(node)
                positions = sorted(o.expr.value for o in node.order_by)
                if any(isinstance(i.expr, A.Star) for i in items):  # * EXCLUDE: its columns
                    assert positions == list(range(1, len(positions) + 1))
                    continue
                assert positions == list(range(1, len(items) + 1))
            if isinstance(node, A.Window):
                assert node.function.name not in ("ROW_NUMBER", "LAG", "LEAD", "FIRST_VALUE")
                assert node.frame is None or node.frame.unit != "ROWS"
    assert limited > 10


def _items(q: A.Query) -> tuple:
    while not isinstance(q, A.Select):
        q = q.left if isinstance(q, A.SetOp) else q.body
    return q.items


def test_portable_uses_only_int_and_text_without_casts_or_division() -> None:
    g = Generator("postgres", 9, Options(portable=True))
    statements = g.database()
    kinds = {c.type.kind for s in statements if isinstance(s, A.CreateTable) for c in s.columns}
    assert kinds <= {"smallint", "integer", "bigint", "text", "varchar", "char"}
    for _ in range(200):
        for node in walk(g.query()):
            assert not isinstance(node, (A.Cast, A.Like, A.Quantified))
            assert not (isinstance(node, A.Binary) and node.op == "/")
            assert not (isinstance(node, A.Aggregate) and node.name == "AVG")


def test_weights_switch_features_off() -> None:
    off = {"join": 0, "comma_join": 0, "set_op": 0, "with": 0, "recursive": 0, "subquery": 0}
    g = Generator("sqlite", 1, Options(weights=off))
    g.database()
    for _ in range(100):
        found = features(g.query(), detailed=True)
        assert not found & {"Join", "SetOp", "With", "Exists", "InQuery", "ScalarQuery"}


# -- API for the oracles -------------------------------------------------------------------------


def test_base_select_and_predicate_compose() -> None:
    g = Generator("duckdb", 11)
    g.database()
    select, scope = g.base_select()
    assert select.where is None and not select.group_by and select.from_
    where = g.predicate(scope)
    sql = g.render(dataclasses.replace(select, where=where))
    assert " WHERE " in sql
    names = {(c.table, c.name) for c in scope.columns}
    wheres = [where] + [g.predicate(scope) for _ in range(4)]  # one may be about constants
    refs = {(n.table, n.name) for w in wheres for n in walk(w) if isinstance(n, A.ColumnRef)}
    assert refs & names


def test_query_needs_a_schema() -> None:
    with pytest.raises(ValueError, match="schema is empty"):
        Generator("sqlite", 1).query()


def test_features_name_constructs_not_values() -> None:
    q = A.Select(
        (A.SelectItem(A.Aggregate("COUNT", (), distinct=False)),),
        (A.Join("LEFT", A.TableRef("t0", "a"), A.TableRef("t1", "b"), A.Literal(True, A.BOOLEAN)),),
        where=A.Like(A.ColumnRef("a", "c0"), A.Literal("x%", A.TEXT), "ILIKE", negated=True),
    )
    found = features(q, detailed=True)
    assert {"Select", "Join:LEFT", "Aggregate:COUNT", "Like:ILIKE", "Like:negated"} <= found
    assert not any("x%" in f or "t0" in f for f in found)


# -- rendering -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "value", "type_", "expected"),
    [
        ("postgres", "it's", A.TEXT, "'it''s'"),
        ("mysql", "back\\slash 'q'", A.TEXT, "'back\\\\slash ''q'''"),
        ("sqlite", "back\\slash", A.TEXT, "'back\\slash'"),
        ("postgres", "Ünï 🙂 ", A.TEXT, "'Ünï 🙂 '"),
        ("postgres", float("nan"), A.DOUBLE, "CAST('NaN' AS DOUBLE PRECISION)"),
        ("duckdb", float("-inf"), A.REAL, "CAST('-Infinity' AS REAL)"),
        ("postgres", -0.0, A.DOUBLE, "CAST('-0' AS DOUBLE PRECISION)"),
        ("mysql", -0.0, A.DOUBLE, "-0e0"),
        ("sqlite", -(2**63), A.BIGINT, "-9223372036854775808"),
        ("postgres", Decimal("-99999999.99"), A.numeric(10, 2), "-99999999.99"),
        ("postgres", None, A.INTEGER, "CAST(NULL AS INTEGER)"),
        ("mysql", None, A.INTEGER, "CAST(NULL AS SIGNED)"),
        ("postgres", None, A.NULLTYPE, "NULL"),
        ("sqlite", "2000-01-01", A.DATE, "'2000-01-01'"),
        ("duckdb", "2000-01-01", A.DATE, "DATE '2000-01-01'"),
        ("postgres", b"\x00\xff", A.BLOB, "CAST('\\x00ff' AS BYTEA)"),
        ("mysql", b"\x00\xff", A.BLOB, "X'00FF'"),
        ("mysql", True, A.BOOLEAN, "TRUE"),
    ],
)
def test_literals_render_exactly(dialect: str, value, type_, expected: str) -> None:
    assert render(A.Literal(value, type_), dialect) == expected


def test_nan_and_infinity_only_where_the_type_allows() -> None:
    for dialect in DIALECTS:
        g = Generator(dialect, 0, Options(edge_values=1.0))
        values = [g.values.value(A.DOUBLE) for _ in range(200)]
        has_special = any(math.isnan(v) or math.isinf(v) for v in values)
        assert has_special == get(dialect).capabilities.float_specials


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("postgres", '("select" || a.b)'),
        ("mysql", "CONCAT(`select`, a.b)"),
        ("sqlite", '("select" || a.b)'),
    ],
)
def test_identifiers_quoted_only_when_needed(dialect: str, expected: str) -> None:
    node = A.Binary("||", A.ColumnRef(None, "select"), A.ColumnRef("a", "b"))
    assert render(node, dialect) == expected


def test_is_distinct_from_per_dialect() -> None:
    node = A.IsDistinctFrom(A.ColumnRef(None, "a"), A.ColumnRef(None, "b"))
    assert render(node, "postgres") == "(a IS DISTINCT FROM b)"
    assert render(node, "mysql") == "(NOT (a <=> b))"


def test_sqlite_set_operands_are_not_parenthesised() -> None:
    one = A.Select((A.SelectItem(A.Literal(1, A.INTEGER)),))
    node = A.SetOp("UNION", one, one, all=True)
    assert render(node, "sqlite") == "SELECT 1 UNION ALL SELECT 1"
    assert render(node, "postgres") == "SELECT 1 UNION ALL (SELECT 1)"


def test_a_set_operation_begins_with_its_select_keyword_unless_intersect_binds_tighter() -> None:
    """A nested query must begin with SELECT (or WITH) to parse as a subquery; the first
    operand keeps its parentheses only where INTERSECT would otherwise take it apart."""
    one, two = (A.Select((A.SelectItem(A.Literal(n, A.INTEGER)),)) for n in (1, 2))
    union = A.SetOp("UNION", one, two)
    assert render(A.SetOp("EXCEPT", union, one), "postgres") == (
        "SELECT 1 UNION (SELECT 2) EXCEPT (SELECT 1)"
    )
    assert render(A.SetOp("INTERSECT", union, one), "postgres") == (
        "(SELECT 1 UNION (SELECT 2)) INTERSECT (SELECT 1)"
    )
    both = A.SetOp("INTERSECT", one, two)
    assert render(A.SetOp("UNION", both, one), "duckdb") == (
        "SELECT 1 INTERSECT (SELECT 2) UNION (SELECT 1)"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("integer", A.INTEGER),
        ("int(11)", A.INTEGER),
        ("tinyint(1)", A.BOOLEAN),
        ("character varying(16)", A.varchar(16)),
        ("numeric(10,2)", A.numeric(10, 2)),
        ("DECIMAL(18, 4)", A.numeric(18, 4)),
        ("double precision", A.DOUBLE),
        ("timestamp without time zone", A.TIMESTAMP),
        ("timestamp with time zone", A.TIMESTAMPTZ),
        ("integer[]", A.array(A.INTEGER)),
        ("character varying(16)[]", A.array(A.varchar(16))),
        ("datetime", A.TIMESTAMP),
        ("bytea", A.BLOB),
        ("jsonb", A.JSON),
        ("geometry", None),
        ("interval", A.INTERVAL),
        ("interval day to second", A.INTERVAL),
        ("point", None),
        ("mediumint(9)", A.INTEGER),
        ("HUGEINT", A.HUGEINT),
        ("UHUGEINT", A.BIGINT),
        ("INTEGER[]", A.array(A.INTEGER)),
        ("VARCHAR[]", A.array(A.TEXT)),
        ("STRUCT(a INTEGER, b VARCHAR)", A.STRUCT),
        ("STRUCT(a INTEGER)", None),  # a shape the generator does not make
        ("MAP(VARCHAR, INTEGER)", A.MAP),
        ("MAP(INTEGER, VARCHAR)", None),
        ("GEOMETRY[]", None),
        ("uinteger", A.UINTEGER),
        ("int unsigned", A.UINTEGER),
        ("bigint(20) unsigned", A.UBIGINT),
        ("smallint(5) unsigned", A.USMALLINT),
        ("year(4)", A.YEAR),
        ("bit(8)", A.bit(8)),
        ("enum('a','int','date')", A.STRING_ENUM),
        ("set('a','b')", A.SET),
        ("datetime(6)", A.timestamp(6)),
        ("time(3)", A.time(3)),
        ("decimal(65,30)", A.numeric(65, 30)),
    ],
)
def test_catalog_type_names_map_to_logical_types(name: str, expected) -> None:
    # DataFusion's catalog names Arrow types (Int32, Utf8View): test_datafusion.py reads them
    for dialect in SQL_CATALOGS:
        assert get(dialect).parse_type(name) == expected, dialect


def test_only_sqlite_reads_a_column_without_a_declared_type_as_untyped() -> None:
    assert get("sqlite").parse_type("") == UNTYPED
    assert {get(d).parse_type("") for d in DIALECTS if d != "sqlite"} == {None}
