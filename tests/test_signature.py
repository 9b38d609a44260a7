"""Root-cause signatures: one bug hit several ways signs alike; two real bugs never do."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from fuzzer.script import split
from oracles.finding import EngineInfo, Finding
from oracles.signature import VERSION, root_features, signature

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def case(path: Path) -> tuple[str, list[str]]:
    text = path.read_text(encoding="utf-8")
    engine = re.search(r"^-- engine: (\w+)", text, re.MULTILINE)
    assert engine is not None, path
    return engine.group(1), split(text)


def tlp(engine: str, statements: list[str], variant: str = "where") -> Finding:
    """A TLP hit whose user-level query (its `WHERE (p)` partition) is the last statement."""
    *setup, query = statements
    info = EngineInfo(engine, "1", engine, f"{engine}:")
    return Finding("tlp", variant, info, tuple(setup), ("SELECT 1", query), [[1]], [], (), "t")


def norec(engine: str, statements: list[str]) -> Finding:
    *setup, query = statements
    info = EngineInfo(engine, "1", engine, f"{engine}:")
    return Finding("norec", "count", info, tuple(setup), (query, "SELECT 1"), [[1]], [[0]], (),
                   "t")  # fmt: skip


BUGS = sorted((CORPUS / "known-bugs").glob("*.sql")) + sorted((CORPUS / "found").glob("*.sql"))


def test_two_real_bugs_never_sign_alike() -> None:
    signed = {path.stem: signature(tlp(*case(path)), reduced=True) for path in BUGS}
    assert len(BUGS) >= 20
    for (a, sa), (b, sb) in itertools.combinations(signed.items(), 2):
        assert sa != sb, f"{a} and {b} would merge"


@pytest.mark.parametrize("path", BUGS[:6] + BUGS[-4:], ids=lambda p: p.stem)
def test_one_bug_hit_several_ways_signs_alike(path: Path) -> None:
    """Renamed tables and columns, other literals, padding statements, another oracle."""
    engine, statements = case(path)
    renamed = [re.sub(r"\bt(\d)\b", r"tab\1", re.sub(r"\bc(\d)\b", r"col\1", s))
               for s in statements]  # fmt: skip
    literals = [re.sub(r"(?<![\w.])(\d+)(?![\w.])", lambda m: str(int(m.group(1)) + 7), s)
                if s.upper().startswith("INSERT") else s for s in statements]  # fmt: skip
    padded = ["CREATE TABLE pad(x INT)", "INSERT INTO pad VALUES (1), (2)", *statements]
    for reduced in (False, True):
        one = signature(tlp(engine, statements), reduced)
        assert signature(tlp(engine, renamed), reduced) == one
        assert signature(tlp(engine, literals), reduced) == one
        assert signature(tlp(engine, padded), reduced) == one
        counted = norec(engine, [*statements[:-1], _count(statements[-1])])
        assert signature(counted, reduced) == one


def _count(query: str) -> str:
    """NoREC's spelling of the query: its select list is COUNT(*)."""
    return re.sub(r"^SELECT\s+.*?\s+FROM\b", "SELECT COUNT(*) FROM", query, count=1,
                  flags=re.IGNORECASE | re.DOTALL)  # fmt: skip


def test_tlp_aggregate_variants_of_one_query_sign_alike() -> None:
    setup = ["CREATE TABLE t0(c0 INT)"]
    where = "FROM t0 LEFT JOIN t0 AS t1 ON t0.c0 = t1.c0 WHERE (t1.c0 IS NULL)"
    signed = {signature(tlp("duckdb", [*setup, f"SELECT {a}(t0.c0) {where}"], f"aggregate:{a}"))
              for a in ("sum", "count", "avg")}  # fmt: skip
    assert len(signed) == 1
    assert signature(tlp("duckdb", [*setup, f"SELECT * {where}"])) in signed


def test_the_engine_the_symptom_and_the_version_are_signed() -> None:
    statements = ["CREATE TABLE t0(c0 INT)", "SELECT * FROM t0 WHERE c0 > 1"]
    base = tlp("sqlite", statements)
    info = EngineInfo("sqlite", "1", "sqlite", "sqlite:")
    error = Finding("diff", "error", info, (), ("SELECT * FROM t0 WHERE c0 > 1",),
                    {"rows": 0}, {"sqlstate": "22012"}, (), "t", reference=info)  # fmt: skip
    flipped = Finding(**{**error.__dict__, "expected": {"sqlstate": "22012"},
                         "actual": {"rows": 0}})  # fmt: skip
    assert signature(base) != signature(tlp("duckdb", statements))
    assert len({signature(base), signature(error), signature(flipped)}) == 3
    assert VERSION >= 2 and "op:>" in root_features(base)


