"""The oracles: they find planted discrepancies, and stay silent where silence is right."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from decimal import Decimal
from typing import ClassVar

import pytest

from fuzzer import ast
from fuzzer.engines import Column, Failure, Rows, connect
from fuzzer.errors import SQLState
from fuzzer.generator import Generator, Host, Options, Scope
from fuzzer.schema import Schema, Table
from oracles import Context, judge, oracle_class
from oracles.base import Discrepancy, Oracle, Probe, Skip, rows_of
from oracles.differential import Accepted, Divergence, Profile, compare
from oracles.norec import NoREC
from oracles.pipeline import Checked, Pipeline, Setup
from oracles.shape import explicit_nulls, is_deterministic, reads_a_view
from oracles.tlp import TLP

SETUP = [
    "CREATE TABLE t0 (c0 INTEGER, c1 TEXT, c2 REAL)",
    "INSERT INTO t0 VALUES (1, 'a', 1.5), (2, NULL, 0.1), (NULL, 'b', NULL), (2, 'a', 0.2)",
    "CREATE INDEX i0 ON t0 (c0)",
]
C0, C1, C2 = (ast.ColumnRef("t0", c) for c in ("c0", "c1", "c2"))
FROM = (ast.TableRef("t0"),)
P = ast.Binary(">", C0, ast.Literal(1, ast.INTEGER))


SQLITE = Context("sqlite")


def run(engine, probe):
    """Run and judge a probe through the checking pipeline."""
    return Pipeline(engine).run(oracle_class(probe.oracle)(SQLITE), probe)


def confirm(engine, setup, probe, seen):
    """Confirm once, from an empty scratch space, through the checking pipeline."""
    oracle = oracle_class(probe.oracle)(SQLITE)
    return Pipeline(engine, confirmations=1).confirm(oracle, probe, Setup(setup), seen)


@pytest.fixture
def sqlite():
    e = connect("sqlite:")
    for s in SETUP:
        assert e.execute(s).ok
    yield e
    e.close()


def rows(*values, names=("x",)):
    return Rows(tuple(Column(n, "") for n in names), [tuple(v) for v in values])


# -- TLP -------------------------------------------------------------------------------------


def test_tlp_where_is_silent_on_a_correct_engine(sqlite):
    q = ast.Select((ast.SelectItem(C0), ast.SelectItem(C1)), FROM, where=P)
    probes = TLP(SQLITE).probes(q)
    assert [p.variant for p in probes] == ["where"]
    assert len(probes[0].queries) == 4
    assert "WHERE" not in probes[0].queries[0]
    assert run(sqlite, probes[0]) is None


def test_tlp_every_variant_is_silent_on_a_correct_engine(sqlite):
    tlp = TLP(SQLITE)
    distinct = ast.Select((ast.SelectItem(C1),), FROM, distinct=True)
    grouped = ast.Select((ast.SelectItem(C1),), FROM, group_by=(C1,))
    having = ast.Select(
        (ast.SelectItem(C1), ast.SelectItem(ast.Aggregate("COUNT", ()))), FROM, group_by=(C1,)
    )
    at_least_one = ast.Binary(">=", ast.Aggregate("COUNT", ()), ast.Literal(1, ast.INTEGER))
    probes = [
        *tlp.probes(distinct, P),
        *tlp.probes(grouped, P),
        *tlp.having_probes(having, at_least_one),
        *tlp.aggregate_probes(FROM, C2, P),
        *tlp.aggregate_probes(FROM, C0, P),
    ]
    variants = {p.variant for p in probes}
    assert {"distinct", "group-by", "having", "aggregate:avg", "aggregate:min"} <= variants
    for probe in probes:
        assert run(sqlite, probe) is None, probe


def test_tlp_where_reports_a_missing_row():
    outcomes = [rows((1,), (2,), (None,)), rows((2,)), rows((1,)), rows()]
    found = judge("tlp", "where", outcomes)
    assert found is not None
    assert found.expected == [[1], [2], [None]] or sorted(map(str, found.expected)) == sorted(
        map(str, [[1], [2], [None]])
    )


def test_tlp_where_counts_duplicates():
    assert judge("tlp", "where", [rows((1,), (1,)), rows((1,)), rows(), rows()]) is not None
    # ... and DISTINCT compares sets, where duplicates across partitions are fine
    assert judge("tlp", "distinct", [rows((1,)), rows((1,)), rows((1,)), rows()]) is None


def test_distinct_and_groups_may_spell_padded_strings_either_way():
    """A false alarm of the precision run: PostgreSQL's DISTINCT over CHAR(4) kept 'q_1 '."""
    assert (
        judge("tlp", "distinct", [rows(("q_1",)), rows(("q_1 ",)), rows(("q_1",)), rows()]) is None
    )
    assert judge("tlp", "distinct", [rows(("q_1",)), rows(("q_2",)), rows(), rows()]) is not None
    # SQLite's NOCASE makes 'b' and 'B' one group, spelled as the first row it met
    assert judge("tlp", "group-by", [rows(("b",)), rows(("b",)), rows(("B",)), rows()]) is None
    # ...while a plain WHERE, which picks no representative, stays byte-exact
    assert judge("tlp", "where", [rows(("q_1",)), rows(("q_1 ",)), rows(), rows()]) is not None


