"""The dialects' own SELECT clauses (fuzzer/generator/clauses.py): how each dialect spells them,
that its grammar accepts them, that its real engine runs them, and that the generator writes
them (with their weights raised) in SQL the engine accepts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import open_engine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grammar
from fuzzer import ast as A
from fuzzer.dialects import render
from fuzzer.engines import Engine
from fuzzer.errors import ErrorCategory
from fuzzer.generator import Generator, Options, features
from oracles.shape import is_deterministic, walk

ALL = ("sqlite", "duckdb", "postgres", "mysql")
a, b, ua, ub = (A.ColumnRef(t, c) for t, c in (("t", "a"), ("t", "b"), ("u", "a"), ("u", "b")))
ONE, TWO = A.Literal(1, A.INTEGER), A.Literal(2, A.INTEGER)
T, U = A.TableRef("t"), A.TableRef("u")
FALSE = A.Literal(False, A.BOOLEAN)
ONE_IS_ONE = A.Binary("=", ONE, ONE)


def sel(*items: A.Expr, **kw) -> A.Select:
    return A.Select(tuple(A.SelectItem(i) for i in items), kw.pop("from_", (T,)), **kw)


def both(sql: str, *dialects: str) -> dict[str, str]:
    return dict.fromkeys(dialects, sql)


SUM_B = A.Aggregate("SUM", (b,))
NAMED = A.Window(SUM_B, base="w")
W = (A.NamedWindow("w", (a,), (A.OrderItem(b),)),)

#: construct -> (tree, {dialect: the SQL it renders}); a dialect is listed where its
#: capabilities let the generator write the construct
GOLDEN: dict[str, tuple[A.Query, dict[str, str]]] = {
    "rollup": (
        sel(a, b, A.Aggregate("COUNT", ()), group_by=(A.GroupingSets("ROLLUP", ((a,), (b,))),)),
        {
            **both("SELECT t.a, t.b, COUNT(*) FROM t GROUP BY ROLLUP (t.a, t.b)",
                   "duckdb", "postgres"),
            "mysql": "SELECT t.a, t.b, COUNT(*) FROM t GROUP BY t.a, t.b WITH ROLLUP",
        },
    ),
    "cube_beside_a_key_with_grouping": (
        sel(a, b, A.Grouping((b,)), group_by=(a, A.GroupingSets("CUBE", ((b,), (a, b))))),
        both("SELECT t.a, t.b, GROUPING(t.b) FROM t GROUP BY t.a, CUBE (t.b, (t.a, t.b))",
             "duckdb", "postgres"),
    ),
    "grouping_sets_distinct": (
        sel(a, group_by=(A.GroupingSets("GROUPING SETS", ((a,), (a, b), ())),),
            group_distinct=True),
        {"postgres": "SELECT t.a FROM t GROUP BY DISTINCT GROUPING SETS ((t.a), (t.a, t.b), ())"},
    ),
    "group_by_all_order_by_all": (
        sel(a, SUM_B, group_by=(A.AllColumns(),),
            order_by=(A.OrderItem(A.AllColumns(), True, "LAST"),)),
        {"duckdb": "SELECT t.a, SUM(t.b) FROM t GROUP BY ALL ORDER BY ALL DESC NULLS LAST"},
    ),
    "row_comparison": (
        sel(a, where=A.Binary("<", A.Row((a, b)), A.Row((ONE, TWO), keyword=True))),
        {
            **both("SELECT t.a FROM t WHERE ((t.a, t.b) < ROW(1, 2))",
                   "duckdb", "postgres", "mysql"),
        },
    ),
    "row_comparison_without_keyword": (
        sel(a, where=A.Binary(">=", A.Row((a, b)), A.Row((ONE, TWO)))),
        both("SELECT t.a FROM t WHERE ((t.a, t.b) >= (1, 2))", *ALL),
    ),
    "row_in_list_and_between": (
        sel(a, where=A.Binary(
            "OR",
            A.InList(A.Row((a, b)), (A.Row((ONE, TWO)), A.Row((TWO, ONE))), negated=True),
            A.Between(A.Row((a, b)), A.Row((ONE, ONE)), A.Row((TWO, TWO))),
        )),
        both("SELECT t.a FROM t WHERE (((t.a, t.b) NOT IN ((1, 2), (2, 1)))"
             " OR ((t.a, t.b) BETWEEN (1, 1) AND (2, 2)))", "duckdb", "postgres"),
    ),
    "row_in_subquery": (
        sel(a, where=A.InQuery(A.Row((a, b)), sel(ua, ub, from_=(U,)))),
        both("SELECT t.a FROM t WHERE ((t.a, t.b) IN (SELECT u.a, u.b FROM u))",
             "sqlite", "duckdb", "postgres", "mysql"),
    ),
    "row_in_values": (
        sel(a, where=A.InQuery(A.Row((a, b)), A.Values(((ONE, TWO), (TWO, ONE))))),
        both("SELECT t.a FROM t WHERE ((t.a, t.b) IN (VALUES (1, 2), (2, 1)))", *ALL),
    ),
    "values_table": (
        sel(A.ColumnRef("v", "x1"), from_=(
            A.DerivedTable(A.Values(((ONE, A.Literal("a", A.TEXT)),)), "v", columns=("x0", "x1")),
        )),
        both("SELECT v.x1 FROM (VALUES (1, 'a')) AS v (x0, x1)", "duckdb", "postgres"),
    ),
    "values_table_through_a_cte": (
        sel(A.ColumnRef("d", "x0"), from_=(A.DerivedTable(A.With(
            (A.CTE("v", A.Values(((ONE,), (TWO,))), ("x0",)),),
            sel(A.Star(), from_=(A.TableRef("v"),)),
        ), "d"),)),
        {
            "sqlite": "SELECT d.x0 FROM (WITH v(x0) AS (VALUES (1), (2)) SELECT * FROM v) AS d",
            "mysql": "SELECT d.x0 FROM (WITH v(x0) AS (VALUES (1), (2)) SELECT * FROM v) AS d",
        },
    ),
    "values_query_and_set_operand": (
        A.SetOp("UNION", sel(a), A.Values(((ONE,), (A.Literal(None, A.INTEGER),))), all=True),
        {
            "sqlite": "SELECT t.a FROM t UNION ALL VALUES (1), (CAST(NULL AS INTEGER))",
            **both("SELECT t.a FROM t UNION ALL (VALUES (1), (CAST(NULL AS INTEGER)))",
                   "duckdb", "postgres"),
            "mysql": "SELECT t.a FROM t UNION ALL (VALUES (1), (CAST(NULL AS SIGNED)))",
        },
    ),
    "table_query": (
        sel(A.Star(), from_=(A.DerivedTable(A.TableQuery("t"), "d"),)),
        both("SELECT * FROM (TABLE t) AS d", "duckdb", "postgres"),
    ),
    "constant_on": (
        sel(a, from_=(
            A.Join("LEFT", T, U, A.Binary("AND", A.Binary("=", a, ua), FALSE)),
            A.TableRef("u", "x"),
        )),
        both("SELECT t.a FROM t LEFT JOIN u ON ((t.a = u.a) AND FALSE), u AS x", *ALL),
    ),
    "full_join_on_never": (
        sel(a, from_=(A.Join("FULL", T, U, A.Binary("=", ONE, A.Literal(0, A.INTEGER))),)),
        both("SELECT t.a FROM t FULL JOIN u ON (1 = 0)", "sqlite", "duckdb", "postgres"),
    ),
    "semi_anti_join": (
        sel(a, from_=(A.Join("ANTI", A.Join("SEMI", T, U, A.Binary("=", a, ua)),
                             A.TableRef("u", "x"), A.Binary("=", a, A.ColumnRef("x", "b"))),)),
        {"duckdb": "SELECT t.a FROM t SEMI JOIN u ON (t.a = u.a) ANTI JOIN u AS x ON (t.a = x.b)"},
    ),
    "asof_and_positional_join": (
        sel(a, ub, from_=(A.Join("POSITIONAL", A.Join("ASOF", T, U, A.Binary(">=", b, ub)),
                                 A.TableRef("u", "x")),)),
        {"duckdb": "SELECT t.a, u.b FROM t ASOF JOIN u ON (t.b >= u.b) POSITIONAL JOIN u AS x"},
    ),
    "straight_join_and_modifiers": (
        sel(a, from_=(A.Join("STRAIGHT", T, U, A.Binary("=", a, ua)),),
            modifiers=("HIGH_PRIORITY", "STRAIGHT_JOIN", "SQL_SMALL_RESULT")),
        {"mysql": "SELECT HIGH_PRIORITY STRAIGHT_JOIN SQL_SMALL_RESULT t.a"
                  " FROM t STRAIGHT_JOIN u ON (t.a = u.a)"},
    ),
    "index_hints": (
        sel(A.ColumnRef("x", "a"), from_=(A.TableRef("t", "x", A.IndexHint("NOT INDEXED")),)),
        {"sqlite": "SELECT x.a FROM t AS x NOT INDEXED"},
    ),
    "indexed_by": (
        sel(A.ColumnRef("x", "a"),
            from_=(A.TableRef("t", "x", A.IndexHint("INDEXED BY", ("ti",))),)),
        {"sqlite": "SELECT x.a FROM t AS x INDEXED BY ti"},
    ),
    "mariadb_index_hints": (
        sel(A.ColumnRef("x", "a"), from_=(
            A.Join("INNER", A.TableRef("t", "x", A.IndexHint("USE")),
                   A.TableRef("t", "y", A.IndexHint("FORCE", ("ti", "tb"))), ONE_IS_ONE),
            A.TableRef("t", "z", A.IndexHint("IGNORE", ("tb",))),
        )),
        {"mysql": "SELECT x.a FROM t AS x USE INDEX () JOIN t AS y FORCE INDEX (ti, tb)"
                  " ON (1 = 1), t AS z IGNORE INDEX (tb)"},
    ),
    "frame_exclude": (
        sel(A.Window(SUM_B, (), (A.OrderItem(a),),
                     A.Frame("GROUPS", "1 PRECEDING", "2 FOLLOWING", "CURRENT ROW"))),
        both("SELECT SUM(t.b) OVER (ORDER BY t.a GROUPS BETWEEN 1 PRECEDING AND 2 FOLLOWING"
             " EXCLUDE CURRENT ROW) FROM t", "sqlite", "duckdb", "postgres"),
    ),
    "range_offsets_and_ties": (
        sel(A.Window(SUM_B, (), (A.OrderItem(a),),
                     A.Frame("RANGE", "2 PRECEDING", "1 PRECEDING", "TIES"))),
        both("SELECT SUM(t.b) OVER (ORDER BY t.a RANGE BETWEEN 2 PRECEDING AND 1 PRECEDING"
             " EXCLUDE TIES) FROM t", "sqlite", "duckdb", "postgres"),
    ),
    "named_windows": (
        sel(NAMED, A.Window(A.Aggregate("COUNT", ()), base="w",
                            frame=A.Frame("RANGE", "UNBOUNDED PRECEDING", "CURRENT ROW")),
            windows=W),
        both("SELECT SUM(t.b) OVER w, COUNT(*) OVER (w RANGE BETWEEN UNBOUNDED PRECEDING AND"
             " CURRENT ROW) FROM t WINDOW w AS (PARTITION BY t.a ORDER BY t.b)", *ALL),
    ),
    "window_filter": (
        sel(A.Window(A.Aggregate("SUM", (b,), filter=A.Binary(">", a, ONE)), (a,))),
        both("SELECT SUM(t.b) FILTER (WHERE (t.a > 1)) OVER (PARTITION BY t.a) FROM t",
             "sqlite", "duckdb", "postgres"),
    ),
    "qualify": (
        sel(a, qualify=A.Binary(">", A.Window(A.Aggregate("COUNT", ()), (a,)), ONE)),
        {"duckdb": "SELECT t.a FROM t QUALIFY (COUNT(*) OVER (PARTITION BY t.a) > 1)"},
    ),
    "star_exclude_replace": (
        A.SetOp("UNION", sel(A.Star(exclude=("s",))),
                sel(A.Star(replace=(A.SelectItem(A.Binary("+", ua, ONE), "a"),)), from_=(U,)),
                all=True),
        {"duckdb": "SELECT * EXCLUDE (s) FROM t UNION ALL"
                   " (SELECT * REPLACE ((u.a + 1) AS a) FROM u)"},
    ),
    "cte_materialized": (
        A.With((A.CTE("w", sel(a), ("x",), True), A.CTE("v", sel(b), ("y",), False)),
               sel(A.Star(), from_=(A.TableRef("w"), A.TableRef("v")))),
        both("WITH w(x) AS MATERIALIZED (SELECT t.a FROM t), v(y) AS NOT MATERIALIZED"
             " (SELECT t.b FROM t) SELECT * FROM w, v", "sqlite", "duckdb", "postgres"),
    ),
    "union_by_name": (
        A.SetOp("UNION", A.Select((A.SelectItem(a, "c0"), A.SelectItem(b, "c1")), (T,)),
                A.Select((A.SelectItem(ub, "c1"), A.SelectItem(ua, "c0")), (U,)), by_name=True),
        {"duckdb": "SELECT t.a AS c0, t.b AS c1 FROM t UNION BY NAME"
                   " (SELECT u.b AS c1, u.a AS c0 FROM u)"},
    ),
    "fetch_with_ties": (
        sel(a, order_by=(A.OrderItem(ONE),), limit=2, fetch="WITH TIES"),
        both("SELECT t.a FROM t ORDER BY 1 FETCH FIRST 2 ROWS WITH TIES", "postgres", "mysql"),
    ),
    "offset_fetch_only": (
        sel(a, order_by=(A.OrderItem(ONE),), limit=2, offset=1, fetch="ONLY"),
        both("SELECT t.a FROM t ORDER BY 1 OFFSET 1 ROWS FETCH FIRST 2 ROWS ONLY",
             "duckdb", "postgres", "mysql"),
    ),
}

CASES = [
    pytest.param(node, dialect, sql, id=f"{name}-{dialect}")
    for name, (node, by_dialect) in GOLDEN.items()
    for dialect, sql in by_dialect.items()
]


@pytest.mark.parametrize(("node", "dialect", "expected"), CASES)
def test_each_dialect_spells_the_clause_exactly_so(node, dialect: str, expected: str) -> None:
    assert render(node, dialect) == expected


@pytest.mark.parametrize(("node", "dialect", "expected"), CASES)
def test_each_spelling_parses_under_its_dialect_grammar(node, dialect: str, expected) -> None:
    grammar.parser(dialect).parse(expected)


# -- on the real engines -----------------------------------------------------------------------

MARKS = {"postgres": [pytest.mark.postgres], "mysql": [pytest.mark.mysql]}
SETUP = (
    "CREATE TABLE t (a INTEGER, b INTEGER, s VARCHAR(8))",
    "CREATE TABLE u (a INTEGER, b INTEGER)",
    "CREATE INDEX ti ON t (a)",
    "CREATE INDEX tb ON t (b, a)",
    "INSERT INTO t (a, b, s) VALUES (1, 2, 'x'), (1, 3, 'y'), (2, NULL, 'x'), (NULL, 1, NULL)",
    "INSERT INTO u (a, b) VALUES (1, 1), (2, 2), (2, 3)",
)


@pytest.fixture(scope="module")
def engines():
    opened: dict[str, Engine] = {}
    yield opened
    for e in opened.values():
        e.close()


def engine_for(engines: dict[str, Engine], dialect: str) -> Engine:
    if dialect not in engines:
        e = open_engine(dialect)
        e.reset()
        for sql in SETUP:
            assert e.execute(sql).ok, sql
        engines[dialect] = e
    return engines[dialect]


ENGINE_CASES = [
    pytest.param(sql, dialect, id=f"{name}-{dialect}", marks=MARKS.get(dialect, []))
    for name, (_, by_dialect) in GOLDEN.items()
    for dialect, sql in by_dialect.items()
]


@pytest.mark.parametrize(("sql", "dialect"), ENGINE_CASES)
def test_each_spelling_runs_on_its_real_engine(engines, sql: str, dialect: str) -> None:
    outcome = engine_for(engines, dialect).execute(sql)
    assert outcome.ok, f"{sql}\n-> {outcome.message}"


#: the clauses' weights, raised so that a short sample holds every one of them
RAISED = {
    "grouping_sets": 3, "grouping_function": 2, "group_distinct": 3, "by_all": 3,
    "row_value": 5, "values": 4, "table_query": 5, "constant_on": 5, "dialect_join": 3,
    "index_hint": 5, "frame_exclude": 2, "window_filter": 3, "named_window": 3, "qualify": 5,
    "star": 5, "fetch": 3, "select_modifier": 5, "window": 3, "group_by": 2, "limit": 2,
    "materialized": 2, "by_name": 3, "with": 3, "set_op": 2,
}  # fmt: skip
#: what the generator must write per dialect, as `features` names it
REACH = {
    "sqlite": {"Row", "Values", "Frame", "IndexHint", "Join"},
    "duckdb": {"Row", "Values", "TableQuery", "GroupingSets", "AllColumns", "Star",
               "Join:SEMI", "Join:ANTI", "NamedWindow"},
    "postgres": {"Row", "Values", "TableQuery", "GroupingSets", "NamedWindow"},
    "mysql": {"Row", "Values", "GroupingSets", "Join:STRAIGHT", "IndexHint", "NamedWindow"},
}  # fmt: skip


@pytest.mark.parametrize("dialect", [pytest.param(d, marks=MARKS.get(d, [])) for d in ALL])
@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(seed=st.integers(0, 2**32 - 1))
def test_generated_clauses_parse_and_run_on_the_real_engine(
    engines, dialect: str, seed: int
) -> None:
    """With the clauses' weights raised, every query parses under the dialect's grammar and
    no more than one in fifty is rejected at compile time by the real engine."""
    engine = engine_for(engines, dialect)
    engine.reset()
    g = Generator(dialect, seed, Options(weights=RAISED))
    for statement in g.database():
        assert engine.execute(g.render(statement)).ok
    parser, rejected, seen = grammar.parser(dialect), [], set()
    for _ in range(50):
        query = g.query()
        seen |= features(query, detailed=True) | {type(n).__name__ for n in walk(query)}
        sql = g.render(query)
        parser.parse(sql)
        outcome = engine.execute(sql)
        if not outcome.ok and outcome.category is ErrorCategory.COMPILE:
            rejected.append((sql, outcome.message))
    assert len(rejected) <= 1, rejected
    engines.pop(dialect).close()  # the next example starts from the fixed tables again
    assert seen & REACH[dialect]


@pytest.mark.parametrize("dialect", ALL)
def test_generator_reaches_every_clause_of_its_dialect(dialect: str) -> None:
    seen: set[str] = set()
    for seed in range(6):
        g = Generator(dialect, seed, Options(weights=RAISED))
        g.database()
        for _ in range(80):
            query = g.query()
            seen |= features(query, detailed=True) | {type(n).__name__ for n in walk(query)}
    assert REACH[dialect] <= seen, REACH[dialect] - seen


def test_deterministic_mode_keeps_only_clauses_with_one_answer() -> None:
    """No ASOF or POSITIONAL join; FETCH ... WITH TIES only without OFFSET; frames are peers'."""
    g = Generator("duckdb", 7, Options(deterministic=True, weights=RAISED))
    g.database()
    kinds = set()
    for _ in range(300):
        query = g.query()
        for n in walk(query):
            if isinstance(n, A.Join):
                kinds.add(n.kind)
            if isinstance(n, A.Frame):
                assert n.unit != "ROWS"
    assert {"SEMI", "ANTI"} <= kinds and not kinds & {"ASOF", "POSITIONAL"}


