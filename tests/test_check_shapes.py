"""TLP, NoREC and DQP check any host query the generator writes, with any subquery in p.

A check's host may be the body of a WITH (also WITH RECURSIVE) over every join kind, LATERAL
and other derived tables, set operations and ORDER BY/LIMIT inside them; its predicate holds
EXISTS, IN, ANY/ALL and scalar subqueries, correlated ones too, on the columns an outer join
pads with NULLs. These tests pin how the oracles wrap such hosts, and that the shapes parse
under each dialect's grammar and run on the real engines.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import open_engine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grammar
from fuzzer import ast
from fuzzer.dialects import DIALECTS, get
from fuzzer.engines import Engine
from fuzzer.errors import ErrorCategory
from fuzzer.generator import Col, Generator, Options
from oracles.base import Context
from oracles.dqp import DQP
from oracles.inputs import Check, draw_check
from oracles.norec import NoREC
from oracles.shape import is_deterministic, walk
from oracles.tlp import TLP

#: weights that make every check a WITH host whose predicate holds correlated subqueries
SHAPED = {"host_with": 10, "subquery": 4, "correlate": 2, "lateral": 2, "join": 2}


def generator(dialect: str, seed: int, **weights: float) -> Generator:
    g = Generator(dialect, seed, Options(deterministic=True, weights={**SHAPED, **weights}))
    g.database()
    return g


def checks(dialect: str, seed: int, n: int, **weights: float) -> list[Check]:
    g = generator(dialect, seed, **weights)
    return [c for c in (draw_check(g) for _ in range(n)) if c.deterministic]


def subqueries(tree: object) -> list[ast.Query]:
    kinds = (ast.Exists, ast.InQuery, ast.Quantified, ast.ScalarQuery)
    return [n.query for n in walk(tree) if isinstance(n, kinds)]


def outer_names(query: ast.Query) -> set[str]:
    """The relation names a subquery's columns come from that it does not define itself."""
    inner = {n.alias or n.name for n in walk(query) if isinstance(n, ast.TableRef)}
    inner |= {n.alias for n in walk(query) if isinstance(n, ast.DerivedTable)}
    return {n.table for n in walk(query) if isinstance(n, ast.ColumnRef)} - inner - {None}


def padded_names(select: ast.Select) -> set[str]:
    """The aliases of relations that an outer join of this SELECT's FROM pads with NULLs."""
    found: set[str] = set()
    for join in (n for n in walk(select.from_) if isinstance(n, ast.Join)):
        sides = {"LEFT": (join.right,), "RIGHT": (join.left,), "FULL": (join.left, join.right)}
        for side in sides.get(join.kind, ()):
            found |= {n.alias for n in walk(side) if isinstance(n, ast.TableRef | ast.DerivedTable)}
    return found


# -- how the oracles wrap a host -------------------------------------------------------------


def test_tlp_partitions_the_body_of_a_with_and_every_query_keeps_its_ctes() -> None:
    g = generator("postgres", 5)
    tlp = TLP(Context("postgres"))
    seen = 0
    for check in checks("postgres", 5, 40):
        if not check.host.ctes:
            continue
        probes = tlp.probes(check.select, check.predicate, check.host)
        if not probes:
            continue
        (probe,) = probes
        assert isinstance(probe.about, ast.With)
        assert probe.about.ctes == check.host.ctes
        assert probe.about.body.where == check.predicate  # the outermost SELECT is split
        star = ast.Select((ast.SelectItem(ast.Star()),))
        prefix = g.render(check.host.wrap(star)).removesuffix("SELECT *")
        whole, true, false, null = probe.queries
        assert all(q.startswith(prefix) for q in probe.queries)
        p = g.render(check.predicate)
        assert true.endswith(f"WHERE {p}") and false.endswith(f"WHERE (NOT {p})")
        assert null.endswith(f"WHERE ({p} IS NULL)") and f"WHERE {p}" not in whole
        seen += 1
    assert seen >= 10


