"""The CODD oracle: a subquery or constant expression replaced by its value keeps the rows.

Pure tests pin what may be replaced (uncorrelated, outside ORDER BY positions, without a
SQLite affinity) and the judge. On the real engines: a user's scalar and IN subqueries are
evaluated alone and written back as literals of their exact type, with the same rows;
generated queries give no finding; a wrong value in place of a subquery is a confirmed
finding that replays alone; and `fuzz check --oracle codd` flags MDEV-36389 (corpus/known-bugs,
open on the MariaDB 10.11 server here), where a NOT IN subquery loses its row.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ENGINE_URLS, open_engine

from fuzzer import ast
from fuzzer.dialects import get
from fuzzer.engines import Column, Rows
from fuzzer.generator import Generator, Options
from fuzzer.schema import Column as SchemaColumn
from fuzzer.schema import Schema, Table
from oracles import oracle_class
from oracles.base import Context, Probe, Skip
from oracles.codd import (
    CODD,
    EVALUATE,
    EVALUATION,
    Pending,
    _reads_a_year,
    candidates,
    judge_substitution,
    judge_wrapped,
)
from oracles.pipeline import Pipeline, Setup

ENGINES = ["sqlite", "duckdb", "postgres", "mysql"]

T0 = ast.TableRef("t0", "a0")
C0 = ast.ColumnRef("a0", "c0")
ONE = ast.Literal(1, ast.INTEGER)


def _select(where: ast.Expr, *, order: ast.Expr | None = None) -> ast.Select:
    items = (ast.SelectItem(C0),)
    order_by = (ast.OrderItem(order),) if order is not None else ()
    return ast.Select(items, (T0,), where=where, order_by=order_by)


def _sub(item: ast.Expr, table: str = "a1") -> ast.Query:
    return ast.Select((ast.SelectItem(item),), (ast.TableRef("t1", table),))


def test_uncorrelated_subqueries_and_constant_expressions_are_candidates() -> None:
    scalar = ast.ScalarQuery(_sub(ast.Aggregate("MAX", (ast.ColumnRef("a1", "c0"),))))
    inside = ast.InQuery(C0, _sub(ast.Binary("+", ast.ColumnRef("a1", "c0"), ONE)))
    constant = ast.Binary("+", ONE, ast.Binary("*", ONE, ONE))
    where = ast.Binary("AND", ast.Binary("=", C0, scalar),
                       ast.Binary("AND", inside, ast.Binary(">", C0, constant)))  # fmt: skip
    found = [(k, n) for k, n in candidates(_select(where), "postgres") if k != "literal"]
    assert found == [("scalar", scalar), ("in", inside), ("constant", constant)]


def test_typed_literals_outside_function_arguments_are_wrapped_in_a_subquery() -> None:
    text = ast.Literal("a", ast.TEXT)
    date = ast.Literal("2000-01-01", ast.DATE)
    call = ast.Func("ABS", (ONE,))
    where = ast.Binary(
        "AND",
        ast.Binary("=", C0, call),
        ast.Binary("AND", ast.Binary("=", C0, text), ast.Binary("<", C0, date)),
    )
    query = _select(where)
    assert [n for k, n in candidates(query, "postgres") if k == "literal"] == [date]
    assert [n for k, n in candidates(query, "sqlite") if k == "literal"] == [text, date]
    probe = CODD(Context("sqlite"))._wrapped(query, date)
    assert probe.variant == "literal" and probe.queries[0] != probe.queries[1]
    spelled = get("sqlite").render(date)
    assert probe.queries[1] == probe.queries[0].replace(spelled, f"(SELECT {spelled})")


def test_correlated_subqueries_and_order_by_positions_are_not() -> None:
    correlated = ast.ScalarQuery(_sub(C0))  # a0 is the outer query's
    constant = ast.Binary("+", ONE, ONE)
    query = _select(ast.Binary("=", C0, correlated), order=constant)
    # only the literals inside 1 + 1: an expression, where `1` alone would be a position
    assert [k for k, _ in candidates(query, "postgres")] == ["literal", "literal"]


def test_sqlite_replaces_only_what_has_no_affinity() -> None:
    column = ast.ScalarQuery(_sub(ast.ColumnRef("a1", "c0")))
    computed = ast.ScalarQuery(_sub(ast.Aggregate("MAX", (ast.ColumnRef("a1", "c0"),))))
    cast = ast.Cast(ast.Binary("+", ONE, ONE), ast.TEXT)
    where = ast.Binary(
        "AND",
        ast.Binary("=", C0, column),
        ast.Binary("AND", ast.Binary("=", C0, computed), ast.Binary("=", C0, cast)),
    )
    # the CAST's operand has no affinity of its own: it may be replaced inside the CAST
    assert [n for _, n in candidates(_select(where), "sqlite")] == [computed, cast.operand]
    assert len(candidates(_select(where), "postgres")) == 3


def test_on_mariadb_a_subquery_with_rollup_is_not_evaluated_alone() -> None:
    """Its evaluation in a CTE crashed MariaDB 10.11 (signal 11) in a precision run."""
    a1 = ast.ColumnRef("a1", "c0")
    rolled = ast.Select((ast.SelectItem(a1),), (ast.TableRef("t1", "a1"),),
                        group_by=(ast.GroupingSets("ROLLUP", ((a1,),)),))  # fmt: skip
    query = _select(ast.InQuery(C0, rolled))
    assert [k for k, _ in candidates(query, "mysql")] == []
    assert [k for k, _ in candidates(query, "postgres")] == ["in"]


def test_on_mariadb_nothing_with_a_division_or_pi_is_replaced() -> None:
    """MariaDB shows `1/3` as 0.3333 and keeps it so in a CTE, yet `1/3*3` is 1.0000; PI()
    is 3.141593 in a CTE and 3.141592653589793 in place (a false alarm of the first MariaDB
    precision run: COT(PI() + c) against COT(3.141593e0 + c))."""
    third = ast.Binary("/", ONE, ast.Literal(3, ast.INTEGER))
    pi = ast.Binary("+", ast.Func("PI", ()), ONE)
    where = ast.Binary("AND", ast.Binary(">", C0, third), ast.Binary("<", C0, pi))
    assert [k for k, _ in candidates(_select(where), "mysql")] == ["literal"] * 3
    assert [k for k, _ in candidates(_select(where), "postgres")].count("constant") == 2
    sql = "SELECT c0 FROM t0 WHERE c0 > (SELECT 1/3) AND c0 < (PI() + 1) AND c0 <> (1 + 2)"
    evaluated = [p.queries[0] for p in CODD(Context("mysql")).from_text(sql)
                 if p.variant == EVALUATION]  # fmt: skip
    assert len(evaluated) == 1 and "(SELECT (1 + 2))" in evaluated[0]


def test_a_users_constant_expressions_are_evaluated_where_they_are_operands() -> None:
    """The largest parenthesised expressions over constants, in ON terms as anywhere: not a
    column's, a list's, a CAST's (its type gives SQLite an affinity) or a call's argument."""
    sql = ("SELECT t1.c0 FROM t0 AS a JOIN t0 AS b ON a.c1 = b.c1 AND (ABS(-3) < (1 + 1)) "
           "RIGHT JOIN t1 ON (a.c1 = t1.c1) WHERE t1.c0 IN (1, 2) AND t1.c0 > (t1.c1 + 1) "
           "AND t1.c0 < (CAST(2 AS TEXT) || 'a') AND ABS((2 * 3)) > 0")
    evaluated = [p.queries[0] for p in CODD(Context("sqlite")).from_text(sql)
                 if p.variant == EVALUATION]  # fmt: skip
    assert [e.split(" SELECT typeof")[0] for e in evaluated] == [
        "WITH codd_v(v) AS (SELECT (ABS(-3) < (1 + 1)))"
    ]


def test_one_drawn_query_gives_up_to_three_probes_of_its_sub_expressions() -> None:
    """Each a probe of its own, the kind whose turn it is first."""
    generator = Generator("postgres", seed=3)
    generator.database()
    oracle = CODD(Context("postgres"))
    drawn = [oracle.draw(generator, turn) for turn in range(24)]
    assert any(len(probes) > 1 for probes in drawn)
    assert all(len(probes) <= CODD.PER_QUERY for probes in drawn)


def test_a_with_below_the_top_or_a_recursive_ctes_body_is_not_searched() -> None:
    constant = ast.Binary("+", ONE, ONE)
    nested = ast.DerivedTable(ast.With((ast.CTE("t1", _sub(ONE)),), _sub(constant)), "d")
    assert candidates(ast.Select((ast.SelectItem(constant),), (nested,)), "duckdb") == []
    cte = ast.CTE("r", ast.Select((ast.SelectItem(constant),)))
    body = ast.Select((ast.SelectItem(ast.Binary("-", ONE, ONE)),), (ast.TableRef("r"),))
    found = candidates(ast.With((cte,), body, recursive=True), "duckdb")
    assert [n for _, n in found] == [body.items[0].expr]


def _rows(*rows: tuple) -> Rows:
    return Rows((), [tuple(r) for r in rows])


def test_the_judge_compares_multisets_and_an_evaluation_is_never_judged() -> None:
    assert judge_substitution([_rows((1,), (2,)), _rows((2,), (1,))]) is None
    seen = judge_substitution([_rows((1,)), _rows((1,), (1,))])
    assert seen is not None and (seen.expected, seen.actual) == ([[1], [1]], [[1]])
    # the rows with the literal are the expected ones, in either direction
    wrapped = judge_wrapped([_rows((1,)), _rows()])
    assert wrapped is not None and (wrapped.expected, wrapped.actual) == ([[1]], [])
    with pytest.raises(Skip):
        CODD(Context("sqlite")).judge(Probe("codd", EVALUATION, ("q",)), [_rows()])


def _follow(dialect: str, kind: str, result: Rows) -> str:
    pending = Pending(kind, "q", "SELECT x IN (", ")")
    probe = Probe("codd", EVALUATION, ("e",), about=pending)
    after = CODD(Context(dialect)).follow_up(probe, [result])
    assert after is not None and after.queries[0] == "q"
    return after.queries[1]


def test_values_become_literals_of_their_exact_type() -> None:
    pg = _rows(("character", "ab ", None), ("numeric", None, None), ("text", "x", '"C"'))
    assert _follow("postgres", "in", pg) == (
        "SELECT x IN (CAST('ab ' AS bpchar), CAST(NULL AS numeric), "
        "CAST('x' AS text) COLLATE \"C\")"
    )
    decimal = Rows((Column("v", "NEWDECIMAL"),), [(Decimal("0E-4"), "", 0.0)])
    assert _follow("mysql", "scalar", decimal) == "SELECT x IN ((0.0000))"
    single = Rows((Column("v", "FLOAT"),), [(-9.183, "-9.183", -9.182999610900879)])
    assert (
        _follow("mysql", "scalar", single) == "SELECT x IN ((CAST(-9.182999610900879e0 AS FLOAT)))"
    )
    assert _follow("duckdb", "scalar", _rows(('"NULL"', None))) == "SELECT x IN ((NULL))"


@pytest.mark.parametrize(
    ("dialect", "row"),
    [
        ("duckdb", ("ENUM('a', 'b')", "a")),
        ("duckdb", ("INTEGER[]", "[1]")),
        ("postgres", ("bit", "1", None)),
        ("mysql", (b"\x01", "\x01", 1.0)),
    ],
)
def test_a_type_without_an_exact_literal_skips(dialect: str, row: tuple) -> None:
    result = Rows((Column("v", "BIT"),), [row])
    with pytest.raises(Skip):
        _follow(dialect, "scalar", result)


def test_a_mariadb_double_shown_with_fewer_digits_than_it_has_skips() -> None:
    """PI() reads as 3.141593: written back, the query would show all of its digits."""
    shown = Rows((Column("v", "DOUBLE"),), [(3.141593, "3.141593", 3.141592653589793)])
    with pytest.raises(Skip):
        _follow("mysql", "scalar", shown)
    exact = Rows((Column("v", "DOUBLE"),), [(0.1, "0.1", 0.1)])
    assert _follow("mysql", "scalar", exact) == "SELECT x IN ((0.1e0))"


def test_on_mariadb_a_query_reading_a_year_column_keeps_its_literals_and_subqueries() -> None:
    """MariaDB reads the constant 1 compared with a YEAR as 2001, a subquery's 1 as 1."""
    years = Table("t1", [SchemaColumn("c0", ast.YEAR)])
    generator = SimpleNamespace(schema=Schema([years]))
    reading = ast.Select((ast.SelectItem(ONE),), (ast.TableRef("t1", "a1"),))
    assert _reads_a_year(_select(ast.Binary("IN", C0, ast.ScalarQuery(reading))), generator)
    assert not _reads_a_year(_select(ast.Binary("=", C0, ONE)), generator)