def test_an_error_in_one_partition_is_no_finding():
    error = Failure(SQLState.DIVISION_BY_ZERO, "22012", "division by zero")
    with pytest.raises(Skip):
        judge("tlp", "where", [rows((1,)), rows((1,)), error, rows()])


def test_values_compare_canonically():
    # Decimal scale, integer vs decimal, -0.0, NaN and float rounding are not differences...
    same = [
        ((Decimal("1.50"),), (Decimal("1.5"),)),
        ((1,), (Decimal("1.0"),)),
        ((-0.0,), (0.0,)),
        ((float("nan"),), (float("nan"),)),
    ]
    for whole, part in same:
        assert judge("tlp", "where", [rows(whole), rows(part), rows(), rows()]) is None
    # ... text is byte-exact
    assert judge("tlp", "where", [rows(("a",)), rows(("a ",)), rows(), rows()]) is not None


def test_numbers_beyond_the_float_range_compare_and_sort():
    # a numeric(1000, 20) column's largest integer, made an int; floats that need the
    # tolerant, sorted comparison next to it
    huge = int("9" * 980)
    names = ("x", "y")
    whole = rows((huge, 0.1 + 0.2), (-huge, 1.5), (1, 2.5), names=names)
    parts = [rows((1, 2.5), names=names), rows((huge, 0.3), names=names),
             rows((-huge, 1.5), names=names)]  # fmt: skip
    assert judge("tlp", "where", [whole, *parts]) is None
    assert judge("tlp", "where", [whole, parts[0], parts[1], rows(names=names)]) is not None


def parts(*values):
    """Partition rows of SUM and AVG probes: sum, count, min, max."""
    return rows(values, names=("s", "c", "lo", "hi"))


def test_float_aggregates_have_a_tolerance_for_the_order_of_addition():
    sums = [rows((0.1 + 0.2 + 0.3,)), parts(0.1, 1, 0.1, 0.1), parts(0.2 + 0.3, 2, 0.2, 0.3),
            parts(None, 0, None, None)]  # fmt: skip
    assert judge("tlp", "aggregate:sum", sums) is None
    wrong = [
        rows((0.6,)),
        parts(0.1, 1, 0.1, 0.1),
        parts(0.6, 2, 0.2, 0.4),
        parts(None, 0, None, None),
    ]
    assert judge("tlp", "aggregate:sum", wrong) is not None
    # Huge values cancel differently in another order: an average off by 0.125 is honest here.
    extremes = [rows((2.0,)), parts(15, 8, -(2**63), 2**63 - 1), parts(None, 0, None, None),
                parts(None, 0, None, None)]  # fmt: skip
    assert judge("tlp", "aggregate:avg", extremes) is None


