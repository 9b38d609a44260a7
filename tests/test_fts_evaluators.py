"""The reference full-text evaluators against the real engines, on hand-written cases.

PostgreSQL 15 (the service) decides `@@` over its own to_tsvector / to_tsquery text, which
`oracles.tsquery` reads and evaluates; SQLite's FTS5 decides MATCH over the tokens its
fts5vocab table lists, which `oracles.fts5match` evaluates.
"""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from oracles.fts5match import Index, parse
from oracles.tsquery import matches, parse_query, parse_vector

DOC = "The quick brown foxes jumped over the lazy dogs; quick dogs run"
QUERIES = [
    "quick & fox",
    "quick <-> brown",
    "quick <2> fox",
    "brown <-> quick",
    "!cat & dog",
    "jump:*",
    "(quick <-> brown) <-> fox",
    "quick <-> (brown <-> fox)",
    "lazy:A",
    "lazy:B",
    "quick:A & dog:B",
    "cat | !dog",
    "quick <0> quick",
    "dog <-> run",
]


@pytest.fixture(scope="module")
def pg():
    try:
        conn = psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True
        )
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL service")
    yield conn
    conn.close()


@pytest.mark.parametrize("query", QUERIES)
def test_the_tsquery_evaluator_agrees_with_postgresql(pg, query):
    vector = "setweight(to_tsvector('english', %s), 'A') || to_tsvector('english', %s)"
    q = "to_tsquery('english', %s)"
    row = pg.execute(
        f"SELECT ({vector})::text, ({q})::text, ({vector}) @@ ({q})",
        ("quick lazy", DOC, query, "quick lazy", DOC, query),
    ).fetchone()
    assert matches(parse_vector(row[0]), parse_query(row[1])) is row[2]


FTS5_QUERIES = [
    "quick",
    "quick fox",
    '"quick brown"',
    '"brown quick"',
    "quick + brown",
    "fox*",
    "^the",
    "^quick",
    "NEAR(quick dogs, 2)",
    "NEAR(quick lazy, 3)",
    "NEAR(quick lazy, 4)",
    "a : lazy",
    "b : lazy",
    "- a : lazy",
    "{a b} : dogs",
    "(quick NOT cat)",
    "(cat OR run)",
    "(quick NOT dogs)",
    "NEAR(the dogs)",
]


@pytest.mark.parametrize("query", FTS5_QUERIES)
def test_the_fts5_evaluator_agrees_with_sqlite(query):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(a, b)")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, instance)")
    conn.executemany(
        "INSERT INTO f(rowid, a, b) VALUES (?, ?, ?)",
        [(1, DOC, "lazy"), (2, "the lazy cat", "quick"), (3, "Run, foxes!", "")],
    )
    index = Index(conn.execute("SELECT doc, col, offset, term FROM v"), ("a", "b"))
    got = {r for (r,) in conn.execute("SELECT rowid FROM f WHERE f MATCH ?", (query,))}
    assert index.match_set((1, 2, 3), parse(query)) == got