def test_an_empty_in_list_or_a_scalar_of_two_rows_skips() -> None:
    with pytest.raises(Skip):
        _follow("sqlite", "in", _rows())
    with pytest.raises(Skip):
        _follow("sqlite", "scalar", _rows(("integer", "1", None), ("integer", "2", None)))


def test_a_string_with_a_nul_character_skips() -> None:
    """SQLite's quote() cuts a string at its NUL: char(3, NULL) would read as char(3)."""
    assert _follow("sqlite", "scalar", _rows(("text", "'a'", "61"))) == "SELECT x IN (('a'))"
    with pytest.raises(Skip):
        _follow("sqlite", "scalar", _rows(("text", "'\x03'", "0300")))


def test_a_users_numbers_and_truth_values_are_wrapped_only_where_they_are_operands() -> None:
    sql = ("SELECT c0, 1 FROM t0 WHERE c0 > 2 AND substr(c1, 3) = 'a' AND (c2 IS TRUE) "
           "OR c0 = TRUE GROUP BY 1 ORDER BY 2")  # fmt: skip
    probes = CODD(Context("postgres")).from_text(sql)
    assert [p.queries[1] for p in probes] == [
        sql.replace("> 2", "> (SELECT 2)"),
        sql.replace("= TRUE", "= (SELECT TRUE)"),
    ]
    assert CODD(Context("postgres")).from_text("SELECT c0 FROM t0 WHERE c0 > 2 LIMIT 1") == []


