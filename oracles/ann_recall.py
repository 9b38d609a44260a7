"""Recall of a vector index (`--oracle ann-recall`): what an approximate index may lose,
measured against what the same parameters reach on comparable data.

An HNSW or IVFFlat index may legally miss neighbours, so no single k-NN answer is wrong.
What is wrong is an index that, with given parameters, loses far more than it does on data
drawn the same way. Each check builds `ann_docs` from the ann-invariants generator's vectors
(clusters, duplicates, near-ties, extreme magnitudes), on a grid of parameters: the index
kind with its build and search settings (HNSW `m`, `ef_construction`, `hnsw.ef_search`;
IVFFlat `lists`, `ivfflat.probes`), the metric, a dimension bucket and a rows bucket. It runs
`QUERIES` k-NN queries under the index and under an exact plan (index scans off); the check's
recall@k is the mean over its queries of the share of the exact plan's k rows the index
found (a row at the exact plan's k-th distance counts: ties may go either way).

The threshold is measured, not guessed: `bench/ann_recall.py` draws the checks of each
bucket on stock pgvector and ships their recalls (`ann_recall_baseline.json`). A check is a
finding when its recall is below the bucket's `QUANTILE` quantile minus `MARGIN` (or below
that of the same index parameters pooled over the buckets, when lower); a bucket
with fewer than `MIN_SAMPLES` baseline checks, or whose threshold is not above 0, never
flags. Below `1 / QUANTILE` samples the quantile is the sample minimum, which a fresh draw of
the same distribution falls below with probability 1/(n+1); the margin puts a finding well
past it. pgvector builds both indexes with random choices (HNSW levels, the k-means seeds),
so a replay measures afresh: a finding is confirmed only when every replay is below the
threshold too.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from fuzzer.engines import Engine, Outcome, Rows
from fuzzer.generator import Generator
from oracles.ann import (
    METRICS,
    TABLE,
    draw_vectors,
    first_knn,
    knn_had_rows,
    knn_query,
    plans,
    spell,
    with_pgvector,
)
from oracles.base import Discrepancy, Execute, Oracle, Probe, Skip
from oracles.finding import Finding

if TYPE_CHECKING:
    from fuzzer.reduce import Reduction

K = 10
QUERIES = 8
#: HNSW (m, ef_construction) pairs, and its search widths
HNSW = ((4, 16), (16, 64))
EF_SEARCH = (10, 40)
LISTS = (4, 16)
PROBES = (1, 4)
#: dimension and rows buckets (inclusive bounds): a reduced case stays in its bucket
DIMS = ((2, 4), (5, 8))
ROWS = ((50, 199), (200, 799))
QUANTILE = 0.001
MARGIN = 0.2
MIN_SAMPLES = 50
BASELINE = Path(__file__).with_name("ann_recall_baseline.json")
COUNT = f"SELECT count(*) FROM {TABLE}"
METRIC_NAMES = {"<->": "l2", "<#>": "ip", "<=>": "cosine"}

_INDEX = re.compile(
    rf"CREATE INDEX ann_docs_i ON {TABLE} USING (hnsw|ivfflat) \(v (\w+)\) WITH \((.*)\)"
)
_SETTING = re.compile(r"SET (hnsw\.ef_search|ivfflat\.probes) = (\d+)")
_DIM = re.compile(rf"CREATE TABLE {TABLE} \(.* v vector\((\d+)\)\)")
_KNN = re.compile(
    rf"SELECT id, v::text, v (<->|<#>|<=>) '\[[^']*\]' FROM {TABLE} ORDER BY v \1 '[^']*' "
    rf"LIMIT (\d+)"
)


def _bucket_label(value: int, bounds: Sequence[tuple[int, int]]) -> str | None:
    return next((f"{lo}-{hi}" for lo, hi in bounds if lo <= value <= hi), None)


@dataclass(frozen=True)
class Bucket:
    """The parameters a recall is compared under."""

    kind: str
    params: str  # "m=4,ef_construction=16,ef_search=10" or "lists=4,probes=1"
    metric: str
    dims: str
    rows: str

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.params}/{self.metric}/dim={self.dims}/rows={self.rows}"


def bucket_of(queries: Sequence[str], rows: int) -> Bucket | None:
    """The bucket of a probe's queries on a table of `rows` rows; None: off the grid."""
    index = next((m for q in queries if (m := _INDEX.fullmatch(q))), None)
    setting = next((m for q in queries if (m := _SETTING.fullmatch(q))), None)
    dim = next((m for q in queries if (m := _DIM.fullmatch(q))), None)
    if index is None or setting is None or dim is None:
        return None
    metric = next((o for o, m in METRICS.items() if m.opclass == index.group(2)), None)
    dims, size = _bucket_label(int(dim.group(1)), DIMS), _bucket_label(rows, ROWS)
    if metric is None or dims is None or size is None:
        return None
    build = index.group(3).replace(" ", "")
    search = f"{setting.group(1).split('.')[1]}={setting.group(2)}"
    return Bucket(index.group(1), f"{build},{search}", METRIC_NAMES[metric], dims, size)


