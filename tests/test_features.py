"""bench/features.py: reading the feature checklists, and what counts as seen (no engine runs)."""

from __future__ import annotations

import pytest
from features import (
    ChecklistError,
    Coverage,
    checklist,
    functions_and_operators,
    parse,
)

from fuzzer import ast
from fuzzer.dialects import DIALECTS, get


def test_a_checklist_line_is_a_name_and_a_pattern_and_comments_are_skipped():
    features = parse(
        "# SELECT clauses\n\nselect.qualify   \\bQUALIFY\\b\njoin.semi \\bSEMI\\s+JOIN\\b\n"
    )
    assert [f.name for f in features] == ["select.qualify", "join.semi"]
    assert features[0].seen_in("SELECT a FROM t qualify rank() OVER () = 1")
    assert not features[1].seen_in("SELECT a FROM t JOIN u ON true")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.b  x\na.b  y\n", "x.txt:2: feature a.b is listed twice"),
        ("a.b  (unclosed\n", "a.b: bad pattern"),
        ("lonely.name\n", "needs a name and a pattern"),
    ],
)
def test_a_bad_checklist_line_is_refused_with_its_line(text: str, message: str):
    with pytest.raises(ChecklistError, match=message):
        parse(text, "x.txt")


def test_coverage_counts_each_feature_once_and_lists_the_missing_ones():
    coverage = Coverage(
        parse("a  \\bUNION\\b\nb  \\bINTERSECT\\b\nc  \\bEXCEPT\\b\nd  \\bLATERAL\\b\n")
    )
    coverage.add("SELECT 1 UNION SELECT 2")
    coverage.add("SELECT 1 UNION SELECT 2 EXCEPT SELECT 3")
    assert coverage.share == 0.5
    assert coverage.missing == ["b", "d"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_has_a_checklist_of_its_syntax(dialect: str):
    features = checklist(dialect)
    assert len(features) >= 200
    sections = {f.name.split(".")[0] for f in features}
    expected = {"select", "join", "setop", "with", "subquery", "window", "type", "table", "dml"}
    if get(dialect).capabilities.indexes:
        expected.add("index")
    assert expected <= sections


@pytest.mark.parametrize(
    ("dialect", "name", "sql"),
    [
        ("sqlite", "table.without_rowid", "CREATE TABLE t0 (c0 INT PRIMARY KEY) WITHOUT ROWID"),
        ("sqlite", "from.indexed_by", "SELECT c0 FROM t0 INDEXED BY i0 WHERE c0 > 1"),
        ("sqlite", "subquery.order_by_limit", "SELECT 2 IN (SELECT a FROM t ORDER BY a LIMIT 3)"),
        ("sqlite", "expr.row_value_compare", "SELECT 1 FROM t WHERE (a, b) < (1, 2)"),
        ("duckdb", "select.qualify", "SELECT a FROM t QUALIFY row_number() OVER (ORDER BY a) = 1"),
        ("duckdb", "select.grouping_sets", "SELECT a FROM t GROUP BY GROUPING SETS ((a), ())"),
        ("duckdb", "join.anti", "SELECT * FROM t0 ANTI JOIN t1 ON t0.a = t1.a"),
        ("postgres", "select.distinct_on", "SELECT DISTINCT ON (a) a, b FROM t ORDER BY a, b"),
        ("postgres", "index.brin", "CREATE INDEX i0 ON t0 USING BRIN (c0)"),
        ("postgres", "window.exclude_ties", "SELECT sum(a) OVER (ROWS 1 PRECEDING EXCLUDE TIES)"),
        ("mysql", "select.group_by_with_rollup", "SELECT a FROM t GROUP BY a WITH ROLLUP"),
        ("mysql", "expr.collate_uca1400", "SELECT 'a' = 'A' COLLATE utf8mb4_uca1400_ai_ci"),
        ("mysql", "from.comma_join", "SELECT 1 FROM `t0` AS `a1`, `t1` AS `a2`"),
    ],
)  # fmt: skip
def test_a_checklist_feature_is_seen_in_the_sql_that_has_it(dialect: str, name: str, sql: str):
    feature = {f.name: f for f in checklist(dialect)}[name]
    assert feature.seen_in(sql)


def test_functions_and_operators_are_read_from_the_tree_values_and_names_are_not():
    column = ast.ColumnRef("a1", "c0")
    one = ast.Literal(1, ast.SQLType("int"))
    tree = ast.Binary(
        "AND",
        ast.Between(ast.Func("lower", (column,)), one, one),
        ast.Like(column, ast.Literal("a%", ast.SQLType("text")), op="ILIKE"),
    )
    assert sorted(functions_and_operators(tree)) == ["AND", "Between", "LOWER()", "Like(ILIKE)"]