def test_the_oracle_is_registered_and_in_the_default_rotation() -> None:
    assert oracle_class("codd") is CODD and CODD.by_default


# -- on the engines ------------------------------------------------------------------------

SETUP = (
    "CREATE TABLE t0 (c0 INTEGER, c1 VARCHAR(10), c2 DECIMAL(10, 3))",
    "INSERT INTO t0 VALUES (1, 'a', 1.5), (2, 'b ', NULL), (3, NULL, -2.25), (NULL, 'c', 0)",
)
USER_QUERY = (
    "SELECT t0.c1, t0.c2 * 2 FROM t0 WHERE t0.c0 < (SELECT MAX(t1.c0) FROM t0 AS t1) "
    "AND t0.c0 NOT IN (SELECT t2.c0 + 0 FROM t0 AS t2 WHERE t2.c1 = 'c' OR t2.c0 > 2) "
    "AND t0.c2 <> (SELECT MIN(t3.c2) FROM t0 AS t3 WHERE t3.c0 = t0.c0)"
)


@pytest.mark.parametrize("key", ENGINES)
def test_a_users_subqueries_are_evaluated_then_written_back_with_the_same_rows(key: str) -> None:
    engine = open_engine(key)
    try:
        oracle, pipeline = CODD(Context(engine.dialect)), Pipeline(engine)
        probes = oracle.from_text(USER_QUERY)
        assert [p.variant for p in probes] == [EVALUATION] * 3 + ["literal"] * 3
        assert [p.about.kind for p in probes[:3]] == ["scalar", "in", "scalar"]
        for statement in SETUP:
            engine.execute(statement)
        judged = 0
        for probe in probes:
            checked = pipeline.check(oracle, probe, Setup(SETUP))
            assert checked.finding is None, checked.finding
            judged += checked.judged
        # the third subquery is correlated: it fails alone and is skipped
        assert judged == 5
        (evaluated,) = pipeline.outcomes(oracle, probes[0])[0]
        substituted = oracle.follow_up(probes[0], [evaluated])
        assert "(SELECT MAX" not in substituted.queries[1] and "3" in substituted.queries[1]
    finally:
        engine.close()