def recall(exact: Sequence[tuple], index: Sequence[tuple]) -> float | None:
    """The share of the exact plan's rows the index found; rows are (id, ..., distance).

    Both plans' distances come from the same select-list expression on the same stored
    vectors, so a tie is exact equality: any index row at or below the exact plan's
    farthest distance counts, once per id. None: the exact plan has no rows.
    """
    if not exact:
        return None
    farthest = exact[-1][-1]
    hits = {r[0] for r in index if r[-1] is not None and r[-1] <= farthest}
    return min(len(hits), len(exact)) / len(exact)


@dataclass(frozen=True)
class Threshold:
    """What a bucket's baseline says: below `value`, a recall is a finding."""

    samples: int
    quantile: float  # the QUANTILE quantile of the baseline's recalls
    median: float

    @property
    def value(self) -> float:
        return self.quantile - MARGIN

    @property
    def flags(self) -> bool:
        return self.samples >= MIN_SAMPLES and self.value > 0


def threshold(samples: Sequence[float]) -> Threshold:
    """The lower `QUANTILE` quantile (an order statistic: the minimum below 1/QUANTILE)."""
    ordered = sorted(samples)
    if not ordered:
        return Threshold(0, 0.0, 0.0)
    return Threshold(
        len(ordered), ordered[int(QUANTILE * len(ordered))], ordered[len(ordered) // 2]
    )


@cache
def baseline(path: Path = BASELINE) -> dict[str, Threshold]:
    """The shipped baseline's threshold per bucket key: the lower of the bucket's quantile
    and that of every bucket of the same index parameters pooled (over metric, dimension
    and rows). A bucket's few dozen checks miss the tail of a randomly built index: a
    replay of one HNSW m=4 case on the same data ranged from recall 0.39 to 1.0."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    pooled: dict[str, list[float]] = {}
    for key, b in data["buckets"].items():
        pooled.setdefault(_index_of(key), []).extend(b["recalls"])
    out = {}
    for key, b in data["buckets"].items():
        own, wide = threshold(b["recalls"]), threshold(pooled[_index_of(key)])
        out[key] = Threshold(own.samples, min(own.quantile, wide.quantile), own.median)
    return out


def _index_of(key: str) -> str:
    """A bucket key's index kind and parameters."""
    return "/".join(key.split("/")[:2])


def measure(queries: Sequence[str], outcomes: Sequence[Outcome]) -> tuple[Bucket, list[float]]:
    """A probe's bucket and its queries' recalls; raises Skip when they cannot be told."""
    rows: int | None = None
    runs: dict[str, list[Sequence[tuple]]] = {}
    for sql, outcome in zip(queries, outcomes, strict=True):
        if not outcome.ok:
            raise Skip(f"{sql.split(None, 1)[0]} failed: {sql[:80]}")
        if sql == COUNT and isinstance(outcome, Rows):
            rows = int(outcome.rows[0][0])
        elif _KNN.fullmatch(sql) and isinstance(outcome, Rows):
            runs.setdefault(sql, []).append(outcome.rows)
    bucket = bucket_of(queries, rows) if rows is not None else None
    if bucket is None:
        raise Skip("the probe is off the baseline's grid")
    # the plans come as `plans` orders them: the index's first, the exact plan's second
    found = [recall(done[1], done[0]) for done in runs.values() if len(done) == 2]
    recalls = [r for r in found if r is not None]
    if not recalls:
        raise Skip("no exact plan had rows")
    return bucket, recalls


def draw_probe(rng: random.Random, name: str) -> Probe:
    """One check on the grid: its table, index, setting and queries."""
    metric = rng.choice(list(METRICS.values()))
    n = rng.randint(*rng.choice(DIMS))
    count = rng.randint(*rng.choice(ROWS))
    vectors = draw_vectors(rng, n, count, metric.operator != "<=>")
    values = ", ".join(f"({i + 1}, 0, '{spell(v)}')" for i, v in enumerate(vectors))
    if rng.random() < 0.5:
        m, ef = rng.choice(HNSW)
        method, build = "hnsw", f"m = {m}, ef_construction = {ef}"
        setting = f"SET hnsw.ef_search = {rng.choice(EF_SEARCH)}"
    else:
        method, build = "ivfflat", f"lists = {rng.choice(LISTS)}"
        setting = f"SET ivfflat.probes = {rng.choice(PROBES)}"
    queries = [
        f"DROP TABLE IF EXISTS {TABLE}",
        f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, c integer, v vector({n}))",
        f"INSERT INTO {TABLE} (id, c, v) VALUES {values}",
        f"CREATE INDEX ann_docs_i ON {TABLE} USING {method} (v {metric.opclass}) WITH ({build})",
        COUNT,
    ]
    for _ in range(QUERIES):
        near = rng.choice(vectors)
        query = [x + rng.gauss(0, 0.05) * (abs(x) + 1e-3) for x in near]
        if metric.operator == "<=>" and not any(query):
            query = [1.0] * n
        queries += plans(knn_query(metric.operator, spell(query), K, None), setting)
    return Probe(name, "recall", (*queries, f"DROP TABLE {TABLE}"))