def test_norec_counts_the_body_of_a_with_over_the_same_relations() -> None:
    norec = NoREC(Context("duckdb"))
    seen = 0
    for check in checks("duckdb", 6, 40):
        if not check.host.ctes:
            continue
        for probe in norec.probes(check.select, check.predicate, check.host):
            optimised, unoptimised = probe.queries
            assert isinstance(probe.about, ast.With)
            count = probe.about.body
            assert count.from_ == check.select.from_ and count.where == check.predicate
            head = optimised.split(" SELECT COUNT(*) FROM ")[0]
            assert head.startswith("WITH ")
            assert unoptimised.startswith(head + " SELECT SUM(CASE WHEN ")
            seen += 1
    assert seen >= 10


def test_dqp_runs_the_same_with_under_both_plans() -> None:
    dqp = DQP(Context("postgres"))
    g = generator("postgres", 7, group_by=0, aggregate_only=0, window=0, subquery=1)
    seen = 0
    for turn in range(400):
        for probe in dqp.draw(g, turn):
            if isinstance(probe.about, ast.With):
                queries = [q for q in probe.queries if not q.startswith(("SET", "RESET"))]
                default, forced = queries
                assert default.startswith("WITH ") and forced == default
                seen += 1
    assert seen >= 5


def test_the_aggregate_variant_aggregates_over_the_hosts_from_under_its_with() -> None:
    tlp = TLP(Context("sqlite"))
    g = generator("sqlite", 8)
    seen = 0
    turns = [t for t in range(240) if TLP.SCHEDULE[t % len(TLP.SCHEDULE)] == "aggregate"]
    for turn in turns:  # the aggregate variant's turns
        for probe in tlp.draw(g, turn):
            if isinstance(probe.about, ast.With):
                assert isinstance(probe.about.body.items[0].expr, ast.Aggregate)
                assert all(q.startswith("WITH ") for q in probe.queries)
                seen += 1
    assert seen >= 10


# -- what the predicates and hosts hold ------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_predicates_correlate_subqueries_with_columns_an_outer_join_pads(dialect: str) -> None:
    correlated = padded = 0
    for check in checks(dialect, 9, 300, correlate=2, subquery=8):
        pads = padded_names(check.select)
        for sub in subqueries(check.predicate):
            refs = outer_names(sub)
            correlated += bool(refs)
            padded += bool(refs & pads)
    # without EXISTS and IN over subqueries (DataFusion) only scalar subqueries correlate,
    # and only through `inner = outer` (`general_scalar_correlation`)
    general = get(dialect).capabilities.subquery_predicates
    assert correlated >= (20 if general else 6)
    assert padded >= (8 if general else 3)


@pytest.mark.parametrize("dialect", ["postgres", "duckdb"])
def test_lateral_derived_tables_read_the_columns_left_of_them(dialect: str) -> None:
    kinds, correlated = set(), 0
    for check in checks(dialect, 10, 150):
        for join in (n for n in walk(check.select.from_) if isinstance(n, ast.Join)):
            if isinstance(join.right, ast.DerivedTable) and join.right.lateral:
                kinds.add(join.kind)
                correlated += bool(outer_names(join.right.query))
    assert kinds == {"CROSS", "INNER", "LEFT"}
    assert correlated >= 10


@pytest.mark.parametrize("dialect", DIALECTS)
def test_nested_queries_take_set_operations_orders_and_limits(dialect: str) -> None:
    g = generator(dialect, 11, set_op=2, limit=3, order_by=2, recursive=3, host_recursive=4)
    found: set[str] = set()
    for _ in range(150):
        check = draw_check(g)
        tree = check.query(replace(check.select, where=check.predicate))
        found |= {"recursive"} if isinstance(tree, ast.With) and tree.recursive else set()
        derived = [n.query for n in walk(tree) if isinstance(n, ast.DerivedTable)]
        for sub in [*subqueries(tree), *derived]:
            nodes = list(walk(sub))
            found |= {"set_op"} if isinstance(sub, ast.SetOp) else set()
            found |= {"limit"} if getattr(sub, "limit", None) else set()
            found |= {"group_by"} if any(getattr(n, "group_by", ()) for n in nodes) else set()
            found |= {"join"} if any(isinstance(n, ast.Join) for n in nodes) else set()
    assert found == {"recursive", "set_op", "limit", "group_by", "join"}