@pytest.mark.parametrize("key", ENGINES)
def test_generated_queries_on_a_correct_engine_give_no_finding(key: str) -> None:
    engine = open_engine(key, timeout=10)
    try:
        oracle, pipeline = CODD(Context(engine.dialect)), Pipeline(engine)
        judged = 0
        kinds: set[str] = set()
        for seed in range(4):
            g = Generator(engine.dialect, seed, Options(deterministic=True))
            setup = [g.render(s) for s in g.database()]
            engine.reset()
            for statement in setup:
                engine.execute(statement)
            for turn in range(12):
                for probe in oracle.draw(g, turn):
                    checked = pipeline.check(oracle, probe, Setup(setup))
                    assert checked.finding is None, checked.finding
                    judged += checked.judged
                    kinds.add(probe.variant if probe.variant != EVALUATION else probe.about.kind)
        assert judged >= 6 and {"constant", "literal"} <= kinds
    finally:
        engine.close()


@pytest.mark.parametrize("key", ENGINES)
def test_an_empty_in_subquery_becomes_its_truth_value(key: str) -> None:
    """x NOT IN (an empty subquery) is TRUE for every x, NULL too; an empty list is no SQL."""
    engine = open_engine(key)
    try:
        for statement in SETUP:
            engine.execute(statement)
        t0 = ast.TableRef("t0")
        empty = ast.Select((ast.SelectItem(ast.ColumnRef("t0", "c0")),), (t0,),
                           where=ast.Binary("=", ONE, ast.Literal(2, ast.INTEGER)))  # fmt: skip
        node = ast.InQuery(ast.ColumnRef("a0", "c0"), empty, negated=True)
        query = ast.Select((ast.SelectItem(ast.ColumnRef("a0", "c1")),),
                           (ast.TableRef("t0", "a0"),), where=node)  # fmt: skip
        oracle, pipeline = CODD(Context(engine.dialect)), Pipeline(engine)
        probe = oracle._probe(query, "in", node, collated=False)
        (evaluated,) = pipeline.outcomes(oracle, probe)[0]
        after = oracle.follow_up(probe, [evaluated])
        assert after.queries[1].endswith("WHERE TRUE"), after.queries[1]
        checked = pipeline.check(oracle, probe, Setup(SETUP))
        assert checked.judged and checked.finding is None
    finally:
        engine.close()


