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
from typing import TYPE_CHECKING

from fuzzer.dialects import get
from fuzzer.engines import Engine, Failure, Outcome, Rows
from fuzzer.generator import Generator
from oracles.base import Discrepancy, Execute, Oracle, Probe, Skip
from oracles.finding import Finding

if TYPE_CHECKING:
    from fuzzer.reduce import Reduction

TABLE = "ann_docs"
QUERIES = 3  # k-NN queries per check
TRUTH = f"SELECT id, c, v::text FROM {TABLE}"
#: relative rounding a float32 sum of at most a few dozen terms stays within
ROUNDING = 1e-5

#: hybrid checks' words, their documents (`d tsvector`) and the text queries over them
WORDS = ("red", "green", "blue", "cyan", "gray")
#: the weight of the text rank in a hybrid score, `(v <op> q) - WEIGHT * ts_rank(d, tq)`
WEIGHT = 0.5
_TSQ = r"to_tsquery\('simple', '[^']*'\)"
_KNN = re.compile(
    rf"SELECT id, v::text, (?P<score>v (?P<op><->|<#>|<=>) '(?P<q>\[[^']*\])'"
    rf"|\(v (?P<hop><->|<#>|<=>) '(?P<hq>\[[^']*\])'\)"
    rf" - {WEIGHT} \* ts_rank\(d, (?P<rank>{_TSQ})\))"
    rf" FROM {TABLE}(?: WHERE (?:c = (?P<c>-?\d+)|d @@ (?P<match>{_TSQ})))?"
    rf" ORDER BY (?P=score) LIMIT (?P<k>\d+)"
)
#: a text query's truth: whether each row's document matches it, and its rank
_TEXT = re.compile(rf"SELECT id, d @@ (?P<tq>{_TSQ}), ts_rank\(d, (?P=tq)\) FROM {TABLE}")


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def parse_vector(text: str) -> list[float]:
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


def spell(vector: Sequence[float]) -> str:
    return "[" + ",".join(repr(_f32(x)) for x in vector) + "]"


def draw_vectors(rng: random.Random, n: int, count: int, zero: bool) -> list[list[float]]:
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


def knn_query(
    operator: str, query: str, k: int, value: int | None, match: str = "", rank: str = ""
) -> str:
    """`ORDER BY v <op> q LIMIT k`, filtered by `c = value` or `d @@ match`; with `rank`,
    the order is the hybrid score `(v <op> q) - WEIGHT * ts_rank(d, rank)`."""
    where = f" WHERE c = {value}" if value is not None else f" WHERE d @@ {match}" if match else ""
    score = f"v {operator} '{query}'"
    if rank:
        score = f"({score}) - {WEIGHT} * ts_rank(d, {rank})"
    return f"SELECT id, v::text, {score} FROM {TABLE}{where} ORDER BY {score} LIMIT {k}"


def text_truth(tsquery: str) -> str:
    """The engine's own match and rank of every row for a text query, by a full scan."""
    return f"SELECT id, d @@ {tsquery}, ts_rank(d, {tsquery}) FROM {TABLE}"


def _document(rng: random.Random) -> str:
    return f"to_tsvector('simple', '{' '.join(rng.choices(WORDS, k=rng.randint(1, 3)))}')"


def _tsquery(rng: random.Random) -> str:
    a, b = rng.sample(WORDS, 2)
    text = rng.choice((a, f"{a} | {b}", f"{a} & {b}", f"!{a}", f"{a} | !{b}"))
    return f"to_tsquery('simple', '{text}')"


def plans(knn: str, setting: str) -> list[str]:
    """The query under its index, then under an exact plan; JIT off (disabled plans' costs)."""
    name = setting.split()[1]
    return [
        "SET jit = off",
        "SET enable_seqscan = off", setting, knn, f"RESET {name}", "RESET enable_seqscan",
        "SET enable_indexscan = off", knn, "RESET enable_indexscan",
        "RESET jit",
    ]  # fmt: skip


def with_pgvector(dialect: str, probe: Probe, target: Engine, execute: Execute) -> list[Outcome]:
    """The probe run after pgvector is installed as the URL's user; without it every
    statement is skipped."""
    extensions = get(dialect).capabilities.vector_extensions
    if not extensions or not all(target.install(e) for e in extensions):
        missing = Failure("0A000", "install", "pgvector cannot be installed here")
        return [missing] * len(probe.queries)
    return [execute(target, q) for q in probe.queries]


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