def test_with_ties_is_deterministic_without_offset_only() -> None:
    """All rows tying with the last are returned: the multiset is fixed, unless OFFSET skips
    some of the tying rows. (An order over every column leaves only ties of equal rows.)"""
    limited = sel(a, b, order_by=(A.OrderItem(ONE),), limit=2)
    assert not is_deterministic(limited)
    assert not is_deterministic(replace(limited, fetch="ONLY"))
    assert is_deterministic(replace(limited, fetch="WITH TIES"))
    assert not is_deterministic(replace(limited, fetch="WITH TIES", offset=1))


def test_asof_and_positional_joins_are_not_deterministic() -> None:
    for kind in ("ASOF", "POSITIONAL"):
        assert not is_deterministic(sel(a, from_=(A.Join(kind, T, U, A.Binary(">=", a, ua)),)))
    assert is_deterministic(sel(a, from_=(A.Join("SEMI", T, U, A.Binary("=", a, ua)),)))


def test_dqp_index_knobs_replace_a_tables_own_hint() -> None:
    """The dqp oracle's NOT INDEXED and USE INDEX () knobs stand in place of the query's own
    hint: two hints on one table are a syntax error (SQLite) or a contradiction (MariaDB)."""
    from fuzzer.dialects import get
    from oracles.dqp import _no_index_hint, _not_indexed

    hinted = sel(A.Star(), from_=(A.TableRef("t", "x", A.IndexHint("INDEXED BY", ("ti",))),))
    assert _not_indexed(get("sqlite")).render(hinted) == "SELECT * FROM t AS x NOT INDEXED"
    forced = sel(A.Star(), from_=(A.TableRef("t", "x", A.IndexHint("FORCE", ("ti",))),))
    assert _no_index_hint(get("mysql")).render(forced) == "SELECT * FROM t AS x USE INDEX ()"


