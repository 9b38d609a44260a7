"""The client-side watchdog, against a real PostgreSQL made to ignore timeouts and cancels."""

from __future__ import annotations

from pgproxy import DeafProxy, deaf_postgres  # noqa: F401 (a fixture)

from fuzzer.engines import connect
from fuzzer.engines.base import HANG


def test_a_statement_that_ignores_timeout_and_cancel_is_a_hang_and_the_engine_reconnects(
    deaf_postgres: tuple[str, DeafProxy],  # noqa: F811
):
    url, proxy = deaf_postgres
    engine = connect(url, timeout=0.5, guard=False)
    try:
        assert engine.execute("SHOW statement_timeout").rows == [("0",)]  # the proxy's doing
        outcome = engine.execute("SELECT pg_sleep(30)")
        assert not outcome.ok and outcome.code == HANG, outcome
        assert proxy.cancels_dropped >= 1  # the watchdog cancelled first, in vain
        assert outcome.elapsed < 30  # it did not wait for the statement
        again = engine.execute("SELECT 41 + 1")
        assert again.ok and again.rows == [(42,)]  # a new connection
    finally:
        engine.close()
