"""Golden renderings: the exact SQL each dialect writes for a handful of constructs.

The renderer is the one place a dialect's spelling lives; these pin it as sqlglot's per-dialect
tests do, for the constructs the generator emits in that dialect (a dialect is listed under a
construct only when its capabilities let the generator write it).
"""

from __future__ import annotations

from decimal import Decimal

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
            "duckdb": "GREATEST(LENGTH(s), YEAR(d))",
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
            "duckdb": "SELECT 1 EXCEPT (SELECT 1) ORDER BY 1 LIMIT 1",
            "postgres": "SELECT 1 EXCEPT (SELECT 1) ORDER BY 1 LIMIT 1",
            "mysql": "SELECT 1 EXCEPT (SELECT 1) ORDER BY 1 LIMIT 1",
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
            " DEFAULT 'a', c2 DOUBLE CHECK ((c2 <> 1.5e0)))",
            "postgres": "CREATE TABLE t1 (c0 INTEGER PRIMARY KEY, c1 VARCHAR(16) NOT NULL"
            " DEFAULT 'a', c2 DOUBLE PRECISION CHECK ((c2 <> CAST(1.5 AS DOUBLE PRECISION))))",
            "mysql": "CREATE TABLE t1 (c0 INT PRIMARY KEY, c1 VARCHAR(16) NOT NULL"
            " DEFAULT 'a', c2 DOUBLE CHECK ((c2 <> 1.5e0)))",
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
    "cast_shorthand": (
        A.Cast(A.Binary("+", a, b), A.TEXT, shorthand=True),
        {"postgres": "(((t.a + t.b))::TEXT)"},
    ),
    "array_literal": (
        A.Literal((1, None), A.array(A.INTEGER)),
        {"postgres": "CAST(ARRAY[1, CAST(NULL AS INTEGER)] AS INTEGER[])"},
    ),
    "timestamptz_literal": (
        A.Literal("2000-01-01 05:30:00+05:30", A.TIMESTAMPTZ),
        {"postgres": "CAST('2000-01-01 05:30:00+05:30' AS TIMESTAMPTZ)"},
    ),
    "ordered_set_aggregate": (
        A.Aggregate("PERCENTILE_CONT", (A.Literal(0.5, A.DOUBLE), a), filter=A.IsNull(b)),
        {"postgres": "PERCENTILE_CONT(CAST(0.5 AS DOUBLE PRECISION)) WITHIN GROUP (ORDER BY t.a)"
                     " FILTER (WHERE (t.b IS NULL))"},
    ),
}


