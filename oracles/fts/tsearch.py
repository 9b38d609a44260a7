"""PostgreSQL's full-text search for the fts oracle: `tsvector @@ tsquery` under each plan.

A check's table keeps documents (a title and a body) and their vector: a stored generated
column or, for an expression index, the `to_tsvector` expression itself (the planner must
match it). The vector is drawn from a configuration, weights (`setweight`), concatenation and
sometimes `strip`; one GIN index (fastupdate on or off, a small pending list) or GiST index (a
signature length from 1 byte) covers it, and rows are inserted, updated and deleted after it
(a GIN pending list holds them). Text queries are drawn in every constructor the manual has:
`to_tsquery` with `& | ! <-> <N>`, prefix `:*` and weights, `plainto_`, `phraseto_`,
`websearch_to_tsquery`, a bare `tsquery` literal, and their combinations (`&&`, `||`, `!!`,
`<->`, `tsquery_phrase`).

Each query runs under a sequential scan, under `enable_seqscan = off` (a bitmap scan of the
index) and with bitmap scans off too (GiST's plain index scan); the engine's own `::text` of
the vectors and of the query feed `oracles.tsquery`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from fuzzer.engines import Outcome, Rows
from oracles.base import Discrepancy, Skip
from oracles.fts.documents import QUERY_WORDS, document, quote
from oracles.fts.verdict import Answers, Run, verdict
from oracles.tsquery import Unsupported, Vector, matches, parse_query, parse_vector

TABLE = "fts_docs"
CONFIGURATIONS = ("english", "english", "simple", "german", "french")
#: plan -> the settings that force it (set before the query, reset after it)
PLANS = {
    "a sequential scan": ("enable_indexscan", "enable_bitmapscan"),
    "enable_seqscan=off": ("enable_seqscan",),
    "enable_seqscan=off, enable_bitmapscan=off": ("enable_seqscan", "enable_bitmapscan"),
}
QUERIES = 4  # text queries per check

_FILTER = re.compile(rf"SELECT id FROM {TABLE} WHERE (.+?) @@ \((.*)\)", re.DOTALL)
_VECTORS = re.compile(rf"SELECT id, \((.*)\)::text FROM {TABLE}", re.DOTALL)
_TEXT = re.compile(r"SELECT \((.*)\)::text", re.DOTALL)


def _vectors(vector: str) -> str:
    return f"SELECT id, ({vector})::text FROM {TABLE}"


def _text(query: str) -> str:
    return f"SELECT ({query})::text"


def _filter(vector: str, query: str) -> str:
    return f"SELECT id FROM {TABLE} WHERE {vector} @@ ({query})"


def _plans(filters: Sequence[str]) -> list[str]:
    """The filters under each plan: the settings, the queries, the resets. JIT is off: a
    disabled plan's huge cost would have every query compiled."""
    out = ["SET jit = off"]
    for settings in PLANS.values():
        out += [f"SET {s} = off" for s in settings]
        out += filters
        out += [f"RESET {s}" for s in settings]
    return [*out, "RESET jit"]


# -- drawing -----------------------------------------------------------------------------------


def _term(rng: random.Random) -> str:
    word = rng.choice(QUERY_WORDS)
    flags = "*" if rng.random() < 0.25 else ""
    if rng.random() < 0.15:
        weights = "".join(sorted(rng.sample("ABCD", rng.randint(1, 3))))
        flags = flags + weights if rng.random() < 0.5 else weights + flags
    return f"{word}:{flags}" if flags else word


def _tsquery(rng: random.Random, depth: int, phrase: bool = False) -> str:
    """Text in to_tsquery's syntax; under a phrase operator mostly phrases and lexemes (the
    evaluator leaves a boolean inside a phrase to the plans' comparison alone)."""
    draw = rng.random()
    if depth <= 0 or draw < 0.3:
        return _term(rng)
    if phrase and rng.random() < 0.85:
        op = rng.choice(("<->", f"<{rng.randint(0, 3)}>"))
    elif draw < 0.4:
        return "!" + _tsquery(rng, depth - 1)
    else:
        op = rng.choice(("&", "|", "<->", "<->", f"<{rng.randint(0, 3)}>"))
    inner = op.startswith("<")
    text = f"{_tsquery(rng, depth - 1, inner)} {op} {_tsquery(rng, depth - 1, inner)}"
    return f"({text})" if rng.random() < 0.6 or inner else text