def _inner_join_on_false_then_full_join() -> tuple[ast.Query, ast.Literal]:
    false = ast.Literal(False, ast.BOOLEAN)
    inner = ast.Join("INNER", ast.TableRef("t0", "a"), ast.TableRef("t0", "b"), on=false)
    on = ast.Binary("=", ast.ColumnRef("a", "c0"), ast.ColumnRef("c", "c0"))
    full = ast.Join("FULL", inner, ast.TableRef("t0", "c"), on=on)
    return ast.Select((ast.SelectItem(ast.ColumnRef("c", "c0")),), (full,)), false


@pytest.mark.parametrize("key", ["sqlite", "sqlite+apsw"])
def test_a_full_join_after_an_inner_join_on_false_loses_its_rows_on_sqlite_3_40(key: str) -> None:
    """Found by this oracle's first precision run: SQLite 3.40.1 (the system library here)
    returns no row for `t0 JOIN t1 ON FALSE FULL JOIN t2 ON ...`, which must keep every row
    of t2; with `(SELECT FALSE)` they come back. 3.44.0 and 3.54.1 are correct."""
    engine = open_engine(key)
    try:
        for statement in SETUP:
            engine.execute(statement)
        query, false = _inner_join_on_false_then_full_join()
        oracle = CODD(Context("sqlite"))
        probe = oracle._wrapped(query, false)
        assert "(SELECT FALSE)" in probe.queries[1]
        found = Pipeline(engine).check(oracle, probe, Setup(SETUP)).finding
        if engine.version.startswith("3.40."):
            assert found is not None and found.variant == "literal"
            assert (len(found.expected), len(found.actual)) == (0, 4)
        else:
            assert found is None, engine.version
    finally:
        engine.close()


