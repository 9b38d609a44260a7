"""Canonical values of what the drivers return, on the engines themselves."""

from __future__ import annotations

from conftest import open_engine

from oracles.compare import canonical_rows, multisets_equal


def test_postgres_arrays_of_numerics_and_dates_are_canonical_values() -> None:
    """psycopg reads an array as a list of Decimals or dates, which JSON cannot write: a diff
    check over a numeric[] column killed its worker. {1.0} and {1.00} are one array value."""
    engine = open_engine("postgres")
    try:
        one = engine.execute("SELECT ARRAY[1.0, 2.50]::numeric[], ARRAY[DATE '2000-01-01']")
        same = engine.execute("SELECT ARRAY[1.00, 2.5]::numeric[], ARRAY[DATE '2000-01-01']")
        other = engine.execute("SELECT ARRAY[1.0, 2.51]::numeric[], ARRAY[DATE '2000-01-02']")
    finally:
        engine.close()
    assert one.ok and same.ok and other.ok
    assert multisets_equal(canonical_rows(one.rows), canonical_rows(same.rows))
    assert not multisets_equal(canonical_rows(one.rows), canonical_rows(other.rows))
