"""A driver's own exception (not an SQL error) is a failed statement of category DRIVER.

DuckDB 0.9 killed a worker with an OverflowError while it fetched an INTERVAL that Python's
timedelta cannot hold; the installed releases still raise it, outside `duckdb.Error`.
"""

from __future__ import annotations

import pytest

from fuzzer.engines import Failure, Rows, connect
from fuzzer.errors import ErrorCategory, SQLState
from oracles.base import Skip, rows_of
from oracles.differential import compare

# Values the engine computes and the driver cannot turn into Python objects.
UNCONVERTIBLE = [
    ("duckdb:", "SELECT INTERVAL 2000000000 DAY", "OverflowError"),  # timedelta(days) <= 1e9
    ("sqlite+apsw:", "SELECT CAST(x'ff' AS TEXT)", "UnicodeDecodeError"),  # not UTF-8
]


@pytest.mark.parametrize(("url", "sql", "kind"), UNCONVERTIBLE)
@pytest.mark.parametrize("guard", [True, False])
def test_a_value_the_driver_cannot_convert_is_a_driver_failure(
    url: str, sql: str, kind: str, guard: bool
):
    with connect(url, guard=guard) as engine:
        outcome = engine.execute(sql)
        assert isinstance(outcome, Failure)
        assert outcome.category is ErrorCategory.DRIVER
        assert outcome.sqlstate == SQLState.SYSTEM_ERROR
        assert outcome.code == f"sqlparity:driver:{kind}"
        assert kind in outcome.message and "\n" not in outcome.message
        assert engine.execute("SELECT 1").rows == [(1,)]  # and the engine goes on


@pytest.mark.parametrize(("url", "sql", "kind"), UNCONVERTIBLE)
def test_the_oracles_never_judge_a_driver_failure(url: str, sql: str, kind: str):
    with connect(url) as target, connect("sqlite:") as reference:
        failed = target.execute(sql)
        answered = reference.execute("SELECT 1")
        assert isinstance(failed, Failure) and isinstance(answered, Rows)
        for ref, tgt in ((answered, failed), (failed, answered)):
            assert compare(ref, tgt, ordered=False, compare_types=True) is None
        with pytest.raises(Skip):  # TLP and NoREC skip a probe with any failure
            rows_of([answered, failed])
