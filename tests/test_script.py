"""Splitting scripts and locating a query's clauses: the text layer of `fuzz check`."""

from __future__ import annotations

import pytest

from fuzzer.script import ScriptError, clauses, features, is_query, split


def test_split_respects_strings_comments_and_dollar_quotes():
    script = (
        "CREATE TABLE t (a TEXT); -- a comment; with a semicolon\n"
        "INSERT INTO t VALUES ('a;b'), ('it''s; fine');\n"
        "/* block; comment */ SELECT $$x;y$$, $tag$;$tag$ FROM t;\n"
        "SELECT `odd;name`, \"also;odd\" FROM t"
    )
    assert split(script) == [
        "CREATE TABLE t (a TEXT)",
        "INSERT INTO t VALUES ('a;b'), ('it''s; fine')",
        "SELECT $$x;y$$, $tag$;$tag$ FROM t",
        'SELECT `odd;name`, "also;odd" FROM t',
    ]


def test_hash_is_a_mysql_comment_but_not_inside_postgresql_operators():
    """pgvector's `<#>` and jsonb's `#>`, `#>>`, `#-` made `fuzz reduce case.sql` read the rest of
    the line as a comment, and the script fell apart."""
    script = (
        "# a MySQL comment; with a semicolon\n"
        "SELECT v <#> '[1,2]' FROM t ORDER BY v <#> '[1,2]' LIMIT 3;\n"
        "SELECT j #> '{a}', j #>> '{a}', j #- '{a}' FROM t; ## a closing remark\n"
    )
    assert split(script) == [
        "SELECT v <#> '[1,2]' FROM t ORDER BY v <#> '[1,2]' LIMIT 3",
        "SELECT j #> '{a}', j #>> '{a}', j #- '{a}' FROM t",
    ]


def test_an_unterminated_string_is_a_script_error():
    with pytest.raises(ScriptError):
        split("SELECT 'oops")


def test_queries_are_told_from_setup():
    assert is_query("select 1") and is_query("WITH x AS (SELECT 1) SELECT * FROM x")
    assert is_query("(SELECT 1) UNION (SELECT 2)")
    assert not is_query("INSERT INTO t SELECT 1") and not is_query("CREATE VIEW v AS SELECT 1")


def test_clauses_ignore_subqueries_and_ctes():
    sql = (
        "WITH x AS (SELECT 1 WHERE 1 = 1) SELECT DISTINCT a, (SELECT max(b) FROM t WHERE b > 1) "
        "FROM t0 JOIN t1 ON t0.a = t1.a WHERE a > 1 AND b IN (SELECT 1 FROM y WHERE z) "
        "GROUP BY a HAVING count(*) > 1 ORDER BY a LIMIT 3"
    )
    c = clauses(sql)
    assert c is not None
    assert c.distinct and c.limited and not c.set_operation
    assert c.text(c.from_) == "t0 JOIN t1 ON t0.a = t1.a"
    assert c.text(c.where) == "a > 1 AND b IN (SELECT 1 FROM y WHERE z)"
    assert c.text(c.group_by) == "a"
    assert c.text(c.having) == "count(*) > 1"
    assert sql[c.tail :] == "ORDER BY a LIMIT 3"
    assert sql[: c.prefix_end] == "WITH x AS (SELECT 1 WHERE 1 = 1) "


def test_single_aggregates_and_set_operations_are_recognised():
    assert clauses("SELECT SUM(x + 1) AS s FROM t WHERE a").single_aggregate == ("SUM", "x + 1")
    assert clauses("SELECT SUM(x), 1 FROM t").single_aggregate is None
    assert clauses("SELECT a FROM t UNION SELECT b FROM u").set_operation
    assert clauses("SELECT DISTINCT ON (a) a FROM t") is None


def test_features_keep_constructs_and_drop_names_and_literals():
    a = features("SELECT t0.c0 FROM t0 WHERE t0.c1 > 5 AND abs(t0.c2) = 'x'")
    b = features("SELECT t9.k FROM other WHERE other.z > 77 AND ABS(q) = 'yy'")
    assert a == b
    assert {"func:abs", "kw:WHERE", "kw:AND", "op:>", "op:="} <= a


def test_a_star_is_all_columns_not_a_product() -> None:
    assert "op:*" not in features("SELECT *, t0.*, COUNT(*), COUNT(DISTINCT *) FROM t0")
    assert "op:*" not in features("SELECT DISTINCT * FROM t0")
    assert "op:*" in features("SELECT c0 * 2 FROM t0") and "op:*" in features("SELECT 2*c0")