#: database states (issue 10, item 5): table options, partitions, index items, upserts,
#: statistics
k0, n = A.ColumnRef(None, "k0"), A.ColumnRef(None, "n")
STATES = {
    "strict_without_rowid_generated": (
        A.CreateTable(
            "t1",
            (
                A.ColumnDef("k0", A.SMALLINT, primary_key=True),
                A.ColumnDef(
                    "c1",
                    A.numeric(10, 2),
                    default=A.Binary(
                        "+", A.Literal(Decimal("2.50"), A.numeric(10, 2)), A.Literal(0, A.INTEGER)
                    ),
                ),
                A.ColumnDef(
                    "g1",
                    A.BIGINT,
                    generated=A.Generated(A.Binary("*", k0, A.Literal(2, A.INTEGER)), "VIRTUAL"),
                ),
            ),
            options=("WITHOUT ROWID", "STRICT"),
        ),
        {
            "sqlite": "CREATE TABLE t1 (k0 INTEGER PRIMARY KEY, c1 ANY DEFAULT ((2.50 + 0)),"
            " g1 INTEGER GENERATED ALWAYS AS ((k0 * 2)) VIRTUAL) WITHOUT ROWID, STRICT"
        },
    ),
    "foreign_key_engine_partitions": (
        A.CreateTable(
            "t2",
            (
                A.ColumnDef("k0", A.INTEGER, not_null=True),
                A.ColumnDef("c1", A.TEXT, collate="latin1_swedish_ci"),
            ),
            foreign_keys=(A.ForeignKey("k0", "t1", "k0", "SET NULL"),),
            options=("ENGINE=InnoDB",),
            partition_by=A.PartitionBy(
                "RANGE", "k0", (A.Partition("p0", None, A.Literal(3, A.INTEGER)), A.Partition("p1"))
            ),
        ),
        {
            "mysql": "CREATE TABLE t2 (k0 INT NOT NULL, c1 TEXT CHARACTER SET latin1 COLLATE"
            " latin1_swedish_ci, FOREIGN KEY (k0) REFERENCES t1 (k0) ON DELETE SET NULL)"
            " ENGINE=InnoDB PARTITION BY RANGE (k0) (PARTITION p0 VALUES LESS THAN (3),"
            " PARTITION p1 VALUES LESS THAN MAXVALUE)"
        },
    ),
    "partition_of": (
        A.CreatePartition(
            "t2p0", "t2", "RANGE", A.Partition("t2p0", None, A.Literal(3, A.INTEGER))
        ),
        {"postgres": "CREATE TABLE t2p0 PARTITION OF t2 FOR VALUES FROM (MINVALUE) TO (3)"},
    ),
    "hash_partition_of": (
        A.CreatePartition(
            "t2p1",
            "t2",
            "HASH",
            A.Partition("t2p1", A.Literal(1, A.INTEGER), A.Literal(3, A.INTEGER)),
        ),
        {"postgres": "CREATE TABLE t2p1 PARTITION OF t2 FOR VALUES WITH (MODULUS 3, REMAINDER 1)"},
    ),
    "temporary_table_with_options": (
        A.CreateTable(
            "t3",
            (A.ColumnDef("k0", A.INTEGER),),
            persistence="TEMPORARY",
            options=("fillfactor=50",),
        ),
        {"postgres": "CREATE TEMPORARY TABLE t3 (k0 INTEGER) WITH (fillfactor=50)"},
    ),
    "index_items": (
        A.CreateIndex("i1", "t1", (A.IndexItem(c1, True, "NOCASE"), A.IndexItem(k0, False))),
        {"sqlite": "CREATE INDEX i1 ON t1 (c1 COLLATE NOCASE DESC, k0 ASC)"},
    ),
    "index_method": (
        A.CreateIndex("i2", "t1", (A.IndexItem(A.Func("INT8RANGE", (k0,))),), method="gist"),
        {"postgres": "CREATE INDEX i2 ON t1 USING gist ((int8range(k0, k0, '[]')))"},
    ),
    "index_prefix_hash": (
        A.CreateIndex("i3", "t1", (A.IndexItem(c1, prefix=8),), method="HASH"),
        {"mysql": "CREATE INDEX i3 ON t1 (c1(8)) USING HASH"},
    ),
    "upsert_update": (
        A.Insert(
            "t1",
            ("k0", "c1"),
            ((A.Literal(1, A.INTEGER), A.Literal("a", A.TEXT)),),
            A.OnConflict(
                "DO UPDATE",
                ("k0",),
                (("c1", A.Func("COALESCE", (A.Excluded("c1"), A.ColumnRef("t1", "c1")))),),
            ),
        ),
        {
            "sqlite": "INSERT INTO t1 (k0, c1) VALUES (1, 'a') ON CONFLICT (k0) DO UPDATE "
            "SET c1 = COALESCE(excluded.c1, t1.c1)",
            "duckdb": "INSERT INTO t1 (k0, c1) VALUES (1, 'a') ON CONFLICT (k0) DO UPDATE "
            "SET c1 = COALESCE(excluded.c1, t1.c1)",
            "postgres": "INSERT INTO t1 (k0, c1) VALUES (1, 'a') ON CONFLICT (k0) DO UPDATE "
            "SET c1 = COALESCE(excluded.c1, t1.c1)",
        },
    ),
    "upsert_duplicate_key": (
        A.Insert(
            "t1",
            ("k0",),
            ((A.Literal(1, A.INTEGER),),),
            A.OnConflict("ON DUPLICATE KEY UPDATE", (), (("c1", A.Excluded("c1")),)),
        ),
        {"mysql": "INSERT INTO t1 (k0) VALUES (1) ON DUPLICATE KEY UPDATE c1 = VALUES(c1)"},
    ),
    "upsert_or_replace": (
        A.Insert("t1", ("k0",), ((A.Literal(1, A.INTEGER),),), A.OnConflict("OR REPLACE")),
        {
            "sqlite": "INSERT OR REPLACE INTO t1 (k0) VALUES (1)",
            "duckdb": "INSERT OR REPLACE INTO t1 (k0) VALUES (1)",
        },
    ),
    "upsert_ignore": (
        A.Insert("t1", ("k0",), ((A.Literal(1, A.INTEGER),),), A.OnConflict("IGNORE")),
        {"mysql": "INSERT IGNORE INTO t1 (k0) VALUES (1)"},
    ),
    "insert_from_recursive_cte": (
        A.InsertSelect(
            "t1",
            ("k0",),
            A.With(
                (
                    A.CTE(
                        "r",
                        A.SetOp(
                            "UNION",
                            A.Select((A.SelectItem(A.Literal(1, A.INTEGER)),)),
                            A.Select(
                                (A.SelectItem(A.Binary("+", n, A.Literal(1, A.INTEGER))),),
                                (A.TableRef("r"),),
                                where=A.Binary("<", n, A.Literal(100, A.INTEGER)),
                            ),
                            all=True,
                        ),
                        ("n",),
                    ),
                ),
                A.Select(
                    (A.SelectItem(A.Binary("%", n, A.Literal(3, A.INTEGER))),), (A.TableRef("r"),)
                ),
                recursive=True,
            ),
        ),
        {
            "sqlite": "INSERT INTO t1 (k0) WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT "
            "(n + 1) FROM r WHERE (n < 100)) SELECT (n % 3) FROM r",
            "duckdb": "INSERT INTO t1 (k0) WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL "
            "(SELECT (n + 1) FROM r WHERE (n < 100))) SELECT (n % 3) FROM r",
            "postgres": "INSERT INTO t1 (k0) WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL "
            "(SELECT (n + 1) FROM r WHERE (n < 100))) SELECT (n % 3) FROM r",
            "mysql": "INSERT INTO t1 (k0) WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL "
            "(SELECT (n + 1) FROM r WHERE (n < 100))) SELECT (n % 3) FROM r",
        },
    ),
    "analyze_options_columns": (
        A.Analyze("t1", ("k0", "c1"), ("SKIP_LOCKED",)),
        {"postgres": "ANALYZE (SKIP_LOCKED) t1 (k0, c1)", "duckdb": "ANALYZE t1 (k0, c1)"},
    ),
    "analyze_persistent": (
        A.Analyze("t1", ("k0",), ("PERSISTENT",)),
        {"mysql": "ANALYZE TABLE t1 PERSISTENT FOR COLUMNS (k0) INDEXES ALL"},
    ),
    "create_statistics": (
        A.CreateStatistics("s1", "t1", ("k0", "c1"), ("ndistinct", "mcv")),
        {"postgres": "CREATE STATISTICS s1 (ndistinct, mcv) ON k0, c1 FROM t1"},
    ),
    "set_statistics": (
        A.SetStatistics("t1", "k0", target=10),
        {"postgres": "ALTER TABLE t1 ALTER COLUMN k0 SET STATISTICS 10"},
    ),
    "set_n_distinct": (
        A.SetStatistics("t1", "k0", n_distinct=-0.5),
        {"postgres": "ALTER TABLE t1 ALTER COLUMN k0 SET (n_distinct = -0.5)"},
    ),
    "setting": (
        A.Setting("histogram_size", "16"),
        {"sqlite": "PRAGMA histogram_size = 16", "mysql": "SET SESSION histogram_size = 16"},
    ),
}

CASES = [
    pytest.param(node, dialect, sql, id=f"{name}-{dialect}")
    for name, (node, by_dialect) in {**GOLDEN, **STATES}.items()
    for dialect, sql in by_dialect.items()
]


@pytest.mark.parametrize(("node", "dialect", "expected"), CASES)
def test_each_dialect_spells_the_construct_exactly_so(node, dialect: str, expected: str) -> None:
    assert render(node, dialect) == expected


def test_a_query_rendered_again_is_spelled_by_each_dialect_and_as_it_is_now() -> None:
    """The renderer keeps the text of recent queries and relations (a check's probes share
    their host): per dialect, and per node, never for an equal node it was not given."""
    query = A.Select((A.SelectItem(A.Cast(a, A.BIGINT)),), (A.TableRef("t"),))
    for _ in range(2):
        assert render(query, "mysql") == "SELECT CAST(t.a AS SIGNED) FROM t"
        assert render(query, "postgres") == "SELECT CAST(t.a AS BIGINT) FROM t"
    changed = A.Select((A.SelectItem(A.Cast(b, A.BIGINT)),), (A.TableRef("t"),))
    assert render(changed, "mysql") == "SELECT CAST(t.b AS SIGNED) FROM t"