#: a text query's truth: row id -> (its document matches, its rank), as the engine says
Texts = dict[str, dict[int, tuple[bool, float]]]


@dataclass(frozen=True)
class Knn:
    """What a k-NN query asks."""

    metric: Metric
    query: list[float]
    value: int | None  # the `c = value` filter
    match: str | None  # the `d @@ match` filter
    rank: str | None  # the text query of a hybrid score
    k: int

    def keeps(self, id_: int, row: Row, texts: Texts) -> bool:
        """Whether the row satisfies the query's filter."""
        if self.value is not None:
            return row.c == self.value
        return self.match is None or texts[self.match][id_][0]

    def score(self, id_: int, row: Row, texts: Texts) -> tuple[float, float]:
        """The row's true score and the rounding it may carry: the distance, less the
        engine's own rank (re-read) times the weight, in double precision, for a hybrid."""
        distance, rounding = self.metric.distance(row.vector, self.query)
        if self.rank is None:
            return distance, rounding
        rank = texts[self.rank][id_][1]
        return distance - WEIGHT * rank, rounding + ROUNDING * (abs(distance) + WEIGHT * rank)


def _read(knn: str) -> Knn:
    m = _KNN.fullmatch(knn)
    assert m is not None
    operator, query = (m["op"], m["q"]) if m["op"] else (m["hop"], m["hq"])
    value = None if m["c"] is None else int(m["c"])
    return Knn(METRICS[operator], parse_vector(query), value, m["match"], m["rank"], int(m["k"]))


