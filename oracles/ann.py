"""Approximate nearest neighbours (`--oracle ann-invariants`): what a vector index returns
must be true, even where it may miss neighbours.

An HNSW or IVFFlat index may legally return other rows than the exact k nearest: recall is
statistical. What it returns is not. Each check builds its own table (`ann_docs`) of small
pgvector `vector(n)` columns: clustered vectors, duplicates, near-ties, zero vectors, extreme
magnitudes and a filter column; it indexes them (HNSW with `m` and `ef_construction`, IVFFlat
with `lists`, for the L2, inner-product or cosine operator class), then inserts, updates and
deletes rows, and runs k-NN queries `ORDER BY v <op> q LIMIT k`, with and without a filter,
under the index (`hnsw.ef_search`, `ivfflat.probes`) and under an exact plan (index scans
off). For every run, with zero tolerance:

- at most k rows, no row twice, no deleted row, each row's vector the table's current one;
- every row satisfies the filter;
- every returned distance is the distance recomputed from the row's vector in the engine's
  float width (float32 sums, as pgvector adds), within the rounding of that sum;
- the rows come in the order of their distance;
- the exact plan returns the k smallest recomputed distances, and every row the index returns
  nearer than the exact plan's farthest is among the exact plan's rows.

pgvector is not a trusted extension: the engine installs it as the URL's user
(`Engine.install`, the dialect's `vector_extensions`); where it cannot, the checks are skipped.
A check's table is built inside its probe (after the install), so a finding replays whole.
Cosine checks draw no zero vector (its distance is NaN, which no order places).
"""

from __future__ import annotations

import math
import random
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fuzzer.dialects import get
from fuzzer.engines import Engine, Failure, Outcome, Rows
from fuzzer.generator import Generator
from oracles.base import Discrepancy, Execute, Oracle, Probe, Skip
from oracles.finding import Finding

TABLE = "ann_docs"
QUERIES = 3  # k-NN queries per check
TRUTH = f"SELECT id, c, v::text FROM {TABLE}"
#: relative rounding a float32 sum of at most a few dozen terms stays within
ROUNDING = 1e-5

_KNN = re.compile(
    rf"SELECT id, v::text, v (<->|<#>|<=>) '(\[[^']*\])' FROM {TABLE}(?: WHERE c = (-?\d+))?"
    rf" ORDER BY v \1 '\2' LIMIT (\d+)"
)


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _parse(text: str) -> list[float]:
    return [_f32(float(x)) for x in text.strip("[]").split(",")]


# -- distances, as pgvector computes them: float32 sums, then double ---------------------------


