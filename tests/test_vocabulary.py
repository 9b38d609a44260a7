"""One feature vocabulary: the features of a drawn query are features of its rendered SQL."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzer.generator import Generator, Options, features
from fuzzer.generator.options import DEFAULT_WEIGHTS
from fuzzer.script import Lexicon
from fuzzer.script import features as text_features

DIALECTS = ("sqlite", "duckdb", "postgres", "mysql")
#: every clause and construct drawn often, so that few examples reach them all
RAISED = {name: 5 for name in DEFAULT_WEIGHTS}
#: how each dialect reads its strings: only MySQL's take backslash escapes
READING = {d: Lexicon(backslash_strings=d == "mysql", dollar_quotes=d == "postgres")
           for d in DIALECTS}  # fmt: skip


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dialect=st.sampled_from(DIALECTS), seed=st.integers(0, 2**31), raised=st.booleans())
def test_tree_features_are_text_features_of_the_rendered_sql(
    dialect: str, seed: int, raised: bool
) -> None:
    g = Generator(dialect, seed, Options(weights=RAISED if raised else {}))
    g.database()
    for _ in range(2):
        query = g.query()
        sql = g.render(query)
        missing = features(query, dialect) - text_features(sql, READING[dialect])
        assert not missing, (dialect, sorted(missing), sql)


def test_one_construct_has_one_name_drawn_or_written() -> None:
    from fuzzer import ast as A

    q = A.Select(
        (A.SelectItem(A.Aggregate("COUNT", (), distinct=False)),),
        (A.Join("LEFT", A.TableRef("t0", "a"), A.TableRef("t1", "b"), A.Literal(True, A.BOOLEAN)),),
        where=A.Binary("/", A.ColumnRef("a", "c0"), A.Literal(2, A.INTEGER)),
    )
    for dialect in DIALECTS:
        drawn = features(q, dialect)
        assert {"kw:SELECT", "kw:LEFT", "kw:JOIN", "func:count", "op:/"} <= drawn
        sql = Generator(dialect, 0).render(q)
        assert drawn <= text_features(sql)