def test_mariadb_never_rolls_up_a_key_it_selects_twice() -> None:
    """MariaDB 10.11 NULLs only the first copy of a rolled-up key in super-aggregate rows
    (`SELECT a, a ... GROUP BY a WITH ROLLUP` gives (NULL, some row's a)): no such query."""
    g = Generator("mysql", 3, Options(weights=RAISED))
    g.database()
    rolled = 0
    for _ in range(300):
        for n in walk(g.query()):
            if isinstance(n, A.Select) and any(isinstance(e, A.GroupingSets) for e in n.group_by):
                rolled += 1
                refs = [i.expr for i in n.items if isinstance(i.expr, A.ColumnRef)]
                assert len(set(refs)) == len(refs), render(n, "mysql")
    assert rolled > 10
    assert g.grouping([a, b, a]) == (a, b, a)  # a TLP host selecting `a` twice: plain keys


#: a seed that meets no real bug of the engine: MariaDB 10.11.19 sends a BIT column's last
#: value in WITH ROLLUP's super-aggregate rows, not NULL (seed 5 met it:
#: corpus/found/mariadb-bit-rollup-stale-value.sql)
ROLLUP_SEEDS = {"duckdb": 5, "postgres": 5, "mysql": 6}


@pytest.mark.parametrize(("dialect", "variants"), [
    ("duckdb", ("group-by", "having", "qualify")),
    pytest.param("postgres", ("group-by", "having"), marks=MARKS["postgres"]),
    pytest.param("mysql", ("group-by", "having"), marks=MARKS["mysql"]),
])  # fmt: skip
def test_tlp_variants_over_grouping_sets_and_qualify_are_silent_on_the_real_engine(
    engines, dialect: str, variants: tuple[str, ...]
) -> None:
    """The TLP variants that group by ROLLUP / CUBE / GROUPING SETS, and DuckDB's QUALIFY
    variant, find nothing on today's engines (their soundness: tlp.grouped, qualify_probes)."""
    from oracles import Context
    from oracles.base import Skip
    from oracles.pipeline import Pipeline
    from oracles.tlp import TLP

    engine = open_engine(dialect)
    tlp = TLP(Context(dialect))
    weights = {"grouping_sets": 3}
    g = Generator(dialect, ROLLUP_SEEDS[dialect], Options(deterministic=True, weights=weights))
    engine.reset()
    for statement in g.database():
        assert engine.execute(g.render(statement)).ok
    checked: dict[str, int] = {}
    rolled = 0
    for turn in range(120):
        variant = variants[turn % len(variants)]
        for probe in tlp.draw(g, TLP.SCHEDULE.index(variant)):
            rolled += any(k in probe.queries[0] for k in ("ROLLUP", "CUBE", "GROUPING SETS"))
            try:
                assert Pipeline(engine).run(tlp, probe) is None, probe.queries
            except Skip:  # a query failed: no comparison, as in `fuzz run`
                continue
            checked[probe.variant] = checked.get(probe.variant, 0) + 1
    engine.close()
    assert set(variants) <= set(checked) and rolled > 5, checked