def test_a_limit_under_a_total_order_is_deterministic() -> None:
    c = ast.ColumnRef("t", "a")
    select = ast.Select((ast.SelectItem(c, "c0"),), (ast.TableRef("t"),))
    first = ast.OrderItem(ast.Literal(1, ast.INTEGER))
    assert is_deterministic(ast.ScalarQuery(replace(select, order_by=(first,), limit=1)))
    assert not is_deterministic(ast.ScalarQuery(replace(select, limit=1)))
    two = replace(select, items=(*select.items, ast.SelectItem(c, "c1")))
    assert not is_deterministic(replace(two, order_by=(first,), limit=1))
    union = ast.SetOp("UNION", two, two, order_by=(first,), limit=2)
    assert not is_deterministic(union)
    second = ast.OrderItem(ast.Literal(2, ast.INTEGER), descending=True)
    assert is_deterministic(replace(union, order_by=(second, first)))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_deterministic_mode_limits_only_columns_whose_equal_values_are_identical(
    dialect: str,
) -> None:
    """'a' = 'a ' under PAD SPACE (MariaDB), 'a' = 'A' under NOCASE (SQLite, DuckDB): a LIMIT
    over such a tie may keep either spelling, and another plan the other one; -0.0 = 0.0 too."""
    g = Generator(dialect, 12, Options(deterministic=True, weights={"limit": 4, "order_by": 3}))
    select = ast.Select((ast.SelectItem(ast.ColumnRef("t", "a"), "c0"),), (ast.TableRef("t"),))

    def limits(t: ast.SQLType) -> int:
        outs = [Col(None, "c0", t)]
        ordered = [g.queries.order(select, outs) for _ in range(50)]
        # WITH TIES keeps every row that ties with the last: one multiset, whatever the ties
        return sum(o.limit is not None and o.fetch != "WITH TIES" for o in ordered)

    assert limits(ast.INTEGER) > 20
    # the others have _ci or NOCASE; DataFusion has no collations and compares bytes
    assert (limits(ast.TEXT) > 20) == (dialect in ("postgres", "datafusion"))
    assert limits(ast.DOUBLE) == 0


def test_mariadb_takes_no_limit_in_in_any_or_all_subqueries() -> None:
    g = generator("mysql", 13, limit=3, order_by=2, subquery=8)
    inside = 0
    for _ in range(800):
        check = draw_check(g)
        for n in walk(check.predicate):
            if isinstance(n, ast.InQuery | ast.Quantified):
                inside += 1
                assert getattr(n.query, "limit", None) is None
    assert inside >= 20


# -- on the real engines ---------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "duckdb", "postgres", "mysql"])
def live(request: pytest.FixtureRequest) -> Engine:
    e = open_engine(request.param)
    yield e
    e.close()


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_check_shapes_parse_under_the_grammar_and_compile_on_the_engine(
    live: Engine, seed: int
) -> None:
    live.reset()
    g = Generator(live.dialect, seed, Options(deterministic=True, weights=SHAPED))
    for statement in g.database():
        assert live.execute(g.render(statement)).ok
    parser = grammar.parser(live.dialect)
    tlp = TLP(Context(live.dialect))
    for _ in range(8):
        check = draw_check(g)
        for probe in tlp.probes(check.select, check.predicate, check.host):
            for sql in probe.queries:
                parser.parse(sql)
                outcome = live.execute(sql)
                assert outcome.ok or outcome.category is not ErrorCategory.COMPILE, (
                    sql,
                    outcome.message,
                )
