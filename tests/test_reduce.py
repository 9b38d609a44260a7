"""The reducer: ddmin and the passes as pure functions, then `fuzz reduce` on real engines."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from fuzzer.commands.reduce import default_url
from fuzzer.reduce import Reducer, ddmin
from fuzzer.reduce.passes import Insert, drop_column, lexical, literals, structural, tables, tidy
from fuzzer.reduce.reducer import Grammar
from oracles.finding import EngineInfo, Finding

# -- ddmin ------------------------------------------------------------------------------------


def test_ddmin_finds_the_one_item_that_matters():
    calls: list[list[int]] = []

    def test(items: list[int]) -> bool:
        calls.append(items)
        return 37 in items

    assert ddmin(list(range(100)), test) == [37]
    assert [] not in calls


def test_ddmin_keeps_order_and_is_one_minimal():
    needed = {3, 17, 18, 60}
    result = ddmin(list(range(64)), lambda items: needed <= set(items))
    assert result == sorted(needed)


def test_ddmin_with_a_dependency_between_items():
    # 5 only counts when 2 comes before it: like an INSERT that needs its CREATE TABLE
    def test(items: list[int]) -> bool:
        return 5 in items and 2 in items and items.index(2) < items.index(5)

    assert ddmin(list(range(10)), test) == [2, 5]


def test_ddmin_is_deterministic():
    rng = random.Random(4)
    wanted = set(rng.sample(range(200), 7))
    runs = [ddmin(list(range(200)), lambda xs: wanted <= set(xs)) for _ in range(2)]
    assert runs[0] == runs[1] == sorted(wanted)


# -- passes -----------------------------------------------------------------------------------

QUERY = (
    "SELECT DISTINCT a.c0 / 2 AS x, abs(b.c1) FROM t0 AS a LEFT JOIN t1 AS b ON (a.c0 = b.c0) "
    "WHERE (a.c0 > 1 AND b.c1 IS NULL) OR a.c0 BETWEEN 1 AND 3 ORDER BY 1 DESC LIMIT 3"
)


def test_tidy_drops_comments_and_extra_space():
    assert tidy("SELECT  ( a ) , b -- why\n FROM /* x */ t") == "SELECT (a), b FROM t"


def test_lexical_passes_remove_clauses_items_operands_and_parentheses():
    texts = {c.text for c in lexical(QUERY)}
    assert QUERY.replace(" ORDER BY 1 DESC", "") in texts  # a clause
    assert QUERY.replace(" LEFT JOIN t1 AS b ON (a.c0 = b.c0)", "") in texts  # a join
    assert QUERY.replace(", abs(b.c1)", "") in texts  # a select-list item
    assert QUERY.replace("(a.c0 > 1 AND b.c1 IS NULL) OR ", "") in texts  # an OR operand
    assert QUERY.replace("(a.c0 > 1 AND b.c1 IS NULL)", "a.c0 > 1 AND b.c1 IS NULL") in texts
    assert QUERY.replace("abs(b.c1)", "b.c1") in texts  # a call by its argument
    assert QUERY.replace("DISTINCT ", "") in texts


def test_between_and_is_not_an_and_operand():
    texts = {c.text for c in lexical("SELECT 1 FROM t WHERE a BETWEEN 1 AND 3")}
    assert "SELECT 1 FROM t WHERE a BETWEEN 1" not in texts


def test_literals_get_simpler_but_a_divisor_never_zero():
    texts = {c.text for c in literals("SELECT 'hello', 123.5, c0 / 25")}
    assert "SELECT '', 123.5, c0 / 25" in texts
    assert "SELECT 'hello', 0, c0 / 25" in texts
    assert "SELECT 'hello', 123.5, c0 / 2" in texts
    assert "SELECT 'hello', 123.5, c0 / 0" not in texts


def test_structural_candidates_come_from_the_parse_tree():
    g = Grammar.load("sqlite")
    if g is None or g.tree(QUERY) is None:
        pytest.skip("the sqlite grammar does not parse the query yet")
    texts = {c.text for c in structural(QUERY, g.tree(QUERY))}
    assert QUERY.replace("(a.c0 > 1 AND b.c1 IS NULL) OR a.c0 BETWEEN 1 AND 3", "a.c0 > 1") in texts
    assert any(g.tree(t) is not None for t in texts)


def test_insert_rows_and_columns():
    insert = Insert.parse("INSERT INTO t0 (c0, c1) VALUES (1, 'a'), (2, NULL), (3, 'x')")
    assert insert is not None and insert.rows == ("(1, 'a')", "(2, NULL)", "(3, 'x')")
    assert insert.with_rows(["(2, NULL)"]) == "INSERT INTO t0 (c0, c1) VALUES (2, NULL)"
    script = [
        "CREATE TABLE t0 (c0 INT, c1 TEXT, PRIMARY KEY (c0))",
        "INSERT INTO t0 VALUES (1, 'a'), (2, 'b')",
        "INSERT INTO t0 (c1, c0) VALUES ('z', 3)",
        "SELECT c0 FROM t0",
    ]
    [table] = tables(script)
    assert table.columns == ("c0", "c1")
    assert drop_column(script, table, "c1") == [
        "CREATE TABLE t0 (c0 INT, PRIMARY KEY (c0))",
        "INSERT INTO t0 VALUES (1), (2)",
        "INSERT INTO t0 (c0) VALUES (3)",
        "SELECT c0 FROM t0",
    ]


def test_reducer_with_a_pure_test_counts_and_caches_trials():
    script = [f"INSERT INTO t VALUES ({n})" for n in range(30)] + ["SELECT 1 / 2 + 7"]
    reducer = Reducer(lambda s: any("1 / 2" in x for x in s), dialect="sqlite")
    result = reducer.reduce(script)
    assert result.statements == ["SELECT 1 / 2"]
    assert result.stats.trials > 0 and result.stats.tokens_after == 4
    assert result.stats.tokens_before > result.stats.tokens_after


# -- fuzz reduce on real engines --------------------------------------------------------------


def fuzz_reduce(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "from fuzzer.commands.reduce import reduce; reduce(prog_name='fuzz reduce')"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)  # fmt: skip


def error_case(rng: random.Random) -> str:
    """60 statements; the query before last fails with SQLite's integer overflow (22003)."""
    lines = ["CREATE TABLE t0 (c0 INT, c1 TEXT, c2 REAL)", "CREATE TABLE t1 (c0 INT, c1 TEXT)"]
    for i in range(25):
        rows = ", ".join(f"({rng.randint(-9, 9)}, 'v{rng.randint(0, 99)}', {rng.random():.2f})"
                         for _ in range(rng.randint(1, 6)))  # fmt: skip
        lines += [f"INSERT INTO t0 VALUES {rows}", f"INSERT INTO t1 VALUES ({i}, 'x{i}')"]
    lines.append("CREATE INDEX i0 ON t0 (c1)")
    lines += [f"SELECT c0, c1 FROM t0 WHERE c0 > {i} ORDER BY c1" for i in range(5)]
    lines.append(
        "SELECT t0.c1, abs(-9223372036854775808 + t0.c0 * 0) AS x FROM t0 "
        "JOIN t1 ON t0.c0 = t1.c0 WHERE t0.c2 > 0.1 AND t1.c1 LIKE 'x%' ORDER BY 1"
    )
    lines.append("SELECT 1")
    assert len(lines) == 60
    return ";\n".join(lines) + ";\n"