def l2(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """The distance and the rounding it may carry."""
    total = 0.0
    for x, y in zip(a, b, strict=True):
        d = _f32(x - y)
        total = _f32(total + _f32(d * d))
    distance = math.sqrt(total)
    return distance, ROUNDING * distance


def negative_inner_product(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    total, size = 0.0, 0.0
    for x, y in zip(a, b, strict=True):
        total = _f32(total + _f32(x * y))
        size += abs(x * y)
    return -total, ROUNDING * size


def cosine(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    dot = na = nb = 0.0
    size = 0.0
    for x, y in zip(a, b, strict=True):
        dot = _f32(dot + _f32(x * y))
        na = _f32(na + _f32(x * x))
        nb = _f32(nb + _f32(y * y))
        size += abs(x * y)
    norms = math.sqrt(na * nb)
    if norms == 0:
        return math.nan, 0.0
    similarity = max(-1.0, min(1.0, dot / norms))
    return 1.0 - similarity, ROUNDING * (size / norms + 1)


@dataclass(frozen=True)
class Metric:
    operator: str
    opclass: str  # HNSW's and IVFFlat's operator class
    distance: Callable[[Sequence[float], Sequence[float]], tuple[float, float]]


METRICS = {
    m.operator: m
    for m in (
        Metric("<->", "vector_l2_ops", l2),
        Metric("<#>", "vector_ip_ops", negative_inner_product),
        Metric("<=>", "vector_cosine_ops", cosine),
    )
}


# -- drawing -----------------------------------------------------------------------------------


def _spell(vector: Sequence[float]) -> str:
    return "[" + ",".join(repr(_f32(x)) for x in vector) + "]"


def _vectors(rng: random.Random, n: int, count: int, zero: bool) -> list[list[float]]:
    """Clusters, duplicates, near-ties, extreme magnitudes, and zero vectors if `zero`."""
    scale = rng.choice((1.0, 1.0, 100.0, 1e-3))
    centers = [[rng.uniform(-1, 1) * scale for _ in range(n)] for _ in range(rng.randint(1, 3))]
    out: list[list[float]] = []
    while len(out) < count:
        draw = rng.random()
        if out and draw < 0.15:
            out.append(list(rng.choice(out)))  # a duplicate
        elif out and draw < 0.25:
            base = rng.choice(out)  # a near-tie
            out.append([x + rng.choice((-1, 1)) * 1e-6 * max(abs(x), 1e-3) for x in base])
        elif zero and draw < 0.3:
            out.append([0.0] * n)
        elif draw < 0.35:
            big = rng.choice((1e4, 1e-4))
            out.append([rng.uniform(-1, 1) * big for _ in range(n)])
        else:
            center = rng.choice(centers)
            out.append([x + rng.gauss(0, 0.05 * scale) for x in center])
    if not zero:  # cosine: a vector rounded to zero has no direction either
        out = [v if any(_f32(x) for x in v) else [1.0] * n for v in out]
    return out


def _index(rng: random.Random, opclass: str) -> tuple[str, str]:
    """The index, and the setting its scans read."""
    if rng.random() < 0.6:
        m = rng.choice((2, 4, 8, 16))
        ef = rng.choice((2 * m, 2 * m, 64))
        create = (
            f"CREATE INDEX ann_docs_i ON {TABLE} USING hnsw (v {opclass}) "
            f"WITH (m = {m}, ef_construction = {ef})"
        )
        return create, f"SET hnsw.ef_search = {rng.choice((1, 2, 5, 10, 40))}"
    lists = rng.randint(1, 4)
    create = (
        f"CREATE INDEX ann_docs_i ON {TABLE} USING ivfflat (v {opclass}) WITH (lists = {lists})"
    )
    return create, f"SET ivfflat.probes = {rng.choice((1, 2, 10))}"


def _knn(operator: str, query: str, k: int, value: int | None) -> str:
    where = "" if value is None else f" WHERE c = {value}"
    return (
        f"SELECT id, v::text, v {operator} '{query}' FROM {TABLE}{where} "
        f"ORDER BY v {operator} '{query}' LIMIT {k}"
    )


def _plans(knn: str, setting: str) -> list[str]:
    """The query under its index, then under an exact plan; JIT off (disabled plans' costs)."""
    name = setting.split()[1]
    return [
        "SET jit = off",
        "SET enable_seqscan = off", setting, knn, f"RESET {name}", "RESET enable_seqscan",
        "SET enable_indexscan = off", knn, "RESET enable_indexscan",
        "RESET jit",
    ]  # fmt: skip


# -- judging -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    c: int
    text: str
    vector: list[float]


def _finding(
    kind: str, knn: str, plan: str, detail: str, expected: object, actual: object
) -> Discrepancy:
    """A broken invariant: `kind` is the finding's variant."""
    return Discrepancy(
        {"query": knn, "plan": plan, "rows": expected},
        {"query": knn, "plan": plan, "rows": actual},
        detail,
        variant=kind,
    )


def _read(knn: str) -> tuple[Metric, list[float], int | None, int]:
    """A k-NN query's metric, query vector, filter value (None: no filter) and k."""
    m = _KNN.fullmatch(knn)
    assert m is not None
    value = None if m.group(3) is None else int(m.group(3))
    return METRICS[m.group(1)], _parse(m.group(2)), value, int(m.group(4))


def check_run(
    knn: str, plan: str, rows: Sequence[tuple], truth: dict[int, Row]
) -> Discrepancy | None:
    """The invariants every run of a k-NN query keeps, index or not."""
    metric, query, value, k = _read(knn)
    ids = [r[0] for r in rows]
    if len(rows) > k:
        return _finding("limit", knn, plan, f"{len(rows)} rows under LIMIT {k}", k, ids)
    if len(set(ids)) < len(ids):
        return _finding("duplicate", knn, plan, "a row comes back twice", sorted(set(ids)), ids)
    previous, previous_rounding = -math.inf, 0.0
    for id_, text, distance in rows:
        row = truth.get(id_)
        if row is None:
            return _finding(
                "deleted", knn, plan, f"row {id_} is not in the table", sorted(truth), ids
            )
        if row.text != text:
            return _finding(
                "stale", knn, plan, f"row {id_} comes back with another vector", row.text, text
            )
        if value is not None and row.c != value:
            return _finding("filter", knn, plan, f"row {id_} has c = {row.c}", value, row.c)
        true, rounding = metric.distance(row.vector, query)
        if math.isnan(true) or distance is None or math.isnan(distance):
            raise Skip("a NaN distance")
        if abs(distance - true) > rounding:
            return _finding(
                "distance",
                knn,
                plan,
                f"row {id_} at {distance!r}, recomputed {true!r}",
                true,
                distance,
            )
        # within rounding: an index may order by its own computation (HNSW's cosine
        # normalises the vectors first), which the select list's distance need not repeat
        if distance < previous - rounding - previous_rounding:
            return _finding(
                "order", knn, plan, f"row {id_} at {distance!r} after one at {previous!r}",
                sorted(r[2] for r in rows), [r[2] for r in rows],
            )  # fmt: skip
        previous, previous_rounding = distance, rounding
    return None


def check_exact(
    knn: str, plan: str, exact: Sequence[tuple], index: Sequence[tuple], truth: dict[int, Row]
) -> Discrepancy | None:
    """The exact plan has the k nearest; the index's nearer rows are among them."""
    metric, query, value, k = _read(knn)
    distances = [metric.distance(r.vector, query) for r in truth.values() if value in (None, r.c)]
    if any(math.isnan(d) for d, _ in distances):
        raise Skip("a NaN distance")
    candidates = sorted(distances)[:k]
    got = [r[2] for r in exact]
    if len(got) != len(candidates) or any(
        abs(d - true) > rounding for d, (true, rounding) in zip(got, candidates, strict=False)
    ):
        return _finding(
            "exact",
            knn,
            plan,
            f"the exact plan's {len(got)} distances are not the {len(candidates)} nearest",
            [t for t, _ in candidates],
            got,
        )
    if not exact:
        return None
    farthest = exact[-1][2]
    chosen = {r[0] for r in exact}
    for id_, _, distance in index:
        _, rounding = metric.distance(truth[id_].vector, query)
        if (len(exact) < k or distance < farthest - 2 * rounding) and id_ not in chosen:
            return _finding(
                "superset",
                knn,
                plan,
                f"the index returns row {id_} at "
                f"{distance!r}, nearer than the exact plan's farthest {farthest!r}, "
                "which does not",
                sorted(chosen),
                [r[0] for r in index],
            )
    return None


class ANNInvariants(Oracle):
    name = "ann-invariants"
    symptom = "wrong rows"
    description = (
        "Vector index invariants: a k-NN query through an HNSW or IVFFlat index may miss "
        "neighbours, but what it returns must be at most k current rows that satisfy the "
        "filter, with their true distances, in distance order, and the exact plan must "
        "return the k nearest."
    )
    by_default = False

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        if not generator.caps.vector_extensions:
            return []
        rng = generator.rng
        metric = rng.choice(list(METRICS.values()))
        n = rng.randint(2, 6)
        zero = metric.operator != "<=>"
        count = rng.randint(8, 40)
        vectors = _vectors(rng, n, count + 8, zero)
        values = ", ".join(
            f"({i + 1}, {rng.randint(0, 3)}, '{_spell(v)}')" for i, v in enumerate(vectors[:count])
        )
        create, setting = _index(rng, metric.opclass)
        build = [
            f"DROP TABLE IF EXISTS {TABLE}",
            f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, c integer, v vector({n}))",
            f"INSERT INTO {TABLE} (id, c, v) VALUES {values}",
            create,
        ]
        later = vectors[count:]
        if rng.random() < 0.6:
            extra = rng.randint(1, len(later))
            rows = ", ".join(
                f"({count + i + 1}, {rng.randint(0, 3)}, '{_spell(v)}')"
                for i, v in enumerate(later[:extra])
            )
            build.append(f"INSERT INTO {TABLE} (id, c, v) VALUES {rows}")
        if rng.random() < 0.4:
            build.append(
                f"UPDATE {TABLE} SET v = '{_spell(rng.choice(vectors))}' "
                f"WHERE id = {rng.randint(1, count)}"
            )
        if rng.random() < 0.5:
            gone = sorted(rng.sample(range(1, count + 1), rng.randint(1, 3)))
            build.append(f"DELETE FROM {TABLE} WHERE id IN ({', '.join(map(str, gone))})")
        checks = [TRUTH]
        for _ in range(QUERIES):
            # cosine only where no vector is zero (its distance would be NaN)
            others = [o for o in METRICS if zero is False or o != "<=>"]
            operator = metric.operator if rng.random() < 0.8 else rng.choice(others)
            pool = vectors if operator != "<=>" else [v for v in vectors if any(v)]
            query = _spell(
                rng.choice(pool)
                if rng.random() < 0.5
                else [x + rng.gauss(0, 0.1) for x in rng.choice(pool)]
            )
            value = rng.randint(0, 3) if rng.random() < 0.4 else None
            checks += _plans(_knn(operator, query, rng.randint(1, 10), value), setting)
        return [Probe(self.name, "knn", (*build, *checks, f"DROP TABLE {TABLE}"))]

    def run(self, probe: Probe, target: Engine, execute: Execute) -> list[Outcome] | None:
        """pgvector first, as the URL's user; without it every statement is skipped."""
        extensions = get(self.context.dialect).capabilities.vector_extensions
        if not extensions or not all(target.install(e) for e in extensions):
            missing = Failure("0A000", "install", "pgvector cannot be installed here")
            return [missing] * len(probe.queries)
        return [execute(target, q) for q in probe.queries]

    def from_text(self, sql: str) -> list[Probe]:
        knn = sql.strip().rstrip(";")
        if _KNN.fullmatch(knn) is None:
            return []
        return [self.text_probe("knn", [TRUTH, *_plans(knn, "SET hnsw.ef_search = 40")], sql)]

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        truth: dict[int, Row] | None = None
        runs: dict[str, list[tuple[str, Sequence[tuple]]]] = {}
        settings: list[str] = []
        for sql, outcome in zip(probe.queries, outcomes, strict=True):
            verb = sql.split(None, 1)[0].upper()
            if verb in ("CREATE", "INSERT") and not outcome.ok:
                raise Skip(f"the table was not built: {sql}")
            if verb in ("SET", "RESET"):
                if not outcome.ok:
                    raise Skip(f"the engine refused {sql}")
                name = sql.split()[1]
                settings = [s for s in settings if s != name] + ([name] if verb == "SET" else [])
            elif sql == TRUTH and isinstance(outcome, Rows):
                truth = {i: Row(c, text, _parse(text)) for i, c, text in outcome.rows}
            elif _KNN.fullmatch(sql) and isinstance(outcome, Rows):
                plan = "the exact plan" if "enable_indexscan" in settings else "the index"
                runs.setdefault(sql, []).append((plan, outcome.rows))
        if truth is None or not runs:
            raise Skip("nothing to judge")
        for knn, done in runs.items():
            for plan, rows in done:
                found = check_run(knn, plan, rows, truth)
                if found is not None:
                    return found
            index = [rows for plan, rows in done if plan == "the index"]
            exact = [rows for plan, rows in done if plan == "the exact plan"]
            if exact:
                found = check_exact(
                    knn, "the exact plan", exact[0], index[0] if index else [], truth
                )
                if found is not None:
                    return found
        return None

    def returned_rows(self, probe: Probe, outcomes: Sequence[Outcome]) -> bool:
        return any(
            isinstance(o, Rows) and o.rows and _KNN.fullmatch(q)
            for q, o in zip(probe.queries, outcomes, strict=False)
        )

    @classmethod
    def case_query(cls, finding: Finding) -> str:
        side = finding.actual
        if isinstance(side, dict) and "query" in side:
            return str(side["query"])
        return next((q for q in finding.queries if _KNN.fullmatch(q)), finding.queries[0])


__all__ = ["METRICS", "ANNInvariants", "check_exact", "check_run", "cosine", "l2"]