def test_aggregates_recombine_through_their_partitions():
    def outcome(*values):
        return [rows((v,)) for v in values]

    assert judge("tlp", "aggregate:min", outcome(1, 3, 1, None)) is None
    assert judge("tlp", "aggregate:min", outcome(2, 3, 1, None)) is not None
    assert judge("tlp", "aggregate:count", outcome(5, 2, 3, 0)) is None
    assert judge("tlp", "aggregate:sum", [rows((5,)), parts(2, 1, 2, 2), parts(3, 1, 3, 3),
                                          parts(None, 0, None, None)]) is None  # fmt: skip
    assert judge("tlp", "aggregate:count", outcome(5, 2, 2, 0)) is not None
    avg = [rows((2.0,)), parts(3, 1, 3, 3), parts(3, 2, 1, 2), parts(None, 0, None, None)]
    assert judge("tlp", "aggregate:avg", avg) is None
    assert judge("tlp", "aggregate:avg", [rows((2.5,)), *avg[1:]]) is not None
    # Engines round AVG to their own scale: one unit in the last digit printed is not a bug.
    none = parts(None, 0, None, None)
    mysql_avg = [rows((Decimal("1.6667"),)), parts(5, 3, 1, 2), none, none]
    assert judge("tlp", "aggregate:avg", mysql_avg) is None
    postgres_avg = [rows((Decimal("3.5555555555555556"),)), parts(20, 6, 1, 8),
                    parts(12, 3, 4, 4), none]  # fmt: skip
    assert judge("tlp", "aggregate:avg", postgres_avg) is None
    assert judge("tlp", "aggregate:avg", [rows((Decimal("3.5558"),)), *postgres_avg[1:]])
    # PostgreSQL keeps about 16 significant digits: none after 18 integer digits
    big = [rows((Decimal("-838488366986797800"),)), none,
           parts(Decimal("-9223372036854775796"), 11, -(2**63), 6), none]  # fmt: skip
    assert judge("tlp", "aggregate:avg", big) is None
    assert judge("tlp", "aggregate:avg", [rows((Decimal("-838488366986797802"),)), *big[1:]])


def test_nondeterministic_queries_get_no_probes():
    tlp = TLP(SQLITE)
    limited = ast.Select((ast.SelectItem(C0),), FROM, where=P, limit=1)
    assert tlp.probes(limited) == []
    random_pred = ast.Binary(">", ast.Func("random", ()), ast.Literal(0, ast.INTEGER))
    assert tlp.probes(ast.Select((ast.SelectItem(C0),), FROM), random_pred) == []
    sub = ast.ScalarQuery(ast.Select((ast.SelectItem(C0),), FROM, limit=1))
    assert not is_deterministic(ast.Binary("=", C0, sub))
    unordered = ast.Aggregate("GROUP_CONCAT", (C1,))
    assert not is_deterministic(ast.Select((ast.SelectItem(unordered),), FROM))


def test_a_cte_named_like_the_view_whose_query_it_is_in_is_no_recursion():
    """A generated SQLite view `v5` read a CTE of its own named `v5`: reads_a_view recursed
    until Python's limit."""
    one = ast.Literal(1, ast.INTEGER)
    cte = ast.With((ast.CTE("v5", ast.Select((ast.SelectItem(one),))),),
                   ast.Select((ast.SelectItem(ast.Star()),), (ast.TableRef("v5"),)))  # fmt: skip
    limited = ast.Select((ast.SelectItem(C0),), FROM, limit=1)
    schema = Schema([Table("v4", [], view=True, query=limited),
                     Table("v5", [], view=True, query=cte)])  # fmt: skip
    reading = ast.Select((ast.SelectItem(ast.Star()),), (ast.TableRef("v5"),))
    assert not reads_a_view(reading, schema)
    assert reads_a_view(ast.Select((ast.SelectItem(ast.Star()),), (ast.TableRef("v4"),)), schema)


def test_aggregates_over_extreme_integers_are_not_a_finding_on_sqlite(sqlite):
    """A false alarm of the precision run: SQLite averages in floating point."""
    for sql in (
        "CREATE TABLE big (v BIGINT, w TEXT)",
        "INSERT INTO big VALUES (-1, 'a'), (2, NULL), (6, 'b'), (-9223372036854775808, 'a'), "
        "(9223372036854775807, 'b'), (10, 'a')",
    ):
        assert sqlite.execute(sql).ok
    v, w = ast.ColumnRef("big", "v"), ast.ColumnRef("big", "w")
    p = ast.Binary("=", w, ast.Literal("a", ast.TEXT))
    for probe in TLP(SQLITE).aggregate_probes((ast.TableRef("big"),), v, p):
        with contextlib.suppress(Skip):  # SUM overflows: an error, not a finding
            assert run(sqlite, probe) is None, probe


# -- NoREC -----------------------------------------------------------------------------------


def test_norec_is_silent_on_a_correct_engine(sqlite):
    probes = NoREC(SQLITE).probes(ast.Select((ast.SelectItem(C0),), FROM), P)
    assert len(probes) == 1
    optimised, unoptimised = probes[0].queries
    assert "WHERE" in optimised and "WHERE" not in unoptimised
    assert run(sqlite, probes[0]) is None