class ANNRecall(Oracle):
    name = "ann-recall"
    symptom = "low recall"
    description = (
        "Vector index recall: a k-NN query's recall@k through an HNSW or IVFFlat index, "
        "against the exact plan, must not fall far below what the same index parameters "
        "reach on comparable data (a baseline measured on stock pgvector)."
    )
    by_default = False

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        if not generator.caps.vector_extensions:
            return []
        return [draw_probe(generator.rng, self.name)]

    def run(self, probe: Probe, target: Engine, execute: Execute) -> list[Outcome] | None:
        return with_pgvector(self.context.dialect, probe, target, execute)

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        bucket, recalls = measure(probe.queries, outcomes)
        bound = self.bound(bucket)
        got = sum(recalls) / len(recalls)
        if bound is None or not bound.flags or got >= bound.value:
            return None
        expected = {
            "bucket": bucket.key,
            "baseline_checks": bound.samples,
            "quantile": QUANTILE,
            "quantile_recall": bound.quantile,
            "median_recall": bound.median,
            "threshold": round(bound.value, 4),
        }
        detail = (
            f"recall@{K} {got:.3f} under {bucket.key}: below {bound.value:.3f}, the "
            f"{QUANTILE} quantile {bound.quantile:.3f} of {bound.samples} baseline checks "
            f"minus {MARGIN}"
        )
        actual = {"recall": round(got, 4), "per_query": [round(r, 4) for r in recalls]}
        return Discrepancy(expected, actual, detail, variant="recall")

    def bound(self, bucket: Bucket) -> Threshold | None:
        """The bucket's threshold, from the shipped baseline."""
        return baseline().get(bucket.key)

    def confirms(self, seen: Discrepancy, again: Discrepancy) -> bool:
        """A replay rebuilds the index with fresh random choices: it confirms when its
        recall is below the same bucket's threshold too (the judge flags nothing else)."""
        return again.expected == seen.expected

    def reduce(
        self,
        statements: Sequence[str],
        target: Engine,
        like: Finding | None = None,
        max_time: float | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Reduction:
        """Fewer queries, rows and dimensions within the bucket (`oracles.ann_shrink`): a
        case that leaves its bucket is no finding of the bucket's threshold."""
        from oracles.ann_shrink import reduce_probe

        return reduce_probe(self, "recall", statements, target, like, max_time, progress)

    def returned_rows(self, probe: Probe, outcomes: Sequence[Outcome]) -> bool:
        return knn_had_rows(_KNN, probe, outcomes)

    @classmethod
    def case_query(cls, finding: Finding) -> str:
        return first_knn(_KNN, finding)


__all__ = ["ANNRecall", "Bucket", "Threshold", "bucket_of", "measure", "recall", "threshold"]
