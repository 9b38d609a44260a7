"""The ann-recall oracle: its recall measure and judge against deliberately bad result lists,
its baseline's thresholds, its drawn checks on pgserver (PostgreSQL 16 + pgvector), and the
reduction of its cases within their bucket."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence

import pytest
from conftest import drawn_checks

from fuzzer.engines import Engine, Rows, connect
from oracles.ann_recall import (
    MARGIN,
    MIN_SAMPLES,
    ANNRecall,
    Bucket,
    Threshold,
    baseline,
    bucket_of,
    draw_probe,
    recall,
    threshold,
)
from oracles.base import Context, Probe
from oracles.pipeline import Pipeline, Setup

EXACT = [(1, "[0,0]", 0.0), (2, "[1,0]", 1.0), (3, "[0,2]", 2.0)]


def test_recall_is_the_share_of_the_exact_rows_the_index_found() -> None:
    assert recall(EXACT, EXACT) == 1.0
    assert recall(EXACT, EXACT[:2]) == pytest.approx(2 / 3)
    assert recall(EXACT, []) == 0.0
    assert recall([], EXACT) is None  # nothing to find: no recall
    # a row beyond the exact plan's farthest is a miss; a row twice counts once
    assert recall(EXACT, [(1, "", 0.0), (1, "", 0.0), (9, "", 2.5)]) == pytest.approx(1 / 3)
    # a tie at the farthest distance may be another row than the exact plan's
    assert recall(EXACT, [(1, "", 0.0), (2, "", 1.0), (4, "", 2.0)]) == 1.0


def test_the_threshold_is_a_low_quantile_of_the_baseline_less_the_margin() -> None:
    samples = [1.0] * 900 + [0.9] * 99 + [0.5]
    bound = threshold(samples)
    assert (bound.samples, bound.quantile, bound.median) == (1000, 0.9, 1.0)
    assert bound.value == pytest.approx(0.9 - MARGIN) and bound.flags
    small = threshold([1.0] * 10 + [0.95])
    assert small.quantile == 0.95  # under 1/QUANTILE samples: the minimum
    assert not small.flags  # too few samples to flag anything
    assert not threshold([0.1] * MIN_SAMPLES).flags  # a threshold below 0 flags nothing


def test_the_shipped_baseline_covers_the_grid() -> None:
    shipped = baseline()
    assert len(shipped) >= 80, "run bench/ann_recall.py --write"
    assert all(b.samples > 0 for b in shipped.values())
    assert sum(b.flags for b in shipped.values()) >= len(shipped) // 2


def _outcomes(probe: Probe, runs: Sequence[list[tuple]], rows: int) -> list[Rows]:
    """The probe's outcomes with the k-NN queries answering `runs` in order."""
    answers = iter(runs)
    out = []
    for q in probe.queries:
        if q.startswith("SELECT count(*)"):
            out.append(Rows((), [(rows,)]))
        elif q.startswith("SELECT id, v::text"):
            out.append(Rows((), next(answers)))
        else:
            out.append(Rows((), []))
    return out


class _Fixed(ANNRecall):
    """ann-recall under a baseline that says every bucket reaches recall 0.9 or more."""

    def bound(self, bucket: Bucket) -> Threshold | None:
        return Threshold(MIN_SAMPLES, 0.9, 1.0)


def test_a_recall_far_below_the_baseline_is_a_finding_and_a_good_one_is_not() -> None:
    oracle = _Fixed(Context("postgres"))
    probe = draw_probe(random.Random(3), oracle.name)
    good = [EXACT, EXACT] * 8
    assert oracle.judge(probe, _outcomes(probe, good, 100)) is None
    # each index plan finds one row of three: recall 1/3, under 0.9 - MARGIN
    bad = [EXACT[:1], EXACT] * 8
    found = oracle.judge(probe, _outcomes(probe, bad, 100))
    assert found is not None and found.variant == "recall"
    assert found.actual["recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert found.expected["threshold"] == pytest.approx(0.9 - MARGIN)
    assert found.expected["bucket"] == bucket_of(probe.queries, 100).key  # type: ignore[union-attr]
    # a table outside the grid's rows buckets is never judged against the baseline
    assert bucket_of(probe.queries, 5) is None


def test_a_bucket_reads_the_index_kind_parameters_metric_dimension_and_rows() -> None:
    queries = [
        "CREATE TABLE ann_docs (id integer PRIMARY KEY, c integer, v vector(6))",
        "CREATE INDEX ann_docs_i ON ann_docs USING hnsw (v vector_cosine_ops) "
        "WITH (m = 4, ef_construction = 16)",
        "SET hnsw.ef_search = 40",
    ]
    bucket = bucket_of(queries, 300)
    assert bucket is not None
    assert bucket.key == "hnsw/m=4,ef_construction=16,ef_search=40/cosine/dim=5-8/rows=200-799"


@pytest.fixture(scope="module")
def pgvector(pgserver_url: str) -> Iterator[Engine]:
    engine = connect(pgserver_url, timeout=30)
    if not engine.install("vector"):
        engine.close()
        pytest.skip("pgvector is not installable on pgserver")
    yield engine
    engine.close()


def test_drawn_checks_find_nothing_on_stock_pgvector(pgvector: Engine) -> None:
    assert drawn_checks(pgvector, "ann-recall", 5, 10) == (10, 10)


def _rows(probe: Sequence[str]) -> int:
    return sum(len(re.findall(r"\(\d+, 0, '\[", q)) for q in probe)


def test_a_case_shrinks_within_its_bucket(pgvector: Engine) -> None:
    """A deliberately wrong baseline for one bucket (recall below 1.01 is low): the reducer
    drops queries and rows while the case stays in that bucket."""
    probe = draw_probe(random.Random(8), "ann-recall")
    key = bucket_of(probe.queries, _rows(probe.queries))
    assert key is not None

    class Strict(ANNRecall):
        def bound(self, bucket: Bucket) -> Threshold | None:
            return Threshold(MIN_SAMPLES, 1.01 + MARGIN, 1.0) if bucket == key else None

    oracle = Strict(Context(pgvector.dialect))
    pgvector.reset()
    assert Pipeline(pgvector).check(oracle, probe, Setup(())).finding is not None
    reduced = oracle.reduce(probe.queries, pgvector, max_time=60)
    assert reduced is not None and reduced.finding is not None
    assert reduced.stats.statements_after < reduced.stats.statements_before
    kept = reduced.statements
    assert _rows(kept) < _rows(probe.queries)
    assert bucket_of(kept, _rows(kept)) == key