def test_an_index_signs_alike_from_create_index_or_a_key() -> None:
    """Two reductions of one DuckDB 1.2.0 bug (an ART index scan for `<=`, fixed in 1.2.1),
    from a recall run: one index is created, the other comes with a foreign key."""
    created = ["CREATE TABLE t2 (c5 DECIMAL)", "INSERT INTO t2 VALUES (0), (0.01)",
               "CREATE INDEX i2 ON t2 (c5)", "SELECT COUNT(*) FROM t2 WHERE c5 <= 0"]
    keyed = ["CREATE TABLE t0 (c1 VARCHAR PRIMARY KEY)",
             "CREATE TABLE t1 (c1 VARCHAR, FOREIGN KEY (c1) REFERENCES t0 (c1))",
             "INSERT INTO t0 VALUES ('x y'), ('foo')", "INSERT INTO t1 VALUES ('foo'), ('x y')",
             "SELECT COUNT(*) FROM t1 WHERE c1 <= 'foo'"]  # fmt: skip
    plain = ["CREATE TABLE t1 (c1 VARCHAR)", "SELECT COUNT(*) FROM t1 WHERE c1 <= 'foo'"]
    signed = [signature(norec("duckdb", s), reduced=True) for s in (created, keyed, plain)]
    assert signed[0] == signed[1] != signed[2]


def crash(setup: list[str], statement: str, variant: str = "lost-connection") -> Finding:
    info = EngineInfo("duckdb", "0.7.1", "duckdb", "duckdb:?version=0.7.1")
    return Finding("crash", variant, info, tuple(setup), (statement,), "completes", variant,
                   (), "t")  # fmt: skip


def test_one_crash_signs_alike_through_any_scaffold_and_however_it_shows() -> None:
    """DuckDB 0.7.1 dies under JSON_CONTAINS of a NULL JSON (fixed in 0.8.0). Reduced from
    hits through a view, a join or nothing, lost or reported as an internal error, it is one
    crash; the LATERAL crash of the same release is another."""
    view = ["CREATE TABLE t0 (c0 INT)", "CREATE VIEW v0 AS SELECT c0 FROM t0 WHERE c0 > 0"]
    hits = [
        crash(view, "SELECT c0 FROM v0 WHERE JSON_CONTAINS('[1]', CAST(NULL AS JSON)) AND c0 > 1"),
        crash(["CREATE TABLE t1 (c0 INT)"],
              "SELECT 0 FROM t1 WHERE JSON_CONTAINS('', CAST(NULL AS JSON))"),
        crash([], "SELECT 0 WHERE JSON_CONTAINS('', CAST(NULL AS JSON))", "internal"),
    ]
    key = ["CREATE TABLE t2 (c0 INT PRIMARY KEY)", "INSERT INTO t2 VALUES (0)"]
    laterals = [crash(key, "SELECT '' FROM t2 CROSS JOIN LATERAL (SELECT 0 WHERE c0) a52"),
                crash(key, "SELECT 0 FROM t2 JOIN LATERAL (SELECT 0 WHERE c0) a53 ON 1")]
    signed = {signature(f, reduced=True) for f in hits}
    lateral = {signature(f, reduced=True) for f in laterals}
    assert len(signed) == 1 and len(lateral) == 1 and signed != lateral


def test_the_rewrites_of_one_query_sign_alike() -> None:
    """Debian 12's SQLite 3.40.1 drops a row of an RTRIM-collated join under `AND c0` (3.54.1
    keeps it); EET's or-false, not-not and de-morgan twins of the query each see it, and a
    default run stored three findings of the one bug."""
    info = EngineInfo("sqlite", "3.40.1", "sqlite", "sqlite:")
    setup = ("CREATE TABLE t2 (c1 VARCHAR)",
             "CREATE TABLE t3 (c0 SMALLINT, c1 VARCHAR COLLATE RTRIM, UNIQUE (c1))")  # fmt: skip
    head, p = "SELECT 0 FROM t2 CROSS JOIN t3 WHERE ", "t3.c1 = t2.c1 AND c0"
    query = head + p
    twins = {"or-false": f"{head}({p}) OR FALSE", "not-not": f"{head}NOT (NOT ({p}))"}
    signed = {signature(Finding("eet", variant, info, setup, (query, twin), [], [[0]], (), "t"),
                        reduced=True) for variant, twin in twins.items()}  # fmt: skip
    assert len(signed) == 1