@pytest.mark.parametrize("mode", [["--error", "22003"], ["--error"], []])
def test_reduce_an_error_keeps_the_error(tmp_path: Path, mode: list[str]):
    case = tmp_path / "case.sql"
    case.write_text(original := error_case(random.Random(1)))
    done = fuzz_reduce(str(case), "--json", *mode, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["statements_before"] == 60 and report["statements_after"] <= 3
    assert "22003" in report["problem"]
    assert case.read_text() == original  # the input is never modified
    reduced = (tmp_path / "case.reduced.sql").read_text()
    assert "abs(" in reduced.lower() and report["tokens_after"] <= 10

    from fuzzer.engines import connect
    from fuzzer.script import split

    with connect("sqlite:") as engine:
        outcomes = [engine.execute(s) for s in split(reduced)]
    assert any(not o.ok and o.sqlstate == "22003" for o in outcomes)


def test_reduce_a_differential_sqlite_vs_duckdb_integer_division(tmp_path: Path):
    rng = random.Random(2)
    lines = ["CREATE TABLE t0 (c0 INT, c1 TEXT, c2 INT)", "CREATE TABLE t1 (c0 INT, c1 TEXT)"]
    for i in range(12):
        rows = ", ".join(f"({rng.randint(-9, 9)}, 'v{rng.randint(0, 99)}', {rng.randint(0, 5)})"
                         for _ in range(rng.randint(1, 4)))  # fmt: skip
        lines += [f"INSERT INTO t0 VALUES {rows}", f"INSERT INTO t1 VALUES ({i}, 'x{i}')"]
    lines += [f"SELECT c0, c1 FROM t0 WHERE c0 > {i}" for i in range(3)]
    lines.append("SELECT t0.c1, t0.c0 / 2 AS half, t1.c1 FROM t0 JOIN t1 ON t0.c2 = t1.c0 "
                 "WHERE t0.c1 LIKE 'v%' AND t1.c0 < 4")  # fmt: skip
    case = tmp_path / "diff.sql"
    case.write_text(";\n".join(lines) + ";\n")
    done = fuzz_reduce(str(case), "-t", "sqlite:", "-r", "duckdb:", "--differs", "--json",
                       cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["problem"].startswith("diff/rows") and report["statements_after"] <= 3
    reduced = (tmp_path / "diff.reduced.sql").read_text()
    assert "/ 2" in reduced


def test_reduce_with_a_check_command(tmp_path: Path):
    case = tmp_path / "case.sql"
    case.write_text("CREATE TABLE t (a INT);\nSELECT a, a + 1 FROM t WHERE a > 2;\nSELECT 7;\n")
    done = fuzz_reduce(str(case), "--check", "grep -q 'a + 1' {}", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["statements_after"] == 1
    assert "a + 1" in (tmp_path / "case.reduced.sql").read_text()


@pytest.mark.parametrize(
    ("text", "args", "words"),
    [
        ("", [], "no SQL statements"),
        ("-- only a comment\n", [], "no SQL statements"),
        ("SELECT 'unterminated;\n", [], "not a SQL script"),
        ("Dear reader, this file is prose.\nIt is not SQL at all.\n", [], "not SQL"),
        ("CREATE TABLE t (a INT);\nSELECT a FROM t;\n", [], "does not show the problem"),
        ("SELECT 1;\n", ["--error", "22012"], "does not show the problem"),
        ("SELECT 1;\n", ["--crash", "--differs"], "choose one"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, text: str, args: list[str], words: str):
    case = tmp_path / "case.sql"
    case.write_text(text)
    done = fuzz_reduce(str(case), *args, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fuzz: error:") and words in lines[0], lines
    assert case.read_text() == text
    assert not (tmp_path / "case.reduced.sql").exists()


def test_a_missing_file_is_exit_2(tmp_path: Path):
    done = fuzz_reduce(str(tmp_path / "nope.sql"), cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("fuzz: error:")


def _stored(url: str) -> Finding:
    engine = EngineInfo("sqlite", "3.54.1", "sqlite", url)
    return Finding("tlp", "where", engine, (), ("SELECT 1",), [], [], (), "t")


def test_a_stored_finding_is_reduced_on_the_engine_its_url_names() -> None:
    """`sqlite+apsw:` bundles another SQLite release than the stdlib's `sqlite:`."""
    assert default_url(_stored("sqlite+apsw:")) == "sqlite+apsw:"
    assert default_url(_stored("duckdb:")) == "duckdb:"
    assert default_url(_stored("postgresql://fuzz@db:5432/x")) == "postgresql://fuzz@db:5432/x"
    assert default_url(None) == "sqlite:"


def test_a_stored_finding_without_its_url_asks_for_one_in_a_line(tmp_path: Path) -> None:
    from triage import Store

    with Store.open(tmp_path / "s.db") as store:
        store.record(_stored(""))
    done = fuzz_reduce("1", "--store", str(tmp_path / "s.db"), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("fuzz: error:") and "--target URL" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_stored_url_that_had_a_password_must_be_named_again(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        default_url(_stored("postgresql://fuzz:***@db:5432/x"))
    assert exited.value.code == 2
    assert "--target" in capsys.readouterr().err


# -- the same problem, exactly ----------------------------------------------------------------


def _diff(expected: object, actual: object, variant: str = "rows") -> Finding:
    info = EngineInfo("sqlite", "3", "sqlite", "sqlite:")
    return Finding("diff", variant, info, (), ("SELECT 1",), expected, actual, (), "t",
                   reference=EngineInfo("duckdb", "1", "duckdb", "duckdb:"))  # fmt: skip


def test_a_problem_is_its_direction_sqlstates_and_columns() -> None:
    from oracles.problem import problem_of

    more, fewer = _diff([[1]], [[1], [1]]), _diff([[1], [1]], [[1]])
    assert problem_of(more).direction == "more" and problem_of(fewer).direction == "fewer"
    assert problem_of(_diff([[3.5]], [[3]])).direction == "smaller"
    assert problem_of(_diff([[3.5]], [[None]])).direction == "null"
    target = problem_of(_diff({"rows": 1}, {"sqlstate": "22012", "error": "x"}, "error"))
    reference = problem_of(_diff({"sqlstate": "22012", "error": "x"}, {"rows": 1}, "error"))
    assert (target.direction, target.sqlstates) == ("target errs", (None, "22012"))
    assert reference.direction == "reference errs" and reference != target
    assert problem_of(_diff({"sqlstate": "22012"}, {"sqlstate": "22003"}, "sqlstate")) != \
        problem_of(_diff({"sqlstate": "22012"}, {"sqlstate": "42804"}, "sqlstate"))  # fmt: skip
    types = problem_of(_diff(["bigint", "text"], ["integer", "text"], "types"))
    assert types.columns == ((0, "bigint", "integer"),)
    assert types != problem_of(_diff(["bigint", "text"], ["bigint", "varchar"], "types"))
    rows = problem_of(_diff([[1, "a"], [2, "b"]], [[1, "a"], [2, "c"]]))
    assert (rows.direction, rows.columns) == ("other", ((1, None, None),))


def test_a_reduction_never_flips_the_direction_of_a_divergence() -> None:
    """7/2 is 3 on SQLite and 3.5 on DuckDB (SQLite's answer is smaller); -7/2 is -3 against
    -3.5 (larger): a rows divergence still, but another problem, which the test refuses."""
    from fuzzer.engines import connect
    from fuzzer.reduce.interesting import SameFinding, finding_on
    from oracles.checker import Checker

    with connect("sqlite:") as sqlite, connect("duckdb:") as duckdb:
        checker = Checker(sqlite, ("diff",), duckdb, confirmations=0)
        found = finding_on(checker, ["SELECT 7 / 2"])
        assert found is not None
        same = SameFinding.like(checker, found)
        loose = SameFinding(checker, found.oracle, found.variant)
        assert same(["SELECT 9 / 2"]) and loose(["SELECT -7 / 2"])
        assert not same(["SELECT -7 / 2"])
        assert "smaller" in same.describe()


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT a, b FROM t ORDER BY a LIMIT 1", "total ORDER BY"),
        ("SELECT a FROM t WHERE a IN (SELECT b FROM u LIMIT 2)", "LIMIT without ORDER BY"),
        ("SELECT a, b FROM t UNION SELECT b, a FROM u ORDER BY 1 LIMIT 3", "total ORDER BY"),
        ("SELECT group_concat(a) FROM t", "group_concat"),
        ("SELECT random() FROM t", "random"),
        ("SELECT row_number() OVER (ORDER BY a) FROM t", "row_number"),
        ("SELECT sum(a) OVER (ORDER BY a ROWS 1 PRECEDING) FROM t", "ROWS"),
    ],
)
def test_text_determinism_follows_the_generator_rules(sql: str, reason: str) -> None:
    from fuzzer.reduce.determinism import nondeterminism

    assert reason in (nondeterminism(sql) or "")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a AS x, b FROM t ORDER BY x, 2 DESC NULLS LAST LIMIT 1",
        "SELECT a, b FROM t UNION SELECT b, a FROM u ORDER BY 2, 1 LIMIT 3",
        "SELECT group_concat(a ORDER BY a) FROM t",
        "SELECT rank() OVER (PARTITION BY a ORDER BY b) FROM t",
        "SELECT a FROM t FETCH FIRST 1 ROWS WITH TIES",
    ],
)
def test_deterministic_text_is_left_alone(sql: str) -> None:
    from fuzzer.reduce.determinism import nondeterminism

    assert nondeterminism(sql) is None


def test_the_reducer_never_drops_an_order_by_a_limit_needs() -> None:
    """A test that only wants the LIMIT would take `SELECT a, b FROM t LIMIT 1` (any row);
    the reducer keeps the total ORDER BY, and still removes what it may."""
    original = ["SELECT a, b FROM t WHERE a > 1 ORDER BY a, b LIMIT 1"]
    result = Reducer(lambda s: "LIMIT" in s[-1]).reduce(original)
    from fuzzer.reduce.determinism import deterministic

    assert deterministic(result.statements[-1]) and "ORDER BY" in result.statements[-1]
    assert "WHERE" not in result.statements[-1] and result.stats.nondeterministic > 0
    loose = Reducer(lambda s: "LIMIT" in s[-1]).reduce(["SELECT a, b FROM t LIMIT 1"])
    assert loose.stats.nondeterministic == 0  # what was not deterministic is no rule broken


#: DuckDB 0.7.1 dies under JSON_CONTAINS of a NULL JSON (fixed in 0.8.0), whatever reads it
CRASHING = "duckdb:?version=0.7.1"


def _crash(setup: list[str], statement: str) -> Finding:
    engine = EngineInfo("duckdb", "0.7.1", "duckdb", CRASHING)
    expected = "the statement completes or fails with an error"
    return Finding("crash", "lost-connection", engine, tuple(setup), (statement,), expected,
                   "lost", (), "crash")  # fmt: skip


def test_a_crash_is_reduced_in_its_own_host_and_one_crash_is_one_finding(tmp_path: Path):
    """Each trial runs in a new engine host (the reducer's own process survives every crash);
    the reduced case keeps the crashing call, and a second hit of the same crash through
    another setup and scaffold is merged into the first."""
    from triage import Store

    setup = ["CREATE TABLE t0 (c0 INT, c1 TEXT)", "CREATE TABLE t1 (c0 INT, c1 TEXT)",
             "INSERT INTO t0 VALUES (1, 'a'), (2, 'b')", "INSERT INTO t1 VALUES (3, 'c')",
             "CREATE VIEW v0 AS SELECT c0, c1 FROM t0 WHERE c0 > 0",
             "CREATE INDEX i0 ON t1 (c0)"]  # fmt: skip
    first = _crash(setup, "SELECT MIN(v0.c0) FROM v0 "
                          "WHERE JSON_CONTAINS('[1]', CAST(NULL AS JSON))")
    second = _crash(setup[:4], "SELECT t0.c1 FROM t0 CROSS JOIN (SELECT c0 FROM t1) AS s "
                               "WHERE JSON_CONTAINS('[2, 3]', CAST(NULL AS JSON)) AND s.c0 > 1")
    store_path = tmp_path / "s.db"
    with Store.open(store_path) as store:
        ids = [store.record(f).finding_id for f in (first, second)]
    reports = []
    for finding_id in ids:
        done = fuzz_reduce(str(finding_id), "--store", str(store_path), "--json",
                           "-o", str(tmp_path / f"{finding_id}.sql"), cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        reports.append(json.loads(done.stdout))
    assert reports[0]["problem"] == "crash/lost-connection on duckdb"
    assert reports[0]["statements_after"] == 1
    reduced = (tmp_path / f"{ids[0]}.sql").read_text()
    assert "JSON_CONTAINS" in reduced.upper() and "v0" not in reduced
    assert reports[1]["merged_into"] == ids[0]


# -- a stored probe pair, reduced as it ran ----------------------------------------------------

#: SQLite 3.40.1's RTRIM unique-index join bug (corpus/found/sqlite-rtrim-unique-join-and.sql),
#: with rows and a table that play no part; EET rewrote a sub-part of the WHERE (one conjunct
#: `OR FALSE`), which no rewrite of the whole WHERE from the query's text gives back
RTRIM_SETUP = (
    "CREATE TABLE t2 (c1 VARCHAR)",
    "CREATE TABLE t3 (c0 SMALLINT, c1 VARCHAR COLLATE RTRIM, CONSTRAINT t3_k0 UNIQUE (c1))",
    "CREATE TABLE t9 (c0 INT)",
    "INSERT INTO t9 VALUES (1), (2)",
    "INSERT INTO t2 VALUES (''), ('a'), (''), ('b '), ('zz')",
    "INSERT INTO t3 VALUES (0, ''), (0, 'x'), (1, 'b'), (0, 'q')",
    "ANALYZE",
)
RTRIM_PAIR = (
    "SELECT 0 FROM t2 a125 CROSS JOIN t3 a127 WHERE a127.c1 = a125.c1 AND c0",
    "SELECT 0 FROM t2 a125 CROSS JOIN t3 a127 WHERE (a127.c1 = a125.c1 OR FALSE) AND c0",
)


def test_a_stored_eet_pair_rewritten_inside_a_sub_part_reduces(tmp_path: Path) -> None:
    from fuzzer.engines import connect
    from oracles.base import Context
    from oracles.eet import EET
    from triage import Store

    engine = connect("sqlite:")
    try:
        if engine.version != "3.40.1":
            pytest.skip(f"the RTRIM join bug is SQLite 3.40.1's; sqlite: is {engine.version}")
        # the query's text gives back no such pair: the reduction must start from the stored one
        twins = {p.queries[1] for p in EET(Context("sqlite")).from_text(RTRIM_PAIR[0])}
        assert RTRIM_PAIR[1] not in twins
        info = EngineInfo.of(engine)
    finally:
        engine.close()
    stored = Finding("eet", "or-false", info, RTRIM_SETUP, RTRIM_PAIR, [], [[0]], (), "t",
                     extra={"ordered": False})  # fmt: skip
    with Store.open(tmp_path / "s.db") as store:
        store.record(stored)
    done = fuzz_reduce("1", "--store", str(tmp_path / "s.db"), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["statements_after"] < summary["statements_before"]
    reduced = (tmp_path / summary["output"]).read_text()
    assert "t9" not in reduced and "'zz'" not in reduced
    assert RTRIM_PAIR[1] in reduced  # both sides of the pair, as the oracle ran them