def test_norec_reports_a_wrong_count():
    assert judge("norec", "count", [rows((3,)), rows((2,))]) is not None
    assert judge("norec", "count", [rows((0,)), rows((None,))]) is None


# -- confirmation ----------------------------------------------------------------------------


def test_a_discrepancy_is_reported_only_when_it_reproduces(sqlite):
    q = ast.Select((ast.SelectItem(C0),), FROM, where=P)
    probe = TLP(SQLITE).probes(q)[0]
    # A broken probe (one partition twice) stands in for an engine bug: it reproduces.
    wrong = replace(probe, queries=(*probe.queries[:3], probe.queries[1]))
    seen = run(sqlite, wrong)
    assert seen is not None
    assert confirm(sqlite, SETUP, wrong, seen)
    # A discrepancy that depended on state outside the setup script does not.
    sqlite.execute("INSERT INTO t0 VALUES (5, 'x', 1.0)")
    leftover = run(sqlite, wrong)
    assert leftover is not None and leftover != seen
    assert not confirm(sqlite, SETUP, wrong, leftover)


class Substituted(Oracle):
    """A constant-substitution oracle in miniature: a subquery, then the query with its value.

    `shift` breaks the substitution on purpose, standing in for an engine bug.
    """

    name = "substituted"
    judges: ClassVar = {"value": lambda outcomes: _same_rows(outcomes)}

    def __init__(self, context: Context, shift: int = 0) -> None:
        super().__init__(context)
        self.shift = shift

    def follow_up(self, probe, outcomes, reference=()):
        if probe.variant == "value":
            return None
        (value,) = rows_of(outcomes)[0].rows[0]
        where = "SELECT c1 FROM t0 WHERE c0 = {}"
        queries = (where.format("(SELECT MAX(c0) FROM t0)"), where.format(value + self.shift))
        return Probe(self.name, "value", queries)


def _same_rows(outcomes):
    whole, substituted = (sorted(r.rows, key=repr) for r in rows_of(outcomes))
    return None if whole == substituted else Discrepancy(whole, substituted)


def test_an_oracle_may_build_the_probe_it_judges_from_a_first_probes_results(sqlite):
    first = Probe("substituted", "subquery", ("SELECT MAX(c0) FROM t0",))
    setup = Setup(SETUP)
    assert Pipeline(sqlite).check(Substituted(SQLITE), first, setup) == Checked(True)
    found = Pipeline(sqlite).check(Substituted(SQLITE, shift=-1), first, setup).finding
    assert found is not None and found.variant == "value"
    # the probe judged, with the value in it, is the one kept: it replays alone
    assert found.queries[1] == "SELECT c1 FROM t0 WHERE c0 = 1"
    stored = Substituted(SQLITE).stored_probe(found)
    assert Pipeline(sqlite).reproduces(Substituted(SQLITE), stored, SETUP) is True


# -- differential ----------------------------------------------------------------------------


def test_differential_compares_errors_rows_and_types():
    ok = rows((1,), (2,))
    err = Failure(SQLState.UNDEFINED_FUNCTION, "42883", "function f(integer) does not exist")
    other_err = Failure(SQLState.SYNTAX_ERROR, "42601", "syntax error")
    assert compare(ok, rows((2,), (1,)), ordered=False, compare_types=True) is None
    assert compare(ok, rows((2,), (1,)), ordered=True, compare_types=True).variant == "rows"
    assert compare(ok, err, ordered=False, compare_types=True).variant == "error"
    assert compare(err, other_err, ordered=False, compare_types=True).variant == "sqlstate"
    assert compare(err, err, ordered=False, compare_types=True) is None
    typed = Rows((Column("x", "int4"),), [(1,)])
    retyped = Rows((Column("x", "int8"),), [(1,)])
    assert compare(typed, retyped, ordered=False, compare_types=True).variant == "types"
    assert compare(typed, retyped, ordered=False, compare_types=False) is None
    modified = Rows((Column("a", "varchar(1)"),), [(1,)])
    plain = Rows((Column("a", "VARCHAR"),), [(1,)])
    assert compare(modified, plain, ordered=False, compare_types=True).variant == "types"
    assert compare(modified, plain, ordered=False, compare_types=True, type_modifiers=False) is None
    timeout = Failure(SQLState.QUERY_CANCELED, "57014", "timeout")
    assert compare(ok, timeout, ordered=False, compare_types=True) is None
    # Which data-dependent error comes first, if any, depends on the plan: never a finding.
    zero = Failure(SQLState.DIVISION_BY_ZERO, "22012", "division by zero")
    overflow = Failure(SQLState.NUMERIC_VALUE_OUT_OF_RANGE, "22003", "out of range")
    assert compare(ok, zero, ordered=False, compare_types=True) is None
    assert compare(zero, overflow, ordered=False, compare_types=True) is None


