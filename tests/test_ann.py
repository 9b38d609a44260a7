"""The ann-invariants oracle: its checker against deliberately wrong result lists, its
distances against pgvector's, and its drawn checks on pgserver (PostgreSQL 16 + pgvector)."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator, Sequence

import pytest
from conftest import drawn_checks, open_engine, plan_of

from fuzzer.engines import Engine, Outcome, Refused, Rows, connect
from fuzzer.generator import Generator, Options
from oracles.ann import METRICS, ANNInvariants, Row, check_exact, check_run, knn_query, plans, spell
from oracles.base import Context, Discrepancy, Probe
from oracles.pipeline import Pipeline, Setup

CHECKS = 12
TRUTH = {
    1: Row(0, "[0,0]", [0.0, 0.0]),
    2: Row(1, "[1,0]", [1.0, 0.0]),
    3: Row(0, "[3,4]", [3.0, 4.0]),
}
KNN = "SELECT id, v::text, v <-> '[0,0]' FROM ann_docs ORDER BY v <-> '[0,0]' LIMIT 2"
FILTERED = (
    "SELECT id, v::text, v <-> '[0,0]' FROM ann_docs WHERE c = 0 ORDER BY v <-> '[0,0]' LIMIT 2"
)


def _variant(knn: str, rows: list[tuple]) -> str | None:
    found = check_run(knn, "the index", rows, TRUTH)
    return None if found is None else found.variant


def test_a_right_result_list_keeps_every_invariant() -> None:
    assert _variant(KNN, [(1, "[0,0]", 0.0), (2, "[1,0]", 1.0)]) is None
    assert _variant(FILTERED, [(1, "[0,0]", 0.0), (3, "[3,4]", 5.0)]) is None
    assert _variant(KNN, [(2, "[1,0]", 1.0)]) is None  # an index may miss a neighbour


@pytest.mark.parametrize(
    ("rows", "variant"),
    [
        ([(1, "[0,0]", 0.0), (2, "[1,0]", 1.0), (3, "[3,4]", 5.0)], "limit"),
        ([(2, "[1,0]", 1.0), (2, "[1,0]", 1.0)], "duplicate"),
        ([(4, "[0,0]", 0.0)], "deleted"),
        ([(2, "[2,0]", 2.0)], "stale"),
        ([(2, "[1,0]", 1.5)], "distance"),
        ([(2, "[1,0]", 1.0), (1, "[0,0]", 0.0)], "order"),
    ],
)
def test_each_wrong_result_list_breaks_its_invariant(rows: list[tuple], variant: str) -> None:
    assert _variant(KNN, rows) == variant


def test_a_row_outside_the_filter_is_a_filter_finding() -> None:
    assert _variant(FILTERED, [(2, "[1,0]", 1.0)]) == "filter"


def test_the_exact_plan_must_have_the_nearest_and_the_index_no_nearer_row() -> None:
    nearest = [(1, "[0,0]", 0.0), (2, "[1,0]", 1.0)]
    assert check_exact(KNN, "the exact plan", nearest, [(2, "[1,0]", 1.0)], TRUTH) is None
    wrong = check_exact(KNN, "the exact plan", [(1, "[0,0]", 0.0), (3, "[3,4]", 5.0)], [], TRUTH)
    assert wrong is not None and wrong.variant == "exact"
    # two rows tie at distance 1: the exact plan keeps one, the index the other
    tied = {**TRUTH, 4: Row(0, "[0,1]", [0.0, 1.0])}
    exact = [(1, "[0,0]", 0.0), (2, "[1,0]", 1.0)]
    assert check_exact(KNN, "the exact plan", exact, [(4, "[0,1]", 1.0)], tied) is None
    three = KNN.replace("LIMIT 2", "LIMIT 3")
    exact3 = [(1, "[0,0]", 0.0), (2, "[1,0]", 1.0), (4, "[0,1]", 1.0)]
    missing = check_exact(three, "the exact plan", exact3[:2], [(4, "[0,1]", 1.0)], tied)
    assert missing is not None and missing.variant == "exact"


RED = "to_tsquery('simple', 'red')"
#: row id -> (its document matches RED, its rank), as a re-read by the engine gives them
TEXTS = {RED: {1: (True, 0.0), 2: (True, 0.9), 3: (False, 0.0)}}
MATCHING = knn_query("<->", "[0,0]", 2, None, match=RED)
HYBRID = knn_query("<->", "[0,0]", 2, None, rank=RED)  # scores: 0, 1 - 0.45, 5


def test_hybrid_results_keep_the_text_filter_and_the_combined_order() -> None:
    assert check_run(MATCHING, "the index", [(1, "[0,0]", 0.0), (2, "[1,0]", 1.0)], TRUTH,
                     TEXTS) is None  # fmt: skip
    outside = check_run(MATCHING, "the index", [(3, "[3,4]", 5.0)], TRUTH, TEXTS)
    assert outside is not None and outside.variant == "filter"
    right = [(1, "[0,0]", 0.0), (2, "[1,0]", 0.55)]
    assert check_run(HYBRID, "the index", right, TRUTH, TEXTS) is None
    assert check_exact(HYBRID, "the exact plan", right, right, TRUTH, TEXTS) is None
    for rows, variant in (
        ([(2, "[1,0]", 1.0)], "distance"),  # the distance without the rank
        (right[::-1], "order"),
    ):
        found = check_run(HYBRID, "the index", rows, TRUTH, TEXTS)
        assert found is not None and found.variant == variant
    wrong = check_exact(HYBRID, "the exact plan", [right[0], (3, "[3,4]", 5.0)], [], TRUTH, TEXTS)
    assert wrong is not None and wrong.variant == "exact"


@pytest.fixture(scope="module")
def pgvector(pgserver_url: str) -> Iterator[Engine]:
    engine = connect(pgserver_url)
    if not engine.install("vector"):
        engine.close()
        pytest.skip("pgvector is not installable on pgserver")
    yield engine
    engine.close()


def test_the_distances_are_pgvectors_within_rounding(pgvector: Engine) -> None:
    rng = random.Random(9)
    for _ in range(40):
        n = rng.randint(1, 8)
        scale = rng.choice((1e-3, 1.0, 1e4))
        a = [rng.uniform(-1, 1) * scale for _ in range(n)]
        b = [rng.uniform(-1, 1) * scale for _ in range(n)]
        sa, sb = (f"'[{','.join(map(repr, v))}]'" for v in (a, b))
        for operator, metric in METRICS.items():
            got = pgvector.execute(f"SELECT {sa}::vector {operator} {sb}::vector")
            assert isinstance(got, Rows)
            va = [float(x) for x in pgvector.execute(f"SELECT {sa}::vector::text").rows[0][0]
                  .strip("[]").split(",")]  # fmt: skip
            vb = [float(x) for x in pgvector.execute(f"SELECT {sb}::vector::text").rows[0][0]
                  .strip("[]").split(",")]  # fmt: skip
            true, rounding = metric.distance(va, vb)
            assert abs(got.rows[0][0] - true) <= rounding, (operator, a, b)


def test_drawn_checks_are_judged_and_find_nothing_on_pgvector(pgvector: Engine) -> None:
    assert drawn_checks(pgvector, "ann-invariants", 11, CHECKS) == (CHECKS, CHECKS)


@pytest.mark.parametrize("method", ["hnsw", "ivfflat"])
def test_the_index_plan_is_an_index_scan(pgvector: Engine, method: str) -> None:
    statements = [
        "CREATE TABLE ann_docs (id integer PRIMARY KEY, c integer, v vector(2))",
        "INSERT INTO ann_docs SELECT g, g % 4, ARRAY[g, -g]::vector FROM generate_series(1, 50) g",
        f"CREATE INDEX ann_docs_i ON ann_docs USING {method} (v vector_l2_ops)",
    ]
    try:
        for statement in statements:
            assert pgvector.execute(statement).ok, statement
        for knn in (KNN, FILTERED):
            assert "Index Scan using ann_docs_i" in plan_of(pgvector, knn, "enable_seqscan")
    finally:
        pgvector.execute("DROP TABLE IF EXISTS ann_docs")


def test_without_pgvector_the_checks_are_skipped_and_scripts_may_not_create_it() -> None:
    engine = open_engine("postgres")  # the PostgreSQL 15 service has no pgvector
    try:
        oracle = ANNInvariants(Context("postgres"))
        (probe,) = oracle.draw(Generator("postgres", 1, Options()), 0)
        assert not Pipeline(engine).check(oracle, probe, Setup(())).judged
        with pytest.raises(Refused):
            engine.execute("CREATE EXTENSION vector")
    finally:
        engine.close()


def test_an_engine_without_vectors_draws_nothing() -> None:
    for dialect in ("sqlite", "duckdb", "mysql"):
        assert ANNInvariants(Context(dialect)).draw(Generator(dialect, 1, Options()), 0) == []


class _StrictOrder(ANNInvariants):
    """A deliberately wrong judge: it takes two rows at one distance (a legal tie) for a
    wrong order."""

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        super().judge(probe, outcomes, reference)
        for q, o in zip(probe.queries, outcomes, strict=True):
            if q.startswith("SELECT id, v::text") and isinstance(o, Rows):
                distances = [r[2] for r in o.rows]
                if any(a >= b for a, b in itertools.pairwise(distances)):
                    return Discrepancy(None, None, "a tie", variant="strict")
        return None


def _tied_case(rng: random.Random) -> list[str]:
    """30 rows of 5 dimensions, two of them the same vector, nearest to every query."""
    vectors = [[rng.uniform(-1, 1) for _ in range(5)] for _ in range(30)]
    vectors[7] = list(vectors[3])
    rows = ", ".join(f"({i + 1}, {i % 4}, '{spell(v)}')" for i, v in enumerate(vectors))
    queries = [
        "CREATE TABLE ann_docs (id integer PRIMARY KEY, c integer, v vector(5))",
        f"INSERT INTO ann_docs (id, c, v) VALUES {rows}",
        "CREATE INDEX ann_docs_i ON ann_docs USING hnsw (v vector_l2_ops)",
        "DELETE FROM ann_docs WHERE id IN (20, 21)",
        "SELECT id, c, v::text FROM ann_docs",
    ]
    for _ in range(3):
        near = spell([x + 1e-3 for x in vectors[3]])
        queries += plans(knn_query("<->", near, 5, None), "SET hnsw.ef_search = 40")
    return queries


def test_the_reducer_drops_queries_statements_rows_and_dimensions(pgvector: Engine) -> None:
    oracle = _StrictOrder(Context(pgvector.dialect))
    case = _tied_case(random.Random(4))
    reduced = oracle.reduce(case, pgvector, max_time=120)
    assert reduced.finding is not None and reduced.finding.variant == "strict"
    kept = reduced.statements
    assert sum(q.startswith("SELECT id, v::text") for q in kept) <= 2  # one query's two plans
    assert not any(q.startswith("DELETE") for q in kept)
    (insert,) = [q for q in kept if q.startswith("INSERT")]
    # the tied pair, in one dimension
    assert "vector(1)" in kept[0]
    assert re.fullmatch(r"INSERT .* VALUES (\(\d+, \d, '\[[^,]*\]'\)(, )?){2}", insert), insert


def test_a_hybrid_case_shrinks_with_its_documents(pgvector: Engine) -> None:
    """Rows holding a document (`to_tsvector(...)` in the tuple) drop whole."""
    oracle = _StrictOrder(Context(pgvector.dialect))
    generator = Generator(pgvector.dialect, 11, Options())
    pipeline = Pipeline(pgvector)
    for turn in range(60):
        (probe,) = oracle.draw(generator, turn)
        if "d tsvector" in probe.queries[1] and pipeline.check(oracle, probe, Setup(())).finding:
            break
    else:
        pytest.fail("no hybrid check with a tie drawn")
    reduced = oracle.reduce(probe.queries, pgvector, max_time=120)
    assert reduced.finding is not None
    assert reduced.stats.bytes_after < reduced.stats.bytes_before / 2
    inserts = [q for q in reduced.statements if q.startswith("INSERT")]
    assert all(q.count("(") == 1 + 2 * q.count("to_tsvector") for q in inserts)