def test_a_wrong_value_in_place_of_a_subquery_is_a_finding_that_replays_alone(sqlite) -> None:
    """A hand-made wrong evaluation (2 where MAX is 3) stands in for an engine bug."""
    query = "SELECT c0 FROM t0 WHERE c0 >= (SELECT MAX(c0) FROM t0)"
    wrong = f"WITH codd_v(v) AS (SELECT 2) SELECT {EVALUATE['sqlite']} FROM codd_v"
    pending = Pending("scalar", query, "SELECT c0 FROM t0 WHERE c0 >= ", "")
    probe = Probe("codd", EVALUATION, (wrong,), about=pending)
    oracle = CODD(Context("sqlite"))
    for statement in SETUP:
        sqlite.execute(statement)
    found = Pipeline(sqlite).check(oracle, probe, Setup(SETUP)).finding
    assert found is not None and found.variant == "scalar"
    assert found.queries == (query, "SELECT c0 FROM t0 WHERE c0 >= (2)")
    assert (found.expected, found.actual) == ([[2], [3]], [[3]])
    assert Pipeline(sqlite).reproduces(oracle, oracle.stored_probe(found), SETUP) is True


@pytest.fixture
def sqlite():
    engine = open_engine("sqlite")
    yield engine
    engine.close()


def fuzz(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fuzzer", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)  # fmt: skip


def test_fuzz_check_flags_the_open_mariadb_not_in_bug(tmp_path: Path) -> None:
    """MDEV-36389: `(BINARY c1) NOT IN (SELECT c1 ...)` loses its row to an index lookup;
    with the FLOAT written back as a literal list the row is there."""
    server = open_engine("mysql")  # skips when the server is down
    version = server.version
    server.close()
    if not version.startswith("10.11."):
        pytest.skip(
            f"MDEV-36389 is checked on MariaDB 10.11 (the corpus case's); this is {version}"
        )
    case = Path(__file__).parent.parent / "corpus/known-bugs/mariadb-not-in-index-lookup-binary.sql"
    checked = fuzz("check", "--json", "--oracle", "codd", "-t", ENGINE_URLS["mysql"],
                   "--store", str(tmp_path / "s.db"), str(case), cwd=tmp_path)  # fmt: skip
    assert checked.returncode == 1, checked.stderr
    (found,) = json.loads(checked.stdout)["findings"]
    assert found["oracle"] == "codd" and found["variant"] == "in"
    assert found["expected"] == [[-9.183]] and found["actual"] == []