def _words(rng: random.Random) -> str:
    return " ".join(rng.choice(QUERY_WORDS) for _ in range(rng.randint(1, 4)))


def _websearch(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        draw = rng.random()
        if draw < 0.2:
            parts.append(f'"{_words(rng)}"')
        elif draw < 0.35:
            parts.append("or")
        elif draw < 0.5:
            parts.append("-" + rng.choice(QUERY_WORDS))
        else:
            parts.append(rng.choice(QUERY_WORDS))
    return " ".join(parts)


def _query(rng: random.Random, configuration: str, depth: int = 2) -> str:
    """A tsquery expression, in one of the constructors or combinations."""
    config = quote(configuration if rng.random() < 0.8 else rng.choice(CONFIGURATIONS))
    draw = rng.random()
    if draw < 0.45 or (depth <= 0 and draw >= 0.85):
        return f"to_tsquery({config}, {quote(_tsquery(rng, 3))})"
    if draw < 0.55:
        return f"plainto_tsquery({config}, {quote(_words(rng))})"
    if draw < 0.65:
        return f"phraseto_tsquery({config}, {quote(_words(rng))})"
    if draw < 0.8:
        return f"websearch_to_tsquery({config}, {quote(_websearch(rng))})"
    if draw < 0.85:
        return f"CAST({quote(_tsquery(rng, 2))} AS tsquery)"
    a, b = _query(rng, configuration, depth - 1), _query(rng, configuration, depth - 1)
    return rng.choice((f"({a} && {b})", f"({a} || {b})", f"(!! {a})", f"({a} <-> {b})",
                       f"tsquery_phrase({a}, {b}, {rng.randint(0, 3)})"))  # fmt: skip


def _vector(rng: random.Random, configuration: str) -> str:
    config = quote(configuration)
    body = f"to_tsvector({config}, body)"
    if rng.random() < 0.2:
        body = f"setweight({body}, {quote(rng.choice('ABCD'))})"
    if rng.random() < 0.5:
        title = f"setweight(to_tsvector({config}, coalesce(title, '')), {quote(rng.choice('ABC'))})"
        body = f"{title} || {body}"
    return f"strip({body})" if rng.random() < 0.1 else body


def _row(rng: random.Random, id_: int) -> str:
    title = quote(document(rng, 3)) if rng.random() < 0.6 else "NULL"
    body = quote(document(rng)) if rng.random() < 0.95 else rng.choice(("NULL", "''"))
    return f"({id_}, {title}, {body})"


def _index(rng: random.Random, key: str) -> str:
    if rng.random() < 0.5:
        options = rng.choice(
            ("", " WITH (fastupdate = off)", " WITH (gin_pending_list_limit = 64)")
        )
        return f"CREATE INDEX fts_docs_i ON {TABLE} USING gin ({key}){options}"
    opclass = rng.choice(("", f" tsvector_ops (siglen = {rng.choice((1, 2, 8, 124, 500))})"))
    return f"CREATE INDEX fts_docs_i ON {TABLE} USING gist ({key}{opclass})"


def _changes(rng: random.Random, count: int) -> list[str]:
    """Inserts, updates and deletes after the index is built."""
    out = []
    extra = rng.randint(0, 6)
    if extra:
        rows = ", ".join(_row(rng, count + n) for n in range(1, extra + 1))
        out.append(f"INSERT INTO {TABLE} (id, title, body) VALUES {rows}")
    for _ in range(rng.randint(0, 2)):
        out.append(f"UPDATE {TABLE} SET body = {quote(document(rng))} "
                   f"WHERE id = {rng.randint(1, count + extra)}")  # fmt: skip
    if rng.random() < 0.5:
        gone = sorted(rng.sample(range(1, count + extra + 1), rng.randint(1, 2)))
        out.append(f"DELETE FROM {TABLE} WHERE id IN ({', '.join(map(str, gone))})")
    return out


# -- the back-end --------------------------------------------------------------------------------


class TextSearch:
    """The fts oracle's PostgreSQL back-end (see the module doc)."""

    def draw(self, rng: random.Random) -> tuple[list[str], list[str], list[str]]:
        configuration = rng.choice(CONFIGURATIONS)
        vector = _vector(rng, configuration)
        stored = rng.random() < 0.5
        column = " tsv tsvector GENERATED ALWAYS AS (" + vector + ") STORED," if stored else ""
        key = "tsv" if stored else f"({vector})"
        count = rng.randint(3, 16)
        rows = ", ".join(_row(rng, n) for n in range(1, count + 1))
        build = [
            f"DROP TABLE IF EXISTS {TABLE}",
            f"CREATE TABLE {TABLE} (id integer PRIMARY KEY,{column} title text, body text)",
            f"INSERT INTO {TABLE} (id, title, body) VALUES {rows}",
            _index(rng, key),
            *_changes(rng, count),
        ]
        queries = [_query(rng, configuration) for _ in range(QUERIES)]
        checks = [_vectors(key), *(_text(q) for q in queries),
                  *_plans([_filter(key, q) for q in queries])]  # fmt: skip
        return build, checks, [f"DROP TABLE {TABLE}"]

    def checks(self, sql: str) -> list[str] | None:
        m = _FILTER.fullmatch(sql)
        if m is None:
            return None
        return [sql, _vectors(m.group(1)), _text(m.group(2)), *_plans([sql])]

    def is_run(self, sql: str) -> bool:
        return _FILTER.fullmatch(sql) is not None

    def judge(self, queries: Sequence[str], outcomes: Sequence[Outcome]) -> Discrepancy | None:
        vectors: dict[int, Vector | None] | None = None
        texts: dict[str, str] = {}
        answers: dict[str, Answers] = {}
        failed: set[str] = set()
        plan: list[str] = []
        for sql, outcome in zip(queries, outcomes, strict=True):
            verb = sql.split(None, 1)[0].upper()
            if verb in ("SET", "RESET"):
                if not outcome.ok:
                    raise Skip(f"the engine refused {sql}")
                setting = sql.split()[1]
                plan = [*plan, setting] if verb == "SET" else [s for s in plan if s != setting]
                continue
            if (m := _FILTER.fullmatch(sql)) is not None:
                key = m.group(2)
                if not isinstance(outcome, Rows):
                    failed.add(key)
                    continue
                name = _plan_name(plan)
                answer = answers.setdefault(key, Answers(key))
                answer.runs.append(Run(name, sql, tuple(r[0] for r in outcome.rows)))
            elif (m := _VECTORS.fullmatch(sql)) is not None and isinstance(outcome, Rows):
                # a NULL vector matches nothing, whatever the query: it is left out
                vectors = {i: _parsed(text) for i, text in outcome.rows if text is not None}
            elif (m := _TEXT.fullmatch(sql)) is not None and isinstance(outcome, Rows):
                texts[m.group(1)] = outcome.rows[0][0]
        for key, answer in answers.items():
            if key in texts:
                answer.query = texts[key] or "(an empty tsquery)"
            answer.expected = _expected(vectors, texts.get(key))
        return verdict(a for k, a in answers.items() if k not in failed)


def _plan_name(settings: Sequence[str]) -> str:
    planner = sorted(s for s in settings if s.startswith("enable_"))
    for name, forced in PLANS.items():
        if sorted(forced) == planner:
            return name
    return ", ".join(f"{s}=off" for s in planner) or "the default plan"


def _parsed(text: str) -> Vector | None:
    try:
        return parse_vector(text)
    except Unsupported:
        return None


def _expected(
    vectors: dict[int, Vector | None] | None, query: str | None
) -> tuple[int, ...] | None:
    """The ids the query selects by the manual's semantics; None when that cannot be told."""
    if vectors is None or query is None or any(v is None for v in vectors.values()):
        return None
    try:
        node = parse_query(query)
        return tuple(sorted(i for i, v in vectors.items() if v is not None and matches(v, node)))
    except Unsupported:
        return None


__all__ = ["TextSearch"]
