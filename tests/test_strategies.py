"""The Hypothesis API: strategies compose, draw valid SQL, and replay by seed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import grammar
from fuzzer import ast as A
from fuzzer import strategies as sq
from fuzzer.dialects import render
from fuzzer.engines import connect
from fuzzer.errors import ErrorCategory


@settings(max_examples=10, deadline=None)
@given(db=sq.databases("duckdb"), data=st.data())
def test_queries_over_a_drawn_database_parse(db: sq.Database, data: st.DataObject) -> None:
    assert db.schema.tables and len(db.sql) == len(db.statements)
    query = data.draw(sq.queries(db.schema, "duckdb"))
    assert isinstance(query, A.Query)
    grammar.parser("duckdb").parse(render(query, "duckdb"))


@settings(max_examples=5, deadline=None)
@given(db=sq.databases("sqlite"), data=st.data())
def test_a_user_property_test_runs_on_sqlite(db: sq.Database, data: st.DataObject) -> None:
    """What a user writes: TLP's partition law, over drawn databases and predicates."""
    with connect("sqlite:") as engine:
        for sql in db.sql:
            assert engine.execute(sql).ok
        select, predicate = data.draw(sq.predicates(db.schema, "sqlite"))
        count = A.Select((A.SelectItem(A.Aggregate("COUNT", ())),), select.from_)
        parts = [
            A.Select(count.items, count.from_, where)
            for where in (predicate, A.Unary("NOT", predicate), A.IsNull(predicate))
        ]
        whole = engine.execute(render(count, "sqlite"))
        outcomes = [engine.execute(render(p, "sqlite")) for p in parts]
        if whole.ok and all(o.ok for o in outcomes):
            assert whole.rows[0][0] == sum(o.rows[0][0] for o in outcomes)
        else:
            assert all(o.ok or o.category is not ErrorCategory.COMPILE for o in outcomes)


def test_databases_replay_by_seed() -> None:
    first = sq.database("postgres", 17, None)
    again = sq.database("postgres", 17, None)
    assert first.sql == again.sql and first.seed == 17
