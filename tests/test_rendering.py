"""Golden renderings: the exact SQL each dialect writes for a handful of constructs.

The renderer is the one place a dialect's spelling lives; these pin it as sqlglot's per-dialect
tests do, for the constructs the generator emits in that dialect (a dialect is listed under a
construct only when its capabilities let the generator write it).
"""

from __future__ import annotations

import pytest

from fuzzer import ast as A
from fuzzer.dialects import render

a, b, s = A.ColumnRef("t", "a"), A.ColumnRef("t", "b"), A.ColumnRef(None, "s")
one = A.Select((A.SelectItem(A.Literal(1, A.INTEGER)),))
c0, c1, c2 = (A.ColumnRef(None, f"c{i}") for i in range(3))

#: construct -> (tree, {dialect: the SQL it renders})
GOLDEN: dict[str, tuple[object, dict[str, str]]] = {
    "string_agg": (
        A.Aggregate("STRING_AGG", (s, A.Literal(",", A.TEXT)), True, None, (A.OrderItem(s, True),)),
        {
            "sqlite": "GROUP_CONCAT(DISTINCT s)",
            "duckdb": "STRING_AGG(DISTINCT s, ',' ORDER BY s DESC)",
            "postgres": "STRING_AGG(DISTINCT s, ',' ORDER BY s DESC)",
            "mysql": "GROUP_CONCAT(DISTINCT s ORDER BY s DESC SEPARATOR ',')",
        },
    ),
    "aggregate_filter": (
        A.Aggregate("COUNT", (), filter=A.Binary(">", a, A.Literal(0, A.INTEGER))),
        {
            "sqlite": "COUNT(*) FILTER (WHERE (t.a > 0))",
            "duckdb": "COUNT(*) FILTER (WHERE (t.a > 0))",
            "postgres": "COUNT(*) FILTER (WHERE (t.a > 0))",
        },
    ),
    "is_not_unknown": (
        A.IsTruth(A.Binary("=", a, b), None, negated=True),
        {
            "sqlite": "((t.a = t.b) IS NOT NULL)",
            "duckdb": "((t.a = t.b) IS NOT UNKNOWN)",
            "postgres": "((t.a = t.b) IS NOT UNKNOWN)",
            "mysql": "((t.a = t.b) IS NOT UNKNOWN)",
        },
    ),
    "not_regexp": (
        A.Like(s, A.Literal("^a.", A.TEXT), "REGEXP", negated=True),
        {
            "duckdb": "(NOT REGEXP_MATCHES(s, '^a.'))",
            "postgres": "(s !~ '^a.')",
            "mysql": "(s NOT REGEXP '^a.')",
        },
    ),
    "concat_with_escapes": (
        A.Binary("||", s, A.Literal("it's \\", A.TEXT)),
        {
            "sqlite": "(s || 'it''s \\')",
            "duckdb": "(s || 'it''s \\')",
            "postgres": "(s || 'it''s \\')",
            "mysql": "CONCAT(s, 'it''s \\\\')",
        },
    ),
    "cast": (
        A.Cast(a, A.BIGINT),
        {
            "sqlite": "CAST(t.a AS BIGINT)",
            "duckdb": "CAST(t.a AS BIGINT)",
            "postgres": "CAST(t.a AS BIGINT)",
            "mysql": "CAST(t.a AS SIGNED)",
        },
    ),
    "typed_null": (
        A.Literal(None, A.TIMESTAMP),
        {
            "sqlite": "CAST(NULL AS TIMESTAMP)",
            "duckdb": "CAST(NULL AS TIMESTAMP)",
            "postgres": "CAST(NULL AS TIMESTAMP)",
            "mysql": "CAST(NULL AS DATETIME)",
        },
    ),
    "date_literal": (
        A.Literal("2000-02-29", A.DATE),
        {
            "sqlite": "'2000-02-29'",
            "duckdb": "DATE '2000-02-29'",
            "postgres": "DATE '2000-02-29'",
            "mysql": "DATE '2000-02-29'",
        },
    ),
    "blob_literal": (
        A.Literal(b"\x00\xff", A.BLOB),
        {
            "sqlite": "X'00FF'",
            "duckdb": "X'00FF'",
            "postgres": "CAST('\\x00ff' AS BYTEA)",
            "mysql": "X'00FF'",
        },
    ),
    "negative_zero": (
        A.Literal(-0.0, A.DOUBLE),
        {
            "sqlite": "CAST('-0' AS DOUBLE)",
            "duckdb": "CAST('-0' AS DOUBLE)",
            "postgres": "CAST('-0' AS DOUBLE PRECISION)",
            "mysql": "-0e0",
        },
    ),
    "portable_functions": (
        A.Func("GREATEST", (A.Func("LENGTH", (s,)), A.Func("YEAR", (A.ColumnRef(None, "d"),)))),
        {
            "sqlite": "MAX(LENGTH(s), CAST(STRFTIME('%Y', d) AS INTEGER))",
            "duckdb": "GREATEST(LENGTH(s), EXTRACT(YEAR FROM d))",
            "postgres": "GREATEST(LENGTH(s), CAST(EXTRACT(YEAR FROM d) AS INTEGER))",
            "mysql": "GREATEST(CHAR_LENGTH(s), YEAR(d))",
        },
    ),
    "json_text": (
        A.Func("JSON_TEXT", (A.ColumnRef(None, "j"), A.Literal("a", A.TEXT))),
        {
            "duckdb": "JSON_EXTRACT_STRING(j, '$.a')",
            "postgres": "(j ->> 'a')",
            "mysql": "JSON_UNQUOTE(JSON_EXTRACT(j, '$.a'))",
        },
    ),
    "window_frame": (
        A.Window(
            A.Func("LAG", (a,)),
            (b,),
            (A.OrderItem(a, True),),
            A.Frame("ROWS", "1 PRECEDING", "CURRENT ROW"),
        ),
        dict.fromkeys(
            ("sqlite", "duckdb", "postgres", "mysql"),
            "LAG(t.a) OVER (PARTITION BY t.b ORDER BY t.a DESC"
            " ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)",
        ),
    ),
    "nulls_last": (
        A.Select((A.SelectItem(a),), order_by=(A.OrderItem(a, False, "LAST"),)),
        dict.fromkeys(("sqlite", "duckdb", "postgres"), "SELECT t.a ORDER BY t.a NULLS LAST"),
    ),
    "set_operation_with_tail": (
        A.SetOp("EXCEPT", one, one, order_by=(A.OrderItem(A.Literal(1, A.INTEGER)),), limit=1),
        {
            "sqlite": "SELECT 1 EXCEPT SELECT 1 ORDER BY 1 LIMIT 1",
            "duckdb": "(SELECT 1) EXCEPT (SELECT 1) ORDER BY 1 LIMIT 1",
            "postgres": "(SELECT 1) EXCEPT (SELECT 1) ORDER BY 1 LIMIT 1",
            "mysql": "(SELECT 1) EXCEPT (SELECT 1) ORDER BY 1 LIMIT 1",
        },
    ),
    "natural_join": (
        A.Select(
            (A.SelectItem(A.Star()),),
            (A.Join("LEFT", A.TableRef("t0", "x"), A.TableRef("t1"), natural=True),),
        ),
        dict.fromkeys(
            ("sqlite", "duckdb", "postgres", "mysql"), "SELECT * FROM t0 AS x NATURAL LEFT JOIN t1"
        ),
    ),
    "lateral_join": (
        A.Select(
            (A.SelectItem(A.Star()),),
            (
                A.Join(
                    "LEFT",
                    A.TableRef("t0", "x"),
                    A.DerivedTable(one, "y", lateral=True),
                    on=A.Literal(True, A.BOOLEAN),
                ),
            ),
        ),
        dict.fromkeys(
            ("duckdb", "postgres"),
            "SELECT * FROM t0 AS x LEFT JOIN LATERAL (SELECT 1) AS y ON TRUE",
        ),
    ),
    "create_table": (
        A.CreateTable(
            "t1",
            (
                A.ColumnDef("c0", A.INTEGER, primary_key=True),
                A.ColumnDef(
                    "c1", A.varchar(16), not_null=True, default=A.Literal("a", A.varchar(16))
                ),
                A.ColumnDef("c2", A.DOUBLE, check=A.Binary("<>", c2, A.Literal(1.5, A.DOUBLE))),
            ),
        ),
        {
            "sqlite": "CREATE TABLE t1 (c0 INTEGER PRIMARY KEY, c1 VARCHAR(16) NOT NULL"
            " DEFAULT 'a', c2 DOUBLE CHECK ((c2 <> 1.5)))",
            "duckdb": "CREATE TABLE t1 (c0 INTEGER PRIMARY KEY, c1 VARCHAR(16) NOT NULL"
            " DEFAULT 'a', c2 DOUBLE CHECK ((c2 <> 1.5)))",
            "postgres": "CREATE TABLE t1 (c0 INTEGER PRIMARY KEY, c1 VARCHAR(16) NOT NULL"
            " DEFAULT 'a', c2 DOUBLE PRECISION CHECK ((c2 <> 1.5)))",
            "mysql": "CREATE TABLE t1 (c0 INT PRIMARY KEY, c1 VARCHAR(16) NOT NULL"
            " DEFAULT 'a', c2 DOUBLE CHECK ((c2 <> 1.5)))",
        },
    ),
    "expression_index": (
        A.CreateIndex("i1", "t1", (c0, A.Func("LOWER", (c1,)))),
        dict.fromkeys(("sqlite", "duckdb", "postgres"), "CREATE INDEX i1 ON t1 (c0, (LOWER(c1)))"),
    ),
    "partial_unique_index": (
        A.CreateIndex("i1", "t1", (c0,), True, A.IsNull(c2, negated=True)),
        dict.fromkeys(
            ("sqlite", "postgres"), "CREATE UNIQUE INDEX i1 ON t1 (c0) WHERE (c2 IS NOT NULL)"
        ),
    ),
}

CASES = [
    pytest.param(node, dialect, sql, id=f"{name}-{dialect}")
    for name, (node, by_dialect) in GOLDEN.items()
    for dialect, sql in by_dialect.items()
]


@pytest.mark.parametrize(("node", "dialect", "expected"), CASES)
def test_each_dialect_spells_the_construct_exactly_so(node, dialect: str, expected: str) -> None:
    assert render(node, dialect) == expected