def test_profiles_silence_accepted_divergences(tmp_path):
    path = tmp_path / "target.toml"
    path.write_text(
        'name = "target"\n'
        "[[accept]]\n"
        'variant = "sqlstate"\n'
        'reference_sqlstate = "42883"\n'
        'target_sqlstate = "42601"\n'
        'reason = "documented: unknown functions are rejected by the parser"\n'
    )
    profile = Profile.load(path)
    err = Failure(SQLState.UNDEFINED_FUNCTION, "42883", "function f(integer) does not exist")
    other = Failure(SQLState.SYNTAX_ERROR, "42601", "syntax error at or near f")
    d = compare(err, other, ordered=False, compare_types=True)
    assert profile.accepts(d, (), other)
    assert not profile.accepts(compare(other, err, ordered=False, compare_types=True), (), err)
    assert not Profile().accepts(d, (), other)
    assert isinstance(d, Divergence) and Accepted(variant="rows").matches(d, (), other) is False


def test_cross_dialect_order_spells_out_where_nulls_go():
    window = ast.Window(ast.Aggregate("SUM", (C0,)), order_by=(ast.OrderItem(C1, True),))
    q = ast.Select(
        (ast.SelectItem(C0), ast.SelectItem(window)),
        FROM,
        order_by=(ast.OrderItem(C0), ast.OrderItem(C1, nulls="LAST")),
    )
    spelled = explicit_nulls(q)
    assert [i.nulls for i in spelled.order_by] == ["FIRST", "LAST"]
    assert spelled.items[1].expr.order_by[0].nulls == "LAST"  # NULL sorts lowest, either way
    assert q.order_by[0].nulls is None  # the original tree is untouched


def test_nocase_extremes_on_sqlite_are_not_a_finding(sqlite):
    """Under NOCASE, MIN('a', 'B') is 'a'; in code point order it would be 'B'."""
    for sql in ("CREATE TABLE nc (c TEXT COLLATE NOCASE, k INTEGER)",
                "INSERT INTO nc VALUES ('a', 1), ('B', 0), ('c', NULL)"):  # fmt: skip
        assert sqlite.execute(sql).ok
    c, k = ast.ColumnRef("nc", "c"), ast.ColumnRef("nc", "k")
    p = ast.Binary("=", k, ast.Literal(1, ast.INTEGER))
    probes = TLP(SQLITE).aggregate_probes((ast.TableRef("nc"),), c, p)
    for probe in probes:
        if probe.variant in ("aggregate:min", "aggregate:max"):
            assert run(sqlite, probe) is None, probe
    # ...while a wrong extreme is still one
    assert judge("tlp", "aggregate:min", [rows(("c",)), rows(("a",)), rows(("B",)), rows((None,))])


def test_nocase_groups_on_sqlite_are_not_a_finding(sqlite):
    """SQLite keeps the first spelling of a NOCASE group: 'b' for the whole, 'B' for a part."""
    for sql in ("CREATE TABLE nc (c TEXT COLLATE NOCASE, k INTEGER)",
                "INSERT INTO nc VALUES ('b', 1), ('B', 0)"):  # fmt: skip
        assert sqlite.execute(sql).ok
    c, k = ast.ColumnRef("nc", "c"), ast.ColumnRef("nc", "k")
    p = ast.Binary("=", k, ast.Literal(1, ast.INTEGER))
    tlp = TLP(SQLITE)
    distinct = ast.Select((ast.SelectItem(c),), (ast.TableRef("nc"),), distinct=True)
    grouped = ast.Select((ast.SelectItem(c),), (ast.TableRef("nc"),), group_by=(c,))
    probes = [*tlp.probes(distinct, p), *tlp.probes(grouped, p)]
    assert [pr.variant for pr in probes] == ["distinct", "group-by"]
    for probe in probes:
        assert run(sqlite, probe) is None, probe