def check_run(
    knn: str, plan: str, rows: Sequence[tuple], truth: dict[int, Row], texts: Texts | None = None
) -> Discrepancy | None:
    """The invariants every run of a k-NN query keeps, index or not; `texts`: the truth of
    the text queries a hybrid query filters or ranks by."""
    ask, texts = _read(knn), texts or {}
    k = ask.k
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
        if not ask.keeps(id_, row, texts):
            what = f"c = {row.c}" if ask.value is not None else f"a document outside {ask.match}"
            return _finding("filter", knn, plan, f"row {id_} has {what}", ask.value, row.c)
        true, rounding = ask.score(id_, row, texts)
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
    knn: str,
    plan: str,
    exact: Sequence[tuple],
    index: Sequence[tuple],
    truth: dict[int, Row],
    texts: Texts | None = None,
) -> Discrepancy | None:
    """The exact plan has the k nearest; the index's nearer rows are among them."""
    ask, texts = _read(knn), texts or {}
    k = ask.k
    distances = [ask.score(i, r, texts) for i, r in truth.items() if ask.keeps(i, r, texts)]
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
        _, rounding = ask.score(id_, truth[id_], texts)
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
        vectors = draw_vectors(rng, n, count + 8, zero)
        hybrid = rng.random() < 0.4  # a document column, for text filters and hybrid scores
        columns = "(id, c, v, d)" if hybrid else "(id, c, v)"

        def row(id_: int, vector: list[float]) -> str:
            document = f", {_document(rng)}" if hybrid else ""
            return f"({id_}, {rng.randint(0, 3)}, '{spell(vector)}'{document})"

        values = ", ".join(row(i + 1, v) for i, v in enumerate(vectors[:count]))
        create, setting = _index(rng, metric.opclass)
        document = ", d tsvector" if hybrid else ""
        build = [
            f"DROP TABLE IF EXISTS {TABLE}",
            f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, c integer, v vector({n}){document})",
            f"INSERT INTO {TABLE} {columns} VALUES {values}",
            create,
        ]
        if hybrid and rng.random() < 0.5:
            build.append(f"CREATE INDEX ann_docs_t ON {TABLE} USING gin (d)")
        later = vectors[count:]
        if rng.random() < 0.6:
            extra = rng.randint(1, len(later))
            rows = ", ".join(row(count + i + 1, v) for i, v in enumerate(later[:extra]))
            build.append(f"INSERT INTO {TABLE} {columns} VALUES {rows}")
        if rng.random() < 0.4:
            build.append(
                f"UPDATE {TABLE} SET v = '{spell(rng.choice(vectors))}' "
                f"WHERE id = {rng.randint(1, count)}"
            )
        if rng.random() < 0.5:
            gone = sorted(rng.sample(range(1, count + 1), rng.randint(1, 3)))
            build.append(f"DELETE FROM {TABLE} WHERE id IN ({', '.join(map(str, gone))})")
        checks, texts = [TRUTH], []
        for _ in range(QUERIES):
            # cosine only where no vector is zero (its distance would be NaN)
            others = [o for o in METRICS if zero is False or o != "<=>"]
            operator = metric.operator if rng.random() < 0.8 else rng.choice(others)
            pool = vectors if operator != "<=>" else [v for v in vectors if any(v)]
            query = spell(
                rng.choice(pool)
                if rng.random() < 0.5
                else [x + rng.gauss(0, 0.1) for x in rng.choice(pool)]
            )
            value = rng.randint(0, 3) if rng.random() < 0.4 else None
            match = rank = ""
            if hybrid and rng.random() < 0.7:  # filtered by the text, or ranked by it too
                tsquery = _tsquery(rng)
                value, texts = None, [*texts, text_truth(tsquery)]
                match, rank = (tsquery, "") if rng.random() < 0.5 else ("", tsquery)
            knn = knn_query(operator, query, rng.randint(1, 10), value, match, rank)
            checks += plans(knn, setting)
        checks[1:1] = dict.fromkeys(texts)
        return [Probe(self.name, "knn", (*build, *checks, f"DROP TABLE {TABLE}"))]

    def run(self, probe: Probe, target: Engine, execute: Execute) -> list[Outcome] | None:
        return with_pgvector(self.context.dialect, probe, target, execute)

    def from_text(self, sql: str) -> list[Probe]:
        knn = sql.strip().rstrip(";")
        m = _KNN.fullmatch(knn)
        if m is None:
            return []
        texts = [text_truth(t) for t in dict.fromkeys((m["match"], m["rank"])) if t]
        queries = [TRUTH, *texts, *plans(knn, "SET hnsw.ef_search = 40")]
        return [self.text_probe("knn", queries, sql)]

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        truth: dict[int, Row] | None = None
        texts: Texts = {}
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
                truth = {i: Row(c, text, parse_vector(text)) for i, c, text in outcome.rows}
            elif (m := _TEXT.fullmatch(sql)) and isinstance(outcome, Rows):
                texts[m["tq"]] = {i: (bool(hit), float(rank)) for i, hit, rank in outcome.rows}
            elif _KNN.fullmatch(sql) and isinstance(outcome, Rows):
                plan = "the exact plan" if "enable_indexscan" in settings else "the index"
                runs.setdefault(sql, []).append((plan, outcome.rows))
        if truth is None or not runs:
            raise Skip("nothing to judge")
        for knn, done in runs.items():
            ask = _read(knn)
            if any(t is not None and t not in texts for t in (ask.match, ask.rank)):
                raise Skip("a text query's truth was not read")
            for plan, rows in done:
                found = check_run(knn, plan, rows, truth, texts)
                if found is not None:
                    return found
            index = [rows for plan, rows in done if plan == "the index"]
            exact = [rows for plan, rows in done if plan == "the exact plan"]
            if exact:
                found = check_exact(
                    knn, "the exact plan", exact[0], index[0] if index else [], truth, texts
                )
                if found is not None:
                    return found
        return None

    def reduce(
        self,
        statements: Sequence[str],
        target: Engine,
        like: Finding | None = None,
        max_time: float | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Reduction:
        """Fewer queries, statements, rows and dimensions (`oracles.ann_shrink`)."""
        from oracles.ann_shrink import reduce_probe

        return reduce_probe(self, "knn", statements, target, like, max_time, progress)

    def returned_rows(self, probe: Probe, outcomes: Sequence[Outcome]) -> bool:
        return knn_had_rows(_KNN, probe, outcomes)

    @classmethod
    def case_query(cls, finding: Finding) -> str:
        side = finding.actual
        if isinstance(side, dict) and "query" in side:
            return str(side["query"])
        return first_knn(_KNN, finding)


def knn_had_rows(knn: re.Pattern[str], probe: Probe, outcomes: Sequence[Outcome]) -> bool:
    """A k-NN query of the probe (one `knn` matches) returned rows."""
    return any(
        isinstance(o, Rows) and bool(o.rows) and knn.fullmatch(q) is not None
        for q, o in zip(probe.queries, outcomes, strict=False)
    )


def first_knn(knn: re.Pattern[str], finding: Finding) -> str:
    """A stored finding's first k-NN query (one `knn` matches), else its first query."""
    return next((q for q in finding.queries if knn.fullmatch(q)), finding.queries[0])


__all__ = ["METRICS", "ANNInvariants", "check_exact", "check_run", "cosine", "l2"]