def test_a_probe_of_tlp_or_norec_stops_at_its_first_failed_query(sqlite):
    """Any failure makes their probes unjudgeable: the queries after it are not worth running
    (a timed-out query's partitions would each wait out the timeout again)."""
    ran: list[str] = []

    def execute(engine, sql):
        ran.append(sql)
        return engine.execute(sql)

    failing = ("SELECT c0 FROM t0 WHERE nope", "SELECT c0 FROM t0 WHERE c0 > 1")
    for oracle, variant in ((TLP(SQLITE), "where"), (NoREC(SQLITE), "count")):
        ran.clear()
        probe = Probe(oracle.name, variant, failing + failing[1:] * (variant == "where") * 2)
        checked = Pipeline(sqlite, execute=execute).check(oracle, probe, Setup(SETUP))
        assert not checked.judged and ran == [failing[0]], ran
        (engine, failure), = checked.failures
        assert engine is sqlite and "nope" in failure.message
    # an oracle that judges failures themselves still gets every outcome
    assert len(Pipeline(sqlite).outcomes(Substituted(SQLITE), Probe("substituted", "value",
                                                                    failing))[0]) == 2


def test_a_judged_check_says_whether_its_query_had_rows(sqlite):
    """The non-empty share of the benchmarks: a check on no rows tests little."""
    tlp, norec = TLP(SQLITE), NoREC(SQLITE)
    for p, nonempty in ((P, True), (ast.Binary(">", C0, ast.Literal(9, ast.INTEGER)), False)):
        query = ast.Select((ast.SelectItem(C1),), FROM, where=p)
        probes = [*tlp.probes(query), *norec.probes(query)]
        probes += tlp.aggregate_probes(FROM, C0, p)
        assert len(probes) == 7
        for probe in probes:
            oracle = tlp if probe.oracle == "tlp" else norec
            checked = Pipeline(sqlite).check(oracle, probe, Setup(SETUP))
            # TLP's whole query has no p: its rows are the table's; NoREC counts p's rows
            assert checked.judged and checked.nonempty is (nonempty or oracle is tlp), probe


# -- several predicates over one host ---------------------------------------------------------


def test_the_predicates_of_one_host_share_their_unoptimised_counts(sqlite):
    """NoREC counts every predicate of a draw in one scan; TLP runs their whole query once."""
    generator = Generator("sqlite", 3, Options(deterministic=True))
    for statement in generator.database():
        sqlite.execute(generator.render(statement))
    for oracle in (NoREC(SQLITE), TLP(SQLITE)):
        shared = 0
        for turn in range(20):
            probes = oracle.draw(generator, turn)
            if len(probes) < 2:
                continue
            ran: list[str] = []

            def execute(engine, sql, ran=ran):
                ran.append(sql)
                return engine.execute(sql)

            pipeline, recall = Pipeline(sqlite, execute=execute), {}
            for probe in probes:
                pipeline.outcomes(oracle, probe, recall)
            shared += len(ran) < sum(len(p.queries) for p in probes)
            assert len(set(ran)) == len(ran), "a query the probes share ran twice"
        assert shared, oracle.name


def test_a_shared_count_that_disagrees_is_judged_alone(sqlite):
    """The shared query only screens: a finding is the plain pair, confirmed as usual."""
    norec = NoREC(SQLITE)
    host = ast.Select((ast.SelectItem(C0),), FROM)
    q = ast.Binary("<", C0, ast.Literal(2, ast.INTEGER))
    alone = {p: norec.probes(host, p)[0] for p in (P, q)}
    probes = norec.sharing(alone, FROM, Host(host, Scope([])))
    assert [p.shared.alone for p in probes] == list(alone.values())
    assert len({p.queries[1] for p in probes}) == 1
    assert "SUM(CASE WHEN (t0.c0 > 1)" in probes[0].queries[1]
    for probe in probes:
        assert Pipeline(sqlite).check(norec, probe, Setup(SETUP)) == Checked(True, nonempty=True)
    # a shared count that is off (a second column standing in for a bug) follows up alone
    off = replace(probes[0], shared=replace(probes[0].shared, column=1))
    outcomes, _ = Pipeline(sqlite).outcomes(norec, off)
    assert norec.follow_up(off, outcomes) is alone[P]
    assert norec.follow_up(probes[0], outcomes) is None
    assert norec.follow_up(alone[P], outcomes) is None
